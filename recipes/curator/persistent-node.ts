// Curator's PersistentNode: a node this process keeps in place. It is created (its parents as
// containers) with the recipe's data, watched with exists, and made again whenever it is found
// missing: deleted by someone, its session expired, the server's data lost. The classic use is a
// registration that must stay visible while the process lives: an ephemeral node (the default)
// comes back within a moment of the new session, holding the data last given to `setData`.
// docs/curator-leaders.md#persistentnode
//
// How it keeps the node, without spinning and without racing itself:
// - every look runs one at a time (SerialRefresh): the exists watch, a reconnect, a session loss
//   and setData all just ask for the next look;
// - a node found holding another session's ephemeralOwner that this recipe made in an earlier
//   session is deleted and made again at once, instead of waiting for the server to reap it;
// - a node already there when it is created (NodeExists) is adopted and given our data, as Curator
//   does; with `protected` the name is `_c_<uuid>-<name>` and never collides;
// - NoAuth stops the retries (Curator's authFailure) until the next reconnect or watch event;
// - a sequential node made again keeps its sequence suffix, as Curator's does.

import { EventEmitter } from 'eventemitter3';
import {
  basename,
  type CallOptions,
  ClientState,
  ConnectionClosedError,
  ConnectionState,
  InvalidArgumentError,
  NoAuthError,
  NodeExistsError,
  NoNodeError,
  parentOf,
  type RecipeClient,
  type Value,
  validatePath,
  type WatchCallback,
} from '../../lib/recipe-client.js';
import { EventType } from '../../protocol/index.js';
import { deleteForCertain } from '../certain-delete.js';
import { raceAbort, startCountdown } from '../countdown.js';
import { isConnectionProblem, reportFault } from '../faults.js';
import { removeWatch } from '../remove-watch.js';
import { SerialRefresh } from '../serial-refresh.js';
import { createWithContainerParents } from './container-parents.js';
import { whileConnected } from './while-connected.js';

/** The kind of node a PersistentNode keeps (Curator's CreateMode, camelCase). */
export type PersistentNodeMode =
  | 'ephemeral'
  | 'ephemeralSequential'
  | 'persistent'
  | 'persistentSequential'
  | 'persistentWithTtl'
  | 'persistentSequentialWithTtl';

/** Options of a PersistentNode. */
export interface PersistentNodeOptions {
  /** The kind of node (default 'ephemeral'). */
  mode?: PersistentNodeMode;
  /** Curator's protected mode: the node is named `_c_<uuid>-<name>` (default false). */
  protected?: boolean;
  /** The node's data (default empty); `setData` changes it. */
  data?: Value;
  /** For the *WithTtl modes, the node's TTL in ms (the server needs extendedTypesEnabled). */
  ttl?: number;
  /** Make missing parents as containers (default true: Curator's `useParentCreation`). */
  createParents?: boolean;
  /** Delete the node on close() (default true; PersistentTtlNode leaves it to its TTL). */
  deleteOnClose?: boolean;
}

/** Events of a PersistentNode. */
export interface PersistentNodeEvents {
  /** The recipe created the node at `path` (Curator's PersistentNodeListener.nodeCreated). */
  created: [path: string];
}

/** A promise with its resolve function, settled once. */
interface Signal {
  promise: Promise<void>;
  resolve(): void;
}

function signal(): Signal {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

function toBuffer(value: Value | undefined): Buffer {
  if (value === undefined) return Buffer.alloc(0);
  if (typeof value === 'string') return Buffer.from(value, 'utf8');
  if (value instanceof Uint8Array) return Buffer.from(value);
  throw new InvalidArgumentError('data', 'the data must be bytes or a string');
}

/** The server's sequence suffix, `%010d` (Curator's ZKPaths.extractSequentialSuffix takes the last 10 characters too). */
const SEQUENCE_DIGITS = 10;

/** Wait this long (ms) before looking again after a connection problem seen while connected. */
const RETRY_WHILE_CONNECTED_MS = 500;

/**
 * Curator's PersistentNode at `path`: `start()`, then the node is kept there (ephemeral by
 * default) until `close()`, which deletes it. `await using` closes it.
 */
export class PersistentNode extends EventEmitter<PersistentNodeEvents> implements AsyncDisposable {
  /** The path asked for (the actual node's name may carry a protected prefix or a sequence: `getActualPath()`). */
  readonly path: string;
  /** Settles once the node has been created (or found and given our data) the first time, or the recipe closed first. */
  readonly initialized: Promise<void>;
  private readonly client: RecipeClient;
  private readonly mode: PersistentNodeMode;
  private readonly useProtection: boolean;
  private readonly ttl: number | undefined;
  private readonly createParents: boolean;
  private readonly deleteOnClose: boolean;
  private status: 'latent' | 'started' | 'closed' = 'latent';
  private data: Buffer;
  /** Bumped by every setData; `written` is the generation the node is known to hold. */
  private dataGeneration = 0;
  private written = -1;
  private nodePath: string | undefined;
  /** The session that created `nodePath`, for an ephemeral node this recipe made. */
  private createdBy: bigint | undefined;
  private authFailed = false;
  private parentMissing = false;
  private initializedSettled = false;
  private settleInitialized!: () => void;
  /** Resolved (and replaced) after every look: what setData waits on. */
  private progress = signal();
  private inFlight: Promise<void> | undefined;
  private readonly closing = new AbortController();
  private readonly refresh = new SerialRefresh<void>(
    () => this.look(),
    () => undefined,
  );

  constructor(client: RecipeClient, path: string, options: PersistentNodeOptions = {}) {
    super();
    validatePath(path);
    const { mode = 'ephemeral', ttl, createParents = true, deleteOnClose = true } = options;
    const withTtl = mode === 'persistentWithTtl' || mode === 'persistentSequentialWithTtl';
    if (withTtl !== (ttl !== undefined))
      throw new InvalidArgumentError(
        'ttl',
        withTtl ? `mode ${mode} needs a ttl` : `a ttl needs a *WithTtl mode, not ${mode}`,
      );
    if (ttl !== undefined && !(Number.isInteger(ttl) && ttl > 0))
      throw new InvalidArgumentError('ttl', 'ttl must be a positive integer of ms');
    this.client = client;
    this.path = path;
    this.mode = mode;
    this.useProtection = options.protected ?? false;
    this.ttl = ttl;
    this.createParents = createParents;
    this.deleteOnClose = deleteOnClose;
    this.data = toBuffer(options.data);
    this.initialized = new Promise<void>((resolve) => {
      this.settleInitialized = () => {
        this.initializedSettled = true;
        resolve();
      };
    });
  }

  /** Whether the last create or write was refused with NoAuth (Curator's isAuthFailure); retries wait for the next reconnect. */
  get authFailure(): boolean {
    return this.authFailed;
  }

  /** Starts keeping the node (in the background: see `initialized` and `waitForInitialCreate`). Throws if started before. */
  start(): void {
    if (this.status !== 'latent') throw new Error(`the PersistentNode ${this.path} was already started`);
    if (this.client.connectionState === ConnectionState.CLOSED)
      throw new ConnectionClosedError(`cannot start a PersistentNode at ${this.path}: the client is stopped`);
    this.status = 'started';
    this.client.on('state', this.onState);
    this.refresh.request();
  }

  /** Resolves true once the node was first created, false if `timeout` ms (default: no limit) pass first. */
  async waitForInitialCreate(options: { timeout?: number } = {}): Promise<boolean> {
    if (this.status === 'latent') throw new Error(`the PersistentNode ${this.path} is not started`);
    if (this.initializedSettled) return this.status !== 'closed' || this.nodePath !== undefined;
    const timedOut = Symbol('timed out');
    const countdown = startCountdown(this.client.handler, { timeout: options.timeout }, () => timedOut);
    try {
      await raceAbort(this.initialized, countdown.signal);
      return true;
    } catch (error) {
      if (error === timedOut) return false;
      throw error;
    } finally {
      countdown.finish();
    }
  }

  /** The node's full path while it is known (it changes for a protected or sequential node made again). */
  getActualPath(): string | undefined {
    return this.nodePath;
  }

  /** The data the node is kept with (a copy). */
  getData(): Buffer {
    return Buffer.from(this.data);
  }

  /**
   * Changes the data the node is kept with and writes it. Resolves once the node holds it (written,
   * or made again with it); rejects with the handler's TimeoutError after `timeout` ms or the
   * signal's reason (the data is still written later). Before start() it only sets the data to create with.
   */
  async setData(data: Value, options: CallOptions = {}): Promise<void> {
    if (this.status === 'closed') throw new Error(`the PersistentNode ${this.path} is closed`);
    this.data = toBuffer(data);
    const generation = ++this.dataGeneration;
    if (this.status === 'latent') return;
    const { handler } = this.client;
    const countdown = startCountdown(
      handler,
      options,
      () => new handler.TimeoutError(`setData of ${this.path} timed out after ${options.timeout} ms`),
    );
    try {
      this.authFailed = false;
      this.refresh.request();
      while (this.written < generation && this.status === 'started')
        await raceAbort(this.progress.promise, countdown.signal);
    } finally {
      countdown.finish();
    }
  }

  /** Stops keeping the node and deletes it (unless `deleteOnClose` is false). Resolves once deleted; while disconnected the delete goes on in the background. Idempotent. */
  async close(): Promise<void> {
    if (this.status === 'closed') return;
    const wasStarted = this.status === 'started';
    this.status = 'closed';
    this.settleInitialized();
    this.signalProgress();
    if (!wasStarted) return;
    this.client.off('state', this.onState);
    this.closing.abort(new Error('closed'));
    const cleanup = (async () => {
      await this.inFlight;
      const nodePath = this.nodePath;
      await Promise.all([
        nodePath === undefined ? undefined : removeWatch(this.client, nodePath, 'data', this.onWatch),
        nodePath === undefined || !this.deleteOnClose ? undefined : this.deleteNode(nodePath),
      ]);
    })();
    await whileConnected(this.client, cleanup);
  }

  /** `await using node = zk.PersistentNode(path)` closes it (as `close()`) when the scope exits. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  /** One look, its failure handled: never throws. */
  private async look(): Promise<void> {
    if (this.status !== 'started') return;
    const pass = this.pass();
    this.inFlight = pass.then(
      () => {},
      () => {},
    );
    try {
      await pass;
    } catch (error) {
      if (this.status !== 'started') return;
      const { client } = this;
      if (error instanceof NoAuthError) {
        // Curator's authFailure: no retry until something changes (a reconnect, setData, an event).
        this.authFailed = true;
        reportFault(client, error);
      } else if (
        error instanceof ConnectionClosedError ||
        client.connectionState === ConnectionState.CLOSED
      ) {
        // The client was stopped: nothing to keep.
      } else if (!isConnectionProblem(client, error)) {
        reportFault(client, error);
      } else if (client.isConnected) {
        client.handler.sleep(RETRY_WHILE_CONNECTED_MS, this.closing.signal).then(
          () => this.refresh.request(),
          () => {},
        );
      }
      // Otherwise the next CONNECTED looks again.
    } finally {
      this.signalProgress();
    }
  }

  /** Makes sure the node exists, holds our data and is watched. */
  private async pass(): Promise<void> {
    const { client } = this;
    for (;;) {
      if (this.status !== 'started' || this.authFailed || this.parentMissing) return;
      const nodePath = this.nodePath;
      if (nodePath !== undefined) {
        const stat = await client.exists(nodePath, this.onWatch);
        if (stat !== null) {
          const session = client.clientId?.sessionId;
          if (
            this.isEphemeral &&
            stat.ephemeralOwner !== session &&
            this.createdBy !== undefined &&
            stat.ephemeralOwner === this.createdBy
          ) {
            // Ours, of a session that has ended: the server will reap it; make ours now instead.
            this.createdBy = undefined;
            await this.deleteNode(nodePath);
            continue;
          }
          const generation = this.dataGeneration;
          if (this.written < generation) {
            try {
              await client.set(nodePath, this.data);
            } catch (error) {
              if (error instanceof NoNodeError) continue;
              throw error;
            }
            this.written = generation;
          }
          this.settleInitialized();
          return;
        }
      }
      await this.create();
    }
  }

  /** Creates the node (or adopts one already at its path); the next round of `pass` watches it. */
  private async create(): Promise<void> {
    const { client } = this;
    const existing = this.nodePath;
    let path = this.path;
    let sequential = this.isSequential;
    if (existing !== undefined && !this.useProtection) {
      // Made again under the same name, sequence included (Curator: the existing path, unsequenced).
      path = existing;
      sequential = false;
    } else if (existing !== undefined && sequential) {
      // Protected and sequential: a new prefix, the old sequence.
      path = this.path + existing.slice(-SEQUENCE_DIGITS);
      sequential = false;
    }
    const options = {
      ephemeral: this.isEphemeral,
      sequence: sequential,
      protected: this.useProtection,
      ...(this.ttl === undefined ? {} : { ttl: this.ttl }),
    };
    const generation = this.dataGeneration;
    let created: string;
    try {
      created = this.createParents
        ? await createWithContainerParents(client, path, this.data, options)
        : await client.create(path, this.data, options);
    } catch (error) {
      if (error instanceof NodeExistsError && !this.useProtection) {
        // Someone's node is at our path: adopt it and give it our data (Curator's NODEEXISTS path).
        this.nodePath = path;
        this.createdBy = undefined;
        this.written = -1;
        return;
      }
      if (error instanceof NoNodeError && !this.createParents) {
        // Curator's parentCreationFailure: nothing to retry until the parent exists.
        this.parentMissing = true;
        reportFault(
          client,
          new Error(`the parent of PersistentNode ${path} does not exist and createParents is false`, {
            cause: error,
          }),
        );
        return;
      }
      throw error;
    }
    if (this.status !== 'started') {
      await this.deleteNode(created);
      return;
    }
    this.nodePath = created;
    this.createdBy = this.isEphemeral ? client.clientId?.sessionId : undefined;
    if (this.written < generation) this.written = generation;
    this.settleInitialized();
    try {
      this.emit('created', created);
    } catch (error) {
      reportFault(client, error);
    }
  }

  private get isEphemeral(): boolean {
    return this.mode === 'ephemeral' || this.mode === 'ephemeralSequential';
  }

  private get isSequential(): boolean {
    return this.mode.includes('Sequential');
  }

  private deleteNode(path: string): Promise<void> {
    return deleteForCertain(this.client, {
      parent: parentOf(path),
      prefix: '',
      name: basename(path),
      persistent: !this.isEphemeral,
    });
  }

  private signalProgress(): void {
    const progress = this.progress;
    this.progress = signal();
    progress.resolve();
  }

  private readonly onWatch: WatchCallback = (event) => {
    if (event.type === EventType.None || this.status !== 'started') return;
    // Deleted: make it again; created or changed: the exists watch is set again.
    this.refresh.request();
  };

  private readonly onState = (state: ClientState): void => {
    if (this.status !== 'started' || state !== ClientState.CONNECTED) return;
    // After a reconnect (same session or a new one) look again: a node of an ended session is gone.
    this.authFailed = false;
    this.refresh.request();
  };
}
