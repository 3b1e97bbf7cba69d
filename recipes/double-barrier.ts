// kazoo's DoubleBarrier: `numClients` members meet before a task (`enter`) and after it (`leave`).
// Layout (docs/recipes.md#double-barrier): each member is an ephemeral `<path>/<32-hex uuid>`
// holding its identifier; the member that counts `numClients` children creates the persistent
// `<path>/ready`, whose creation lets every member in. Leaving follows ZooKeeper's recipe: the
// first `ready` is deleted, the lowest member waits for the highest to go, everyone else deletes
// its own node and waits for the lowest.
//
// kazoo's faults, fixed here (docs/recipes.md#double-barrier-wake-ups): every wake-up (a watch, a
// reconnect, a new session) reads the state again and the wait ends only when its condition truly
// holds — Curator GH-1290 let members through on a spurious wake-up; a member whose session expired
// while it waited re-creates its node, so the others are not held short by one; and errors reach
// the caller (kazoo swallows them and leaves `participating` false).

import { hostname } from 'node:os';
import {
  ConnectionClosedError,
  ConnectionState,
  InvalidArgumentError,
  joinPath,
  NodeExistsError,
  NoNodeError,
  type RecipeClient,
  type WatchedEvent,
} from '../lib/recipe-client.js';
import { EventType } from '../protocol/index.js';
import { type BarrierWaitOptions, untilSettled } from './barrier.js';
import { deleteForCertain } from './certain-delete.js';

/** The persistent node whose existence lets members in. */
export const READY_NODE = 'ready';

/** A member of a double barrier shared with kazoo's DoubleBarrier. */
export class DoubleBarrier {
  /** The barrier's node. */
  readonly path: string;
  /** How many members must enter before any proceeds. */
  readonly numClients: number;
  /** This member's node name (32 hex digits, kazoo's `uuid4().hex`). */
  readonly nodeName: string;
  /** Whether this member has entered and not left. */
  participating = false;
  private readonly client: RecipeClient;
  private readonly identifier: string;
  private assuredPath = false;

  /** A member known to others by `identifier` (default `<hostname>-<pid>`, kazoo's `<fqdn>-<pid>`). */
  constructor(client: RecipeClient, path: string, numClients: number, identifier?: string) {
    if (!Number.isInteger(numClients) || numClients < 1)
      throw new InvalidArgumentError('numClients', 'numClients must be an integer, 1 or more');
    this.client = client;
    this.path = path;
    this.numClients = numClients;
    this.identifier = identifier || `${hostname()}-${process.pid}`;
    this.nodeName = globalThis.crypto.randomUUID().replace(/-/g, '');
  }

  /** This member's node. */
  get memberPath(): string {
    return joinPath(this.path, this.nodeName);
  }

  /**
   * Joins and waits until `numClients` members have: resolves true then, or false when `timeout` ms
   * pass first (this member's node is removed). Errors reject, the node removed.
   */
  async enter(options: BarrierWaitOptions = {}): Promise<boolean> {
    const { client, path } = this;
    this.checkStarted('enter');
    options.signal?.throwIfAborted();
    const readyPath = joinPath(path, READY_NODE);
    // `ready` was created while we waited: the barrier was reached, even if the members that went
    // through have deleted it on their way out by the time we read again (kazoo's member reads
    // again, finds too few members and waits for ever). docs/recipes.md#double-barrier-wake-ups
    let readyCreated = false;
    let wakeStep: (() => void) | undefined;
    // One callback for the whole enter: the client keeps one registration per (path, callback).
    const onReady = (event: WatchedEvent): void => {
      if (event.type === EventType.NodeCreated) readyCreated = true;
      wakeStep?.();
    };
    try {
      const entered = await untilSettled(client, options, async (wake, signal) => {
        wakeStep = wake;
        if (readyCreated) return true;
        if (!this.assuredPath) {
          await client.ensurePath(path, { signal });
          this.assuredPath = true;
        }
        // Made at the first step and again after a session expired (its ephemeral went with it).
        if ((await client.exists(this.memberPath, undefined, { signal })) === null)
          await this.createMember(signal);
        if ((await client.exists(readyPath, onReady, { signal })) !== null) return true;
        const children = await client.getChildren(path, undefined, { signal });
        if (children.filter((child) => child !== READY_NODE).length < this.numClients) return undefined;
        await client.ensurePath(readyPath, { signal });
        return true;
      });
      this.participating = entered;
      if (!entered) await this.removeMember();
      return entered;
    } catch (error) {
      this.participating = false;
      await this.removeMember();
      throw error;
    }
  }

  /**
   * Leaves and waits until every member has: resolves true then, or false when `timeout` ms pass
   * first (this member's node is removed either way). Errors reject.
   */
  async leave(options: BarrierWaitOptions = {}): Promise<boolean> {
    const { client, path } = this;
    this.checkStarted('leave');
    options.signal?.throwIfAborted();
    try {
      await client
        .retry(() => client.delete(joinPath(path, READY_NODE)))
        .catch((error: unknown) => {
          if (!(error instanceof NoNodeError)) throw error;
        });
      const left = await untilSettled(client, options, async (wake, signal) => {
        const members = (await client.getChildren(path, undefined, { signal }))
          .filter((child) => child !== READY_NODE)
          .sort();
        const others = members.filter((child) => child !== this.nodeName);
        if (others.length === 0) {
          if (members.length > 0) await this.deleteOwn(signal);
          return true;
        }
        const lowest = members[0]!;
        if (lowest === this.nodeName) {
          // The lowest leaves last: it waits for the highest.
          const stat = await client.exists(joinPath(path, members.at(-1)!), wake, { signal });
          return stat === null ? this.again(wake) : undefined;
        }
        await this.deleteOwn(signal);
        const stat = await client.exists(joinPath(path, lowest), wake, { signal });
        return stat === null ? this.again(wake) : undefined;
      });
      if (!left) await this.removeMember();
      return left;
    } catch (error) {
      await this.removeMember();
      throw error;
    } finally {
      this.participating = false;
    }
  }

  /** A node gone already: read again at once. */
  private again(wake: () => void): undefined {
    wake();
    return undefined;
  }

  private async createMember(signal: AbortSignal): Promise<void> {
    try {
      await this.client.create(this.memberPath, this.identifier, { ephemeral: true, signal });
    } catch (error) {
      // A create whose reply was lost, made again: the node is ours.
      if (!(error instanceof NodeExistsError)) throw error;
    }
  }

  private async deleteOwn(signal: AbortSignal): Promise<void> {
    try {
      await this.client.delete(this.memberPath, { signal });
    } catch (error) {
      if (!(error instanceof NoNodeError)) throw error;
    }
  }

  /** Removes this member's node, for certain (in the background of a stopped client, it is gone anyway). */
  private removeMember(): Promise<void> {
    return deleteForCertain(this.client, { parent: this.path, prefix: this.nodeName, name: this.nodeName });
  }

  private checkStarted(what: string): void {
    if (this.client.connectionState === ConnectionState.CLOSED)
      throw new ConnectionClosedError(
        `cannot ${what} double barrier ${this.path}: the client is not started`,
      );
  }
}
