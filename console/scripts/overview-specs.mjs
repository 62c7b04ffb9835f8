// overview-specs.mjs writes overview-specs.json: the overview's queries (src/overviewSpecs.ts)
// for its 7- and 30-day ranges, which the Go benchmark (bench, "Overview") times on the
// server. With --check it fails when the committed file differs from the sources.
import { readFileSync, writeFileSync } from 'node:fs';
import { build } from 'esbuild';

const out = await build({ entryPoints: ['src/overviewSpecs.ts'], bundle: true, format: 'esm', write: false, logLevel: 'error' });
const mod = await import('data:text/javascript;base64,' + Buffer.from(out.outputFiles[0].text).toString('base64'));
const json = JSON.stringify({ 7: mod.overviewSpecs(7), 30: mod.overviewSpecs(30) }, null, 1) + '\n';
const file = 'overview-specs.json';
if (process.argv.includes('--check')) {
  let have = '';
  try {
    have = readFileSync(file, 'utf8');
  } catch {
    /* missing: stale */
  }
  if (have !== json) {
    console.error(`console/${file} is stale: run 'node scripts/overview-specs.mjs' in console/ and commit it`);
    process.exit(1);
  }
  console.log(`console/${file} is up to date`);
} else {
  writeFileSync(file, json);
}
