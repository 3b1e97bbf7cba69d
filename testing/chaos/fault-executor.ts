// Carries out a drawn schedule (schedule.ts) against the running ensemble and clients: each fault
// at its time (late if the process was busy, never early), its target resolved then from the
// selector, and undone after its duration. Member faults run one after another, each restarted or
// resumed before the next begins; client faults overlap, but never two timed ones on one proxy
// (`pass()` ending one would end the other). A fault whose target is missing or busy is recorded
// as skipped with the reason — the schedule is not redrawn, so a replay stays a replay.
//
// stop() ends the faults early: waits for the member fault in progress to be undone and undoes
// every client fault still on. heal() then makes sure every member runs and a quorum is back.

import { OpCode } from '../../protocol/index.js';
import { expireSession } from '../expire-session.js';
import type { FaultProxy } from '../fault-proxy.js';
import type { ServerHandle } from '../server-handle.js';
import type { TestingCluster } from '../testing-cluster.js';
import { type ChaosClients, terminateWorkerThread } from './chaos-clients.js';
import type { ChaosEventLog } from './scenario.js';
import {
  describeFault,
  type FaultKind,
  type FaultTarget,
  MEMBER_FAULT_KINDS,
  type ScheduledFault,
} from './schedule.js';
import { spendLostReply } from './spend-lost-reply.js';

/** A fault that happened. */
export interface InjectedFault {
  readonly seq: number;
  readonly kind: FaultKind;
  /** Who it hit: `member 2`, a client's or session's name, `main thread`. */
  readonly target: string;
  /** When it was due and when it began, ms since the run started. */
  readonly scheduledAtMs: number;
  readonly atMs: number;
  readonly durationMs: number;
}

/** A fault of the schedule that did not happen, and why (no such target then, target busy, …). */
export interface SkippedFault {
  readonly seq: number;
  readonly kind: FaultKind;
  /** When it was due (ms since the run started). */
  readonly atMs: number;
  readonly reason: string;
}

/** What the faults act on. */
export interface FaultExecutorOptions {
  cluster: TestingCluster;
  clients: ChaosClients;
  log: ChaosEventLog;
  /** The log's time (ms) at which the schedule's time 0 falls. */
  originMs: number;
}

/** Pick `pick` of a pool: the same pool and pick give the same element. */
function select<T>(pool: readonly T[], target: FaultTarget): T | undefined {
  return pool.length === 0 ? undefined : pool[target.pick % pool.length];
}

/** Blocks this thread: no timer, socket or message of it runs until it returns. */
function busyWait(ms: number): void {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    // spin
  }
}

/** Runs a schedule; see the file's opening comment. */
export class FaultExecutor {
  readonly injected: InjectedFault[] = [];
  readonly skipped: SkippedFault[] = [];
  readonly #stop = new AbortController();
  /** Undo actions of client faults still on, by seq. */
  readonly #undos = new Map<number, () => void>();
  /** Armed lost replies not yet spent, by seq. */
  readonly #armed = new Map<number, { client: string; proxy: FaultProxy; op: number }>();
  /** Clients whose proxy carries a timed fault now. */
  readonly #busy = new Set<string>();
  /** Pending timers (a fault's end, a lost reply's deadline), cleared at stop. */
  readonly #timers = new Set<NodeJS.Timeout>();
  #lanes: Promise<unknown> = Promise.resolve();

  constructor(private readonly options: FaultExecutorOptions) {}

  /** Starts carrying out `schedule` (its time 0 is `originMs`). */
  start(schedule: readonly ScheduledFault[]): void {
    const members = schedule.filter((fault) => MEMBER_FAULT_KINDS.includes(fault.kind));
    const others = schedule.filter((fault) => !MEMBER_FAULT_KINDS.includes(fault.kind));
    this.#lanes = Promise.all([this.#lane(members, true), this.#lane(others, false)]);
  }

  /** Ends the faults: the member fault in progress is undone, every client fault still on is undone. */
  async stop(): Promise<void> {
    this.#stop.abort();
    await this.#lanes;
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
    for (const seq of [...this.#undos.keys()]) this.#undo(seq);
  }

  /** Every member running (restarted if need be), a quorum, every proxy passing. */
  async heal(): Promise<void> {
    const { cluster, clients, log } = this.options;
    for (const server of cluster.servers) {
      if (server.running) continue;
      log.record('runner', `heal: restart member ${server.id}`);
      await server.restart({ timeoutMs: 60_000 });
    }
    await cluster.waitForQuorum({ timeoutMs: 60_000 });
    clients.passAll();
    for (const [seq, armed] of [...this.#armed]) {
      let spent = false;
      for (let attempt = 0; attempt < 5 && !spent; attempt++) {
        spent = await this.#spend(seq);
        if (!spent) await new Promise((resolve) => setTimeout(resolve, 1000));
      }
      if (!spent)
        log.record('runner', `heal: an armed loss of op ${armed.op} on ${armed.client} could not be spent`);
    }
    log.record('runner', 'healed: every member running, a quorum, every proxy passing');
  }

  get #now(): number {
    return this.options.log.now() - this.options.originMs;
  }

  /** Sleeps `ms`, or less if stopped meanwhile. */
  #sleep(ms: number): Promise<void> {
    const signal = this.#stop.signal;
    if (signal.aborted || ms <= 0) return Promise.resolve();
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

  async #lane(faults: readonly ScheduledFault[], sequential: boolean): Promise<void> {
    for (const fault of faults) {
      await this.#sleep(fault.atMs - this.#now);
      if (this.#stop.signal.aborted) return;
      try {
        if (sequential) await this.#memberFault(fault);
        else await this.#clientFault(fault);
      } catch (error) {
        this.#skip(fault, `failed: ${(error as Error).message}`);
      }
    }
  }

  #skip(fault: ScheduledFault, reason: string): void {
    this.skipped.push({ seq: fault.seq, kind: fault.kind, atMs: fault.atMs, reason });
    this.options.log.record('fault', `skipped ${describeFault(fault)}: ${reason}`, { seq: fault.seq });
  }

  #inject(fault: ScheduledFault, target: string, details?: Record<string, unknown>): void {
    const atMs = Math.round(this.#now);
    this.injected.push({
      seq: fault.seq,
      kind: fault.kind,
      target,
      scheduledAtMs: fault.atMs,
      atMs,
      durationMs: fault.durationMs,
    });
    this.options.log.record('fault', `${fault.kind} ${target}`, {
      seq: fault.seq,
      durationMs: fault.durationMs,
      ...details,
    });
  }

  /** The member a selector names now, or why there is none. */
  async #member(target: FaultTarget): Promise<ServerHandle | string> {
    const { cluster } = this.options;
    if (target.pool === 'leader') {
      try {
        return await cluster.leader({ timeoutMs: 10_000 });
      } catch (error) {
        return `no leader: ${(error as Error).message}`;
      }
    }
    const running = cluster.servers.filter((server) => server.running);
    const modes = await Promise.all(running.map((server) => server.mode().catch(() => undefined)));
    const followers = running.filter((_, i) => modes[i] === 'follower');
    return select(followers, target) ?? 'no follower serving';
  }

  async #memberFault(fault: ScheduledFault): Promise<void> {
    const victim = await this.#member(fault.target);
    if (typeof victim === 'string') return this.#skip(fault, victim);
    const { log } = this.options;
    const name = `member ${victim.id}`;
    if (fault.kind === 'kill-member') {
      this.#inject(fault, name, { role: fault.target.pool });
      await victim.kill();
      await this.#sleep(fault.durationMs);
      log.record('fault', `restart ${name}`);
      await victim.restart({ timeoutMs: 60_000 });
      log.record('fault', `${name} serving again`);
      return;
    }
    this.#inject(fault, name, { role: fault.target.pool });
    await victim.pause();
    try {
      await this.#sleep(fault.durationMs);
    } finally {
      await victim.resume();
      log.record('fault', `resume ${name}`);
    }
  }

  async #clientFault(fault: ScheduledFault): Promise<void> {
    const { clients, cluster, log } = this.options;
    switch (fault.kind) {
      case 'expire-session': {
        const target = select(clients.sessions, fault.target);
        if (target === undefined) return this.#skip(fault, 'no session target');
        const session = target.session();
        if (session === undefined) return this.#skip(fault, `${target.name} has no session`);
        try {
          await expireSession(cluster.connectString, session);
        } catch (error) {
          return this.#skip(fault, (error as Error).message);
        }
        return this.#inject(fault, target.name, { session: `0x${session.sessionId.toString(16)}` });
      }
      case 'terminate-worker': {
        const client = select(
          clients.clients.filter((c) => c.workerHandler !== undefined),
          fault.target,
        );
        if (client?.workerHandler === undefined)
          return this.#skip(fault, 'no client on WorkerThreadsHandler');
        if (!(await terminateWorkerThread(client.workerHandler)))
          return this.#skip(fault, `${client.name} has no worker thread running`);
        return this.#inject(fault, client.name);
      }
      case 'block-main-thread': {
        this.#inject(fault, 'main thread');
        busyWait(fault.durationMs);
        log.record('fault', 'main thread free again');
        return;
      }
      default:
        return this.#proxyFault(fault);
    }
  }

  /** The faults a client's FaultProxy makes: black-hole, slow link, reset, lost reply. */
  #proxyFault(fault: ScheduledFault): void {
    const { clients, log } = this.options;
    const client = select(
      clients.clients.filter((c) => c.proxy !== undefined),
      fault.target,
    );
    const proxy = client?.proxy;
    if (client === undefined || proxy === undefined) {
      this.#skip(fault, 'no proxied client');
      return;
    }
    if (fault.kind === 'reset-connection') {
      proxy.reset();
      this.#inject(fault, client.name);
      return;
    }
    if (this.#busy.has(client.name)) {
      this.#skip(fault, `${client.name}'s proxy carries another fault`);
      return;
    }
    this.#busy.add(client.name);
    if (fault.kind === 'lose-reply') {
      this.#loseReply(fault, client.name, proxy);
      return;
    }
    this.#undos.set(fault.seq, () => {
      proxy.pass();
      this.#busy.delete(client.name);
    });
    this.#after(fault.durationMs, () => {
      if (!this.#undo(fault.seq)) return;
      log.record('fault', `end of ${fault.kind} ${client.name}`, { seq: fault.seq });
    });
    if (fault.kind === 'black-hole-client') {
      proxy.blackHole();
      this.#inject(fault, client.name);
    } else {
      proxy.delay(fault.delayMs ?? 0, { jitterMs: fault.jitterMs ?? 0 });
      this.#inject(fault, client.name, { delayMs: fault.delayMs, jitterMs: fault.jitterMs });
    }
  }

  /**
   * Arms a lost reply for the fault's window. Counted when it happens; if the client sends no
   * such request in the window, it is a skip, and the runner spends the armed loss itself so it
   * cannot strike later (docs/chaos.md#lost-replies). The proxy stays busy until then.
   */
  #loseReply(fault: ScheduledFault, client: string, proxy: FaultProxy): void {
    const op = fault.op ?? OpCode.setData;
    let inWindow = true;
    this.#armed.set(fault.seq, { client, proxy, op });
    proxy.loseNextReply(op).then(
      (reply) => {
        this.#armed.delete(fault.seq);
        this.#busy.delete(client);
        if (inWindow) {
          this.#undos.delete(fault.seq);
          this.#inject(fault, client, { op, xid: reply.xid });
        } else {
          this.options.log.record('fault', `armed loss of op ${op} on ${client} spent after its window`, {
            seq: fault.seq,
            xid: reply.xid,
          });
        }
      },
      () => undefined,
    );
    this.#undos.set(fault.seq, () => {
      inWindow = false;
      this.#skip(fault, `${client} sent no op ${op} request in ${fault.durationMs} ms`);
      void this.#spend(fault.seq);
    });
    this.#after(fault.durationMs, () => this.#undo(fault.seq));
  }

  /** Runs and forgets a fault's undo action; false if it had none (already undone). */
  #undo(seq: number): boolean {
    const undo = this.#undos.get(seq);
    if (undo === undefined) return false;
    this.#undos.delete(seq);
    undo();
    return true;
  }

  /** Spends an armed loss that outlived its window (spend-lost-reply.ts); true once it is gone. */
  async #spend(seq: number): Promise<boolean> {
    const armed = this.#armed.get(seq);
    if (armed === undefined) return true;
    await spendLostReply(armed.proxy, armed.op);
    // The loss's own callback removes it; give it the turn it needs.
    await new Promise((resolve) => setImmediate(resolve));
    return !this.#armed.has(seq);
  }

  /** Runs `action` after `ms` unless stop() comes first (stop() then undoes the fault itself). */
  #after(ms: number, action: () => void): void {
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      action();
    }, ms);
    this.#timers.add(timer);
  }
}
