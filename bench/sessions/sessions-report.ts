// The many-sessions figures as a RESULTS.md section and a goal table (issue 19's goals: < 100 KB
// per session, idle CPU < 2% of a core, every session back within one session timeout with none
// expired, for both handlers; a connect under 10 ms on a warm shared worker).

import type { GoalRow, HandlerFigures, SessionFigures } from './figures.js';

const KB = 1024;
const LABELS: Record<HandlerFigures['handler'], string> = {
  sequential: 'SequentialMicrotaskHandler',
  'worker-shared': 'WorkerThreadsHandler, shared pool (1 thread)',
};

function num(value: number, digits = 0): string {
  return Number.isFinite(value)
    ? value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits })
    : '—';
}

function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

function table(header: string[], rows: string[][], align: string): string {
  const line = (cells: string[]): string => `| ${cells.join(' | ')} |`;
  const rule = header.map((_, i) => (align[i] === 'r' ? '---:' : '---'));
  return [line(header), line(rule), ...rows.map(line)].join('\n');
}

function status(ok: boolean | undefined): GoalRow['status'] {
  return ok === undefined ? 'n/a' : ok ? 'met' : 'NOT met';
}

/** One goal over every handler that ran: met only when met by each. */
function perHandler(
  f: SessionFigures,
  goal: string,
  ok: (h: HandlerFigures) => boolean,
  numbers: (h: HandlerFigures) => string,
): GoalRow {
  if (f.handlers.length === 0) return { goal, status: 'n/a', numbers: 'no handler ran' };
  return {
    goal,
    status: status(f.handlers.every(ok)),
    numbers: f.handlers.map((h) => `${h.handler}: ${numbers(h)}`).join('; '),
  };
}

/** The goals of issue 19's many-sessions item, judged on `f`. */
export function sessionGoals(f: SessionFigures): GoalRow[] {
  const goals = [
    perHandler(
      f,
      `< 100 KB of RSS per session (${num(f.clients)} sessions)`,
      (h) => h.rssPerSessionBytes < 100 * KB,
      (h) => `${num(h.rssPerSessionBytes / KB, 1)} KB`,
    ),
    perHandler(
      f,
      `idle CPU < 2% of a core (${num(f.clients)} sessions)`,
      (h) => h.idleCpuPercent < 2,
      (h) => `${num(h.idleCpuPercent, 2)}%`,
    ),
    perHandler(
      f,
      'every session back within one session timeout after a member kill, none expired',
      (h) => h.neverBack === 0 && h.expired === 0 && h.reconnectAllMs <= h.sessionTimeoutMs,
      (h) =>
        `${num(h.reconnectAllMs)} ms of ${num(h.sessionTimeoutMs)} ms for ${num(h.disconnected)} sessions, ` +
        `${h.expired} expired${h.neverBack > 0 ? `, ${h.neverBack} never back` : ''}`,
    ),
  ];
  const warm = f.warmConnect;
  goals.push(
    warm === undefined
      ? {
          goal: 'connect < 10 ms after the first (warm shared worker)',
          status: 'n/a',
          numbers: 'not measured',
        }
      : {
          goal: 'connect < 10 ms after the first (warm shared worker)',
          status: status(median(warm.sharedMs) < 10),
          numbers:
            `median ${num(median(warm.sharedMs), 1)} ms shared vs ${num(median(warm.dedicatedMs), 1)} ms with a ` +
            `worker of its own (sequential handler: ${num(median(warm.sequentialMs), 1)} ms)`,
        },
  );
  return goals;
}

/** The section for bench/RESULTS.md, and its goal rows for the summary table. */
export function renderSessionsSection(f: SessionFigures): { markdown: string; goals: GoalRow[] } {
  const goals = sessionGoals(f);
  const rows = f.handlers.map((h) => [
    LABELS[h.handler],
    `${num(h.connectAllMs)} (CPU ${num(h.connectCpuMs)})`,
    num(h.rssPerSessionBytes / KB, 1),
    num(h.heapPerSessionBytes / KB, 1),
    h.workerThreads > 0 ? num(h.workerHeapPerSessionBytes / KB, 1) : '—',
    num(h.idleCpuPercent, 2),
    `${h.killed.id}${h.killed.wasLeader ? ' (leader)' : ''}, ${num(h.killed.sessionsOnIt)} sessions`,
    num(h.disconnected),
    num(h.reconnectAllMs),
    num(h.sessionTimeoutMs),
    `${h.expired}`,
  ]);
  const warm = f.warmConnect;
  const lines = [
    `## Many sessions${f.smoke ? ' (smoke: tiny counts, figures not meaningful)' : ''}`,
    '',
    `${num(f.clients)} sessions in one Node process against a 3-member ZooKeeper 3.8 ensemble on 127.0.0.1 ` +
      `(maxClientCnxns=0), one fresh child process per handler; ${f.placement}. Memory: RSS and the main ` +
      `thread's V8 heap after a full GC (in the shared worker too), minus the same before the first client, ` +
      `per session; RSS includes the shared worker's thread, whose heap is also shown on its own. Idle CPU: the process's CPU time (all threads) over ` +
      `${num(f.idleSeconds)} s with only pings on the wire. Then the member holding the most sessions is ` +
      'killed (SIGKILL) and the time runs until every session that lost its connection is CONNECTED again ' +
      '(and 2 s pass with no state change).',
    '',
    table(
      [
        'handler',
        'connect all (ms, and client CPU ms)',
        'RSS / session (KB)',
        'main heap / session (KB)',
        'worker heap / session (KB)',
        'idle CPU (% of a core)',
        'killed member',
        'disconnected',
        'all back after (ms)',
        'session timeout (ms)',
        'expired',
      ],
      rows,
      'lrrrrrlrrrr',
    ),
    '',
    ...f.handlers.map(
      (h) =>
        `- ${LABELS[h.handler]}: why sessions left CONNECTED after the kill: ` +
        Object.entries(h.reasons)
          .sort((a, b) => b[1] - a[1])
          .map(([why, count]) => `${count}× ${why}`)
          .join('; '),
    ),
    ...f.failures.map((failure) => `- **${failure.handler} failed**: ${failure.error}`),
    '',
    ...(warm === undefined
      ? []
      : [
          `Connect after the first (median of ${warm.sharedMs.length}, alternating): ` +
            `${num(median(warm.sharedMs), 1)} ms on a warm shared worker ` +
            `(each: ${warm.sharedMs.map((ms) => num(ms, 1)).join(', ')}), ` +
            `${num(median(warm.dedicatedMs), 1)} ms with a worker of its own ` +
            `(each: ${warm.dedicatedMs.map((ms) => num(ms, 1)).join(', ')}), ` +
            `${num(median(warm.sequentialMs), 1)} ms on the sequential handler, the floor ` +
            `(each: ${warm.sequentialMs.map((ms) => num(ms, 1)).join(', ')}).`,
          '',
        ]),
    table(
      ['goal', 'status', 'numbers'],
      goals.map((g) => [g.goal, g.status === 'met' ? 'met' : `**${g.status}**`, g.numbers]),
      'lll',
    ),
    '',
    `Whole run ${num(f.durationS)} s.`,
  ];
  return { markdown: `${lines.join('\n')}\n`, goals };
}
