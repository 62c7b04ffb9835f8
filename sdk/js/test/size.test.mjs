// The size budget of the web build: under 10 KB gzipped (docs/sdk.md states the figure).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BUDGET, sizes } from '../scripts/size.mjs';

test('the web builds are under 10 KB gzipped', () => {
  for (const [file, s] of Object.entries(sizes())) {
    assert.ok(s.gzip < BUDGET, `${file} is ${s.gzip} bytes gzipped; the budget is ${BUDGET}`);
  }
});
