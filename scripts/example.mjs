// `npm run example -- NAME`: runs examples/NAME.ts (or .mts) as a user's project would. It builds
// the package when dist/ is stale (scripts/ensure-build.mjs), compiles the examples when one of
// them or the package's types changed (`tsc -p examples`, which resolves `zookit` and
// `zookit/testing` through package.json `exports` to dist/, no path mapping), then runs
// .build/examples/NAME.js with plain node and exits with its exit code. Without a NAME, or with
// one that is not an example, it lists the examples with their one-line purpose and exits 2.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { builtAt, ensureBuild, newestMtime } from './ensure-build.mjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const SOURCE_DIR = join(ROOT, 'examples');
const OUT_DIR = join(ROOT, '.build', 'examples');

/** Every example: a .ts or .mts file in examples/, by name (the file name without extension). */
function listExamples() {
  return readdirSync(SOURCE_DIR)
    .filter((file) => /^[\w-]+\.m?ts$/.test(file) && !file.endsWith('.d.ts'))
    .map((file) => ({ name: file.replace(/\.m?ts$/, ''), source: join(SOURCE_DIR, file) }))
    .sort((a, b) => a.name.localeCompare(b.name));
}

/** An example's purpose: the first line of the comment that opens its file. */
function purposeOf(source) {
  const first = readFileSync(source, 'utf8').split('\n')[0] ?? '';
  return first.startsWith('//') ? first.replace(/^\/\/\s*/, '') : '';
}

/** Where tsc puts an example's JavaScript (.mts compiles to .mjs). */
function outputOf({ source }) {
  const file = source
    .slice(SOURCE_DIR.length + 1)
    .replace(/\.ts$/, '.js')
    .replace(/\.mts$/, '.mjs');
  return join(OUT_DIR, file);
}

/** Compiles every example unless each output is newer than its source, the tsconfig and dist/. */
function compileIfStale(examples) {
  const inputs = Math.max(newestMtime(join(SOURCE_DIR, 'tsconfig.json')), builtAt() ?? Infinity);
  const current = examples.every((example) => {
    const output = outputOf(example);
    if (!existsSync(output)) return false;
    const compiled = statSync(output).mtimeMs;
    return compiled > inputs && compiled > statSync(example.source).mtimeMs;
  });
  if (current) return;
  const tsc = spawnSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'examples'], {
    cwd: ROOT,
    stdio: 'inherit',
  });
  if (tsc.status !== 0) process.exit(tsc.status ?? 1);
}

function printList(examples, stream) {
  const width = Math.max(...examples.map(({ name }) => name.length));
  stream.write('Examples (run one with `npm run example -- NAME`):\n');
  for (const example of examples) {
    stream.write(`  ${example.name.padEnd(width)}  ${purposeOf(example.source)}\n`);
  }
}

async function main() {
  const examples = listExamples();
  const name = process.argv[2];
  const example = examples.find((candidate) => candidate.name === name);
  if (example === undefined) {
    if (name !== undefined) process.stderr.write(`no example named ${JSON.stringify(name)}\n\n`);
    printList(examples, process.stderr);
    process.exit(2);
  }
  await ensureBuild();
  compileIfStale(examples);
  const run = spawnSync(process.execPath, [outputOf(example), ...process.argv.slice(3)], {
    cwd: ROOT,
    stdio: 'inherit',
  });
  if (run.signal) process.kill(process.pid, run.signal);
  process.exit(run.status ?? 1);
}

await main();
