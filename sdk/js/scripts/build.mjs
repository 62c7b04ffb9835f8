// Builds dist/: the script-tag web build (IIFE, minified: the one under the size budget),
// the ES module web build, the mini-program CommonJS build and the type declarations.
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';

const here = new URL('..', import.meta.url).pathname;
process.chdir(here);
rmSync('dist', { recursive: true, force: true });

const common = { bundle: true, target: 'es2017', legalComments: 'none', logLevel: 'warning' };
await Promise.all([
  build({ ...common, entryPoints: ['src/web-global.ts'], outfile: 'dist/jingyun.min.js', format: 'iife', minify: true }),
  build({ ...common, entryPoints: ['src/web.ts'], outfile: 'dist/jingyun.web.mjs', format: 'esm', minify: true }),
  build({ ...common, entryPoints: ['src/miniprogram-entry.ts'], outfile: 'dist/miniprogram/index.js', format: 'cjs', minify: false }),
]);
execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', '.'], { stdio: 'inherit' });
// The CommonJS build exports the client itself (module.exports = jingyun).
writeFileSync(
  'dist/types/miniprogram-entry.d.ts',
  "import { MiniClient } from './miniprogram';\ndeclare const jingyun: MiniClient & { MiniClient: typeof MiniClient };\nexport = jingyun;\n",
);
