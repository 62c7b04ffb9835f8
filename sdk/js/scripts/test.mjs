// Runs the unit tests (test/*.test.{cjs,mjs}) with node's test runner, prints the spec
// report and a closing "N passed, N failed" line, and exits 1 on any failure.
import { run } from 'node:test';
import { spec } from 'node:test/reporters';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

const dir = new URL('../test/', import.meta.url).pathname;
const files = readdirSync(dir).filter((f) => /\.test\.(c|m)?js$/.test(f)).map((f) => join(dir, f));
let passed = 0;
let failed = 0;
const stream = run({ files, concurrency: 2 });
stream.on('test:pass', (t) => {
  if (t.details.type !== 'suite' && !files.includes(t.name)) passed++;
});
stream.on('test:fail', (t) => {
  if (t.details.type !== 'suite') failed++;
});
const out = stream.compose(spec);
out.pipe(process.stdout, { end: false });
out.on('end', () => {
  console.log(`javascript: ${passed} passed, ${failed} failed`);
  process.exitCode = failed || !passed ? 1 : 0;
});
