// The soak's faults, so that its memory and handle trends include what reconnects and session
// losses leave behind (the paths where a client tears down and rebuilds state): every few seconds
// one client's connections are cut through its proxy (it reconnects and resumes its session), and
// now and then one client's session is expired on the server (it reconnects, learns the session is
// gone, and starts a new one; its watches, caches and recipes rebuild). The clients take turns, so
// every handler meets both faults; intervals are jittered by ±50% from the run's seeded stream.

import type { ZooKeeperClient } from '../../index.js';
import type { SeededRandom } from '../../testing/chaos/seeded-random.js';
import { expireSession } from '../../testing/expire-session.js';
import type { FaultProxy } from '../../testing/fault-proxy.js';

/** A client the faults can reach: its proxies (one per server) and the client itself. */
export interface DisruptedClient {
  readonly name: string;
  readonly zk: ZooKeeperClient;
  readonly proxies: readonly FaultProxy[];
}

/** How often, in milliseconds (each interval jittered by ±50%); 0 turns a fault off. */
export interface DisruptionPlan {
  readonly reconnectEveryMs: number;
  readonly expireEveryMs: number;
}

/** Cuts connections and expires sessions until stopped; counts what it did. */
export class Disruptor {
  reconnects = 0;
  expiries = 0;
  /** Faults that could not be made (e.g. an expiry while the client had no session), as messages. */
  readonly failures: string[] = [];
  private readonly stopper = new AbortController();
  private loops: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly clients: readonly DisruptedClient[],
    /** The servers' own connect string: expiry goes straight to them, not through a proxy. */
    private readonly serverConnectString: string,
    private readonly plan: DisruptionPlan,
    private readonly random: SeededRandom,
  ) {}

  start(): void {
    const reconnects = this.random.fork('reconnects');
    const expiries = this.random.fork('expiries');
    this.loops = Promise.all([
      this.every(this.plan.reconnectEveryMs, reconnects, async () => {
        for (const proxy of this.turn(this.reconnects).proxies) proxy.reset();
        this.reconnects++;
      }),
      this.every(this.plan.expireEveryMs, expiries, async () => {
        const id = this.turn(this.expiries).zk.clientId;
        if (id === undefined) return;
        await expireSession(this.serverConnectString, { sessionId: id.sessionId, passwd: id.password });
        this.expiries++;
      }),
    ]);
  }

  async stop(): Promise<void> {
    this.stopper.abort();
    await this.loops;
  }

  /** The client whose turn the `n`th fault of a kind is. */
  private turn(n: number): DisruptedClient {
    return this.clients[n % this.clients.length]!;
  }

  private async every(intervalMs: number, random: SeededRandom, fault: () => Promise<void>): Promise<void> {
    if (intervalMs <= 0) return;
    const signal = this.stopper.signal;
    while (!signal.aborted) {
      const wait = intervalMs * (0.5 + random.next());
      const aborted = await new Promise<boolean>((resolve) => {
        const timer = setTimeout(() => {
          signal.removeEventListener('abort', onAbort);
          resolve(false);
        }, wait);
        const onAbort = (): void => {
          clearTimeout(timer);
          resolve(true);
        };
        signal.addEventListener('abort', onAbort, { once: true });
      });
      if (aborted) return;
      try {
        await fault();
      } catch (error) {
        if (this.failures.length < 20) this.failures.push((error as Error).message);
      }
    }
  }
}
