// The faults of a chaos run, injected while the contenders work, in two independent loops:
// - members: kill a follower, kill the leader, freeze the leader (SIGSTOP longer than syncLimit,
//   so the others elect a new one while the old one still believes it leads), in turn; each is
//   undone (restart, SIGCONT) before the next, so a quorum stays reachable most of the time;
// - sessions: expire a contender's session on the server (testing's expireSession), the holder's
//   more often than a waiter's, so a holder loses its node while it believes it holds the lock.
// Both stop after `maxFaults` faults in total or at stop(), and leave every member running.

import type { SessionCredentials } from '../../../testing/expire-session.js';
import { expireSession } from '../../../testing/expire-session.js';
import type { ServerHandle } from '../../../testing/server-handle.js';
import type { TestingCluster } from '../../../testing/testing-cluster.js';
import type { Contender } from './contenders.js';

/** The kinds of fault, as the report names them. */
export type FaultKind = 'kill-follower' | 'kill-leader' | 'pause-leader' | 'expire-session';

/** One fault injected. */
export interface FaultRecord {
  kind: FaultKind;
  /** `member <myid>` or the contender's name. */
  target: string;
  /** When it started, ms since the injector started. */
  atMs: number;
}

/** When and how long, all in milliseconds. */
export interface FaultPlan {
  /** Stop after this many faults in total. */
  maxFaults: number;
  /** Pause between member faults (after the previous one is undone). */
  memberEveryMs: number;
  /** How long a killed member stays down. */
  downMs: number;
  /** How long the leader stays frozen: longer than syncLimit × tickTime. */
  pauseMs: number;
  /** Pause between session expiries. */
  expireEveryMs: number;
}

const MEMBER_FAULTS: readonly FaultKind[] = ['kill-follower', 'kill-leader', 'pause-leader'];

export class FaultInjector {
  readonly faults: FaultRecord[] = [];
  /** Faults that could not be injected (e.g. no leader found in time), as messages. */
  readonly failures: string[] = [];
  readonly #stop = new AbortController();
  readonly #startedAt = performance.now();
  #loops: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly cluster: TestingCluster,
    // Only what it needs of a contender, so other runs (the work queue's consumers) use it too.
    private readonly contenders: readonly Pick<Contender, 'name' | 'session' | 'holding'>[],
    private readonly plan: FaultPlan,
  ) {}

  /** Faults injected so far, by kind. */
  get byKind(): Partial<Record<FaultKind, number>> {
    const counts: Partial<Record<FaultKind, number>> = {};
    for (const fault of this.faults) counts[fault.kind] = (counts[fault.kind] ?? 0) + 1;
    return counts;
  }

  start(): void {
    this.#loops = Promise.all([this.#memberLoop(), this.#sessionLoop()]);
  }

  /** Stops injecting, waits for the fault in progress to be undone, then for a quorum of all members. */
  async stop(): Promise<void> {
    this.#stop.abort();
    await this.#loops;
    for (const server of this.cluster.servers)
      if (!server.running) await server.restart({ timeoutMs: 60_000 });
    await this.cluster.waitForQuorum({ timeoutMs: 60_000 });
  }

  get #done(): boolean {
    return this.#stop.signal.aborted || this.faults.length >= this.plan.maxFaults;
  }

  #record(kind: FaultKind, target: string): void {
    this.faults.push({ kind, target, atMs: Math.round(performance.now() - this.#startedAt) });
  }

  /** Sleeps `ms`, or less if the injector is stopped meanwhile. */
  #pause(ms: number): Promise<void> {
    const signal = this.#stop.signal;
    if (signal.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      signal.addEventListener('abort', done, { once: true });
      function done() {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        resolve();
      }
    });
  }

  async #memberLoop(): Promise<void> {
    for (let turn = 0; ; turn++) {
      await this.#pause(this.plan.memberEveryMs);
      if (this.#done) return;
      const kind = MEMBER_FAULTS[turn % MEMBER_FAULTS.length] as FaultKind;
      try {
        await this.#memberFault(kind);
      } catch (error) {
        this.failures.push(`${kind}: ${(error as Error).message}`);
      }
    }
  }

  async #memberFault(kind: FaultKind): Promise<void> {
    const leader = await this.cluster.leader({ timeoutMs: 30_000 });
    const followers = this.cluster.servers.filter((server) => server !== leader && server.running);
    const victim: ServerHandle | undefined =
      kind === 'kill-follower' ? followers[Math.floor(Math.random() * followers.length)] : leader;
    if (victim === undefined) throw new Error('no follower running');
    this.#record(kind, `member ${victim.id}`);
    if (kind === 'pause-leader') {
      await victim.pause();
      try {
        await this.#pause(this.plan.pauseMs);
      } finally {
        await victim.resume();
      }
      return;
    }
    await victim.kill();
    await this.#pause(this.plan.downMs);
    await victim.restart({ timeoutMs: 60_000 });
  }

  async #sessionLoop(): Promise<void> {
    for (;;) {
      await this.#pause(this.plan.expireEveryMs);
      if (this.#done) return;
      const victim = this.#pickSessionVictim();
      const session: SessionCredentials | undefined = victim?.session;
      if (victim === undefined || session === undefined) continue;
      const atMs = Math.round(performance.now() - this.#startedAt);
      try {
        await expireSession(this.cluster.connectString, session);
        this.faults.push({ kind: 'expire-session', target: victim.name, atMs });
      } catch (error) {
        this.failures.push(`expire-session ${victim.name}: ${(error as Error).message}`);
      }
    }
  }

  /** The holder two times in three, when there is one; otherwise any contender still working. */
  #pickSessionVictim(): Pick<Contender, 'name' | 'session' | 'holding'> | undefined {
    const working = this.contenders.filter((contender) => contender.session !== undefined);
    const holders = working.filter((contender) => contender.holding);
    const pool = holders.length > 0 && Math.random() < 2 / 3 ? holders : working;
    return pool[Math.floor(Math.random() * pool.length)];
  }
}
