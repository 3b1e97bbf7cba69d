// Builds the package twice from one source: dist/esm (ES modules) and dist/cjs (CommonJS), each
// with its own declarations beside the code, so `import` and `require` both get types that match
// the module format they load (no "masquerading" declarations).
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';

const tsc = ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json'];
const targets = [
  { dir: 'dist/esm', type: 'module', args: ['--module', 'esnext', '--moduleResolution', 'bundler'] },
  { dir: 'dist/cjs', type: 'commonjs', args: ['--module', 'commonjs', '--moduleResolution', 'node10'] },
];

rmSync('dist', { recursive: true, force: true });
for (const { dir, type, args } of targets) {
  execFileSync(process.execPath, [...tsc, '--outDir', dir, ...args], { stdio: 'inherit' });
  mkdirSync(dir, { recursive: true });
  writeFileSync(`${dir}/package.json`, `${JSON.stringify({ type }, null, 2)}\n`);
}

// Modules that find files by their own location (the worker thread's entry beside
// worker-threads.ts, a spawn task naming its own module) are written in the CommonJS form, with
// __filename and __dirname: the form the sources run in under ts-jest and the worker's TypeScript
// bootstrap, and that of dist/cjs. An ES module has neither, so every dist/esm module that uses
// them gets both, defined from import.meta.url. The definitions go in front of the first line, so
// the source map's lines stay true.
const ESM_LOCATION =
  "import { fileURLToPath as __zookitFileURLToPath } from 'node:url'; " +
  "import { dirname as __zookitDirname } from 'node:path'; " +
  'const __filename = __zookitFileURLToPath(import.meta.url); ' +
  'const __dirname = __zookitDirname(__filename); ';
for (const file of readdirSync('dist/esm', { recursive: true })) {
  if (!file.endsWith('.js')) continue;
  const path = `dist/esm/${file}`;
  const code = readFileSync(path, 'utf8');
  if (/\b__(?:filename|dirname)\b/.test(code)) writeFileSync(path, ESM_LOCATION + code);
}
