// What DataWatch and ChildrenWatch share: a function called with a node's state now and after
// every change, kept alive across reconnects and session loss by re-reading with a new one-shot
// watch, stopped by returning false or by stop().
//
// How it stays alive without kazoo's traps:
// - Watch events only ask for a re-read; reads run one at a time (SerialRefresh), outside the
//   callback that asked, so a watch never holds up the client's callback queue during an outage
//   (kazoo re-reads inside the watch thread with an unlimited retry).
// - A plain reconnect needs nothing: the client's SetWatches re-sets the watch and the server
//   fires what was missed. Session loss ends every watch, so the next CONNECTED re-reads.
// - A read that fails on a connection problem is retried by client.retry(); if that gives up, it
//   waits for the next CONNECTED instead of spinning.

import {
  ClientState,
  InvalidArgumentError,
  type RecipeClient,
  type RemovableWatchType,
  validatePath,
  type WatchCallback,
  type WatchedEvent,
} from '../lib/recipe-client.js';
import { EventType } from '../protocol/index.js';
import { isConnectionProblem, reportFault } from './faults.js';
import { removeWatch } from './remove-watch.js';
import { SerialRefresh } from './serial-refresh.js';

/** A user function of a rearming watch; returning `false` (or a promise of it) stops the watch. */
export type WatchFunction = (...args: never[]) => unknown;

/** Wait this long (ms) before reading again after a connection problem seen while connected. */
const RETRY_WHILE_CONNECTED_MS = 1000;

/** The machinery of DataWatch and ChildrenWatch; subclasses read their node and decide when to call. */
export abstract class RearmingWatch<F extends WatchFunction> {
  /** The watched path (client path: the chroot is not part of it). */
  readonly path: string;
  /**
   * Settles once the function has been called for the first time (a throw counts as called), or
   * the watch stopped before that. Rejects only when the watch cannot start (ChildrenWatch on a
   * missing node). Never an unhandled rejection when nobody awaits it.
   */
  readonly initialized: Promise<void>;
  protected readonly client: RecipeClient;
  protected fn: F | undefined;
  /** Which server-side watches stop() removes. */
  protected abstract readonly watchType: Extract<RemovableWatchType, 'data' | 'children'>;
  /** The one callback this watch registers (on every read), so it is also the one to remove. */
  protected readonly onEvent: WatchCallback = (event) => {
    // NONE events only say the session ended; the state listener re-arms on the next CONNECTED.
    if (!this.stopped && event.type !== EventType.None) this.refresh.request(event);
  };
  private stopped = false;
  private stopping: Promise<void> | undefined;
  private settleInitialized!: (error?: unknown) => void;
  private initializedSettled = false;
  private sessionLost = false;
  /** A read that could not run: it runs again, with its event, on the next CONNECTED. */
  private parked: { event: WatchedEvent | undefined } | undefined;
  /** Aborted by stop(): no new attempt starts, and a retry sleep ends at once. */
  private readonly abort = new AbortController();
  /** The attempt on the wire, if any: stop() lets it settle (and register its watch) before removing. */
  private inFlight: Promise<void> | undefined;
  private readonly refresh = new SerialRefresh<WatchedEvent | undefined>(
    (event) => this.refreshOnce(event),
    // A server event wins over a plain re-read: it is what the function is told about.
    (waiting, next) => next ?? waiting,
  );
  private readonly onState = (state: ClientState): void => this.stateChanged(state);

  protected constructor(client: RecipeClient, path: string) {
    validatePath(path);
    this.client = client;
    this.path = path;
    this.initialized = new Promise<void>((resolve, reject) => {
      this.settleInitialized = (error) => {
        if (this.initializedSettled) return;
        this.initializedSettled = true;
        if (error === undefined) resolve();
        else reject(error);
      };
    });
    this.initialized.catch(() => {});
  }

  /** Whether the watch has stopped (returned false, stop(), or a subclass's own end). */
  get isStopped(): boolean {
    return this.stopped;
  }

  /**
   * Associates the function and starts watching: kazoo's decorator call. Returns the watch.
   * Throws if a function was already associated (kazoo raises KazooException).
   */
  watch(fn: F): this {
    if (typeof fn !== 'function')
      throw new InvalidArgumentError('fn', 'the watch function must be a function');
    if (this.fn !== undefined || this.stopped)
      throw new Error(`a function has already been associated with this watch of ${this.path}`);
    this.fn = fn;
    this.configure(fn);
    this.client.on('state', this.onState);
    this.refresh.request(undefined);
    return this;
  }

  /**
   * Stops calling the function, detaches from the client's state events and removes this watch's
   * server-side watch (kazoo leaves it until it fires, #733). Resolves once the removal is done;
   * never rejects (a failure is reported as a client 'error'). Idempotent.
   */
  stop(): Promise<void> {
    if (this.stopping !== undefined) return this.stopping;
    this.stopped = true;
    this.parked = undefined;
    this.client.off('state', this.onState);
    this.abort.abort(new Error('the watch was stopped'));
    this.settleInitialized();
    const inFlight = this.inFlight;
    this.stopping = (async () => {
      if (this.fn === undefined) return;
      // A read already sent is not abandoned: the server sets its watch either way, and only a
      // watch the client also holds can be removed from the server.
      await inFlight;
      await removeWatch(this.client, this.path, this.watchType, this.onEvent);
    })();
    return this.stopping;
  }

  /** `await using w = zk.DataWatch(path, fn)` stops it (as `stop()`) when the scope exits. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.stop();
  }

  /** Called once with the function, before the first read (e.g. to read its arity). */
  protected configure(_fn: F): void {}

  /** Reads the node with `onEvent` as the watch (through `attempt`), and calls the function through `call` when it should. */
  protected abstract read(event: WatchedEvent | undefined): Promise<void>;

  /** Runs one request under the client's retry policy until it succeeds, fails for good, or the watch stops. */
  protected attempt<T>(request: () => Promise<T>): Promise<T> {
    return this.client.retry(() => {
      const sent = request();
      this.inFlight = sent.then(
        () => {},
        () => {},
      );
      return sent;
    }, this.abort.signal);
  }

  /** The session ended (LOST): by default the watch re-arms on the next CONNECTED. */
  protected sessionEnded(): void {
    this.sessionLost = true;
  }

  /** Ends the watch without calling the function again; `error` rejects `initialized` if still pending. */
  protected end(error: unknown): void {
    this.settleInitialized(error);
    void this.stop();
  }

  /**
   * Calls the function through the client's callback dispatch: in order with the client's other
   * callbacks, and a throw is reported as a client 'error' without ending the watch. A result of
   * `false` (or a promise resolving to it) stops the watch.
   */
  protected call(invoke: (fn: F) => unknown): void {
    const fn = this.fn!;
    this.client.handler.dispatchCallback(() => {
      if (this.stopped) return undefined;
      let result: unknown;
      try {
        result = invoke(fn);
      } finally {
        this.settleInitialized();
      }
      if (result === false) void this.stop();
      else if (result instanceof Promise) {
        result.then(
          (value: unknown) => {
            if (value === false) void this.stop();
          },
          () => {}, // the dispatcher reports the rejection
        );
      }
      return result;
    });
  }

  /** Runs one read; a failure parks it until the client is connected again. Never throws. */
  private async refreshOnce(event: WatchedEvent | undefined): Promise<void> {
    if (this.stopped) return;
    try {
      await this.read(event);
    } catch (error) {
      if (this.stopped) return;
      this.parked = { event: event ?? this.parked?.event };
      if (!isConnectionProblem(this.client, error)) reportFault(this.client, error);
      // The CONNECTED this read waits for may have come while its retries slept.
      else if (this.client.isConnected) {
        this.client.handler.sleep(RETRY_WHILE_CONNECTED_MS).then(() => this.resume());
      }
    }
  }

  private stateChanged(state: ClientState): void {
    if (this.stopped) return;
    if (state === ClientState.LOST) this.sessionEnded();
    else if (state === ClientState.CONNECTED) this.resume();
  }

  /** Re-reads after a session loss or a parked read; nothing to do after a plain reconnect. */
  private resume(): void {
    if (this.stopped || !this.client.isConnected) return;
    if (!this.sessionLost && this.parked === undefined) return;
    const event = this.parked?.event;
    this.sessionLost = false;
    this.parked = undefined;
    this.refresh.request(event);
  }
}
