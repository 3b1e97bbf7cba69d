// A chaos run's faults, drawn from its seed before anything starts, so a seed replays them: when
// each fault comes, what kind it is, whom it aims at and how long it lasts. Nothing here looks at
// the running system. A target is a selector — a pool ('leader', 'follower', 'proxied-client', …)
// and a number — resolved when the fault is due against that pool sorted by stable names (myid,
// client name); when the pool is empty then, or the target is busy, the runner records the fault
// as skipped instead of drawing another, so one skip never shifts the rest of the schedule.
//
// Faults come in three lanes, each drawn from its own stream of the seed (docs/chaos.md#fault-kinds):
// - members: kill (restart after a while) or pause (SIGSTOP, then SIGCONT), one at a time — the
//   next is due only after the previous one ended, so a quorum is there most of the time;
// - clients: black-hole, server-side expiry, a terminated worker thread, a lost reply, a reset,
//   a slow link; these overlap in time, on different clients;
// - the main thread: a busy-wait longer than the session timeout, now and then.

import { OpCode } from '../../protocol/index.js';
import type { SeededRandom } from './seeded-random.js';

/** Every kind of fault the runner injects, in the order the summary line lists them. */
export const FAULT_KINDS = [
  'kill-member',
  'pause-member',
  'black-hole-client',
  'expire-session',
  'terminate-worker',
  'block-main-thread',
  'lose-reply',
  'reset-connection',
  'slow-link',
] as const;

/** A kind of fault; docs/chaos.md#fault-kinds says what each does. */
export type FaultKind = (typeof FAULT_KINDS)[number];

/**
 * Where a fault's target is chosen from when it is due: members by role (sorted by myid), clients
 * opened through the runner (sorted by name; 'worker-client' only those on WorkerThreadsHandler,
 * 'proxied-client' only those behind a FaultProxy), sessions (the clients' and the scenarios'
 * session targets, sorted by name), or this process's main thread.
 */
export type FaultTargetPool =
  | 'leader'
  | 'follower'
  | 'proxied-client'
  | 'worker-client'
  | 'session'
  | 'main-thread';

/** A target selector: `pick` modulo the size of the pool when the fault is due. */
export interface FaultTarget {
  readonly pool: FaultTargetPool;
  /** A number in [0, 65535]; the target is `sortedPool[pick % sortedPool.length]`. */
  readonly pick: number;
}

/** One fault of the schedule. */
export interface ScheduledFault {
  /** Its position in the schedule (0, 1, …), in order of `atMs`. */
  readonly seq: number;
  /** When it is due, ms since the faults started. */
  readonly atMs: number;
  readonly kind: FaultKind;
  readonly target: FaultTarget;
  /**
   * How long it lasts, ms: a member's downtime or pause, a black-hole's or slow link's length, a
   * main-thread block, how long a lost reply waits for its request; 0 for an instant fault.
   */
  readonly durationMs: number;
  /** 'lose-reply': the opcode whose next reply is dropped (a write: create, delete, setData, multi). */
  readonly op?: number;
  /** 'slow-link': the added delay, ms. */
  readonly delayMs?: number;
  /** 'slow-link': up to this much more delay, ms, drawn per chunk by the proxy. */
  readonly jitterMs?: number;
}

/** What a schedule is drawn from. */
export interface ScheduleOptions {
  /** The run's stream (the schedule forks its own lanes from it by name). */
  random: SeededRandom;
  /** Faults are due in [0, durationMs), ms. */
  durationMs: number;
  /** The clients' session timeout, ms: black-holes and main-thread blocks outlast it. */
  sessionTimeoutMs: number;
  /** Only these kinds (default: all of FAULT_KINDS). */
  kinds?: readonly FaultKind[];
}

/** The member faults run one at a time, each after the previous one ended. */
export const MEMBER_FAULT_KINDS: readonly FaultKind[] = ['kill-member', 'pause-member'];

/** A fault whose draft is not yet numbered. */
type Draft = Omit<ScheduledFault, 'seq'>;

/** The write opcodes a lost reply is drawn among: the ones protected creates and retries are for. */
const WRITE_OPS: readonly number[] = [
  OpCode.create,
  OpCode.create2,
  OpCode.delete,
  OpCode.setData,
  OpCode.multi,
];

/** Selectors draw from this many values, so the pick does not depend on the pool's size. */
const PICKS = 65536;

/** Relative frequency of each client-lane kind. */
const CLIENT_WEIGHTS: ReadonlyArray<readonly [FaultKind, number]> = [
  ['black-hole-client', 2],
  ['expire-session', 2],
  ['terminate-worker', 1],
  ['lose-reply', 2],
  ['reset-connection', 2],
  ['slow-link', 2],
];

/** Draws the whole schedule; equal options (seed included) give equal schedules. */
export function drawSchedule(options: ScheduleOptions): ScheduledFault[] {
  const kinds = new Set<FaultKind>(options.kinds ?? FAULT_KINDS);
  for (const kind of kinds)
    if (!(FAULT_KINDS as readonly string[]).includes(kind))
      throw new RangeError(`unknown fault kind '${kind}'`);
  const drafts = [
    ...memberLane(options.random.fork('schedule:members'), options, kinds),
    ...clientLane(options.random.fork('schedule:clients'), options, kinds),
    ...mainThreadLane(options.random.fork('schedule:main-thread'), options, kinds),
  ];
  // Stable: faults due at the same millisecond keep their lane order.
  drafts.sort((a, b) => a.atMs - b.atMs);
  return drafts.map((draft, seq) => ({ seq, ...draft }));
}

/** Kill or pause a member, one at a time: the next is due a few seconds after the previous ended. */
function memberLane(random: SeededRandom, options: ScheduleOptions, kinds: ReadonlySet<FaultKind>): Draft[] {
  const allowed = MEMBER_FAULT_KINDS.filter((kind) => kinds.has(kind));
  const faults: Draft[] = [];
  if (allowed.length === 0) return faults;
  for (let atMs = random.int(2000, 6000); atMs < options.durationMs; ) {
    const kind =
      allowed.length === 1 ? (allowed[0] as FaultKind) : random.chance(0.6) ? 'kill-member' : 'pause-member';
    const target: FaultTarget = {
      pool: random.chance(0.4) ? 'leader' : 'follower',
      pick: random.int(0, PICKS - 1),
    };
    // A pause outlasts syncLimit (5 ticks of 500 ms on the runner's ensemble): the others give the
    // member up while it believes it still leads or follows.
    const durationMs = kind === 'kill-member' ? random.int(1000, 3000) : random.int(3000, 5000);
    faults.push({ atMs, kind, target, durationMs });
    atMs += durationMs + random.int(3000, 8000);
  }
  return faults;
}

/** Faults on one client or session each, a second or a few apart; they may overlap in time. */
function clientLane(random: SeededRandom, options: ScheduleOptions, kinds: ReadonlySet<FaultKind>): Draft[] {
  const weights = CLIENT_WEIGHTS.filter(([kind]) => kinds.has(kind));
  const faults: Draft[] = [];
  if (weights.length === 0) return faults;
  const timeout = options.sessionTimeoutMs;
  for (let atMs = random.int(1000, 3000); atMs < options.durationMs; atMs += random.int(1000, 4000)) {
    const kind = weighted(random, weights);
    const pick = random.int(0, PICKS - 1);
    switch (kind) {
      case 'black-hole-client':
        // Longer than the session timeout: the server expires a session whose client still
        // believes it is connected.
        faults.push({
          atMs,
          kind,
          target: { pool: 'proxied-client', pick },
          durationMs: random.int(Math.round(timeout * 1.25), timeout * 2),
        });
        break;
      case 'expire-session':
        faults.push({ atMs, kind, target: { pool: 'session', pick }, durationMs: 0 });
        break;
      case 'terminate-worker':
        faults.push({ atMs, kind, target: { pool: 'worker-client', pick }, durationMs: 0 });
        break;
      case 'lose-reply':
        faults.push({
          atMs,
          kind,
          target: { pool: 'proxied-client', pick },
          durationMs: random.int(2000, 5000),
          op: random.pick(WRITE_OPS),
        });
        break;
      case 'reset-connection':
        faults.push({ atMs, kind, target: { pool: 'proxied-client', pick }, durationMs: 0 });
        break;
      case 'slow-link': {
        const delayMs = random.int(20, 300);
        const durationMs = random.int(2000, 6000);
        faults.push({
          atMs,
          kind,
          target: { pool: 'proxied-client', pick },
          durationMs,
          delayMs,
          jitterMs: random.int(0, delayMs),
        });
        break;
      }
      default:
        throw new Error(`no client-lane fault '${kind}'`);
    }
  }
  return faults;
}

/** A busy-wait of this whole process's main thread, longer than the session timeout, about once a minute. */
function mainThreadLane(
  random: SeededRandom,
  options: ScheduleOptions,
  kinds: ReadonlySet<FaultKind>,
): Draft[] {
  const faults: Draft[] = [];
  if (!kinds.has('block-main-thread')) return faults;
  const timeout = options.sessionTimeoutMs;
  for (let atMs = random.int(15_000, 45_000); atMs < options.durationMs; atMs += random.int(45_000, 90_000)) {
    const durationMs = random.int(Math.round(timeout * 1.1), Math.round(timeout * 1.6));
    faults.push({ atMs, kind: 'block-main-thread', target: { pool: 'main-thread', pick: 0 }, durationMs });
  }
  return faults;
}

/** One of `weights`' kinds, with probability proportional to its weight. */
function weighted(random: SeededRandom, weights: ReadonlyArray<readonly [FaultKind, number]>): FaultKind {
  const total = weights.reduce((sum, [, weight]) => sum + weight, 0);
  let at = random.next() * total;
  for (const [kind, weight] of weights) {
    at -= weight;
    if (at < 0) return kind;
  }
  return (weights.at(-1) as readonly [FaultKind, number])[0];
}

/** A fault in a few words, for the event log and the report: `kill-member follower#3 for 2000 ms`. */
export function describeFault(fault: ScheduledFault): string {
  const extra =
    fault.kind === 'lose-reply'
      ? ` op ${fault.op}`
      : fault.kind === 'slow-link'
        ? ` +${fault.delayMs}±${fault.jitterMs} ms`
        : '';
  const target =
    fault.target.pool === 'main-thread' ? 'main-thread' : `${fault.target.pool}#${fault.target.pick}`;
  return `${fault.kind} ${target}${extra}${fault.durationMs > 0 ? ` for ${fault.durationMs} ms` : ''}`;
}
