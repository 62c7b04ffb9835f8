// unit.mjs tests the console's pure modules in Node (no browser): each is bundled with
// esbuild and its functions checked with node:assert. Run by scripts/check-dist.sh, so by
// `make test`.
import assert from 'node:assert/strict';
import { build } from 'esbuild';

async function load(entry) {
  const out = await build({ entryPoints: [entry], bundle: true, format: 'esm', write: false, logLevel: 'error' });
  return import('data:text/javascript;base64,' + Buffer.from(out.outputFiles[0].text).toString('base64'));
}

// realtimeCounts: a streamed event is counted once, whether it reaches the browser before
// or after the summary that holds it.
{
  const { addArrivals, notCounted } = await load('src/realtimeCounts.ts');
  const from = 1_700_000_040_000 - (1_700_000_040_000 % 60_000);
  const minutes = Array.from({ length: 30 }, (_, i) => ({ start: from + i * 60_000, at: '', events: 0, persons: 0 }));
  minutes[29].events = 2;
  const summary = {
    from, to: from + 30 * 60_000, minutes, events: 2, persons: 1,
    top_events: [{ name: 'A', count: 2 }], top_pages: [], top_scenes: [], page_views_sampled: 0,
  };
  const answer = { summary, computed_at: '', live: { epoch: 100, seq: 7 } };
  const at = from + 29 * 60_000 + 5;
  const ev = (epoch, seq, event = 'A', timestamp = at) => ({ epoch, seq, timestamp, event });

  assert.equal(notCounted(ev(100, 7), answer), false, 'seq up to the summary is counted in it');
  assert.equal(notCounted(ev(100, 8), answer), true, 'a later seq is not');
  assert.equal(notCounted(ev(99, 1000), answer), false, 'an earlier process is in the store');
  assert.equal(notCounted(ev(101, 1), answer), true, 'a later process is not');

  const streamed = [ev(100, 6), ev(100, 7), ev(100, 8), ev(100, 9, 'B'), ev(100, 10, 'A', from - 1)];
  const got = addArrivals(summary, streamed.filter((a) => notCounted(a, answer)));
  assert.equal(got.events, 4, 'two later events inside the window are added, the one before it is not');
  assert.equal(got.minutes[29].events, 4);
  assert.deepEqual(got.top_events, [{ name: 'A', count: 3 }], 'only names already in the top list move');
  assert.equal(summary.events, 2, 'the summary itself is not changed');
  assert.equal(summary.minutes[29].events, 2);
  assert.equal(addArrivals(summary, []), summary);
}

console.log('console unit tests passed');
