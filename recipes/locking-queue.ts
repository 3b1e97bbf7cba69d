// kazoo's LockingQueue: entries `<path>/entries/entry-<PPP>-<seq>` (persistent sequential), and
// while a consumer works on one, an ephemeral `<path>/taken/<entry name>` whose data is the
// consumer's id (32 hex digits). `consume()` deletes both in one transaction; `release()` deletes
// the taken node; a consumer whose session ends loses its taken nodes with it, so the entry
// returns to the queue. Python services on kazoo share it: docs/recipes.md#lockingqueue-layout.
//
// Where this differs from kazoo, keeping its layout:
// - kazoo's get() sets two child watches with a new callback each time, whether it waits or not,
//   and they pile up (#175); here a get that finds an entry sets no watch, and one that waits sets
//   them with the instance's two callbacks, one registration per path however many gets wait
//   (docs/recipes.md#lockingqueue-watches).
// - A get tries the available entries in order and reads the entry in the same round trip as it
//   takes it; kazoo tries only the first and then waits for the next change.
// - `holdsLock()` and `consume()` check that the taken node belongs to this instance's current
//   session (kazoo compares the data only, and raises NoNodeError once the node is gone), and a
//   consume whose reply was lost is recognised (docs/recipes.md#lockingqueue-consume).
// - The whole get has one deadline; a signal aborts it; a node taken by an aborted get is given
//   back.

import {
  type CallOptions,
  ClientState,
  ConnectionClosedError,
  ConnectionState,
  InvalidArgumentError,
  joinPath,
  NodeExistsError,
  NoNodeError,
  type RecipeClient,
  TransactionFailedError,
  validatePath,
} from '../lib/recipe-client.js';
import { newContenderPrefix } from './contenders.js';
import { checkWaitTimeout, startCountdown } from './countdown.js';
import { isConnectionProblem, reportFault } from './faults.js';
import { checkValue, entriesInOrder, entryPrefix, type QueueValue } from './queue.js';

/** The transaction `consume({ also })` adds its ops to. */
export type QueueTransaction = ReturnType<RecipeClient['transaction']>;

/** Options of `LockingQueue.get()`. */
export interface LockingQueueGetOptions {
  /** Give up after this many ms in all: resolves null (kazoo's None). */
  timeout?: number;
  /** Aborting it rejects with its reason; an entry taken meanwhile is given back. */
  signal?: AbortSignal;
}

/** Options of `LockingQueue.consume()`. */
export interface ConsumeOptions extends CallOptions {
  /**
   * Adds ops to the transaction that deletes the entry, so they commit if and only if this
   * consumer consumes it (record the result of the work, exactly once).
   */
  also?: (transaction: QueueTransaction) => void;
}

/** The entry this instance has taken. */
interface Taken {
  readonly name: string;
  readonly value: Buffer;
  /** The session that created the taken node. */
  readonly session: bigint;
}

/** The first pause before trying again after a connection problem, ms (doubling up to MAX_PAUSE_MS). */
const FIRST_PAUSE_MS = 50;
const MAX_PAUSE_MS = 1000;

/**
 * A distributed priority queue with reliable consumption, shared with kazoo: `get()` takes an
 * entry (locks it), `consume()` removes it once processed, `release()` gives it back. One entry
 * at a time per instance. `for await (const value of queue)` takes, yields and consumes.
 * `await using` gives back an entry that was not consumed.
 */
export class LockingQueue implements AsyncDisposable, AsyncIterable<Buffer> {
  /** The queue node. */
  readonly path: string;
  /** This instance's id, the data of its taken nodes (kazoo's `uuid4().hex`). */
  readonly id: string;
  private readonly client: RecipeClient;
  private readonly entriesPath: string;
  private readonly takenPath: string;
  private ensured = false;
  private taken: Taken | undefined;
  private getting = false;
  /** Entries whose taken node of ours is being given back (giveBackLater). */
  private readonly returning = new Set<string>();
  /** Set by the child watches and by session events: a waiting get looks again. */
  private readonly wake;
  // One callback per path for the life of the instance: a waiting get registers them again and
  // again, but the client keeps one registration per (path, callback) (#175).
  private readonly onEntries = (): void => this.wake.set();
  private readonly onTaken = (): void => this.wake.set();
  private readonly onState = (state: ClientState): void => {
    if (state !== ClientState.SUSPENDED) this.wake.set();
  };

  constructor(client: RecipeClient, path: string) {
    validatePath(path);
    this.client = client;
    this.path = path;
    this.id = newContenderPrefix('');
    this.entriesPath = joinPath(path, 'entries');
    this.takenPath = joinPath(path, 'taken');
    this.wake = client.handler.eventObject();
  }

  /** The name of the entry this instance holds (`entry-<PPP>-<seq>`), if any. */
  get entry(): string | undefined {
    return this.taken?.name;
  }

  /**
   * Puts `value` with `priority` (0..999, default 100, lower first); resolves with the entry's
   * name. Not retried (as in kazoo): a ConnectionLossError means it may have been put.
   */
  async put(value: QueueValue, priority = 100, options: CallOptions = {}): Promise<string> {
    checkValue(value);
    const prefix = entryPrefix(priority);
    await this.ensurePaths(options);
    const created = await this.client.create(joinPath(this.entriesPath, prefix), value, {
      sequence: true,
      signal: options.signal,
      timeout: options.timeout,
    });
    return created.slice(created.lastIndexOf('/') + 1);
  }

  /**
   * Puts every value with one priority in one transaction: all or none. Resolves with the entries'
   * names. Not retried: a ConnectionLossError means they may all have been put.
   */
  async putAll(values: readonly QueueValue[], priority = 100, options: CallOptions = {}): Promise<string[]> {
    if (!Array.isArray(values)) throw new InvalidArgumentError('values', 'values must be an array');
    for (const value of values) checkValue(value);
    const prefix = joinPath(this.entriesPath, entryPrefix(priority));
    await this.ensurePaths(options);
    if (values.length === 0) return [];
    const transaction = this.client.transaction();
    for (const value of values) transaction.create(prefix, value, { sequence: true });
    const results = await transaction.commit({ throwOnFailure: true, ...options });
    // A create's result is the created path.
    return results.map((result) => {
      const path = String(result);
      return path.slice(path.lastIndexOf('/') + 1);
    });
  }

  /**
   * Takes the first available entry (not taken by anyone) and resolves with its value, waiting for
   * one as long as `timeout` allows (forever without one); null when the time is up. If this
   * instance holds an entry not consumed yet (and its session still lives), resolves with that
   * one again (kazoo). Rejects with the signal's reason on abort, ConnectionClosedError at once
   * on a stopped client.
   */
  async get(options: LockingQueueGetOptions = {}): Promise<Buffer | null> {
    const { timeout, signal } = options;
    checkWaitTimeout(timeout);
    const { client } = this;
    if (client.connectionState === ConnectionState.CLOSED)
      throw new ConnectionClosedError(`cannot get from ${this.path}: the client is not started`);
    signal?.throwIfAborted();
    if (this.taken !== undefined) {
      if (this.taken.session === client.clientId?.sessionId) return this.taken.value;
      this.taken = undefined; // its session ended, and the taken node with it
    }
    if (this.getting) throw new Error(`a get on ${this.path} is already in progress on this instance`);
    this.getting = true;
    const timedOut = Symbol('timed out');
    const countdown = startCountdown(client.handler, { timeout, signal }, () => timedOut);
    client.on('state', this.onState);
    try {
      await this.ensurePaths({ signal: countdown.signal });
      for (;;) {
        this.wake.clear();
        const got = await this.tryTake(countdown.signal, false);
        if (got !== undefined) return this.keep(got, countdown.signal);
        // Nothing to take: list again with the watches set, then wait for a change.
        const again = await this.tryTake(countdown.signal, true);
        if (again !== undefined) return this.keep(again, countdown.signal);
        await this.wake.wait(undefined, countdown.signal);
      }
    } catch (error) {
      if (countdown.signal.aborted) {
        if (countdown.signal.reason === timedOut) return null;
        throw countdown.signal.reason;
      }
      throw error;
    } finally {
      countdown.finish();
      client.off('state', this.onState);
      this.getting = false;
    }
  }

  /**
   * Whether this instance still holds its entry: its taken node exists, after a sync, with this
   * instance's id, owned by the current session. False when it holds none.
   */
  async holdsLock(options: CallOptions = {}): Promise<boolean> {
    const taken = this.taken;
    if (taken === undefined) return false;
    const { client } = this;
    const node = joinPath(this.takenPath, taken.name);
    return client.retry(async () => {
      await client.sync(node, options);
      return this.owns(node, taken, options);
    }, options.signal);
  }

  /**
   * Removes the entry this instance holds from the queue (with the taken node, in one
   * transaction, plus the ops of `also`): true once removed; false when it holds none or no longer
   * holds it (its session ended: the entry went back to the queue, someone else may have it).
   */
  async consume(options: ConsumeOptions = {}): Promise<boolean> {
    const taken = this.taken;
    if (taken === undefined) return false;
    const { also, ...call } = options;
    const ok = await this.finish(taken, call, (transaction) => {
      transaction.delete(joinPath(this.entriesPath, taken.name));
      also?.(transaction);
    });
    if (this.taken === taken) this.taken = undefined;
    return ok;
  }

  /** Gives the entry back without consuming it: true once its taken node is removed; false when none is held. */
  async release(options: CallOptions = {}): Promise<boolean> {
    const taken = this.taken;
    if (taken === undefined) return false;
    const ok = await this.finish(taken, options, () => {});
    if (this.taken === taken) this.taken = undefined;
    return ok;
  }

  /** The number of entries, taken ones included (kazoo's `len(queue)`). */
  async size(options: CallOptions = {}): Promise<number> {
    const { client } = this;
    await this.ensurePaths(options);
    const [, stat] = await client.retry(
      () => client.get(this.entriesPath, undefined, options),
      options.signal,
    );
    return stat.numChildren;
  }

  /**
   * Takes, yields and consumes, forever (or until `signal` aborts: the loop then ends). The entry
   * is consumed when the loop body is done with it; leaving the loop (break, throw) gives the
   * current one back unconsumed.
   */
  async *items(options: { signal?: AbortSignal } = {}): AsyncGenerator<Buffer, void, undefined> {
    const { signal } = options;
    for (;;) {
      let value: Buffer | null;
      try {
        value = await this.get({ signal });
      } catch (error) {
        if (signal?.aborted) return;
        throw error;
      }
      if (value === null) continue;
      let done = false;
      try {
        yield value;
        done = true;
      } finally {
        if (done) await this.consume();
        else await this.release().catch(() => false);
      }
    }
  }

  [Symbol.asyncIterator](): AsyncGenerator<Buffer, void, undefined> {
    return this.items();
  }

  /** `await using queue = zk.LockingQueue(path)`: gives back an entry that was not consumed. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.release().catch((error: unknown) => {
      if (!(error instanceof ConnectionClosedError)) throw error;
    });
  }

  /** Records a taken entry; if the get was aborted meanwhile, gives it back and rejects. */
  private keep(got: Taken, signal: AbortSignal): Buffer {
    if (signal.aborted) {
      this.giveBackLater(got);
      throw signal.reason;
    }
    this.taken = got;
    return got.value;
  }

  /**
   * One look: lists entries and taken nodes together (with the watches when `watch`), then takes
   * the first available entry it can. Undefined when there is none.
   */
  private async tryTake(signal: AbortSignal, watch: boolean): Promise<Taken | undefined> {
    const { client } = this;
    const [entries, takenNames] = await client.retry(
      () =>
        Promise.all([
          client.getChildren(this.entriesPath, watch ? this.onEntries : undefined, { signal }),
          client.getChildren(this.takenPath, watch ? this.onTaken : undefined, { signal }),
        ]),
      signal,
    );
    const busy = new Set([...takenNames, ...this.returning]);
    for (const name of entriesInOrder(entries)) {
      if (busy.has(name)) continue;
      const got = await this.take(name, signal);
      if (got !== undefined) return got;
    }
    return undefined;
  }

  /**
   * Takes one entry: creates its taken node and reads the entry in the same round trip. Undefined
   * when someone else has it or it was consumed since the listing (our taken node is then removed).
   */
  private async take(name: string, signal: AbortSignal): Promise<Taken | undefined> {
    const { client } = this;
    const takenNode = joinPath(this.takenPath, name);
    const entryNode = joinPath(this.entriesPath, name);
    const session = client.clientId?.sessionId;
    if (session === undefined) return undefined;
    // The retry runs through a session's end, but every check of a taken node (owns, finish,
    // giveBack) holds it to `session`: a create sent on a later session would leave a node none of
    // them removes, on a live session. So each attempt is sent only while `session` is the client's
    // (a request made then runs on it or fails); after that the take ends, and the get takes anew.
    // docs/recipes.md#lockingqueue-one-session-per-take
    const create = (): Promise<string | undefined> =>
      client.clientId?.sessionId === session
        ? client.create(takenNode, this.id, { ephemeral: true, signal })
        : Promise.resolve(undefined);
    const [created, read] = await Promise.allSettled([
      client.retry(create, signal),
      client.retry(() => client.get(entryNode, undefined, { signal }), signal),
    ]);
    const placeholder: Taken = { name, value: Buffer.alloc(0), session };
    let mine: boolean;
    try {
      if (created.status === 'fulfilled') mine = created.value !== undefined;
      else if (created.reason instanceof NodeExistsError) {
        // Someone else's, or ours from an attempt whose reply was lost.
        mine = await client.retry(() => this.owns(takenNode, placeholder, { signal }), signal);
      } else throw created.reason;
    } catch (error) {
      // The create may have been applied with its reply lost (retries given up, or aborted): a
      // taken node of ours left behind would hide the entry from everyone for the rest of the
      // session. It goes, if it is there and ours. docs/recipes.md#lockingqueue-lost-take
      this.giveBackLater(placeholder);
      throw error;
    }
    if (!mine) return undefined;
    if (read.status === 'rejected') {
      if (!(read.reason instanceof NoNodeError)) {
        this.giveBackLater(placeholder);
        throw read.reason;
      }
      // Consumed since our listing: our taken node goes.
      await this.giveBack(placeholder);
      return undefined;
    }
    if (client.clientId?.sessionId !== session) return undefined; // the session ended meanwhile
    return { name, value: read.value[0] ?? Buffer.alloc(0), session };
  }

  /** Whether `node` is `taken`'s: our id, created by the session that took it, which is still ours. */
  private async owns(node: string, taken: Taken, options: CallOptions): Promise<boolean> {
    const { client } = this;
    if (client.clientId?.sessionId !== taken.session) return false;
    try {
      const [data, stat] = await client.get(node, undefined, options);
      return (
        data !== null &&
        data.toString('latin1') === this.id &&
        stat.ephemeralOwner === taken.session &&
        client.clientId?.sessionId === taken.session
      );
    } catch (error) {
      if (error instanceof NoNodeError) return false;
      throw error;
    }
  }

  /**
   * Deletes the taken node (and what `ops` adds) in one transaction, if it is still ours. A
   * request sent on the taking session can only run while that session lives, when nobody else can
   * have the entry; requests pending when it expires fail. docs/recipes.md#lockingqueue-consume
   */
  private async finish(
    taken: Taken,
    options: CallOptions,
    ops: (transaction: QueueTransaction) => void,
  ): Promise<boolean> {
    const { client } = this;
    const node = joinPath(this.takenPath, taken.name);
    let sent = false;
    return client.retry(async () => {
      const [data, stat] = await client.get(node, undefined, options).catch((error: unknown) => {
        if (error instanceof NoNodeError) return [null, undefined] as const;
        throw error;
      });
      const current = client.clientId?.sessionId;
      if (stat === undefined) {
        // Gone: our own transaction whose reply was lost, if the session is the same one (only
        // its owner or its session's end removes a taken node); otherwise we lost it.
        return sent && current === taken.session;
      }
      if (
        current !== taken.session ||
        stat.ephemeralOwner !== taken.session ||
        data === null ||
        data.toString('latin1') !== this.id
      )
        return false;
      const transaction = client.transaction();
      ops(transaction);
      transaction.delete(node, stat.version);
      sent = true;
      try {
        await transaction.commit({ throwOnFailure: true, ...options });
      } catch (error) {
        // Our taken node changed or went, or the entry went: not ours to consume any more. A failed
        // op of `also` is the caller's: it rejects, and the entry stays held.
        if (
          error instanceof TransactionFailedError &&
          (error.failedOp.path === node || error.failedOp.path === joinPath(this.entriesPath, taken.name))
        )
          return false;
        throw error;
      }
      return true;
    }, options.signal);
  }

  /**
   * Gives `taken` back in the background. Until that is done, gets on this instance leave the
   * entry alone: taking it again meanwhile would have its node removed under them.
   */
  private giveBackLater(taken: Taken): void {
    this.returning.add(taken.name);
    void this.giveBack(taken, true).finally(() => {
      this.returning.delete(taken.name);
      this.wake.set();
    });
  }

  /**
   * Removes a taken node of ours for certain (retrying through connection problems), if it is
   * still ours. `unsure`: whether our create of it was applied is not known; a sync first lets a
   * create still on its way through the ensemble land before we look.
   */
  private async giveBack(taken: Taken, unsure = false): Promise<void> {
    for (let pause = FIRST_PAUSE_MS; ; pause = Math.min(pause * 2, MAX_PAUSE_MS)) {
      try {
        if (unsure) await this.client.sync(this.takenPath);
        await this.finish(taken, {}, () => {});
        return;
      } catch (error) {
        if (error instanceof ConnectionClosedError) return;
        if (!isConnectionProblem(this.client, error)) {
          reportFault(this.client, error);
          return;
        }
        await this.client.handler.sleep(pause);
      }
    }
  }

  private async ensurePaths(options: CallOptions): Promise<void> {
    if (this.ensured) return;
    const { client } = this;
    await client.retry(
      () =>
        Promise.all([
          client.ensurePath(this.takenPath, options),
          client.ensurePath(this.entriesPath, options),
        ]),
      options.signal,
    );
    this.ensured = true;
  }
}
