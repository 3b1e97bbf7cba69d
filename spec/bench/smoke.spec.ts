// The benchmark as CI runs it: `npm run bench`'s runner (bench/run.ts), compiled here to a directory
// of this run and started with BENCH_SMOKE=1, so every workload, client and extra figure runs end to
// end at a tiny count (the recipe workloads with kazoo and Curator too) and the benchmark cannot
// rot unnoticed. No figure is asserted (the smoke's
// are meaningless by design, and speed is never a test's business); what is asserted is that every
// measurement the run planned produced a result and none failed.

import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { RunReport } from '../../bench/report.js';
import { compileTools } from '../compile-tools.js';

const REPO_ROOT = join(__dirname, '..', '..');

let buildDir: string;

/** Runs the compiled runner with BENCH_SMOKE=1; resolves with its exit code and output. */
function runSmoke(out: string): Promise<{ code: number | null; output: string }> {
  const child = spawn(process.execPath, [join(buildDir, 'bench', 'run.js')], {
    cwd: REPO_ROOT,
    env: { ...process.env, BENCH_SMOKE: '1', BENCH_OUT: out },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, output }));
  });
}

beforeAll(async () => {
  mkdirSync(join(REPO_ROOT, '.build'), { recursive: true });
  buildDir = mkdtempSync(join(REPO_ROOT, '.build', 'bench-smoke-'));
  await compileTools(buildDir);
}, 240_000);

afterAll(() => {
  if (buildDir !== undefined) rmSync(buildDir, { recursive: true, force: true });
});

test('every workload, client and figure of the benchmark runs end to end (BENCH_SMOKE=1)', async () => {
  const out = join(buildDir, 'RESULTS-smoke.md');
  const { code, output } = await runSmoke(out);
  if (code !== 0) throw new Error(`the smoke run exited with ${code}:\n${output.slice(-4000)}`);
  expect(existsSync(out)).toBe(true);
  const report = JSON.parse(readFileSync(join(buildDir, 'bench', 'RESULTS-smoke.json'), 'utf8')) as RunReport;

  // The zookit clients, the ceiling and the Java client must be there; the npm peers only when
  // bench/node_modules has them (the Makefile installs them for `make test`).
  for (const client of ['raw', 'zookit', 'zookit-worker', 'java'] as const)
    expect({ client, measured: report.clients.includes(client) }).toEqual({ client, measured: true });
  const failures = Object.entries(report.cells).flatMap(([cell, { runs, failures }]) => [
    ...failures.map((f) => `${cell}: ${f}`),
    ...(runs.length === 0 ? [`${cell}: no result`] : []),
  ]);
  expect(failures).toEqual([]);
  const planned = report.workloads.reduce(
    (n, w) =>
      n +
      w.windows.reduce(
        (k, window) => k + report.clients.filter((c) => c !== 'java' || window === 1).length,
        0,
      ),
    0,
  );
  expect(Object.keys(report.cells)).toHaveLength(planned);
  // The watch figure: both kinds for both zookit handlers and the peers (kazoo included), every one
  // with a result.
  const watchCells = report.watches.map((w) => ({
    cell: `${w.client} ${w.kind} ${w.count}`,
    runs: w.runs.length,
    failures: w.failures,
  }));
  for (const client of ['zookit', 'zookit-worker', 'kazoo'])
    for (const kind of ['exists', 'data'])
      expect(watchCells.some((w) => w.cell.startsWith(`${client} ${kind} `))).toBe(true);
  expect(watchCells.filter((w) => w.runs === 0 || w.failures.length > 0)).toEqual([]);
  expect(report.connect.zookit?.failures).toEqual([]);

  // The recipe workloads: every workload with zookit, kazoo and Curator, none failed.
  const recipes = report.recipes;
  expect(recipes?.smoke).toBe(true);
  const rows = (recipes?.rows ?? []).map((row) => ({
    row: `${row.workload} ${row.entrant.label}`,
    rounds: row.rounds.length,
    failures: row.failures,
  }));
  for (const workload of ['lock', 'election-resign', 'election-close', 'counter', 'queue'])
    for (const peer of ['zookit', 'kazoo', 'curator'])
      expect(recipes?.rows.some((row) => row.workload === workload && row.entrant.peer === peer)).toBe(true);
  expect(rows.filter((r) => r.rounds === 0 || r.failures.length > 0)).toEqual([]);

  // Many sessions: both handlers connected, idled, rode out a member kill.
  expect(report.sessions?.failures).toEqual([]);
  expect(report.sessions?.handlers.map((h) => h.handler).sort()).toEqual(['sequential', 'worker-shared']);
  for (const h of report.sessions?.handlers ?? [])
    expect({ handler: h.handler, neverBack: h.neverBack }).toEqual({ handler: h.handler, neverBack: 0 });
}, 600_000);
