// How a herd run is shown: a text summary with the reconnect-time histogram on the console, and
// the whole analysis (every comeback, the placement, the checks) as JSON in .build/herd/<variant>.json,
// for comparing runs and for the numbers quoted in the README.

import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type HerdAnalysis, histogram, type KillFacts, spreadText } from './analysis.js';
import type { Placement } from './members.js';
import type { FleetReport } from './records.js';

/** What a variant ran with, for the report. */
export interface RunFacts {
  readonly variant: string;
  readonly handler: string;
  readonly processes: number;
  readonly sessionTimeoutMs: number;
  readonly writeIntervalMs: number;
  /** Phases of the run, ms: connecting the fleet, from the kill to every session back, the whole run. */
  readonly phases: Readonly<Record<string, number>>;
}

/** The summary printed for one run. */
export function formatRun(
  run: RunFacts,
  placement: Placement,
  kill: KillFacts,
  analysis: HerdAnalysis,
  reports: readonly FleetReport[],
): string {
  const r = analysis.requests;
  const j = analysis.jitter;
  const attempts = mergeCounts(reports.map((rep) => rep.summary.failedAttempts));
  const lines = [
    `herd ${run.variant}: ${analysis.sessions} sessions in ${run.processes} process(es), ${run.handler}, ` +
      `session timeout ${run.sessionTimeoutMs} ms`,
    `  sessions per member (clients' count) ${JSON.stringify(placement.byClients)}; ` +
      `mntr zk_num_alive_connections ${JSON.stringify(placement.byMembers)}`,
    `  killed ${kill.victim} (${kill.victimRole}); ${analysis.displaced} sessions displaced; ` +
      `they landed ${JSON.stringify(analysis.landedOn)} (max |z| ${analysis.spreadZ.toFixed(2)})`,
    `  time from the kill to the session seeing its connection end: ${spreadText(analysis.noticed)}`,
    `  time from the kill to CONNECTED again: ${spreadText(analysis.sinceKill)}`,
    `  each session's outage (its disconnect to CONNECTED): ${spreadText(analysis.outage)}`,
    `  most reconnects within any 100 ms: ${analysis.densest100Ms} of ${analysis.comebacks.length}; ` +
      `failed passes over the hosts: ${analysis.comebacks.reduce((n, c) => n + c.failedPasses, 0)}`,
    `  each session's reconnect delay (its disconnect to its first attempt): ${spreadText(analysis.attempt)}`,
    `  jitter window [0, ${j.windowMs}) ms: one-sided Kolmogorov–Smirnov D+ ${j.ahead.toFixed(3)} ` +
      `(limit ${j.aheadLimit.toFixed(3)}; two-sided D ${j.ks.toFixed(3)}); ` +
      `most delays within ${j.windowMs / 10} ms: ${j.densest} of ${j.count} (limit: fewer than ${j.densestLimit}); ` +
      `unmeasured ${j.unmeasured}`,
    `  handshake (the attempt that took it back to CONNECTED): ${spreadText(analysis.handshake)}`,
    `  failed connect attempts: ${JSON.stringify(attempts)}; they took ${spreadText(analysis.failedAttempt)} ` +
      `(${analysis.failedAttemptsWithoutStart} of unknown start)`,
    `  requests: ${r.issued} issued, ${r.ok} ok, ${r.connectionLoss} connection loss ` +
      `(${r.connectionLossApplied} of them applied), ${r.otherErrors} other errors, ${r.pending} pending, ` +
      `${r.ackedMissing} acknowledged but missing, ${r.phantoms} phantoms`,
    `  made while disconnected: ${r.duringOutage} (${r.duringOutageOk} completed after the reconnect, ` +
      `${r.duringOutageFailedPass} failed after a failed pass)`,
    `  phases ${JSON.stringify(run.phases)}`,
    '  reconnect time since the kill (ms):',
    indent(histogram(analysis.comebacks.map((c) => c.sinceKillMs))),
    "  each session's reconnect delay, its disconnect to its first attempt (ms):",
    indent(histogram(analysis.comebacks.flatMap((c) => (c.attemptMs === undefined ? [] : [c.attemptMs])))),
    ...analysis.checks.map((c) => `  ${c.ok ? 'ok  ' : 'FAIL'} ${c.name}${c.ok ? '' : `: ${c.detail}`}`),
  ];
  return lines.join('\n');
}

/** Writes the run's JSON report to .build/herd/<variant>.json and returns its path. */
export function writeReport(
  run: RunFacts,
  placement: Placement,
  kill: KillFacts,
  analysis: HerdAnalysis,
  reports: readonly FleetReport[],
): string {
  const dir = join(process.cwd(), '.build', 'herd');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${run.variant}.json`);
  const body = {
    run,
    placement: { byClients: placement.byClients, byMembers: placement.byMembers, busiest: kill.victim },
    kill,
    analysis,
    fleets: reports.map((rep) => rep.summary),
  };
  writeFileSync(file, `${JSON.stringify(body, null, 2)}\n`);
  return file;
}

function mergeCounts(all: ReadonlyArray<Readonly<Record<string, number>>>): Record<string, number> {
  const merged: Record<string, number> = {};
  for (const counts of all) for (const [k, v] of Object.entries(counts)) merged[k] = (merged[k] ?? 0) + v;
  return merged;
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((line) => `    ${line}`)
    .join('\n');
}
