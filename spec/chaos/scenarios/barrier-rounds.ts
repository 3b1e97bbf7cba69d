// The barrier half of invariant 6, "recipes finish": rounds of a Barrier and of a DoubleBarrier,
// each releasing every member exactly once, and never early.
//
// Barrier round: a coordinator puts the barrier up; every member syncs (so its server has seen the
// barrier go up) and waits on it; after a while the coordinator notes the time and removes it. A member released before that moment was released
// early (nothing could have told it the barrier was down); one never released is stuck.
// DoubleBarrier round: every member enters (noting when it called), works a little once it is
// through (not waiting for the others), leaves (noting when it called). No member may get through enter before the last member called enter, nor
// through leave before the last member called leave — unless that member's session ended in
// between: its ephemeral node went with it, which is how the recipe lets the others go.
// Every promise settles once, so "exactly once" is "every member released, none early".
//
// The coordinator runs one round after the other until the run stops; the round under way when
// the faults stop is finished (its barrier removed for certain) and then checked like the others.
// Planted fault (`plant: 'barrier-releases-early'`): the first member waits on the Barrier with a
// 20 ms timeout and takes the timeout for a release.

import { ClientState } from '../../../index.js';
import type { ChaosClient, ChaosContext, ChaosViolation } from '../../../testing/chaos/scenario.js';
import type { SeededRandom } from '../../../testing/chaos/seeded-random.js';
import { errorName, pause, Violations, within } from './support.js';

/** One member's part in one round. */
interface Part {
  readonly member: string;
  /** When it called enter (DoubleBarrier) or wait (Barrier), ms since the run started. */
  calledAtMs?: number;
  /** When enter / wait resolved true. */
  releasedAtMs?: number;
  /** DoubleBarrier: when it called leave, and when leave resolved true. */
  leaveCalledAtMs?: number;
  leftAtMs?: number;
  /** Why it did not get through (an error's name, or 'timed out'). */
  failed?: string;
}

/** The reason a stranded member's enter is given up with (see #doubleBarrierRound). */
const STRANDED = new Error('stranded: every other member is done');

/** One round of either barrier. */
interface Round {
  readonly kind: 'Barrier' | 'DoubleBarrier';
  readonly path: string;
  readonly parts: Part[];
  /** Barrier: when the coordinator called remove. */
  removeCalledAtMs?: number;
}

/** Who takes part. */
export interface BarrierRoundsOptions {
  invariant: string;
  root: string;
  coordinator: ChaosClient;
  members: readonly ChaosClient[];
  random: SeededRandom;
  plant?: 'barrier-releases-early';
}

/** Rounds of Barrier and DoubleBarrier until the run stops, and their checks. */
export class BarrierRounds {
  readonly #rounds: Round[] = [];
  /** When each member's session ended (LOST), ms since the run started. */
  readonly #lost = new Map<string, number[]>();
  /** Per member, when its connection was down: [from, to), `to` undefined while it still is. */
  readonly #away = new Map<string, Array<[number, number | undefined]>>();
  #loop: Promise<void> = Promise.resolve();
  #now: () => number = () => 0;
  #closed = false;
  operations = 0;
  /** Barrier members that, right after a sync, still read the barrier as not up. */
  staleAfterSync = 0;
  readonly errors: Record<string, number> = {};

  constructor(private readonly options: BarrierRoundsOptions) {}

  start(context: ChaosContext): void {
    this.#now = () => context.log.now();
    for (const member of this.options.members) {
      this.#lost.set(member.name, []);
      const away: Array<[number, number | undefined]> = [];
      this.#away.set(member.name, away);
      member.zk.on('state', (state) => {
        const now = context.log.now();
        if (state === ClientState.LOST) this.#lost.get(member.name)!.push(now);
        const open = away.at(-1)?.[1] === undefined && away.length > 0;
        if (state === ClientState.CONNECTED) {
          if (open) away.at(-1)![1] = now;
        } else if (!open) {
          away.push([now, undefined]);
        }
      });
    }
    this.#loop = this.#run(context);
  }

  #count(error: unknown): string {
    const key = errorName(error);
    this.errors[key] = (this.errors[key] ?? 0) + 1;
    return key;
  }

  async #run(context: ChaosContext): Promise<void> {
    for (let n = 1; !context.signal.aborted && !this.#closed; n++) {
      await this.#barrierRound(context, n);
      await this.#doubleBarrierRound(context, n);
    }
  }

  async #barrierRound(context: ChaosContext, n: number): Promise<void> {
    const { coordinator, members, random, root, plant } = this.options;
    const { log } = context;
    const path = `${root}/barrier/r${n}`;
    const round: Round = { kind: 'Barrier', path, parts: [] };
    const barrier = coordinator.zk.Barrier(path);
    this.operations++;
    // Up for certain before anyone waits: create() retries, and a failure leaves the round out.
    try {
      await barrier.create();
    } catch (error) {
      this.#count(error);
      return;
    }
    this.#rounds.push(round);
    const waits = members.map(async (member, i) => {
      const part: Part = { member: member.name };
      round.parts.push(part);
      this.operations++;
      try {
        // A member's server may not have applied the create yet (reads are not linearizable): the
        // member waits only once it has seen the barrier up itself. After that none of its reads
        // can go back to before the create (docs/observability.md#reply-zxids), so only the
        // removal can let it through. It syncs first, and counts the times it still saw no barrier.
        await member.zk.retry(() => member.zk.sync(path));
        if (!(await this.#seenUp(member, path, round))) {
          part.failed = 'missed';
          return;
        }
        part.calledAtMs = log.now();
        let released: boolean;
        if (i === 0 && plant === 'barrier-releases-early') {
          await member.zk.Barrier(path).wait({ timeout: 20 });
          released = true; // Planted: a timeout taken for a release.
        } else {
          released = await member.zk.Barrier(path).wait();
        }
        if (released) part.releasedAtMs = log.now();
        else part.failed = 'timed out';
      } catch (error) {
        part.failed = this.#count(error);
      }
    });
    await pause(random.int(50, 400));
    round.removeCalledAtMs = log.now();
    // Removed for certain, whatever the faults: the members wait for it.
    while (!this.#closed) {
      this.operations++;
      try {
        await barrier.remove();
        break;
      } catch (error) {
        this.#count(error);
        await pause(200);
      }
    }
    await Promise.all(waits);
  }

  /**
   * Reads until `member` sees the barrier up (true), or the coordinator starts removing it (false).
   * Counts a first read that finds no barrier before its removal was even called: stale after a sync.
   */
  async #seenUp(member: ChaosClient, path: string, round: Round): Promise<boolean> {
    for (let first = true; round.removeCalledAtMs === undefined; first = false) {
      this.operations++;
      if ((await member.zk.retry(() => member.zk.exists(path))) !== null) return true;
      if (first && round.removeCalledAtMs === undefined) this.staleAfterSync++;
      await pause(20);
    }
    return false;
  }

  async #doubleBarrierRound(context: ChaosContext, n: number): Promise<void> {
    const { members, random, root } = this.options;
    const { log } = context;
    const path = `${root}/double/r${n}`;
    const round: Round = { kind: 'DoubleBarrier', path, parts: [] };
    this.#rounds.push(round);
    // A member that fails lets the others go: they would wait for it forever.
    const abort = new AbortController();
    // Members leave as soon as they are through enter: one that goes through and leaves before
    // another has heard of `ready` must not strand it (docs/recipes.md#double-barrier-wake-ups).
    // But a member whose connection is down for the whole life of `ready` cannot learn of it
    // (SetWatches reports a node that exists, not one created and deleted meanwhile), and the
    // others then wait in leave for its node. So once the first member is through enter, the
    // members not through within a grace are given up: `stranded`, which the check accepts only
    // if the member was away while `ready` lived.
    const stranded = new Map<Part, AbortController>();
    let graceTimer: NodeJS.Timeout | undefined;
    const passed = () => {
      graceTimer ??= setTimeout(() => {
        for (const [part, own] of stranded) if (part.releasedAtMs === undefined) own.abort(STRANDED);
      }, 3 * context.sessionTimeoutMs);
    };
    await Promise.all(
      members.map(async (member) => {
        const part: Part = { member: member.name };
        round.parts.push(part);
        const own = new AbortController();
        stranded.set(part, own);
        const signal = AbortSignal.any([abort.signal, own.signal]);
        const barrier = member.zk.DoubleBarrier(path, members.length, member.name);
        try {
          part.calledAtMs = log.now();
          this.operations++;
          if (!(await barrier.enter({ signal }))) throw new Error('enter timed out');
          part.releasedAtMs = log.now();
          passed();
          await pause(random.int(0, 30));
          part.leaveCalledAtMs = log.now();
          this.operations++;
          if (!(await barrier.leave({ signal }))) throw new Error('leave timed out');
          part.leftAtMs = log.now();
        } catch (error) {
          if (own.signal.aborted) part.failed = 'stranded';
          else if (!abort.signal.aborted) part.failed = this.#count(error);
          else part.failed = 'aborted';
          if (!own.signal.aborted) abort.abort(error);
        }
      }),
    );
    clearTimeout(graceTimer);
  }

  /** Whether `member` was disconnected at some time within [from, to]. */
  #wasAway(member: string, from: number, to: number): boolean {
    return (this.#away.get(member) ?? []).some(
      ([down, up]) => down <= to && (up ?? Number.POSITIVE_INFINITY) >= from,
    );
  }

  /** Waits for the round under way (bounded by `deadlineMs`), then checks every round. */
  async finish(deadlineMs: number): Promise<{
    checks: number;
    violations: ChaosViolation[];
    counts: Record<string, number>;
  }> {
    const done = await within(this.#loop, deadlineMs);
    const { invariant } = this.options;
    const violations = new Violations(invariant);
    const violation = (message: string, atMs?: number) => violations.add(message, atMs);
    if (!done) {
      const last = this.#rounds.at(-1);
      const parts = last?.parts.map((part) => `${part.member} ${JSON.stringify(part)}`).join('; ');
      violation(
        `the last barrier round (${last?.kind} ${last?.path}) did not finish within ${deadlineMs} ms of the faults stopping: ${parts}`,
      );
    }
    let checks = 0;
    const counts = {
      barrierRounds: 0,
      doubleBarrierRounds: 0,
      releases: 0,
      failedParts: 0,
      unchecked: 0,
      strandedWhileAway: 0,
    };
    for (const round of this.#rounds) {
      if (round.kind === 'Barrier') counts.barrierRounds++;
      else counts.doubleBarrierRounds++;
      const lastCall = Math.max(...round.parts.map((part) => part.calledAtMs ?? Number.POSITIVE_INFINITY));
      const lastLeave = Math.max(
        ...round.parts.map((part) => part.leaveCalledAtMs ?? Number.POSITIVE_INFINITY),
      );
      for (const part of round.parts) {
        checks++;
        if (part.failed === 'missed') {
          counts.unchecked++;
          continue;
        }
        if (part.failed === 'stranded') {
          // `ready` lived from the last member's enter call (it is made after every node) until,
          // at the latest, the first member out had left (a leave deletes it before it waits).
          const others = round.parts.filter((other) => other !== part);
          const readyGone = Math.min(...others.map((other) => other.leftAtMs ?? Number.POSITIVE_INFINITY));
          const from = Math.max(...others.map((other) => other.calledAtMs ?? 0));
          if (this.#wasAway(part.member, from, Math.min(readyGone, this.#now()))) counts.strandedWhileAway++;
          else
            violation(
              `${part.member} was stranded in enter of DoubleBarrier ${round.path}, though connected while \`ready\` lived (${from}–${readyGone} ms)`,
              from,
            );
          continue;
        }
        if (part.failed !== undefined) {
          counts.failedParts++;
          continue;
        }
        if (part.releasedAtMs === undefined) {
          if (done) violation(`${part.member} was never released from ${round.kind} ${round.path}`);
          continue;
        }
        counts.releases++;
        if (round.kind === 'Barrier') {
          if (part.releasedAtMs < round.removeCalledAtMs!)
            violation(
              `${part.member} was released from Barrier ${round.path} at ${part.releasedAtMs} ms, before the coordinator removed it (${round.removeCalledAtMs} ms)`,
              part.releasedAtMs,
            );
          continue;
        }
        if (part.releasedAtMs < lastCall)
          violation(
            `${part.member} entered DoubleBarrier ${round.path} at ${part.releasedAtMs} ms, before the last member called enter (${lastCall} ms)`,
            part.releasedAtMs,
          );
        checks++;
        if (part.leftAtMs === undefined) continue;
        // A member that failed, or whose session ended after it entered, left the barrier with its
        // node without calling leave.
        const ended =
          round.parts.some((other) => other.failed !== undefined) ||
          round.parts.some((other) =>
            (this.#lost.get(other.member) ?? []).some(
              (at) =>
                at >= (other.calledAtMs ?? 0) && at <= (other.leaveCalledAtMs ?? Number.POSITIVE_INFINITY),
            ),
          );
        if (ended) counts.unchecked++;
        else if (part.leftAtMs < lastLeave)
          violation(
            `${part.member} left DoubleBarrier ${round.path} at ${part.leftAtMs} ms, before the last member called leave (${lastLeave} ms)`,
            part.leftAtMs,
          );
      }
    }
    return {
      checks,
      violations: violations.done(),
      counts: { ...counts, staleAfterSync: this.staleAfterSync },
    };
  }

  /**
   * Stops starting rounds and removing. A round still waiting ends when the runner stops the
   * clients (after this), so this waits for it only briefly.
   */
  async close(): Promise<void> {
    this.#closed = true;
    await within(this.#loop, 5000);
  }
}
