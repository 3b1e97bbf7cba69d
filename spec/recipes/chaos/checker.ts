// The verdict of a chaos run, from what the contenders reported and what the server holds at the
// end. Pure: the harness gathers the facts, this turns them into counts and a list of violations
// (empty when the run passed), so a test can assert either way — that a sound recipe has none, and
// that a planted broken lock is caught.

import type { SectionOutcome, SectionReport } from './critical-section.js';

/** What a run guards: a Lock (fenced counter), a Semaphore or a ReadLock/WriteLock (ledger). */
export type ChaosMode = 'lock' | 'semaphore' | 'read-write';

/** What the harness gathered. */
export interface RunFacts {
  name: string;
  mode: ChaosMode;
  durationMs: number;
  /** Grants the run asked for in total. */
  targetGrants: number;
  contenders: ReadonlyArray<{
    name: string;
    kind: string;
    grants: number;
    contention: number;
    reports: readonly SectionReport[];
    errors: Readonly<Record<string, number>>;
  }>;
  faults: { total: number; byKind: Readonly<Record<string, number>>; failures: readonly string[] };
  /** Lock: the counter's value; Semaphore, ReadLock/WriteLock: the ledger's `entries`. */
  counter: number;
  /** Children of commits/ (tokens of committed sections). */
  commitNodes: readonly string[];
  /** Contender nodes and leases still on the server once every contender had stopped. */
  leftNodes: readonly string[];
  /** True when the run hit its deadline before every contender reached its quota. */
  timedOut: boolean;
}

/** The counts the closing note quotes, and the violations (none when the run passed). */
export interface ChaosReport {
  name: string;
  mode: ChaosMode;
  durationMs: number;
  grants: number;
  grantsByContender: Record<string, number>;
  outcomes: Record<SectionOutcome, number>;
  /** Commits whose reply was lost and that the commits/ node shows did happen. */
  ambiguousCommitted: number;
  /** Critical sections committed, as the server counts them (children of commits/). */
  committed: number;
  counter: number;
  /** Fenced writes rejected because the holder's node or lease was gone (Semaphore: entries and leaves). */
  rejectedFencedWrites: number;
  /** Two holders inside a Lock at once (BadVersion), or more than maxLeases in a Semaphore. */
  overlaps: number;
  /** Ledger runs: ledger writes retried because another legitimate holder wrote first. */
  contention: number;
  faults: number;
  faultsByKind: Record<string, number>;
  faultFailures: readonly string[];
  /** Errors the recipes rode out outside the critical section, by contender kind and name. */
  recipeErrors: Record<string, number>;
  leftNodes: readonly string[];
  timedOut: boolean;
  violations: string[];
}

const OUTCOMES: readonly SectionOutcome[] = [
  'committed',
  'overlap',
  'fenced',
  'ambiguous',
  'aborted',
  'failed',
];

export function checkRun(facts: RunFacts): ChaosReport {
  const outcomes = Object.fromEntries(OUTCOMES.map((o) => [o, 0])) as Record<SectionOutcome, number>;
  const reports = facts.contenders.flatMap((c) => c.reports);
  for (const report of reports) outcomes[report.outcome]++;
  const onServer = new Set(facts.commitNodes);
  // A Lock overlap is a refused write; a ledger overlap is a committed entry that saw a conflict inside.
  const writes: readonly SectionOutcome[] = facts.mode === 'lock' ? ['committed'] : ['committed', 'overlap'];
  const certain = reports.filter((r) => writes.includes(r.outcome)).map((r) => r.token);
  const ambiguous = reports.filter((r) => r.outcome === 'ambiguous').map((r) => r.token);
  const ambiguousCommitted = ambiguous.filter((token) => onServer.has(token)).length;
  const explained = new Set([...certain, ...ambiguous]);

  const recipeErrors: Record<string, number> = {};
  for (const contender of facts.contenders)
    for (const [key, count] of Object.entries(contender.errors))
      recipeErrors[`${contender.kind} ${key}`] = (recipeErrors[`${contender.kind} ${key}`] ?? 0) + count;

  const grants = facts.contenders.reduce((sum, c) => sum + c.grants, 0);
  const violations: string[] = [];
  if (outcomes.overlap > 0)
    violations.push(
      facts.mode === 'lock'
        ? `${outcomes.overlap} BadVersion on the counter: two holders inside the lock at once`
        : facts.mode === 'semaphore'
          ? `${outcomes.overlap} entries with more than maxLeases holders inside`
          : `${outcomes.overlap} entries with a writer and another holder inside at once`,
    );
  if (facts.counter !== onServer.size)
    violations.push(`the counter is ${facts.counter} but ${onServer.size} sections committed`);
  const missing = certain.filter((token) => !onServer.has(token));
  if (missing.length > 0) violations.push(`committed but not on the server: ${missing.join(', ')}`);
  const unexplained = [...onServer].filter((token) => !explained.has(token));
  if (unexplained.length > 0) violations.push(`on the server but never reported: ${unexplained.join(', ')}`);
  if (outcomes.failed > 0) {
    const details = reports.filter((r) => r.outcome === 'failed').map((r) => `${r.token}: ${r.detail}`);
    violations.push(`${outcomes.failed} sections failed unexpectedly (${details.slice(0, 5).join('; ')})`);
  }
  if (facts.leftNodes.length > 0)
    violations.push(`contender nodes left at the end: ${facts.leftNodes.join(', ')}`);
  if (facts.timedOut || grants < facts.targetGrants)
    violations.push(`only ${grants} of ${facts.targetGrants} grants before the deadline`);
  const crashed = Object.keys(recipeErrors).filter((key) => key.includes('crashed:'));
  if (crashed.length > 0) violations.push(`a contender crashed: ${crashed.join('; ')}`);

  return {
    name: facts.name,
    mode: facts.mode,
    durationMs: facts.durationMs,
    grants,
    grantsByContender: Object.fromEntries(facts.contenders.map((c) => [c.name, c.grants])),
    outcomes,
    ambiguousCommitted,
    committed: onServer.size,
    counter: facts.counter,
    rejectedFencedWrites: outcomes.fenced + reports.filter((r) => r.fencedLeave === true).length,
    overlaps: outcomes.overlap,
    contention: facts.contenders.reduce((sum, c) => sum + c.contention, 0),
    faults: facts.faults.total,
    faultsByKind: { ...facts.faults.byKind },
    faultFailures: facts.faults.failures,
    recipeErrors,
    leftNodes: facts.leftNodes,
    timedOut: facts.timedOut,
    violations,
  };
}

/** The report's counts in a few lines, for the console and the closing note. */
export function summarize(report: ChaosReport): string {
  const kinds = Object.entries(report.faultsByKind)
    .map(([kind, n]) => `${kind} ${n}`)
    .join(', ');
  return [
    `${report.name}: ${report.grants} grants in ${(report.durationMs / 1000).toFixed(1)} s`,
    `  faults injected: ${report.faults} (${kinds || 'none'})${report.faultFailures.length ? `; not injected: ${report.faultFailures.length}` : ''}`,
    `  committed ${report.committed} (counter ${report.counter}; ${report.ambiguousCommitted} of ${report.outcomes.ambiguous} lost replies had committed)`,
    `  rejected fenced writes ${report.rejectedFencedWrites}, overlaps ${report.overlaps}, aborted ${report.outcomes.aborted}${report.mode !== 'lock' ? `, ledger contention ${report.contention}` : ''}`,
    `  recipe errors ridden out: ${JSON.stringify(report.recipeErrors)}`,
    `  violations: ${report.violations.length === 0 ? 'none' : report.violations.join(' | ')}`,
  ].join('\n');
}
