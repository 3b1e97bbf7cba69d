// Every example in examples/ runs as a reader would run it, `npm run example -- NAME` (that is,
// node scripts/example.mjs NAME), against the built package: each starts its own ZooKeeper on a
// free port, asserts what it shows, stops what it started and ends with the line `ok: NAME`. The
// examples are found by listing the directory, so a new one is covered without touching this file.
//
// Nothing here builds: the global setup (spec/setup/jest-global-setup.ts) builds the package once,
// before any worker starts, and scripts/example.mjs then finds dist/ current (it compiles the
// examples on the first run only). A build inside a test file could delete dist/ under a test
// running in the other worker.

import { spawn } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';

const examples = readdirSync('examples')
  .filter((file) => /^[\w-]+\.m?ts$/.test(file) && !file.endsWith('.d.ts'))
  .map((file) => file.replace(/\.m?ts$/, ''))
  .sort();

/** The longest an example may take (ms): busy-main-thread blocks for 8 s twice. */
const EXAMPLE_TIMEOUT_MS = 45_000;

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs `node scripts/example.mjs ...args` in a process group of its own, and SIGKILLs the group
 * (the script and the example it runs) after EXAMPLE_TIMEOUT_MS. A server the example started
 * goes with it: the harness's watchdog kills a server whose Node process died.
 */
function runExample(args: string[]): Promise<Run> {
  return runNode(['scripts/example.mjs', ...args]);
}

/** `node ...args` as runExample runs the script: in its own process group, killed at the limit. */
function runNode(args: string[]): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, {
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    const timer = setTimeout(() => process.kill(-child.pid!, 'SIGKILL'), EXAMPLE_TIMEOUT_MS);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

describe('examples', () => {
  it('are there to run (the directory lists the README Quick start and the tour)', () => {
    expect(examples).toEqual(expect.arrayContaining(['quick-start', 'demo', 'watches', 'transactions']));
  });

  it.each(examples)(
    '%s runs by itself, asserts its outcome and ends with ok: <name>',
    async (name) => {
      const run = await runExample([name]);
      // On failure the example's own transcript says what did not happen.
      const transcript = run.code === 0 ? '' : `${run.stdout}\n--- stderr ---\n${run.stderr}`;
      expect([name, run.code, run.signal, transcript]).toEqual([name, 0, null, '']);
      expect(run.stdout.trimEnd().split('\n').at(-1)).toBe(`ok: ${name}`);
    },
    EXAMPLE_TIMEOUT_MS + 15_000,
  );

  it(
    "is the README's Quick start, which runs as pasted: plain JavaScript, with plain node",
    async () => {
      const readme = readFileSync('README.md', 'utf8');
      const quickStart = readme.slice(readme.indexOf('## Quick start'));
      const block = /^```ts\n([\s\S]*?)^```$/m.exec(quickStart)?.[1];
      const example = readFileSync('examples/quick-start.mts', 'utf8');
      expect(block).toBe(
        example.slice(example.search(/^import /m)).replace("console.log('ok: quick-start');\n", ''),
      );
      // Saved as a user saves it, quick-start.mjs: no TypeScript in it, or node refuses it. Inside
      // the repository `zookit` resolves to the built dist/ through package.json (self-reference).
      mkdirSync('.build/readme', { recursive: true });
      writeFileSync('.build/readme/quick-start.mjs', `${block}console.log('ok: README');\n`);
      const run = await runNode(['.build/readme/quick-start.mjs']);
      expect([run.code, run.stderr]).toEqual([0, '']);
      expect(run.stdout).toMatch(/^state: CONNECTED$/m);
      expect(run.stdout.trimEnd().split('\n').at(-1)).toBe('ok: README');
    },
    EXAMPLE_TIMEOUT_MS,
  );

  it('lists every example with its purpose, and exits 2, for a name that is not one', async () => {
    const run = await runExample(['no-such-example']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('no example named "no-such-example"');
    for (const name of examples) expect(run.stderr).toMatch(new RegExp(`^  ${name} +\\S`, 'm'));
  });
});
