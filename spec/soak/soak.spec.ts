// The soak as CI runs it: two minutes of the real runner (`npm run soak`'s cli.js, compiled here to
// a directory of this run and started as its own node --expose-gc process, so what it measures is
// the soak's process alone, not jest's), which must pass with its faults having happened; and the
// same run with a planted leak (a state listener kept per operation, about 1 KiB each), which must
// fail on heap growth, so the pass above is not the soak being unable to fail. Both run at once:
// they are separate processes, and together they fit the 2.5 minutes CI gives this. The planted
// run is as long as the clean one because on a loaded machine a shorter one's heap grows in steps
// whose residuals resemble each other so much that 40 samples are worth fewer than 3
// (trend.ts) and the interval is unbounded.

import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { compileTools } from '../compile-tools.js';
import type { SoakReport } from './runner.js';

const REPO_ROOT = join(__dirname, '..', '..');

interface Finished {
  code: number | null;
  output: string;
  report: SoakReport;
}

let buildDir: string;
let clean: Promise<Finished>;
let planted: Promise<Finished>;
const children: ChildProcess[] = [];

/** Runs the compiled soak with `args`; resolves with its exit code, its output and its report. */
function soak(name: string, args: readonly string[]): Promise<Finished> {
  const out = join(buildDir, `${name}.json`);
  const child = spawn(
    process.execPath,
    ['--expose-gc', join(buildDir, 'spec', 'soak', 'cli.js'), ...args, '--out', out],
    { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  children.push(child);
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => {
      try {
        resolve({ code, output, report: JSON.parse(readFileSync(out, 'utf8')) as SoakReport });
      } catch (error) {
        reject(new Error(`the ${name} soak wrote no report (exit ${code}):\n${output}`, { cause: error }));
      }
    });
  });
}

beforeAll(async () => {
  mkdirSync(join(REPO_ROOT, '.build'), { recursive: true });
  buildDir = mkdtempSync(join(REPO_ROOT, '.build', 'soak-spec-'));
  await compileTools(buildDir);
  const seed = String(Math.floor(Math.random() * 2 ** 31));
  console.log(
    `soak spec: seed ${seed} (replay: npm run soak -- --minutes 2 --seed ${seed} --expire-every 30)`,
  );
  clean = soak('clean', ['--minutes', '2', '--warmup', '30', '--seed', seed, '--expire-every', '30']);
  planted = soak('planted', ['--minutes', '2', '--warmup', '30', '--seed', seed, '--plant', 'listener']);
  // Both are awaited by their own test; neither may be an unhandled rejection meanwhile.
  clean.catch(() => undefined);
  planted.catch(() => undefined);
}, 60_000);

afterAll(() => {
  for (const child of children)
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  if (buildDir !== undefined) rmSync(buildDir, { recursive: true, force: true });
});

describe('the soak', () => {
  it('passes two minutes of mixed work, watches, caches, recipes, reconnects and expiries under both handlers', async () => {
    const { code, output, report } = await clean;
    console.log(output.trim().split('\n').slice(-2).join('\n'));
    expect(report.verdict.reasons).toEqual([]);
    expect(code).toBe(0);
    expect(report.verdict.samplesJudged).toBeGreaterThanOrEqual(80);
    // It did what it claims: operations of every kind, recipes, events, and faults on both clients.
    expect(report.operations).toBeGreaterThan(1000);
    for (const kind of [
      'create',
      'multi',
      'lock',
      'counter',
      'queue',
      'treeCache',
      'curatorCache',
      'watchStream',
    ])
      expect(report.operationsByKind[kind]).toBeGreaterThan(0);
    expect(report.events).toBeGreaterThan(1000);
    expect(report.faults.reconnects).toBeGreaterThanOrEqual(6);
    expect(report.faults.expiries).toBeGreaterThanOrEqual(2);
    for (const client of ['sequential', 'worker']) {
      expect(report.states[client]?.['SUSPENDED']).toBeGreaterThan(0);
      expect(report.states[client]?.['LOST']).toBeGreaterThan(0);
    }
  }, 180_000);

  it('fails when something is kept per operation (a planted state listener of about 1 KiB)', async () => {
    const { code, output, report } = await planted;
    console.log(output.trim().split('\n').slice(-2).join('\n'));
    expect(code).toBe(1);
    expect(report.leaked).toBeGreaterThan(1000);
    const heap = report.verdict.metrics.find((m) => m.metric === 'heapUsed');
    expect(heap?.grew).toBe(true);
    expect(report.verdict.reasons.some((reason) => reason.startsWith('heapUsed grows'))).toBe(true);
  }, 180_000);
});
