// Turns a run's measurements into bench/RESULTS.md: the machine and settings, the issue's targets
// evaluated from the numbers, one table per workload, and the extra figures.

import { CLIENT_LABELS, type ClientName } from './clients/client.js';
import { RESPONSE_COUNTER_LIMIT } from './clients/zookeeper-native.js';
import { HOLD_IDLE_MS, IDLE_PROBE_MS, type WatchFigure, type WatchKindName } from './driver.js';
import { type Measurement, median } from './measurement.js';
import { KAZOO_LABEL } from './peers/kazoo.js';
import type { RecipeFigures } from './recipes/run.js';
import type { SessionFigures } from './sessions/figures.js';
import type { Workload, WorkloadName } from './workloads.js';

/** Identifies one table row: workload, window, client. */
export type CellKey = string;

export function cellKey(workload: WorkloadName, window: number, client: ClientName): CellKey {
  return `${workload}|${window}|${client}`;
}

/** Everything a run measured, as run.ts hands it over (and writes to `dataFile`). */
export interface RunReport {
  startedAt: string;
  /** Where this run's raw numbers (this object, as JSON) were written, relative to the repository. */
  dataFile: string;
  durationS: number;
  quick: boolean;
  partial: boolean;
  /** Where zookit's CPU profiles went, when BENCH_PROFILE=1. */
  profileDir?: string;
  rounds: number;
  measureS: number;
  warmupS: number;
  serverWarmupS: number;
  connectsPerClient: number;
  watchRounds: number;
  watchDeadlineS: number;
  machine: {
    cpu: string;
    cores: number;
    memoryGb: number;
    os: string;
    node: string;
    server: string;
    java: string;
    jvmFlags: string;
    /** Share of all CPUs (0–1) busy in the second before the run started. */
    busyBefore: number;
    /** Which CPUs the server and the clients ran on (cpu-pinning.ts). */
    pinning: string;
  };
  /** Clients measured, in table order. */
  clients: ClientName[];
  /** Clients that could not be loaded, and why. */
  unavailable: Partial<Record<ClientName, string>>;
  workloads: Workload[];
  cells: Record<CellKey, { runs: Measurement[]; failures: string[] }>;
  connect: Partial<Record<ClientName, { times: number[]; failures: string[] }>>;
  watches: WatchCell[];
  /** The recipe workloads (bench/recipes/), when that part ran. */
  recipes?: RecipeFigures;
  /** Many sessions in one process (bench/sessions/), when that part ran. */
  sessions?: SessionFigures;
}

/** A client of the watch figure: the Node clients but the ceiling, and kazoo. */
export type WatchClientName = Exclude<ClientName, 'raw'> | 'kazoo';

/** The watch figure of one client, kind and count, over its rounds. */
export interface WatchCell {
  client: WatchClientName;
  kind: WatchKindName;
  count: number;
  runs: WatchFigure[];
  failures: string[];
  /** "Len error" lines the server logged during these rounds (a frame over jute.maxbuffer). */
  serverLenErrors: number;
}

/** Medians over the rounds of one cell. */
interface CellStats {
  opsPerSec: number;
  /** (max − min) / median of ops/s over the rounds. */
  spread: number;
  p50Us: number;
  p99Us: number;
  cpuUsPerOp: number;
  rssMb: number;
  rounds: number;
  failures: string[];
}

const PEERS: readonly ClientName[] = ['node-zookeeper-client', 'zookeeper', 'java'];

function stats(
  report: RunReport,
  workload: WorkloadName,
  window: number,
  client: ClientName,
): CellStats | undefined {
  const cell = report.cells[cellKey(workload, window, client)];
  if (cell === undefined) return undefined;
  const ops = cell.runs.map((r) => r.opsPerSec);
  const mid = median(ops);
  return {
    opsPerSec: mid,
    spread: ops.length > 1 ? (Math.max(...ops) - Math.min(...ops)) / mid : 0,
    p50Us: median(cell.runs.map((r) => r.p50Us)),
    p99Us: median(cell.runs.map((r) => r.p99Us)),
    cpuUsPerOp: median(cell.runs.map((r) => r.cpuUsPerOp)),
    rssMb: median(cell.runs.map((r) => r.rssMb)),
    rounds: cell.runs.length,
    failures: cell.failures,
  };
}

const has = (s: CellStats | undefined): s is CellStats => s !== undefined && s.rounds > 0;

function num(n: number, digits = 0): string {
  if (!Number.isFinite(n)) return 'n/a';
  return n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
}

/** µs with a precision that suits the size. */
function us(n: number): string {
  return num(n, n < 10 ? 1 : 0);
}

function cpu(n: number): string {
  return num(n, n < 10 ? 2 : 1);
}

function ratio(a: number, b: number): string {
  return Number.isFinite(a / b) ? `${num(a / b, 2)}×` : 'n/a';
}

/** A markdown table; `align` has one letter per column, l (left) or r (right). */
function table(header: string[], rows: string[][], align: string): string {
  const line = (cells: string[]): string => `| ${cells.join(' | ')} |`;
  const rule = header.map((_, i) => (align[i] === 'r' ? '---:' : '---'));
  return [line(header), line(rule), ...rows.map(line)].join('\n');
}

// --- targets ----------------------------------------------------------------------------------

/** One goal of an issue, as the report's target tables show it. */
export interface Target {
  target: string;
  status: 'met' | 'NOT met' | 'n/a';
  detail: string;
}

function verdict(ok: boolean | undefined): Target['status'] {
  return ok === undefined ? 'n/a' : ok ? 'met' : 'NOT met';
}

function peersOf(report: RunReport): ClientName[] {
  return PEERS.filter((p) => report.clients.includes(p));
}

function throughputTarget(report: RunReport): Target {
  const details: string[] = [];
  let ok: boolean | undefined;
  for (const name of ['get100', 'set100'] as const) {
    const z = stats(report, name, 1000, 'zookit');
    const raw = stats(report, name, 1000, 'raw');
    if (!has(z) || !has(raw)) continue;
    const peers = peersOf(report)
      .map((p) => [p, stats(report, name, 1000, p)] as const)
      .filter((e): e is readonly [ClientName, CellStats] => has(e[1]));
    const here = z.opsPerSec >= 0.95 * raw.opsPerSec && peers.every(([, s]) => z.opsPerSec > s.opsPerSec);
    ok = (ok ?? true) && here;
    const withSpread = (s: CellStats): string => `${num(s.opsPerSec)} (±${num((s.spread * 100) / 2)}%)`;
    details.push(
      `${name === 'get100' ? 'getData' : 'setData'}: zookit ${withSpread(z)} = ${ratio(z.opsPerSec, raw.opsPerSec)} ` +
        `ceiling ${withSpread(raw)}${peers.map(([p, s]) => `; ${p} ${withSpread(s)}`).join('')}`,
    );
  }
  return {
    target:
      'Throughput at 1,000 outstanding getData and setData ≥ 0.95× the ceiling, and above every peer ' +
      '(ops/s, ± half the spread over the rounds)',
    status: verdict(ok),
    detail: details.join('<br>') || 'not measured',
  };
}

function forEachCell(
  report: RunReport,
  fn: (
    workload: Workload,
    window: number,
    z: CellStats,
    stat: (c: ClientName) => CellStats | undefined,
  ) => void,
): void {
  for (const w of report.workloads) {
    for (const window of w.windows) {
      const z = stats(report, w.name, window, 'zookit');
      if (has(z)) fn(w, window, z, (c) => stats(report, w.name, window, c));
    }
  }
}

function cpuTargets(report: RunReport): Target[] {
  const peers = peersOf(report);
  const aboveAPeer: string[] = [];
  const overCeiling: string[] = [];
  let cells = 0;
  let worstCeilingRatio = 0;
  let worstCeilingAt = '';
  forEachCell(report, (w, window, z, stat) => {
    cells++;
    for (const p of peers) {
      const s = stat(p);
      if (has(s) && z.cpuUsPerOp >= s.cpuUsPerOp)
        aboveAPeer.push(`${w.name} w=${window}: ${cpu(z.cpuUsPerOp)} vs ${p} ${cpu(s.cpuUsPerOp)}`);
    }
    const raw = stat('raw');
    if (has(raw)) {
      const r = z.cpuUsPerOp / raw.cpuUsPerOp;
      if (r > worstCeilingRatio) {
        worstCeilingRatio = r;
        worstCeilingAt = `${w.name} w=${window}`;
      }
      if (r > 2) overCeiling.push(`${w.name} w=${window}: ${ratio(z.cpuUsPerOp, raw.cpuUsPerOp)}`);
    }
  });
  const measured = cells > 0;
  return [
    {
      target: 'Client CPU per op below every peer’s at every window',
      status: verdict(measured && peers.length > 0 ? aboveAPeer.length === 0 : undefined),
      detail:
        peers.length === 0
          ? 'no peer measured'
          : aboveAPeer.length === 0
            ? `below both peers in all ${cells} workload × window cells`
            : `not below in ${aboveAPeer.length} of ${cells * peers.length} comparisons (µs/op): ${aboveAPeer.join('; ')}`,
    },
    {
      target: 'Client CPU per op at most 2× the ceiling’s, at every window',
      status: verdict(measured ? overCeiling.length === 0 : undefined),
      detail:
        overCeiling.length === 0
          ? `worst ${num(worstCeilingRatio, 2)}× (${worstCeilingAt})`
          : `over 2× in ${overCeiling.length} of ${cells} cells: ${overCeiling.join('; ')}`,
    },
  ];
}

function latencyTarget(report: RunReport): Target {
  const details: string[] = [];
  let ok: boolean | undefined;
  forEachCell(report, (w, window, z, stat) => {
    const raw = stat('raw');
    if (window !== 1 || !has(raw)) return;
    const here = z.p50Us <= 1.1 * raw.p50Us;
    ok = (ok ?? true) && here;
    details.push(
      `${w.name}: ${us(z.p50Us)} vs ${us(raw.p50Us)} µs (${ratio(z.p50Us, raw.p50Us)})${here ? '' : ' ✗'}`,
    );
  });
  return {
    target: 'p50 latency at 1 outstanding request within 10% of the ceiling’s',
    status: verdict(ok),
    detail: details.join('; ') || 'not measured',
  };
}

function watchLabel(client: WatchClientName): string {
  return client === 'kazoo' ? KAZOO_LABEL : CLIENT_LABELS[client];
}

/**
 * Median RSS per watch of a cell, bytes: `held` after the idle (driver.ts HOLD_IDLE_MS), or right
 * after registering (`atOnce`); NaN when it has no such run.
 */
function bytesPerWatch(cell: WatchCell | undefined, when: 'held' | 'atOnce' = 'held'): number {
  const mbs = (cell?.runs ?? [])
    .map((r) => (when === 'held' ? r.heldRssMb : r.addedRssMb))
    .filter((m): m is number => typeof m === 'number');
  return mbs.length === 0 ? Number.NaN : (median(mbs) * 1e6) / cell!.count;
}

/** Median JS heap per watch held after the idle, bytes; NaN when there is none (kazoo) or no run. */
function heapBytesPerWatch(cell: WatchCell | undefined): number {
  const heaps = (cell?.runs ?? [])
    .map((r) => r.heldHeapMb ?? r.addedHeapMb)
    .filter((h): h is number => typeof h === 'number');
  return heaps.length === 0 ? Number.NaN : (median(heaps) * 1e6) / cell!.count;
}

/** The (kind, count) pairs measured, exists before data, fewer watches first. */
function watchGroups(report: RunReport): Array<{ kind: WatchKindName; count: number }> {
  const groups: Array<{ kind: WatchKindName; count: number }> = [];
  for (const kind of ['exists', 'data'] as const) {
    const counts = [...new Set(report.watches.filter((c) => c.kind === kind).map((c) => c.count))];
    for (const count of counts.sort((x, y) => x - y)) groups.push({ kind, count });
  }
  return groups;
}

const KIND_TEXT: Record<WatchKindName, string> = {
  exists: 'exists-watches on missing nodes',
  data: 'data watches (getData) on existing nodes',
};

/** Issue #4's watch target (100,000 watches) and issue #19's watch memory goal. */
function watchTargets(report: RunReport): Target[] {
  const target =
    '100,000 data watches held in < 50 MB of added RSS, re-registered after a reconnect in < 2 s';
  const hundredK = report.watches.find(
    (c) => c.client === 'zookit' && c.kind === 'exists' && c.count === 100_000,
  );
  const runs = hundredK?.runs ?? [];
  let first: Target;
  if (runs.length === 0) first = { target, status: 'n/a', detail: 'not measured' };
  else {
    const rss = median(runs.map((r) => r.addedRssMb));
    const rereg = runs.map((r) => r.reregisterMs);
    const failed = rereg.filter((r) => r === null).length;
    const reregMs = median(rereg.filter((r): r is number => r !== null));
    const detail =
      `100,000 exists-watches: +${num(rss, 1)} MB RSS; re-registered in ${num(reregMs)} ms` +
      (failed > 0 ? ` (${failed} of ${runs.length} rounds failed)` : '');
    first = { target, status: verdict(rss < 50 && failed === 0 && reregMs < 2000), detail };
  }

  const memory =
    'Watch memory (issue #19): zookit below every peer and ≤ 1 KB of RSS held per watch (after the idle), both kinds';
  const details: string[] = [];
  let ok: boolean | undefined;
  for (const { kind, count } of watchGroups(report)) {
    const cells = report.watches.filter((c) => c.kind === kind && c.count === count);
    const ours = bytesPerWatch(cells.find((c) => c.client === 'zookit'));
    if (!Number.isFinite(ours)) continue;
    const peers = cells
      .filter((c) => !c.client.startsWith('zookit'))
      .map((c) => ({ label: watchLabel(c.client).split(' ')[0]!, bytes: bytesPerWatch(c) }))
      .filter((p) => Number.isFinite(p.bytes));
    const below = peers.every((p) => ours < p.bytes);
    ok = (ok ?? true) && below && ours <= 1000;
    const atOnce = bytesPerWatch(
      cells.find((c) => c.client === 'zookit'),
      'atOnce',
    );
    details.push(
      `${kind} ${num(count)}: zookit ${num(ours)} B/watch (${num(atOnce)} at once) vs ${
        peers.map((p) => `${p.label} ${num(p.bytes)}`).join(', ') || 'no peer'
      }`,
    );
  }
  const second: Target = {
    target: memory,
    status: verdict(ok),
    detail: details.join('; ') || 'not measured',
  };
  return [first, second];
}

// --- issue 19's targets on the main table ------------------------------------------------------

/** The workloads issue 19 sets its window-1 and allocation goals on. */
const ISSUE_19_WORKLOADS: readonly WorkloadName[] = ['get100', 'set100', 'createDelete'];

function windowOneTargets(report: RunReport): Target[] {
  const ahead: string[] = [];
  const cpuDetail: string[] = [];
  const latencyDetail: string[] = [];
  let aheadOk: boolean | undefined;
  let cpuOk: boolean | undefined;
  let latencyOk: boolean | undefined;
  for (const name of ISSUE_19_WORKLOADS) {
    const z = stats(report, name, 1, 'zookit');
    const raw = stats(report, name, 1, 'raw');
    if (!has(z) || !has(raw)) continue;
    const peers = peersOf(report)
      .map((p) => [p, stats(report, name, 1, p)] as const)
      .filter((e): e is readonly [ClientName, CellStats] => has(e[1]));
    const behind = peers.filter(([, s]) => s.opsPerSec >= z.opsPerSec);
    aheadOk = (aheadOk ?? true) && behind.length === 0;
    ahead.push(
      `${name}: zookit ${num(z.opsPerSec)}; ${peers.map(([p, s]) => `${CLIENT_LABELS[p]} ${num(s.opsPerSec)}`).join(', ')}` +
        (behind.length > 0 ? ' ✗' : ''),
    );
    const cpuRatio = z.cpuUsPerOp / raw.cpuUsPerOp;
    cpuOk = (cpuOk ?? true) && cpuRatio <= 1.3;
    cpuDetail.push(
      `${name}: ${cpu(z.cpuUsPerOp)} vs ${cpu(raw.cpuUsPerOp)} µs (${ratio(z.cpuUsPerOp, raw.cpuUsPerOp)})${cpuRatio <= 1.3 ? '' : ' ✗'}`,
    );
    const p50Ratio = z.p50Us / raw.p50Us;
    latencyOk = (latencyOk ?? true) && p50Ratio <= 1.05;
    latencyDetail.push(
      `${name}: ${us(z.p50Us)} vs ${us(raw.p50Us)} µs (${ratio(z.p50Us, raw.p50Us)})${p50Ratio <= 1.05 ? '' : ' ✗'}`,
    );
  }
  return [
    {
      target: 'Window 1: more ops/s than every peer (the Java client included) on get, set and create/delete',
      status: verdict(aheadOk),
      detail: ahead.join('<br>') || 'not measured',
    },
    {
      target: 'Window 1: client CPU per request ≤ 1.3× the ceiling’s for get, set and create/delete',
      status: verdict(cpuOk),
      detail: cpuDetail.join('; ') || 'not measured',
    },
    {
      target: 'Window 1: p50 within 5% of the ceiling’s for get, set and create/delete',
      status: verdict(latencyOk),
      detail: latencyDetail.join('; ') || 'not measured',
    },
  ];
}

function pinnedDepthTarget(report: RunReport): Target {
  const details: string[] = [];
  let ok: boolean | undefined;
  for (const name of ISSUE_19_WORKLOADS) {
    const z = stats(report, name, 1000, 'zookit');
    const raw = stats(report, name, 1000, 'raw');
    if (!has(z) || !has(raw)) continue;
    const r = z.cpuUsPerOp / raw.cpuUsPerOp;
    ok = (ok ?? true) && r <= 1.5;
    details.push(
      `${name}: ${cpu(z.cpuUsPerOp)} vs ${cpu(raw.cpuUsPerOp)} µs (${ratio(z.cpuUsPerOp, raw.cpuUsPerOp)})${r <= 1.5 ? '' : ' ✗'}`,
    );
  }
  const pinned = report.machine.pinning.startsWith('server on CPU');
  return {
    target: `Window 1,000${pinned ? ', client pinned to its CPU' : ' (NOT pinned in this run)'}: CPU per request ≤ 1.5× the ceiling’s`,
    status: pinned ? verdict(ok) : 'n/a',
    detail: details.join('; ') || 'not measured',
  };
}

function workerRatioTarget(report: RunReport): Target {
  const below: string[] = [];
  let worst = Number.POSITIVE_INFINITY;
  let worstAt = '';
  let cells = 0;
  forEachCell(report, (w, window, z, stat) => {
    const worker = stat('zookit-worker');
    if (!has(worker)) return;
    cells++;
    const r = worker.opsPerSec / z.opsPerSec;
    if (r < worst) {
      worst = r;
      worstAt = `${w.name} w=${window}`;
    }
    if (r < 0.9) below.push(`${w.name} w=${window}: ${num(r, 2)}×`);
  });
  return {
    target: 'WorkerThreadsHandler ≥ 0.9× the sequential handler’s throughput at every window',
    status: verdict(cells === 0 ? undefined : below.length === 0),
    detail:
      cells === 0
        ? 'not measured'
        : below.length === 0
          ? `worst ${num(worst, 2)}× (${worstAt}) of ${cells} cells`
          : `below 0.9× in ${below.length} of ${cells} cells: ${below.join('; ')}`,
  };
}

/** Issue 19's targets that the main table decides. */
function issue19TableTargets(report: RunReport): Target[] {
  return [...windowOneTargets(report), pinnedDepthTarget(report), workerRatioTarget(report)];
}

// --- sections ---------------------------------------------------------------------------------

function workloadSection(report: RunReport, w: Workload): string {
  const rows: string[][] = [];
  const failures: string[] = [];
  for (const window of w.windows) {
    const raw = stats(report, w.name, window, 'raw');
    const z = stats(report, w.name, window, 'zookit');
    for (const client of report.clients) {
      const s = stats(report, w.name, window, client);
      if (s === undefined) continue;
      for (const f of s.failures) failures.push(`${CLIENT_LABELS[client]}, window ${window}: ${f}`);
      if (!has(s)) {
        rows.push([String(window), CLIENT_LABELS[client], 'failed', '', '', '', '', '', '', '', '']);
        continue;
      }
      rows.push([
        num(window),
        CLIENT_LABELS[client],
        num(s.opsPerSec),
        `${num(s.spread * 100)}%`,
        has(raw) ? ratio(s.opsPerSec, raw.opsPerSec) : 'n/a',
        has(z) ? ratio(s.opsPerSec, z.opsPerSec) : 'n/a',
        us(s.p50Us),
        us(s.p99Us),
        cpu(s.cpuUsPerOp),
        has(raw) ? ratio(s.cpuUsPerOp, raw.cpuUsPerOp) : 'n/a',
        num(s.rssMb),
      ]);
    }
  }
  const header = [
    'window',
    'client',
    'ops/s',
    'spread',
    'ops × ceiling',
    'ops × zookit',
    'p50 µs',
    'p99 µs',
    'CPU µs/op',
    'CPU × ceiling',
    'RSS MB',
  ];
  const unique = [...new Set(failures)];
  return [
    `## ${w.title}`,
    '',
    w.note,
    '',
    table(header, rows, 'rlrrrrrrrrr'),
    ...(unique.length > 0 ? ['', 'Failures:', '', ...unique.map((f) => `- ${f}`)] : []),
  ].join('\n');
}

function connectSection(report: RunReport): string {
  const rows: string[][] = [];
  for (const client of report.clients) {
    const e = report.connect[client];
    if (e === undefined) continue;
    rows.push([
      CLIENT_LABELS[client],
      num(median(e.times), 2),
      num(Math.min(...e.times), 2),
      num(Math.max(...e.times), 2),
      String(e.times.length),
      e.failures.length > 0 ? `${e.failures.length} failed: ${[...new Set(e.failures)].join('; ')}` : '',
    ]);
  }
  return [
    '## Time to connect',
    '',
    `From creating the client to "connected" (TCP connect and session handshake), each connect on a new client ` +
      `closed before the next; ${report.connectsPerClient} connects per client in ${report.rounds} ` +
      `process${report.rounds === 1 ? '' : 'es'} ` +
      '(clients interleaved), module loading excluded.',
    '',
    table(['client', 'median ms', 'min ms', 'max ms', 'connects', 'notes'], rows, 'lrrrrl'),
  ].join('\n');
}

function watchSection(report: RunReport): string {
  const groups = watchGroups(report);
  if (groups.length === 0) return '## Watches\n\nNot measured.';
  const clients = [...new Set(report.watches.map((c) => c.client))];
  const perWatch = table(
    ['client', ...groups.map((g) => `${g.kind} ${num(g.count)}: held RSS / at once / heap`)],
    clients.map((client) => [
      watchLabel(client),
      ...groups.map(({ kind, count }) => {
        const cell = report.watches.find((c) => c.client === client && c.kind === kind && c.count === count);
        const rss = bytesPerWatch(cell);
        const atOnce = bytesPerWatch(cell, 'atOnce');
        const heap = heapBytesPerWatch(cell);
        if (!Number.isFinite(atOnce)) return '—';
        const or = (n: number): string => (Number.isFinite(n) ? num(n) : '—');
        return `${or(rss)} / ${num(atOnce)} / ${or(heap)}`;
      }),
    ]),
    `l${'r'.repeat(groups.length)}`,
  );
  const details = groups.map(({ kind, count }) => {
    const rows: string[][] = [];
    for (const cell of report.watches.filter((c) => c.kind === kind && c.count === count)) {
      const runs = cell.runs;
      const rereg = runs.map((r) => r.reregisterMs).filter((r): r is number => r !== null);
      const failed = runs.filter((r) => r.reregisterMs === null);
      const heaps = runs.map((r) => r.addedHeapMb).filter((h): h is number => h !== null);
      const helds = runs.map((r) => r.heldRssMb).filter((h): h is number => typeof h === 'number');
      const stalls = runs.map((r) => r.longestStallMs).filter((h): h is number => h !== null);
      const notes = [
        ...new Set([
          ...failed.map((r) => r.reregisterFailure ?? 'failed'),
          ...cell.failures,
          ...(cell.serverLenErrors > 0
            ? [
                `server logged ${cell.serverLenErrors} "Len error" (a frame over jute.maxbuffer: it closed the connection)`,
              ]
            : []),
        ]),
      ];
      rows.push([
        watchLabel(cell.client),
        num(median(runs.map((r) => r.registerMs))),
        num(median(runs.map((r) => r.addedRssMb)), 1),
        heaps.length > 0 ? num(median(heaps), 1) : '—',
        helds.length > 0 ? num(median(helds), 1) : '—',
        num(bytesPerWatch(cell)),
        num(median(runs.map((r) => r.serverWatchesAfterRegister))),
        rereg.length > 0 ? num(median(rereg)) : 'failed',
        num(median(runs.map((r) => r.serverWatchesAfterReconnect))),
        stalls.length > 0 ? num(median(stalls)) : '—',
        `${runs.length}`,
        notes.join('; '),
      ]);
    }
    return [
      `### ${num(count)} ${KIND_TEXT[kind]}`,
      '',
      table(
        [
          'client',
          'register ms',
          'added RSS MB',
          'added heap MB',
          'held RSS MB',
          'held B/watch',
          'server watches',
          're-register ms',
          'watches back',
          'longest stall ms',
          'rounds',
          'notes',
        ],
        rows,
        'lrrrrrrrrrrl',
      ),
    ].join('\n');
  });
  return [
    '## Watches',
    '',
    'Each client sets N watches, 1,000 outstanding, one shared watch callback, of two kinds: ' +
      '`exists(path, watch)` on missing nodes, and `getData(path, watch)` on existing (empty) nodes, what a ' +
      'DataWatch-style user holds; the server keeps both in its data-watch table, and a client keeps one ' +
      'registry entry per path either way. Every path string is built as its call is issued, so the ' +
      'client’s copy counts. **Register**: first call to last reply. **Added RSS / heap**: after a full GC ' +
      '(`--expose-gc`; kazoo: `gc.collect()`), minus a baseline taken after connecting and settling like the ' +
      'held figure below (idle with probes, two GCs); kazoo has no JS heap. ' +
      `**Held**: the same after the client then idled ${num(HOLD_IDLE_MS / 1000)} s, sending one request every ` +
      `${num(IDLE_PROBE_MS)} ms (sync; getData for node-zookeeper-client), and two full GCs — what a service ` +
      'holding the watches pays. V8 grows its young generation for the registration burst (up to 16 MB per ' +
      'semi-space) and shrinks it at the first GC after its allocation rate, averaged over 5 s, has gone ' +
      'low, handing the pages back at a later GC; so right after registering most of a Node client’s added ' +
      'RSS is that young generation, not its watches (docs/watches.md#memory). The JS heap columns leave out ' +
      'memory outside V8 (the native client keeps its watches in C). Under WorkerThreadsHandler the held ' +
      'figure still includes the worker’s own young generation, which no `gc()` of the main thread reaches ' +
      'and which V8 shrinks by itself only after some 20–40 s of idle. ' +
      '**Re-register**: the connection is cut from the server side (a second ConnectRequest naming the ' +
      'session, with a wrong password, makes the server close the session’s connection and keep the ' +
      'session); the client reconnects by itself; the figure runs from the cut to the reply of the first ' +
      'request sent after the client reports "connected" again (sync for zookit, kazoo and the native ' +
      'client, getData for node-zookeeper-client, which has no sync), which the server answers after the ' +
      're-registration frames. It counts only when `wchs` then shows every watch back on the server. ' +
      `Deadline ${num(report.watchDeadlineS)} s. zookit (both handlers): medians over ${report.watchRounds} ` +
      `round${report.watchRounds === 1 ? '' : 's'}; each peer: one round, for comparison. **Longest stall**: the ` +
      'longest the client’s event loop was blocked from the cut to the end (`monitorEventLoopDelay`; kazoo ' +
      'runs its I/O on a thread and has none). The raw ceiling keeps no watches and has no row.',
    '',
    '**Bytes per watch** (medians): RSS held after the idle / RSS added right after registering / JS heap held:',
    '',
    perWatch,
    '',
    ...details.flatMap((d) => [d, '']),
  ]
    .join('\n')
    .trimEnd();
}

/** Issue #5: the worker-thread handler against the sequential one, pipelined getData, same run. */
function handlerSection(report: RunReport): string {
  if (!report.clients.includes('zookit-worker') || !report.clients.includes('zookit')) return '';
  const rows: string[][] = [];
  let atThousand = '';
  for (const w of report.workloads) {
    for (const window of w.windows) {
      const seq = stats(report, w.name, window, 'zookit');
      const wt = stats(report, w.name, window, 'zookit-worker');
      if (!has(seq) || !has(wt)) continue;
      const r = wt.opsPerSec / seq.opsPerSec;
      if (w.name === 'get100' && window === 1000) {
        atThousand = `getData at 1,000 outstanding: worker ${num(wt.opsPerSec)} ops/s = ${num(r * 100)}% of sequential ${num(seq.opsPerSec)} ops/s (target ≥ 75%: ${r >= 0.75 ? 'met' : '**NOT met**'})`;
      }
      rows.push([
        w.name,
        num(window),
        num(seq.opsPerSec),
        num(wt.opsPerSec),
        ratio(wt.opsPerSec, seq.opsPerSec),
        `${us(seq.p50Us)} / ${us(wt.p50Us)}`,
        `${us(seq.p99Us)} / ${us(wt.p99Us)}`,
        `${cpu(seq.cpuUsPerOp)} / ${cpu(wt.cpuUsPerOp)}`,
      ]);
    }
  }
  return [
    '## Handlers (issue #5): SequentialMicrotaskHandler vs WorkerThreadsHandler',
    '',
    'Same server, same run, interleaved with the other clients. Under WorkerThreadsHandler the socket, framing ' +
      'and pings run in a worker thread and frames cross to the main thread in batches (one message per flush ' +
      'and per socket read); CPU counts both threads.',
    '',
    ...(atThousand === '' ? [] : [`**${atThousand}**`, '']),
    table(
      [
        'workload',
        'window',
        'sequential ops/s',
        'worker ops/s',
        'worker × sequential',
        'p50 µs seq / worker',
        'p99 µs seq / worker',
        'CPU µs/op seq / worker',
      ],
      rows,
      'lrrrrrrr',
    ),
  ].join('\n');
}

function methodSection(report: RunReport): string {
  return [
    '## Method',
    '',
    `- One fresh standalone server for the whole run, started through the harness (\`zookit/testing\`): ` +
      `JVM flags \`${report.machine.jvmFlags}\`, forceSync on (the default: every write is fsynced), ` +
      `log level warn. Before any measurement the server's JIT is warmed for ${num(report.serverWarmupS, 1)} s ` +
      'per workload by the raw client at window 100.',
    `- CPUs: ${report.machine.pinning}. Unpinned on a small machine, where the scheduler puts the server and ` +
      'the client decides the figures more than the client does (bench/cpu-pinning.ts).',
    `- For each workload and window, the clients run interleaved (${report.clients.join(', ')}, then again), ` +
      `${report.rounds} round${report.rounds === 1 ? '' : 's'}; every figure is the median over the rounds. ` +
      '**spread** is (max − min) / median of ops/s over the rounds.',
    `- Every measurement is a fresh Node process that connects, warms up for ${num(report.warmupS, 2)} s, then ` +
      `measures for ${num(report.measureS, 2)} s, keeping \`window\` requests outstanding (each reply issues ` +
      'the next request).',
    '- **Latency**: from issuing a request to its completion callback, `performance.now()` per request. ' +
      '**CPU µs/op**: `process.cpuUsage()` (user + system, all threads of the client process) over the ' +
      'measured interval, divided by the ops completed in it. **RSS**: resident memory of the client process ' +
      'at the end of the interval (MB = 10^6 bytes).',
    '- **Raw ceiling**: a plain `net` socket. Before the clock starts it encodes a ring of 8,192 requests of ' +
      'the workload into one buffer with zookit’s protocol encoders and checks the first two replies; during ' +
      'the run it writes slices of that buffer (one write per batch of replies) and counts replies by their ' +
      'frame lengths, never decoding them. Its latency is taken per batch: every request of a write shares its ' +
      'send time, every reply of a read its arrival time.',
    '- zookit runs under `SequentialMicrotaskHandler` (and, as `zookit (worker threads)`, under ' +
      '`WorkerThreadsHandler`) through its promise API; node-zookeeper-client and the ' +
      'native `zookeeper` binding through their callback APIs (`getData`/`a_get`, ...), the cheapest each offers. ' +
      'Each adapter turns completion into one callback call; the benchmark’s own per-request cost (a closure, ' +
      'two clock reads, a histogram increment) is the same for every adapter.',
    '- **ZooKeeper Java client 3.8.0** (Debian’s `zookeeper.jar`, slf4j-nop): bench/peers/JavaClientBench.java, ' +
      'one JVM per measurement (`java` with default flags), pinned like the Node clients, through the async ' +
      'callback API, the same paths and bytes. Measured at window 1 only (the window issue 19 compares it at). ' +
      'It warms up for at least 2 s (its JIT compiles later than V8), which can only favour it. Its CPU figure ' +
      'counts every JVM thread (GC and JIT included), as the Node figures count every thread.',
    '- **ops × ceiling / × zookit** compare ops/s; **CPU × ceiling** compares CPU µs/op.',
  ].join('\n');
}

/**
 * What the pinned peer versions were seen to do, with where in their code it comes from; the
 * figures above show the effect. Written for 1.1.3 and 7.3.0: re-check it when a version changes.
 */
function peerNotesSection(report: RunReport): string {
  const notes: string[] = [];
  if (report.clients.includes('node-zookeeper-client')) {
    notes.push(
      '- **node-zookeeper-client 1.1.3** re-registers every watch in one SetWatches frame ' +
        '(`lib/ConnectionManager.js`, `onSocketConnected`). Past jute.maxbuffer (about 1 MB: some 40,000 ' +
        'paths of the length used here) the server closes the connection ("Len error" in its log) and the ' +
        'client reconnects in a loop without ever getting its watches back. It always lists children with ' +
        'getChildren2 and has no sync().',
    );
  }
  if (report.clients.includes('zookeeper')) {
    notes.push(
      '- **zookeeper 7.3.0** (the C client 3.8 under a Nan binding): its JavaScript wrapper builds a ' +
        '`util.inspect` string of every call’s arguments even with logging off (`lib/zookeeper.js`, ' +
        '`this.log(...)` with a template literal). On every disconnect the C client hands each watch a ' +
        'session event through `collect_session_watchers` → `copy_table` → `add_to_list` → ' +
        '`search_watcher`, a linear duplicate search per watch: quadratic in the number of watches, it ' +
        'blocked the event loop for about 10 s with 100,000 (perf). Its SetWatches is one frame as well ' +
        '(`send_set_watches`). The binding closes its own handle (ZCLOSING, -116) after 10 reads in a row ' +
        'that complete no reply, which a 1 MB reply always takes: the benchmark raises `response_counter_limit` ' +
        `to ${num(RESPONSE_COUNTER_LIMIT)}, one of its documented options.`,
    );
  }
  return notes.length === 0 ? '' : ['## Notes on the peers', '', ...notes].join('\n');
}

/** What the parts measured outside the main table add: their goals and their sections. */
export interface ReportExtras {
  /** Issue 19's goals decided by the recipe, session and other figures. */
  targets: Target[];
  /** Sections (markdown, each starting with a `##` heading), after the main tables. */
  sections: string[];
}

/** The whole report, markdown. */
export function renderReport(
  report: RunReport,
  extras: ReportExtras = { targets: [], sections: [] },
): string {
  const m = report.machine;
  const unavailable = Object.entries(report.unavailable);
  const targets = [
    throughputTarget(report),
    ...cpuTargets(report),
    latencyTarget(report),
    ...watchTargets(report),
  ];
  const profiled =
    report.profileDir === undefined
      ? ''
      : `> **Profiled run** (BENCH_PROFILE=1): zookit ran under \`--cpu-prof\`, so its figures include the ` +
        `profiler's cost; the profiles are in \`${report.profileDir}\`.\n\n`;
  const banner = report.quick
    ? '> **BENCH_QUICK=1 smoke run**: short measurements, one round, fewer watches — not representative.\n\n'
    : report.partial
      ? '> **Partial run** (BENCH_CLIENTS / BENCH_WORKLOADS): not every client or workload was measured.\n\n'
      : '';
  return `${[
    '# Benchmark results',
    '',
    `${banner}${profiled}Written by \`npm run bench\` (bench/run.ts) on ${report.startedAt}; do not edit by hand. ` +
      `The raw data of the run is in \`${report.dataFile}\`.`,
    '',
    '## Machine and run',
    '',
    `- CPU: ${m.cpu}, ${m.cores} cores; ${num(m.memoryGb, 1)} GB memory; ${m.os}; ` +
      `${num(m.busyBefore * 100)}% of the CPUs busy in the second before the run (it should be idle)`,
    `- Node ${m.node}; ZooKeeper ${m.server} (standalone); ${m.java}; JVM flags \`${m.jvmFlags}\``,
    `- CPUs: ${m.pinning}`,
    `- ${report.rounds} round${report.rounds === 1 ? '' : 's'}, ${num(report.warmupS, 2)} s warm-up + ` +
      `${num(report.measureS, 2)} s measured per measurement; whole run ${num(report.durationS)} s`,
    `- Clients: ${report.clients.map((c) => CLIENT_LABELS[c]).join(', ')}`,
    ...unavailable.map(([c, why]) => `- **${CLIENT_LABELS[c as ClientName]} not measured**: ${why}`),
    '',
    '## Targets (issue #4)',
    '',
    table(
      ['target', 'status', 'numbers'],
      targets.map((t) => [t.target, t.status === 'met' ? 'met' : `**${t.status}**`, t.detail]),
      'lll',
    ),
    '',
    '## Targets (issue #19)',
    '',
    table(
      ['target', 'status', 'numbers'],
      [...issue19TableTargets(report), ...extras.targets].map((t) => [
        t.target,
        t.status === 'met' ? 'met' : `**${t.status}**`,
        t.detail,
      ]),
      'lll',
    ),
    '',
    ...(handlerSection(report) === '' ? [] : [handlerSection(report), '']),
    methodSection(report),
    '',
    ...report.workloads.flatMap((w) => [workloadSection(report, w), '']),
    connectSection(report),
    '',
    watchSection(report),
    ...extras.sections.flatMap((section) => ['', section]),
    ...(peerNotesSection(report) === '' ? [] : ['', peerNotesSection(report)]),
  ].join('\n')}\n`;
}
