// Builds the package (npm run build; npm pack runs it as prepack). The code is compiled once, as
// CommonJS, to dist/cjs, with its declarations and source maps. dist/esm holds only the three ES
// module entries (zookit, zookit/protocol, zookit/testing), each re-exporting the CommonJS build by
// name, with a declaration file that re-exports the CommonJS declarations. An application that
// both imports and requires zookit (or depends on two packages that do) thus gets one copy of each
// class: an error thrown by one is `instanceof` the class the other names, and one client can be
// handed between them. A second, ES module copy of the whole code would have two of each.
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';

/** The package's entries (package.json `exports`), as paths under dist/cjs and dist/esm. */
const entries = ['index', 'protocol/index', 'testing/index'];

rmSync('dist', { recursive: true, force: true });
execFileSync(
  process.execPath,
  [
    'node_modules/typescript/bin/tsc',
    ...['-p', 'tsconfig.build.json', '--outDir', 'dist/cjs'],
    ...['--module', 'commonjs', '--moduleResolution', 'node10'],
    // The .ts files do not ship: each source map carries its source (sourcesContent).
    '--inlineSources',
  ],
  { stdio: 'inherit' },
);
writeFileSync('dist/cjs/package.json', `${JSON.stringify({ type: 'commonjs' }, null, 2)}\n`);

mkdirSync('dist/esm', { recursive: true });
writeFileSync('dist/esm/package.json', `${JSON.stringify({ type: 'module' }, null, 2)}\n`);
const require = createRequire(import.meta.url);
for (const entry of entries) {
  const esm = `dist/esm/${entry}`;
  const cjs = `${relative(dirname(esm), `dist/cjs/${entry}`)}.js`;
  mkdirSync(dirname(esm), { recursive: true });
  // Named exports listed here, from the loaded module, rather than left to Node's static guess at
  // a CommonJS module's names (cjs-module-lexer), which may miss one.
  const names = Object.keys(require(join(process.cwd(), `dist/cjs/${entry}.js`))).sort();
  writeFileSync(
    `${esm}.js`,
    `// The ES module entry: the CommonJS build's exports, one copy of each (scripts/build.mjs).\n` +
      `import cjs from '${cjs}';\n\n` +
      `export const {\n${names.map((name) => `  ${name},\n`).join('')}} = cjs;\n`,
  );
  writeFileSync(`${esm}.d.ts`, `export * from '${cjs}';\n`);
}
