import { setImmediate as nextMacrotask } from 'node:timers/promises';
import { InThreadHandler } from './base-handler.js';
import type { ConnectOptions, ResolvedAddress, Transport } from './handler.js';
import { connectSocket, lookupAll } from './node-transport.js';

interface Timer {
  at: number;
  fire: () => void;
}

/** Options of a VirtualClockHandler. */
export interface VirtualClockOptions {
  /** Opens transports; default real TCP/TLS sockets. Tests pass in-memory servers here. */
  connect?: (options: ConnectOptions) => Promise<Transport>;
  /** Resolves host names; default the system resolver. Tests pass a table here. */
  lookup?: (hostname: string) => Promise<ResolvedAddress[]>;
  /** The clock's reading at creation, ms (default 0). */
  startTime?: number;
  /** Seed of the built-in random source (default a fixed one), so a run replays exactly. */
  seed?: number;
  /** Replaces the seeded source of `random()`: uniform numbers in [0, 1). */
  random?: () => number;
}

/** The seed of a VirtualClockHandler's random source when none is given. */
const DEFAULT_RANDOM_SEED = 0x2008_0b1e;

/**
 * mulberry32: a 32-bit state, uniform in [0, 1) with 2^32 distinct values, fast and good enough for
 * jitter and shuffles (not for secrets). The same seed gives the same sequence on every platform.
 */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b_79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

/**
 * A handler whose clock moves only when the test says so: `sleep` waits for `advance(ms)` or
 * `runUntilIdle()`. Retry backoff, ping intervals, read timeouts and deadlines can then be tested
 * exactly and with no real waiting, and since `random()` is seeded too, a run replays exactly.
 * Everything else behaves as SequentialMicrotaskHandler.
 */
export class VirtualClockHandler extends InThreadHandler {
  readonly name = 'virtual_clock';
  private time: number;
  private timers: Timer[] = [];
  private readonly connector: (options: ConnectOptions) => Promise<Transport>;
  private readonly randomSource: () => number;
  private readonly resolver: (hostname: string) => Promise<ResolvedAddress[]>;

  constructor(options: VirtualClockOptions = {}) {
    super();
    this.time = options.startTime ?? 0;
    this.connector = options.connect ?? ((o) => connectSocket(o, this.TimeoutError));
    this.randomSource = options.random ?? seededRandom(options.seed ?? DEFAULT_RANDOM_SEED);
    this.resolver = options.lookup ?? lookupAll;
  }

  now(): number {
    return this.time;
  }

  random(): number {
    return this.randomSource();
  }

  /** Sleeps still waiting, for assertions. */
  get pendingTimers(): number {
    return this.timers.length;
  }

  /** When the next sleep ends, or undefined when nothing sleeps. */
  get nextTimerAt(): number | undefined {
    return this.timers[0]?.at;
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      const timer: Timer = {
        // NaN would poison the ordering of every timer after it: treat it as 0, as setTimeout does.
        at: this.time + (Number.isNaN(ms) ? 0 : Math.max(0, ms)),
        fire: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
      };
      const onAbort = (): void => {
        this.timers = this.timers.filter((t) => t !== timer);
        reject(signal?.reason);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.insert(timer);
    });
  }

  /**
   * Moves the clock forward by `ms`, waking sleepers in time order; after each wake-up the woken
   * code runs (microtasks and pending I/O) before the clock moves on, so timers it sets within the
   * window fire too.
   */
  async advance(ms: number): Promise<void> {
    // A NaN or negative step would leave the clock unusable (NaN) or running backwards.
    if (!Number.isFinite(ms) || ms < 0)
      throw new RangeError(`advance() takes a finite number of ms >= 0, got ${ms}`);
    const target = this.time + ms;
    await this.settle();
    for (let t = this.timers[0]; t !== undefined && t.at <= target; t = this.timers[0]) {
      this.timers.shift();
      this.time = Math.max(this.time, t.at);
      t.fire();
      await this.settle();
    }
    this.time = Math.max(this.time, target);
  }

  /**
   * Fires sleeps in time order until none is left or `limitMs` of virtual time has passed (a
   * connected client always has a ping timer, so "idle" needs a bound). Returns the time reached.
   */
  async runUntilIdle(limitMs = 3_600_000): Promise<number> {
    if (Number.isNaN(limitMs) || limitMs < 0)
      throw new RangeError(`runUntilIdle() takes ms >= 0, got ${limitMs}`);
    const stop = this.time + limitMs;
    await this.settle();
    while (this.timers.length > 0 && this.timers[0]!.at <= stop) {
      await this.advance(this.timers[0]!.at - this.time);
    }
    return this.time;
  }

  createConnection(options: ConnectOptions): Promise<Transport> {
    return this.connector(options);
  }

  lookup(hostname: string): Promise<ResolvedAddress[]> {
    return this.resolver(hostname);
  }

  private insert(timer: Timer): void {
    let i = this.timers.length;
    while (i > 0 && this.timers[i - 1]!.at > timer.at) i--;
    this.timers.splice(i, 0, timer);
  }

  /** Lets woken code run: microtasks, then one macrotask turn for I/O callbacks. */
  private async settle(): Promise<void> {
    await nextMacrotask();
  }
}
