// Checks the size budget: the web build must stay under 10 KB gzipped (10,240 bytes).
// Prints the sizes; exits 1 over budget. `node scripts/size.mjs` after the build.
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';

export const BUDGET = 10 * 1024;

/** sizes returns raw and gzipped byte counts of the web builds. */
export function sizes() {
  const out = {};
  for (const f of ['jingyun.min.js', 'jingyun.web.mjs']) {
    const b = readFileSync(new URL('../dist/' + f, import.meta.url));
    out[f] = { raw: b.length, gzip: gzipSync(b, { level: 9 }).length };
  }
  return out;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  let over = false;
  for (const [f, s] of Object.entries(sizes())) {
    console.log(`${f}: ${s.raw} bytes, ${s.gzip} bytes gzipped (budget ${BUDGET})`);
    if (s.gzip >= BUDGET) over = true;
  }
  process.exit(over ? 1 : 0);
}
