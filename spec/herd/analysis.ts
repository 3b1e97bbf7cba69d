// What a herd run shows, computed from the sessions' records alone (spec/herd/records.ts): which
// sessions the kill displaced, when and where each came back, what became of every request, and
// the checks the spec asserts, each with the evidence a failure message needs. Pure functions, so
// spec/herd/analysis.spec.ts can feed them made-up runs (a herd onto one member, a lost write) and
// show that every check can fail.
//
// The spread check follows from how zookit picks the next host (lib/session/connection-loop.ts,
// docs/protocol.md#timing): a dropped connection is followed, once the reconnect jitter below has
// passed, by a new pass over the hosts, in an order shuffled afresh for each pass (Fisher–Yates on the handler's random,
// `randomizeHosts`, default true). The killed member refuses at once (its port is closed:
// ECONNREFUSED), so a displaced session lands on the first survivor of a uniformly random order:
// uniformly on the survivors, independently of the others. Each survivor's count is then binomial
// (n, 1/k), and the check is that none is more than 5 standard deviations from n/k: a false alarm
// once in about two million runs, while a herd (every client the same order, as with
// `randomizeHosts: false`) puts all n on one member, sqrt(n(k-1)) deviations out (18 for n = 333,
// k = 2). When the member killed is the leader, every session is displaced and the survivors
// turn connections away until they have elected a new one; the passes that fail meanwhile back off
// with jitter and the sessions land wherever the next pass finds a member serving. The two
// survivors start serving within moments of each other (the new leader once a quorum has
// acknowledged it, the follower when it is synchronised), so the shares stay even there too (|z|
// of 0.4–1.4 in the runs made while writing this test); the test kills whichever member holds
// most, so both cases occur.
//
// Time spreads them too, by the reconnect jitter (docs/reliability.md#reconnect-jitter): after a
// connection that was up ends, the client waits a uniform random time in [0, reconnectJitter)
// before its first attempt, by default a tenth of the session timeout, at most 1000 ms ([0, 1000)
// for the 10 s sessions here). For each displaced session the records give its own disconnect
// and the start of its first reconnect attempt (spec/herd/fleet.ts); the delay between them is
// that wait plus the lag of the thread that timed it. Lag is mostly lateness: a busy event loop
// fires the wait's timer late, and when the leader dies 1,000 sessions lose their connections,
// fail attempts against the electing survivors and hand-shake at once; a shared worker thread
// carries every connection loop of the process. Attempts came up to 600 ms late in the runs. It can also make a delay look shorter than the wait, by as much as
// the session saw its disconnect late (≤ LAG_ALLOWANCE_MS, 100 ms, is allowed). Two checks follow,
// each sound for waits uniform on the window J, a false alarm at most α = 10⁻⁶:
// - Not earlier than uniform (a one-sided Kolmogorov–Smirnov test): D⁺ is how far the delays'
//   empirical distribution runs ahead of uniform [0, J). For n uniform draws P(D⁺ > ε) ≤
//   exp(−2nε²) (Dvoretzky–Kiefer–Wolfowitz with Massart's constant); lateness only lowers D⁺ and
//   an early stamp of at most L raises it by at most L/J, so the limit is sqrt(ln(1/α)/2n) + L/J:
//   0.24 for n = 340, 0.41 for n = 74 (J = 1000). Without jitter every delay is a few ms, at most
//   ~150 under load, and D⁺ is 0.85 or more. The two-sided distance is reported, not asserted:
//   lateness alone took it to 0.38 in the runs, while D⁺ stayed at 0.15 or less.
// - Densest window: the most delays within any tenth of the window (100 ms). With lags within ±L
//   those delays drew their waits from an interval of 100 + 2L ms; every such interval lies in
//   one of a few fixed intervals (a quarter longer, a quarter apart), each holding a binomial(n,
//   its length / J) count of waits; the limit is the least k with (the number of fixed intervals)
//   × P(binomial ≥ k) ≤ α: 52 % of n = 340, 69 % of n = 74. Without jitter all the delays fall
//   within 100 ms or so; with it, the densest held 13–27 % in the runs, a leader's death included.
// The reconnect-time histogram (from the kill to CONNECTED) is reported, not asserted: it adds
// the handshake, and in a leader's death the election, so it measures the machine.

import type { FleetReport, RequestRecord, SessionRecord } from './records.js';

/** The fault the run made. Times are epoch ms. */
export interface KillFacts {
  /** `host:port` of the member killed. */
  readonly victim: string;
  /** Its role when killed. */
  readonly victimRole: 'leader' | 'follower';
  /** `host:port` of every member left. */
  readonly survivors: readonly string[];
  /** When the SIGKILL was sent. */
  readonly killAt: number;
}

/** One assertion of the run: what it says, whether it holds, and the evidence. */
export interface Check {
  readonly name: string;
  readonly ok: boolean;
  readonly detail: string;
}

/** How one displaced session came back. Times in ms. */
export interface Comeback {
  readonly label: string;
  /** Epoch ms of its disconnect and of its CONNECTED again. */
  readonly disconnectedAt: number;
  readonly reconnectedAt: number;
  /** From the kill to the session seeing its connection go. */
  readonly noticedMs: number;
  /** From the kill to CONNECTED again. */
  readonly sinceKillMs: number;
  /** From its own disconnect to CONNECTED again: the session's outage. */
  readonly outageMs: number;
  /** The member it is on now. */
  readonly server: string;
  /** Whether the CONNECTED carried the session id it had before. */
  readonly sameSession: boolean;
  readonly timeoutMs: number;
  /** Passes over the hosts that reached no member before it came back. */
  readonly failedPasses: number;
  /**
   * From its own disconnect to the start of its first reconnect attempt: the earliest start of
   * an attempt that failed before it came back (or, where that start is unknown, its failure,
   * which bounds it) and of the attempt that took it back. Undefined if no attempt was recorded.
   */
  readonly attemptMs: number | undefined;
  /** From the start of the attempt that took it back to CONNECTED: TCP connect and handshake. */
  readonly handshakeMs: number | undefined;
  /** The reconnect jitter's window the client documents for this session, ms. */
  readonly jitterWindowMs: number;
}

/** How the displaced sessions' reconnect delays compare with the documented jitter. */
export interface JitterFit {
  /** Delays measured (displaced sessions with a recorded attempt), and those without one. */
  readonly count: number;
  readonly unmeasured: number;
  /** The jitter window, ms (the largest of the sessions'). */
  readonly windowMs: number;
  /** How far the delays' distribution runs ahead of uniform on the window (one-sided KS), and its limit. */
  readonly ahead: number;
  readonly aheadLimit: number;
  /** The two-sided Kolmogorov–Smirnov distance, for the report (lateness counts in it too). */
  readonly ks: number;
  /** Most delays within any tenth of the window, and the least count that fails. */
  readonly densest: number;
  readonly densestLimit: number;
}

/** Percentiles and extremes of a list of numbers (ms). */
export interface Spread {
  readonly count: number;
  readonly min: number;
  readonly p10: number;
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly max: number;
}

/** Requests by what became of them. */
export interface RequestTally {
  readonly issued: number;
  readonly ok: number;
  readonly connectionLoss: number;
  /** Connection losses whose node is on the server: applied though the caller never heard. */
  readonly connectionLossApplied: number;
  readonly otherErrors: number;
  readonly pending: number;
  /** Acknowledged creates whose node is missing. */
  readonly ackedMissing: number;
  readonly phantoms: number;
  /** Requests issued while the session was disconnected ('outage' kind, still CONNECTING). */
  readonly duringOutage: number;
  /** Of those, resolved after the reconnect. */
  readonly duringOutageOk: number;
  /** Of those, rejected with a connection loss after a whole failed pass (never sent). */
  readonly duringOutageFailedPass: number;
}

/** Everything a run shows. */
export interface HerdAnalysis {
  readonly sessions: number;
  readonly displaced: number;
  readonly comebacks: readonly Comeback[];
  /** Displaced sessions per survivor. */
  readonly landedOn: Readonly<Record<string, number>>;
  /** Largest |count − n/k| / sd over the survivors (binomial n, 1/k). */
  readonly spreadZ: number;
  /** From the kill to each displaced session seeing its connection end. */
  readonly noticed: Spread;
  readonly sinceKill: Spread;
  readonly outage: Spread;
  /** Largest number of reconnects within any 100 ms. */
  readonly densest100Ms: number;
  /** From each displaced session's disconnect to its first reconnect attempt (the jitter). */
  readonly attempt: Spread;
  /** From the attempt that took it back to CONNECTED. */
  readonly handshake: Spread;
  /** How long the failed connect attempts after the kill took, of those whose start is known. */
  readonly failedAttempt: Spread;
  /** Failed attempts after the kill whose start could not be told (their failure stands in for it). */
  readonly failedAttemptsWithoutStart: number;
  readonly jitter: JitterFit;
  readonly requests: RequestTally;
  readonly checks: readonly Check[];
}

/** No survivor may be further than this many standard deviations from an even share. */
export const SPREAD_Z_LIMIT = 5;

/** The default reconnect jitter's ceiling, ms (docs/reliability.md#reconnect-jitter). */
const DEFAULT_JITTER_CAP_MS = 1000;
/** How late or early the process may see a session's disconnect or attempt, ms, for the jitter limits. */
export const LAG_ALLOWANCE_MS = 100;
/** The false-alarm probability each jitter check is held to. */
const JITTER_ALPHA = 1e-6;

/** The names of the two jitter checks. */
export const JITTER_FIT_CHECK =
  'the displaced sessions waited the reconnect jitter: their delays run no earlier than uniform on the jitter window (one-sided Kolmogorov–Smirnov)';
export const JITTER_SPREAD_CHECK =
  'the reconnect attempts are spread in time: no tenth of the jitter window holds more than a uniform draw would';

/** Analyses the reports of every fleet of one run against the kill. */
export function analyse(reports: readonly FleetReport[], kill: KillFacts): HerdAnalysis {
  const sessions = reports.flatMap((r) => r.sessions);
  const checks: Check[] = [];
  const check = (name: string, ok: boolean, detail: string): void => {
    checks.push({ name, ok, detail });
  };

  const displacedSet = sessions.filter((s) => wasDisplaced(s, kill));
  const comebacks = displacedSet.map((s) => comebackOf(s, kill)).filter((c) => c !== undefined);
  const neverBack = displacedSet.filter((s) => comebackOf(s, kill) === undefined).map((s) => s.label);

  check(
    'every fleet saw all its sessions connected again, none on the killed member',
    reports.every((r) => r.summary.recoveredAt !== undefined),
    `${reports.filter((r) => r.summary.recoveredAt === undefined).length} of ${reports.length} fleets did not recover`,
  );
  const onVictim = sessions.filter((s) => s.firstServer === kill.victim).length;
  check(
    'the kill displaced the sessions of the killed member',
    displacedSet.length >= onVictim && onVictim > 0,
    `${onVictim} sessions were on ${kill.victim}, ${displacedSet.length} lost their connection`,
  );
  if (kill.victimRole === 'follower') {
    const disturbed = sessions.filter((s) => s.firstServer !== kill.victim && s.transitions.length > 0);
    check(
      'sessions on the surviving members kept their connection (a follower was killed)',
      disturbed.length === 0,
      `${disturbed.length} disturbed: ${sample(disturbed.map((s) => `${s.label} ${describe(s)}`))}`,
    );
  }
  check(
    'every displaced session reconnected',
    neverBack.length === 0,
    `${neverBack.length} did not: ${sample(neverBack)}`,
  );
  const moved = comebacks.filter((c) => !c.sameSession);
  check(
    'every displaced session resumed its own session (same id)',
    moved.length === 0,
    `${moved.length} came back with another session: ${sample(moved.map((c) => c.label))}`,
  );
  // A follower's death is the client's alone to ride out: its sessions lose their connections at
  // once and the other members serve throughout, so each must be back within its timeout of the
  // kill. A leader's death first takes the ensemble away: the survivors must notice (at once on a
  // closed socket, or only after syncLimit × tickTime, 10 s here, when they do not hear it close)
  // and elect, and meanwhile they refuse clients or leave their handshakes unanswered. That time
  // is the servers', and it costs no session: the new leader starts every session's timeout
  // afresh. So there the clock starts when the ensemble serves again (the first session back),
  // which still catches a client that keeps its sessions away once members serve.
  const servingAt =
    kill.victimRole === 'leader' ? Math.min(...comebacks.map((c) => c.reconnectedAt)) : kill.killAt;
  const late = comebacks.filter(
    (c) => c.reconnectedAt - Math.max(servingAt, c.disconnectedAt) >= c.timeoutMs,
  );
  const clockFrom =
    kill.victimRole === 'leader'
      ? `the ensemble served again ${Math.round(servingAt - kill.killAt)} ms after the kill; since then`
      : 'since the kill';
  check(
    'every displaced session was back within its session timeout',
    late.length === 0,
    `${late.length} late (${clockFrom}): ${sample(late.map((c) => `${c.label} ${Math.round(c.reconnectedAt - servingAt)}/${c.timeoutMs} ms`))}`,
  );
  const onDead = comebacks.filter((c) => !kill.survivors.includes(c.server));
  check(
    'every displaced session came back on a surviving member',
    onDead.length === 0,
    `${sample(onDead.map((c) => `${c.label} on ${c.server}`))}`,
  );
  const lostStates = sessions.filter((s) =>
    s.listenerStates.some((state) => state !== 'CONNECTING' && state !== 'CONNECTED'),
  );
  check(
    'no session was ever LOST (no expiry, no auth failure, no close)',
    lostStates.length === 0,
    `${lostStates.length}: ${sample(lostStates.map((s) => `${s.label} ${s.listenerStates.join('>')}`))}`,
  );

  const landedOn = Object.fromEntries(kill.survivors.map((s) => [s, 0]));
  for (const c of comebacks) landedOn[c.server] = (landedOn[c.server] ?? 0) + 1;
  const spreadZ = binomialSpreadZ(Object.values(landedOn), kill.survivors.length);
  check(
    `the displaced sessions spread over the survivors as a random shuffle does (max |z| < ${SPREAD_Z_LIMIT})`,
    comebacks.length > 0 && spreadZ < SPREAD_Z_LIMIT,
    `per survivor ${JSON.stringify(landedOn)}, max |z| = ${spreadZ.toFixed(2)}`,
  );

  const jitter = jitterFit(comebacks);
  check(
    JITTER_FIT_CHECK,
    jitter.count > 0 && jitter.unmeasured === 0 && jitter.ahead < jitter.aheadLimit,
    `D+ = ${jitter.ahead.toFixed(3)} against uniform [0, ${jitter.windowMs}) ms (limit ${jitter.aheadLimit.toFixed(3)}) ` +
      `over ${jitter.count} delays, ${jitter.unmeasured} unmeasured; ${spreadText(spreadOf(delaysOf(comebacks)))}`,
  );
  check(
    JITTER_SPREAD_CHECK,
    jitter.count > 0 && jitter.densest < jitter.densestLimit,
    `${jitter.densest} of ${jitter.count} delays within ${jitter.windowMs / 10} ms (limit: fewer than ${jitter.densestLimit})`,
  );

  const callbackErrors = reports.flatMap((r) => r.summary.callbackErrors);
  check(
    'no callback or listener threw',
    callbackErrors.length === 0,
    `${callbackErrors.length}: ${sample(callbackErrors)}`,
  );

  const requests = tallyRequests(sessions, comebacks);
  check(
    'every request settled (none lost in the client)',
    requests.pending === 0,
    `${requests.pending} pending`,
  );
  const otherErrors = sessions.flatMap((s) =>
    s.requests.filter((r) => r.outcome === 'error').map((r) => `${s.label}/r${r.n}: ${r.error?.message}`),
  );
  check(
    'every request resolved or failed with a connection loss',
    otherErrors.length === 0,
    `${otherErrors.length} other errors: ${sample(otherErrors)}`,
  );
  check(
    'every acknowledged create is on the server afterwards',
    requests.ackedMissing === 0,
    `${requests.ackedMissing} acknowledged creates missing`,
  );
  const unverified = sessions.filter((s) => s.verifyError !== undefined);
  check(
    'every session was verified on the server, and nothing is there that no request created',
    unverified.length === 0 && requests.phantoms === 0,
    `${unverified.length} unverified (${sample(unverified.map((s) => `${s.label}: ${s.verifyError}`))}), ` +
      `${requests.phantoms} phantoms`,
  );
  const outageProblems = outageRequestProblems(sessions, comebacks);
  check(
    'a request made while disconnected completed after the reconnect, or failed (never sent) only after a whole pass failed',
    outageProblems.length === 0,
    `${outageProblems.length}: ${sample(outageProblems)}`,
  );
  check(
    'at least half the displaced sessions made a request while disconnected (the check above is not vacuous)',
    requests.duringOutage * 2 >= comebacks.length,
    `${requests.duringOutage} requests made while disconnected, ${comebacks.length} sessions displaced`,
  );

  const sinceKill = spreadOf(comebacks.map((c) => c.sinceKillMs));
  const failedAfterKill = sessions.flatMap((s) => s.failedAttempts.filter((a) => a.failedAt >= kill.killAt));
  return {
    sessions: sessions.length,
    displaced: displacedSet.length,
    comebacks,
    landedOn,
    spreadZ,
    noticed: spreadOf(comebacks.map((c) => c.noticedMs)),
    sinceKill,
    outage: spreadOf(comebacks.map((c) => c.outageMs)),
    densest100Ms: densestWindow(
      comebacks.map((c) => c.sinceKillMs),
      100,
    ),
    attempt: spreadOf(delaysOf(comebacks)),
    handshake: spreadOf(comebacks.flatMap((c) => (c.handshakeMs === undefined ? [] : [c.handshakeMs]))),
    jitter,
    failedAttempt: spreadOf(
      failedAfterKill.flatMap((a) => (a.startedAt === undefined ? [] : [a.failedAt - a.startedAt])),
    ),
    failedAttemptsWithoutStart: failedAfterKill.filter((a) => a.startedAt === undefined).length,
    requests,
    checks,
  };
}

/** Whether the session lost its connection at or after the kill. */
function wasDisplaced(s: SessionRecord, kill: KillFacts): boolean {
  return s.transitions.some((t) => t.state === 'CONNECTING' && t.at >= kill.killAt);
}

/** The session's first disconnect after the kill and the CONNECTED that ended it; undefined if none did. */
function comebackOf(s: SessionRecord, kill: KillFacts): Comeback | undefined {
  const gone = s.transitions.findIndex((t) => t.state === 'CONNECTING' && t.at >= kill.killAt);
  if (gone < 0) return undefined;
  const back = s.transitions.slice(gone + 1).find((t) => t.state === 'CONNECTED');
  if (back === undefined) return undefined;
  const disconnectedAt = s.transitions[gone]!.at;
  const connect = s.connects.find((c) => c.startedAt >= disconnectedAt && c.connectedAt <= back.at);
  const failedStarts = s.failedAttempts
    .filter((a) => a.failedAt >= disconnectedAt && a.failedAt <= back.at)
    .map((a) => a.startedAt ?? a.failedAt)
    .filter((at) => at >= disconnectedAt);
  const attemptAt = Math.min(connect?.startedAt ?? Number.POSITIVE_INFINITY, ...failedStarts);
  return {
    label: s.label,
    disconnectedAt,
    reconnectedAt: back.at,
    noticedMs: disconnectedAt - kill.killAt,
    sinceKillMs: back.at - kill.killAt,
    outageMs: back.at - disconnectedAt,
    server: back.detail ?? '?',
    sameSession: back.sessionId === s.sessionId,
    timeoutMs: s.timeoutMs,
    failedPasses: s.failedPasses.filter((at) => at >= disconnectedAt && at <= back.at).length,
    attemptMs: Number.isFinite(attemptAt) ? attemptAt - disconnectedAt : undefined,
    handshakeMs: connect === undefined ? undefined : back.at - connect.startedAt,
    jitterWindowMs: Math.min(DEFAULT_JITTER_CAP_MS, s.timeoutMs / 10),
  };
}

function delaysOf(comebacks: readonly Comeback[]): number[] {
  return comebacks.flatMap((c) => (c.attemptMs === undefined ? [] : [c.attemptMs]));
}

/**
 * Compares the comebacks' reconnect delays with the jitter the client documents (see the top of
 * this file for the two statistics and why their limits hold).
 */
export function jitterFit(
  comebacks: ReadonlyArray<Pick<Comeback, 'attemptMs' | 'jitterWindowMs'>>,
): JitterFit {
  const measured = comebacks.filter((c) => c.attemptMs !== undefined);
  const windowMs = Math.max(0, ...comebacks.map((c) => c.jitterWindowMs));
  const count = measured.length;
  const fractions = measured.map((c) => c.attemptMs! / c.jitterWindowMs);
  const lag = windowMs > 0 ? LAG_ALLOWANCE_MS / windowMs : 1;
  const { ahead, behind } = ksFromUniform(fractions);
  return {
    count,
    unmeasured: comebacks.length - count,
    windowMs,
    ahead,
    aheadLimit: count === 0 ? 0 : Math.sqrt(Math.log(1 / JITTER_ALPHA) / (2 * count)) + lag,
    ks: Math.max(ahead, behind),
    densest: densestWindow(fractions, 0.1),
    densestLimit: count === 0 ? 0 : densestLimit(count, 0.1 + 2 * lag, JITTER_ALPHA),
  };
}

/**
 * The one-sided Kolmogorov–Smirnov distances of `values` from uniform [0, 1): `ahead` (D⁺), the
 * most the values' empirical distribution runs above uniform's (values too small), and `behind`
 * (D⁻), the most it runs below (values too large). The two-sided distance is the larger.
 */
export function ksFromUniform(values: readonly number[]): { ahead: number; behind: number } {
  const sorted = [...values].sort((a, b) => a - b);
  const n = sorted.length;
  let ahead = 0;
  let behind = 0;
  sorted.forEach((x, i) => {
    const f = Math.min(1, Math.max(0, x));
    ahead = Math.max(ahead, (i + 1) / n - f);
    behind = Math.max(behind, f - i / n);
  });
  return { ahead, behind };
}

/**
 * The least k such that, for n points uniform on [0, 1), the chance that some interval of
 * `width` holds k or more is at most `alpha`. Every such interval lies within one of the fixed
 * intervals [j·s, j·s + width + s) with s = width / 4 that meet [0, 1); each holds a
 * binomial(n, width + s) count at most, and the union bound over them gives the limit.
 */
export function densestLimit(n: number, width: number, alpha: number): number {
  const step = width / 4;
  const p = Math.min(1, width + step);
  const intervals = Math.ceil((1 + width + step) / step) + 1;
  if (p >= 1) return n + 1;
  // P(binomial ≥ k), summed from the top so that the small tails keep their precision; each
  // term from the one above it, in logarithms so that a large n does not underflow.
  let logPmf = n * Math.log(p);
  let tail = 0;
  for (let k = n; k >= 0; k--) {
    tail += Math.exp(logPmf);
    if (intervals * tail > alpha) return k + 1;
    logPmf += Math.log(k / (n - k + 1)) + Math.log1p(-p) - Math.log(p);
  }
  return 0;
}

/** The largest |count − n/k| in standard deviations of a binomial(n, 1/k), over the k counts. */
export function binomialSpreadZ(counts: readonly number[], k: number): number {
  const n = counts.reduce((a, b) => a + b, 0);
  if (n === 0 || k < 2) return 0;
  const p = 1 / k;
  const sd = Math.sqrt(n * p * (1 - p));
  return Math.max(...counts.map((c) => Math.abs(c - n * p) / sd));
}

function tallyRequests(sessions: readonly SessionRecord[], comebacks: readonly Comeback[]): RequestTally {
  const all = sessions.flatMap((s) => s.requests);
  const outage = outageRequests(sessions, comebacks).map(({ request }) => request);
  return {
    issued: all.length,
    ok: all.filter((r) => r.outcome === 'ok').length,
    connectionLoss: all.filter((r) => r.outcome === 'connectionLoss').length,
    connectionLossApplied: all.filter((r) => r.outcome === 'connectionLoss' && r.onServer === true).length,
    otherErrors: all.filter((r) => r.outcome === 'error').length,
    pending: all.filter((r) => r.outcome === 'pending').length,
    ackedMissing: all.filter((r) => r.outcome === 'ok' && r.onServer !== true).length,
    phantoms: sessions.reduce((sum, s) => sum + s.phantoms.length, 0),
    duringOutage: outage.length,
    duringOutageOk: outage.filter((r) => r.outcome === 'ok').length,
    duringOutageFailedPass: outage.filter((r) => r.outcome === 'connectionLoss').length,
  };
}

/** Requests issued between a displaced session's disconnect and its reconnect. */
function outageRequests(
  sessions: readonly SessionRecord[],
  comebacks: readonly Comeback[],
): Array<{ session: SessionRecord; request: RequestRecord; reconnectAt: number }> {
  const byLabel = new Map(sessions.map((s) => [s.label, s]));
  return comebacks.flatMap((c) => {
    const session = byLabel.get(c.label)!;
    return session.requests
      .filter(
        (r) =>
          r.stateAtIssue === 'CONNECTING' && r.issuedAt >= c.disconnectedAt && r.issuedAt < c.reconnectedAt,
      )
      .map((request) => ({ session, request, reconnectAt: c.reconnectedAt }));
  });
}

/**
 * zookit's contract for a request made while disconnected (docs/protocol.md): it waits for the
 * next connection and is sent then; it fails with a connection loss only when a whole pass over
 * the hosts failed first, and then it was never sent, so its node must be absent.
 */
function outageRequestProblems(sessions: readonly SessionRecord[], comebacks: readonly Comeback[]): string[] {
  return outageRequests(sessions, comebacks).flatMap(({ session, request, reconnectAt }) => {
    const name = `${session.label}/r${request.n}`;
    if (request.outcome === 'ok') {
      return (request.settledAt ?? 0) >= reconnectAt ? [] : [`${name} resolved before the reconnect`];
    }
    if (request.outcome !== 'connectionLoss') return [`${name} ended ${request.outcome}`];
    const passFailed = session.failedPasses.some(
      (at) => at >= request.issuedAt && at <= (request.settledAt ?? 0),
    );
    if (!passFailed) return [`${name} failed with a connection loss though no pass over the hosts failed`];
    return request.onServer === true ? [`${name} failed before it was sent, yet is on the server`] : [];
  });
}

/** Percentiles of `values` (nearest rank). */
export function spreadOf(values: readonly number[]): Spread {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (p: number): number =>
    sorted.length === 0
      ? Number.NaN
      : sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
  return {
    count: sorted.length,
    min: sorted[0] ?? Number.NaN,
    p10: at(10),
    p50: at(50),
    p90: at(90),
    p99: at(99),
    max: sorted.at(-1) ?? Number.NaN,
  };
}

/** A spread on one line: `min 3, p10 …, max 980 ms`. */
export function spreadText(s: Spread): string {
  const f = (x: number): string => (Number.isNaN(x) ? '-' : String(Math.round(x)));
  return `min ${f(s.min)}, p10 ${f(s.p10)}, p50 ${f(s.p50)}, p90 ${f(s.p90)}, p99 ${f(s.p99)}, max ${f(s.max)} ms`;
}

/** The most values that fall within any window of `widthMs`. */
export function densestWindow(values: readonly number[], widthMs: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  let best = 0;
  let start = 0;
  for (let end = 0; end < sorted.length; end++) {
    while (sorted[end]! - sorted[start]! > widthMs) start++;
    best = Math.max(best, end - start + 1);
  }
  return best;
}

/**
 * A text histogram of `values` (ms) in about `buckets` equal bins of a round width, one line per
 * bin: `  200–  300 ms │████████ 81`.
 */
export function histogram(values: readonly number[], buckets = 16, barWidth = 50): string {
  if (values.length === 0) return '(no values)';
  const max = Math.max(...values);
  // Whole milliseconds at least: delays of a ms or less (no jitter) make one bar, not float labels.
  const width = Math.max(1, roundUp(Math.max(1, max) / buckets));
  const counts = new Array<number>(Math.floor(max / width) + 1).fill(0);
  for (const v of values) counts[Math.max(0, Math.floor(v / width))]!++;
  const most = Math.max(...counts);
  const pad = String(Math.ceil(max / width) * width).length;
  return counts
    .map((count, i) => {
      const bar = '█'.repeat(Math.round((count / most) * barWidth));
      return `${String(i * width).padStart(pad)}–${String((i + 1) * width).padStart(pad)} ms │${bar} ${count}`;
    })
    .join('\n');
}

/** The next of 1, 2, 5, 10, 20, 50, ... at or above `x`. */
function roundUp(x: number): number {
  const decade = 10 ** Math.floor(Math.log10(x));
  for (const step of [1, 2, 5, 10]) if (step * decade >= x) return step * decade;
  return 10 * decade;
}

/** A session's transitions, short: `CONNECTING(connection closed…)>CONNECTED(127.0.0.1:…)`. */
function describe(s: SessionRecord): string {
  return s.transitions.map((t) => `${t.state}(${t.detail ?? ''})`).join('>');
}

/** The first few items of a list, for a failure message. */
function sample(items: readonly string[], n = 5): string {
  return items.length <= n ? items.join('; ') : `${items.slice(0, n).join('; ')}; … ${items.length - n} more`;
}
