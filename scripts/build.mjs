// Builds the package twice from one source: dist/esm (ES modules) and dist/cjs (CommonJS), each
// with its own declarations beside the code, so `import` and `require` both get types that match
// the module format they load (no "masquerading" declarations).
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';

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

// The one module that differs by format: how the worker thread's entry is found. The source is
// the CommonJS form (__dirname); an ES module finds its neighbour through import.meta.url.
writeFileSync(
  'dist/esm/handlers/worker-entry-path.js',
  [
    "import { fileURLToPath } from 'node:url';",
    '',
    'export function workerEntryPath() {',
    "  return fileURLToPath(new URL('./worker-entry.js', import.meta.url));",
    '}',
    '',
  ].join('\n'),
);
