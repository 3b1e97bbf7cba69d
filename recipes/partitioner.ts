// kazoo's SetPartitioner on kazoo's layout, so kazoo and zookit members divide one set between them
// (docs/recipes.md#setpartitioner-layout): every member joins a ShallowParty at `<path>/party`
// (`<uuid>-<identifier>`), waits until the party has not changed for `timeBoundary` ms, computes
// its share with the partition function (kazoo's by default, partition-func.ts), and takes a
// kazoo Lock at `<path>/locks/<item>` for each item of its share.
//
// The states are kazoo's: ALLOCATING → ACQUIRED; a party change or a connection event moves to
// RELEASE, and the caller calls `releaseSet()` (→ ALLOCATING); a lost session or `finish()` ends in
// FAILURE, for good. What this does that kazoo 2.8 does not (each has a test in
// spec/recipes/partitioner.spec.ts):
// - a round whose item lock is held elsewhere gives up after `maxReactionTime` instead of waiting
//   forever while holding the items it already took (#392): it lets them go, moves to RELEASE with
//   nothing held (`blocked` names the item) and goes back to ALLOCATING by itself when the lock's
//   holder lets go or the party changes (docs/recipes.md#setpartitioner-blocked);
// - every wait takes `{ timeout, signal }`, and the states come as events and as an async iterator.

import { hostname } from 'node:os';
import { EventEmitter } from 'eventemitter3';
import {
  type CallOptions,
  ClientState,
  InvalidArgumentError,
  joinPath,
  NodeExistsError,
  NoNodeError,
  type RecipeClient,
  validatePath,
} from '../lib/recipe-client.js';
import { EventType } from '../protocol/index.js';
import { contenderPattern, contendersOf, LOCK_MARKER } from './contenders.js';
import { startCountdown } from './countdown.js';
import { isConnectionProblem, reportFault } from './faults.js';
import { Lock } from './lock.js';
import { defaultPartitionFunc, type PartitionFunction, type PartitionItem } from './partition-func.js';
import { CancelledError, LockTimeoutError } from './recipe-errors.js';

/** kazoo's PartitionState. */
export const PartitionState = {
  /** Dividing the set: waiting for the party to settle, then taking this member's items' locks. */
  ALLOCATING: 'ALLOCATING',
  /** This member holds the locks of its items (`partitions`). */
  ACQUIRED: 'ACQUIRED',
  /** The set must be divided again: stop using the items, then call `releaseSet()`. */
  RELEASE: 'RELEASE',
  /** The session was lost or `finish()` was called: the partitioner is done; make a new one. */
  FAILURE: 'FAILURE',
} as const;
export type PartitionState = (typeof PartitionState)[keyof typeof PartitionState];

/** Why a partitioner moved to RELEASE. */
export type ReleaseReason = 'party-changed' | 'connection' | 'blocked';

/** Events of a SetPartitioner: `state` on every change, and one event per state. */
export interface SetPartitionerEvents {
  state: [state: PartitionState];
  ALLOCATING: [];
  ACQUIRED: [partitions: readonly PartitionItem[]];
  RELEASE: [reason: ReleaseReason];
  FAILURE: [reason: unknown];
}

/** Options of a SetPartitioner (times in milliseconds). */
export interface SetPartitionerOptions {
  /** Who takes which items (default: kazoo's, partition-func.ts). Every member must use the same one. */
  partitionFunc?: PartitionFunction;
  /** This member's name in the party (default `<hostname>-<pid>`, as kazoo's `<fqdn>-<pid>`); no '/'. */
  identifier?: string;
  /** How long, ms, the party must stay unchanged before a round divides the set (kazoo's default 30 s). */
  timeBoundary?: number;
  /** How long, ms, a round waits for one item's lock before it gives up (kazoo's default 1 s). */
  maxReactionTime?: number;
}

/** A party listener's view of its last listing: whether it changed since. */
interface PartyWatch {
  changed: boolean;
}

const positive = (name: string, value: number): number => {
  if (!(Number.isFinite(value) && value >= 0))
    throw new InvalidArgumentError(name, `${name} must be a number of ms, 0 or more`);
  return value;
};

/**
 * kazoo's SetPartitioner: divides `set` among the members of the party at `path`, each item to
 * exactly one member. Follow `state` (events, `for await`, `waitForAcquire`): use `partitions` in
 * ACQUIRED, call `releaseSet()` in RELEASE, make a new one after FAILURE. `await using` finishes it.
 */
export class SetPartitioner extends EventEmitter<SetPartitionerEvents> implements AsyncDisposable {
  /** The partitioner's node. */
  readonly path: string;
  /** This member's name in the party. */
  readonly identifier: string;
  /** The items, as given. */
  readonly set: readonly PartitionItem[];
  /** The state now. */
  state: PartitionState = PartitionState.ALLOCATING;
  /** Counts the state changes (kazoo's `state_id`), so two visits of one state differ. */
  stateId = 0;
  private readonly client: RecipeClient;
  private readonly partyPath: string;
  private readonly locksPath: string;
  private readonly memberPath: string;
  private readonly partitionFunc: PartitionFunction;
  private readonly timeBoundary: number;
  private readonly maxReactionTime: number;
  private partitionSet: readonly PartitionItem[] = [];
  private blockedItems: readonly PartitionItem[] = [];
  private readonly locks: Lock[] = [];
  private round: AbortController | undefined;
  /** Rounds run one after another on this chain. */
  private rounds: Promise<void>;
  private partyWatch: PartyWatch | undefined;
  /** Wakes a round that gave up (RELEASE, 'blocked') to try again. */
  private retryBlocked: (() => void) | undefined;
  private readonly onClientState = (state: ClientState): void => this.clientStateChanged(state);

  constructor(
    client: RecipeClient,
    path: string,
    set: Iterable<PartitionItem>,
    options: SetPartitionerOptions = {},
  ) {
    super();
    validatePath(path);
    this.client = client;
    this.path = path;
    this.identifier = options.identifier ?? `${hostname()}-${process.pid}`;
    if (this.identifier.includes('/'))
      throw new InvalidArgumentError('identifier', 'the identifier is part of a node name: no "/"');
    this.set = [...set];
    const kinds = new Set(this.set.map((item) => typeof item));
    if (kinds.size > 1) throw new InvalidArgumentError('set', 'the items must be all strings or all numbers');
    for (const item of this.set) {
      if (typeof item === 'number' && !Number.isSafeInteger(item))
        throw new InvalidArgumentError('set', `${item}: a number item must be a safe integer`);
      validatePath(`/${item}`);
    }
    this.partitionFunc = options.partitionFunc ?? defaultPartitionFunc;
    this.timeBoundary = positive('timeBoundary', options.timeBoundary ?? 30_000);
    this.maxReactionTime = positive('maxReactionTime', options.maxReactionTime ?? 1000);
    this.partyPath = joinPath(path, 'party');
    this.locksPath = joinPath(path, 'locks');
    this.memberPath = joinPath(
      this.partyPath,
      `${globalThis.crypto.randomUUID().replace(/-/g, '')}-${this.identifier}`,
    );
    client.on('state', this.onClientState);
    this.rounds = this.join().then(
      () => this.allocate(),
      (error: unknown) => this.failOut(error),
    );
  }

  /**
   * This member's items, in kazoo's order (the partition function's): in ACQUIRED, and still in
   * RELEASE until `releaseSet()` (the items to stop using); [] otherwise.
   */
  get partitions(): readonly PartitionItem[] {
    return this.partitionSet;
  }

  /** The items whose locks were held elsewhere when the last round gave up ([] unless RELEASE after 'blocked'). */
  get blocked(): readonly PartitionItem[] {
    return this.blockedItems;
  }

  /** kazoo's `acquired`, `allocating`, `release` and `failed`. */
  get acquired(): boolean {
    return this.state === PartitionState.ACQUIRED;
  }
  get allocating(): boolean {
    return this.state === PartitionState.ALLOCATING;
  }
  get release(): boolean {
    return this.state === PartitionState.RELEASE;
  }
  get failed(): boolean {
    return this.state === PartitionState.FAILURE;
  }

  /** The full path of this member's party node (`<path>/party/<uuid>-<identifier>`). */
  get member(): string {
    return this.memberPath;
  }

  /**
   * Resolves true once ACQUIRED (at once if it is), false after `timeout` ms or on FAILURE; rejects
   * with the signal's reason on abort. kazoo's `wait_for_acquire`.
   */
  async waitForAcquire(options: CallOptions = {}): Promise<boolean> {
    return this.waitForState((state) => state === PartitionState.ACQUIRED, options);
  }

  /**
   * Resolves true once the state satisfies `accept` (at once if it does now), false after
   * `timeout` ms or on FAILURE that `accept` does not take; rejects with the signal's reason on abort.
   */
  async waitForState(
    accept: (state: PartitionState) => boolean,
    options: CallOptions = {},
  ): Promise<boolean> {
    if (accept(this.state)) return true;
    if (this.state === PartitionState.FAILURE) return false;
    options.signal?.throwIfAborted();
    const countdown = startCountdown(this.client.handler, options, () => false);
    let onState: ((state: PartitionState) => void) | undefined;
    try {
      return await new Promise<boolean>((resolve, reject) => {
        onState = (state) => {
          if (accept(state)) resolve(true);
          else if (state === PartitionState.FAILURE) resolve(false);
        };
        this.on('state', onState);
        countdown.signal.addEventListener('abort', () => {
          const reason: unknown = countdown.signal.reason;
          if (reason === false) resolve(false);
          else reject(reason);
        });
      });
    } finally {
      if (onState !== undefined) this.off('state', onState);
      countdown.finish();
    }
  }

  /**
   * Lets this member's items go (releases every lock it holds) and divides the set again
   * (ALLOCATING). Call it in RELEASE, once the items are no longer used. Nothing after FAILURE.
   */
  async releaseSet(): Promise<void> {
    this.round?.abort(new CancelledError('the set was released', this.path));
    await this.releaseLocks();
    if (this.state === PartitionState.FAILURE) return;
    this.setState(PartitionState.ALLOCATING);
    this.startRound();
  }

  /** Releases the items, leaves the party and ends in FAILURE (kazoo's `finish`). */
  async finish(): Promise<void> {
    this.round?.abort(new CancelledError('the partitioner was finished', this.path));
    await this.releaseLocks();
    await this.failOut(new CancelledError('the partitioner was finished', this.path));
  }

  /** `await using partitioner = zk.SetPartitioner(...)`: `finish()`. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.finish();
  }

  /**
   * `for await (const state of partitioner)`: the state now, then every state it moves to, ending
   * after FAILURE. Each loop keeps its own queue, so no state is missed while the body runs.
   */
  [Symbol.asyncIterator](): AsyncIterableIterator<PartitionState> {
    const queue: PartitionState[] = [this.state];
    let waiting: ((result: IteratorResult<PartitionState>) => void) | undefined;
    let ended = false;
    const onState = (state: PartitionState): void => {
      if (waiting !== undefined) {
        const wake = waiting;
        waiting = undefined;
        wake({ value: state, done: false });
      } else queue.push(state);
    };
    this.on('state', onState);
    const end = (): IteratorResult<PartitionState> => {
      ended = true;
      this.off('state', onState);
      waiting?.({ value: undefined, done: true });
      waiting = undefined;
      return { value: undefined, done: true };
    };
    let last: PartitionState | undefined;
    const iterator: AsyncIterableIterator<PartitionState> = {
      next: async () => {
        if (ended || last === PartitionState.FAILURE) return end();
        const value = queue.shift();
        if (value !== undefined) {
          last = value;
          return { value, done: false };
        }
        const result = await new Promise<IteratorResult<PartitionState>>((resolve) => {
          waiting = resolve;
        });
        if (!result.done) last = result.value;
        return result;
      },
      return: async () => end(),
      [Symbol.asyncIterator]: () => iterator,
    };
    return iterator;
  }

  /** Creates the path, `party` and `locks`, and joins the party (a node that exists counts as joined). */
  private async join(): Promise<void> {
    await this.client.retry(() => this.client.ensurePath(this.partyPath));
    await this.client.retry(() => this.client.ensurePath(this.locksPath));
    await this.client.retry(async () => {
      try {
        await this.client.create(this.memberPath, Buffer.from(this.identifier, 'utf8'), { ephemeral: true });
      } catch (error) {
        if (!(error instanceof NodeExistsError)) throw error;
      }
    });
  }

  private startRound(): void {
    this.rounds = this.rounds.then(() => this.allocate());
  }

  /** One round of ALLOCATING: settle, divide, lock each item of this member's share, ACQUIRED. */
  private async allocate(): Promise<void> {
    if (this.state !== PartitionState.ALLOCATING) return;
    const round = new AbortController();
    this.round = round;
    const stateId = this.stateId;
    const stale = (): boolean => round.signal.aborted || this.stateId !== stateId;
    try {
      const members = await this.settle(round.signal);
      if (stale()) return;
      const watch = this.partyWatch!;
      const share = this.partitionFunc(this.identifier, members, this.set);
      for (const item of share) {
        const lock = new Lock(this.client, joinPath(this.locksPath, String(item)));
        try {
          await lock.acquire({ timeout: this.maxReactionTime, signal: round.signal });
        } catch (error) {
          if (stale()) return;
          if (!(error instanceof LockTimeoutError)) throw error;
          await this.releaseLocks();
          if (stale()) return;
          // The party changed while waiting: it is the holder's turn to let go; divide again.
          if (watch.changed) this.startRound();
          else this.giveUp(item);
          return;
        }
        if (stale()) {
          // Taken just as the round ended (finish, releaseSet, a connection event): not ours to keep.
          await lock.release().catch(() => undefined);
          return;
        }
        this.locks.push(lock);
        if (watch.changed) {
          await this.releaseLocks();
          if (!stale()) this.startRound();
          return;
        }
      }
      this.partitionSet = share;
      this.setState(PartitionState.ACQUIRED);
    } catch (error) {
      if (stale()) return;
      if (isConnectionProblem(this.client, error)) this.setState(PartitionState.RELEASE, 'connection');
      else await this.failOut(error);
    } finally {
      if (this.round === round) this.round = undefined;
    }
  }

  /** kazoo's PatientChildrenWatch: the members, once the party has not changed for `timeBoundary` ms. */
  private async settle(signal: AbortSignal): Promise<string[]> {
    for (;;) {
      const watch: PartyWatch = { changed: false };
      this.partyWatch = watch;
      const children = await this.client.retry(
        () =>
          this.client.getChildren(
            this.partyPath,
            (event) => {
              if (event.type !== EventType.None) this.partyChanged(watch);
            },
            { signal },
          ),
        signal,
      );
      await this.client.handler.sleep(this.timeBoundary, signal);
      if (!watch.changed) return children.map((child) => child.slice(child.indexOf('-') + 1));
    }
  }

  private partyChanged(watch: PartyWatch): void {
    if (watch.changed) return;
    watch.changed = true;
    if (watch !== this.partyWatch) return;
    if (this.state === PartitionState.ACQUIRED) this.setState(PartitionState.RELEASE, 'party-changed');
    else if (this.state === PartitionState.RELEASE) this.retryBlocked?.();
  }

  /**
   * The round could not take `item` within `maxReactionTime` while the party stood still: its lock
   * is held elsewhere (a member that has not released yet, or no member at all). RELEASE with
   * nothing held, and ALLOCATING again when the holder lets go or the party changes
   * (docs/recipes.md#setpartitioner-blocked).
   */
  private giveUp(item: PartitionItem): void {
    this.blockedItems = [item];
    this.setState(PartitionState.RELEASE, 'blocked');
    const stateId = this.stateId;
    let woken = false;
    const wake = (): void => {
      if (woken) return;
      woken = true;
      if (this.retryBlocked === wake) this.retryBlocked = undefined;
      if (this.stateId !== stateId) return;
      this.blockedItems = [];
      this.setState(PartitionState.ALLOCATING);
      this.startRound();
    };
    this.retryBlocked = wake;
    if (this.partyWatch?.changed) {
      wake();
      return;
    }
    void this.holderOf(joinPath(this.locksPath, String(item))).then(
      async (holder) => {
        if (holder === undefined) {
          wake();
          return;
        }
        const stat = await this.client.exists(holder, (event) => {
          if (event.type !== EventType.None) wake();
        });
        if (stat === null) wake();
      },
      () => wake(),
    );
  }

  /** The full path of the node that holds the Lock at `lockPath`, if any. */
  private async holderOf(lockPath: string): Promise<string | undefined> {
    let children: string[];
    try {
      children = await this.client.getChildren(lockPath);
    } catch (error) {
      if (error instanceof NoNodeError) return undefined;
      throw error;
    }
    const [first] = contendersOf(children, contenderPattern([LOCK_MARKER]));
    return first === undefined ? undefined : joinPath(lockPath, first.name);
  }

  /** Releases every lock taken; the ones that fail stay for the next try. */
  private async releaseLocks(): Promise<void> {
    for (const lock of this.locks.splice(0)) {
      try {
        await lock.release();
      } catch (error) {
        if (!lock.isAcquired) continue;
        this.locks.push(lock);
        reportFault(this.client, error);
      }
    }
  }

  /** kazoo's listener: LOST ends in FAILURE; any other connection event divides the set again. */
  private clientStateChanged(state: ClientState): void {
    if (this.state === PartitionState.FAILURE) return;
    if (state === ClientState.LOST) {
      this.round?.abort(new CancelledError('the session was lost', this.path));
      void this.releaseLocks().then(() => this.failOut(new Error(`the session of ${this.path} was lost`)));
    } else if (this.state !== PartitionState.RELEASE) {
      this.round?.abort(new CancelledError('the connection changed', this.path));
      this.setState(PartitionState.RELEASE, 'connection');
    }
  }

  /** FAILURE, leaving the party. */
  private async failOut(reason: unknown): Promise<void> {
    this.client.off('state', this.onClientState);
    this.retryBlocked = undefined;
    if (this.state !== PartitionState.FAILURE) this.setState(PartitionState.FAILURE, reason);
    try {
      await this.client.delete(this.memberPath);
    } catch {
      // Gone with the session, or unreachable: the ephemeral node goes when the session does.
    }
  }

  /** The one place the state changes: count it, then tell the listeners. */
  private setState(state: PartitionState, detail?: unknown): void {
    this.state = state;
    this.stateId++;
    if (state !== PartitionState.RELEASE || detail !== 'blocked') this.blockedItems = [];
    if (state === PartitionState.ALLOCATING || state === PartitionState.FAILURE) this.partitionSet = [];
    try {
      this.emit('state', state);
      if (state === PartitionState.ACQUIRED) this.emit(state, this.partitionSet);
      else if (state === PartitionState.RELEASE) this.emit(state, detail as ReleaseReason);
      else if (state === PartitionState.FAILURE) this.emit(state, detail);
      else this.emit(state);
    } catch (error) {
      reportFault(this.client, error);
    }
  }
}
