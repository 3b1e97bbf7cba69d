// The recipe section of bench/RESULTS.md: one table per workload (medians over the rounds, with
// the spread of the rate), the placement and clock check, and issue 19's recipe goals marked met
// or not with their numbers.

import type { RecipeWorkload } from './contract.js';
import { median, type RecipeMeasurement } from './figures.js';
import type { RecipeFigures, RecipeRow } from './run.js';

/** A goal of the issue with its verdict, shaped as bench/report.ts's targets. */
export interface GoalRow {
  target: string;
  status: 'met' | 'NOT met' | 'n/a';
  detail: string;
}

/** A contender is fair when the fewest increments of one contender are at least this share of the most. */
const FAIR_SHARE = 0.5;

const TITLES: Record<RecipeWorkload, string> = {
  lock: 'Lock hand-off: acquire, getData + setData(version) of a counter, release',
  'election-resign': 'Election fail-over: the leader resigns',
  'election-close': "Election fail-over: the leader's client closes",
  counter: 'Counter: increments of one counter',
  queue: 'LockingQueue: put / get / consume pairs',
};

const RATE_UNIT: Record<RecipeWorkload, string> = {
  lock: 'grants/s',
  'election-resign': 'fail-overs/s',
  'election-close': 'fail-overs/s',
  counter: 'increments/s',
  queue: 'pairs/s',
};

interface RowStats {
  rate: number;
  spread: number;
  p50Ms: number;
  p99Ms: number;
  rttMs: number;
  cpuUs: number;
  retries: number;
  /** Median over rounds of min/max increments per contender. */
  fairShare: number;
  problems: string[];
  rounds: number;
}

function statsOf(row: RecipeRow): RowStats | undefined {
  const r = row.rounds;
  if (r.length === 0) return undefined;
  const pick = (f: (m: RecipeMeasurement) => number | undefined) => median(r.map((m) => f(m) ?? Number.NaN));
  const rates = r.map((m) => m.rate);
  const rate = median(rates);
  return {
    rate,
    spread: rate > 0 ? (Math.max(...rates) - Math.min(...rates)) / rate : 0,
    p50Ms: pick((m) => m.p50Ms),
    p99Ms: pick((m) => m.p99Ms),
    rttMs: pick((m) => m.rttP50Ms),
    cpuUs: pick((m) => m.cpuUsPerOp),
    retries: pick((m) => m.retriesPerOp),
    fairShare: pick((m) =>
      m.fairness === undefined ? undefined : m.fairness[0] / Math.max(1, m.fairness[1]),
    ),
    problems: r.flatMap((m) => (m.problem === null ? [] : [m.problem])),
    rounds: r.length,
  };
}

const num = (n: number, digits = 0): string =>
  Number.isNaN(n)
    ? '–'
    : n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

function table(header: string[], rows: string[][]): string {
  return [
    `| ${header.join(' | ')} |`,
    `|${header.map(() => ' --- ').join('|')}|`,
    ...rows.map((r) => `| ${r.join(' | ')} |`),
  ].join('\n');
}

function workloadTable(workload: RecipeWorkload, rows: RecipeRow[]): string {
  const latency = workload === 'lock' || workload.startsWith('election');
  const header = ['implementation', RATE_UNIT[workload], 'spread'];
  if (latency) header.push('p50 ms', 'p99 ms', 'p50 in RTT');
  if (workload === 'counter') header.push('retries / increment', 'fewest / most per contender');
  header.push('CPU µs / op', 'getData RTT p50 ms', 'check', 'rounds');
  const body = rows.map((row) => {
    const s = statsOf(row);
    if (s === undefined)
      return [row.entrant.label, 'failed', ...header.slice(2).map(() => ''), row.failures.join('; ')];
    const cells = [row.entrant.label, num(s.rate), `${num(s.spread * 100)}%`];
    if (latency) cells.push(num(s.p50Ms, 2), num(s.p99Ms, 2), num(s.p50Ms / s.rttMs, 1));
    if (workload === 'counter') cells.push(num(s.retries, 2), num(s.fairShare, 2));
    const failed = row.failures.length > 0 ? ` (${row.failures.length} failed: ${row.failures[0]})` : '';
    cells.push(
      num(s.cpuUs),
      num(s.rttMs, 3),
      s.problems.length === 0 ? `ok${failed}` : `**${s.problems.join('; ')}**${failed}`,
      String(s.rounds),
    );
    return cells;
  });
  return table(header, body);
}

function find(f: RecipeFigures, workload: RecipeWorkload, label: string): RowStats | undefined {
  const row = f.rows.find((r) => r.workload === workload && r.entrant.label === label);
  return row === undefined ? undefined : statsOf(row);
}

function peersOf(f: RecipeFigures, workload: RecipeWorkload): RowStats[] {
  return f.rows
    .filter((r) => r.workload === workload && r.entrant.peer !== 'zookit')
    .map(statsOf)
    .filter((s): s is RowStats => s !== undefined);
}

const verdict = (ok: boolean | undefined): GoalRow['status'] =>
  ok === undefined ? 'n/a' : ok ? 'met' : 'NOT met';

function goals(f: RecipeFigures): GoalRow[] {
  const rows: GoalRow[] = [];
  const lock = find(f, 'lock', 'zookit');
  const lockPeers = peersOf(f, 'lock');
  const bestPeerRate = (peers: RowStats[]) => Math.max(0, ...peers.map((p) => p.rate));
  rows.push({
    target: 'Lock: more than 603 grants/s and more than every peer',
    status: verdict(
      lock && lock.rate > 603 && lock.rate > bestPeerRate(lockPeers) && lock.problems.length === 0,
    ),
    detail: lock
      ? `zookit ${num(lock.rate)} grants/s; best peer ${num(bestPeerRate(lockPeers))}`
      : 'not measured',
  });
  rows.push({
    target: 'Lock hand-off p50 < 0.86 ms and p99 < 2.2 ms',
    status: verdict(lock && lock.p50Ms < 0.86 && lock.p99Ms < 2.2),
    detail: lock ? `p50 ${num(lock.p50Ms, 2)} ms, p99 ${num(lock.p99Ms, 2)} ms` : 'not measured',
  });
  rows.push({
    target: 'Lock hand-off p50 ≤ 2.5 getData round trips',
    status: verdict(lock && lock.p50Ms / lock.rttMs <= 2.5),
    detail: lock
      ? `${num(lock.p50Ms / lock.rttMs, 2)} RTT (p50 ${num(lock.p50Ms, 2)} ms, RTT p50 ${num(lock.rttMs, 3)} ms)`
      : 'not measured',
  });
  const counter = find(f, 'counter', 'zookit');
  const counterPeers = peersOf(f, 'counter');
  rows.push({
    target: `Counter: more than 1,377 increments/s and every peer, fair (fewest ≥ ${FAIR_SHARE} × most), no lost update`,
    status: verdict(
      counter &&
        counter.rate > 1377 &&
        counter.rate > bestPeerRate(counterPeers) &&
        counter.fairShare >= FAIR_SHARE &&
        counter.problems.length === 0,
    ),
    detail: counter
      ? `zookit ${num(counter.rate)}/s, fewest/most ${num(counter.fairShare, 2)}, ${counter.problems.length === 0 ? 'no lost update' : counter.problems.join('; ')}; best peer ${num(bestPeerRate(counterPeers))}/s`
      : 'not measured',
  });
  for (const workload of ['election-resign', 'election-close'] as const) {
    const e = find(f, workload, 'zookit');
    const how = workload === 'election-resign' ? 'the leader resigns' : "the leader's client closes";
    rows.push({
      target: `Election fail-over when ${how}: p50 < 2 ms and p99 < 3 ms`,
      status: verdict(e && e.p50Ms < 2 && e.p99Ms < 3 && e.problems.length === 0),
      detail: e ? `p50 ${num(e.p50Ms, 2)} ms, p99 ${num(e.p99Ms, 2)} ms` : 'not measured',
    });
  }
  const queue = find(f, 'queue', 'zookit');
  const queuePeers = peersOf(f, 'queue');
  rows.push({
    target: 'LockingQueue: more pairs/s than every peer, each item consumed once',
    status: verdict(queue && queue.rate > bestPeerRate(queuePeers) && queue.problems.length === 0),
    detail: queue
      ? `zookit ${num(queue.rate)}/s; best peer ${num(bestPeerRate(queuePeers))}/s`
      : 'not measured',
  });
  return rows;
}

/** The recipe section of RESULTS.md, and the goals for the report's targets table. */
export function renderRecipeSection(f: RecipeFigures): { markdown: string; goals: GoalRow[] } {
  const goalRows = goals(f);
  const workloads = [...new Set(f.rows.map((r) => r.workload))];
  const parts = [
    '## Recipes side by side (zookit, kazoo 2.8, Curator 5.4)',
    '',
    `${f.contenders} contenders, each with its own session, on one fresh standalone server; ` +
      `${f.rounds} round(s) of ${f.seconds} s per measurement, implementations interleaved round by round; ` +
      'medians over the rounds (spread: (max − min) / median of the rate). zookit: ' +
      `${f.zookitLayout}; kazoo: one process per contender (the GIL); Curator: one JVM, a thread and a ` +
      `CuratorFramework per contender. Placement: ${f.placement}. A leader leads ${f.holdMs} ms, then ` +
      'resigns (zookit: its run() function returns; kazoo: likewise; Curator: LeaderLatch.close()) or closes ' +
      'its client, and joins again with a fresh session. Hand-off: from the holder’s release call to the next ' +
      'holder’s acquire returning; fail-over: from the resign/close call to the next leader’s function (or ' +
      'isLeader) running — events of every process merged on CLOCK_MONOTONIC. Queue: the first half of ' +
      'the contenders put, the others get + consume; Curator has no LockingQueue, its closest is a ' +
      'DistributedQueue with a lock path (an item is removed once its consumer returns).',
    '',
    `Clock check (each driver’s monotonic reading falls between two of the runner’s): ${f.clock.join('; ')}.`,
    '',
  ];
  for (const workload of workloads) {
    parts.push(
      `### ${TITLES[workload]}`,
      '',
      workloadTable(
        workload,
        f.rows.filter((r) => r.workload === workload),
      ),
      '',
    );
  }
  parts.push(
    '### Recipe goals (issue 19)',
    '',
    table(
      ['goal', 'status', 'numbers'],
      goalRows.map((g) => [g.target, g.status === 'met' ? 'met' : `**${g.status}**`, g.detail]),
    ),
    '',
  );
  return { markdown: parts.join('\n'), goals: goalRows };
}
