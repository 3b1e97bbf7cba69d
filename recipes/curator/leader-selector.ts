// Curator's LeaderSelector on Curator's layout: the participants are contenders of one
// InterProcessMutex at `P` (`P/_c_<uuid>-lock-<seq>`, data = the participant's id), and the holder
// is the leader for as long as its `takeLeadership` runs; when it returns, the lock is released
// and the next participant leads. Java participants on Curator and Node ones share the election.
// docs/curator-locks.md#leaderselector
//
// Connection trouble ends leadership as Curator's LeaderSelectorListenerAdapter does under the
// Standard error policy: on SUSPENDED or LOST the election task is cancelled, so the leader's
// signal aborts (with LeadershipLostError) and a waiting participant gives up its place. With
// `autoRequeue` the participant queues again (the new acquire waits for the connection);
// without it, it stays out until `requeue()`. A leader that ignores its signal keeps running, and
// only its own return releases the lock; `hasLeadership` turns false as soon as the signal aborts.

import {
  ClientState,
  ConnectionClosedError,
  InvalidArgumentError,
  NoNodeError,
  type RecipeClient,
} from '../../lib/recipe-client.js';
import { LeadershipLostError } from '../election.js';
import { reportFault } from '../faults.js';
import { InterProcessMutex } from './mutex.js';
import type { Participant } from './participant.js';

/** The pause before an auto-requeue after an election task failed (not cancelled), ms. */
const REQUEUE_PAUSE_MS = 1000;

/** Options of a LeaderSelector. */
export interface LeaderSelectorOptions {
  /**
   * Runs while this participant leads; leadership ends when it settles. `signal` aborts (with
   * LeadershipLostError) when the connection is suspended or lost, on `interruptLeadership()`
   * and on `close()`: stop acting then. A rejection is reported as the client's 'error'.
   */
  takeLeadership: (signal: AbortSignal) => unknown;
  /** Queue again after leading, or after being cancelled (Curator's `autoRequeue()`). Default false. */
  autoRequeue?: boolean;
  /** This participant's id, stored (UTF-8) in its node. Default '' (an empty node). */
  id?: string;
}

type SelectorState = 'latent' | 'started' | 'closed';

/**
 * Curator's LeaderSelector on `path`: `start()` queues for leadership, and the leader runs
 * `takeLeadership(signal)`. `await using` closes it.
 */
export class LeaderSelector implements AsyncDisposable {
  /** The election's lock directory. */
  readonly path: string;
  /** This participant's id. */
  readonly id: string;
  private readonly client: RecipeClient;
  private readonly mutex: InterProcessMutex;
  private readonly takeLeadershipFn: (signal: AbortSignal) => unknown;
  private autoRequeue: boolean;
  private state: SelectorState = 'latent';
  /** The election task in progress (waiting for the lock or leading), and its cancel switch. */
  private task: { done: Promise<void>; cancel: AbortController } | undefined;
  private leading = false;

  constructor(client: RecipeClient, path: string, options: LeaderSelectorOptions) {
    if (typeof options?.takeLeadership !== 'function')
      throw new InvalidArgumentError('takeLeadership', 'takeLeadership must be a function');
    this.client = client;
    this.path = path;
    this.id = options.id ?? '';
    this.takeLeadershipFn = options.takeLeadership;
    this.autoRequeue = options.autoRequeue ?? false;
    this.mutex = new InterProcessMutex(client, path, { data: this.id === '' ? undefined : this.id });
  }

  /** Whether this participant leads now: its takeLeadership runs and its signal has not aborted. */
  get hasLeadership(): boolean {
    return this.leading;
  }

  /** Joins the election. Throws if started before or closed. */
  start(): void {
    if (this.state !== 'latent')
      throw new Error(`the LeaderSelector of ${this.path} cannot be started twice`);
    this.state = 'started';
    this.client.on('state', this.onState);
    this.requeue();
  }

  /**
   * Queues for leadership again, unless this participant is already queued or leading: true if it
   * queued. Throws once closed.
   */
  requeue(): boolean {
    if (this.state !== 'started') throw new Error(`the LeaderSelector of ${this.path} is not started`);
    if (this.task !== undefined) return false;
    const cancel = new AbortController();
    const task = { cancel, done: Promise.resolve() };
    this.task = task;
    task.done = this.runTask(cancel.signal).finally(() => {
      if (this.task === task) this.task = undefined;
      if (this.autoRequeue && this.state === 'started' && this.task === undefined) this.requeue();
    });
    return true;
  }

  /** Makes the leader's signal abort (then, with autoRequeue, it queues again); nothing if not leading. */
  interruptLeadership(): void {
    if (this.leading) this.cancelTask('interrupted');
  }

  /** Turns auto-requeue on (Curator's `autoRequeue()`). */
  setAutoRequeue(on = true): void {
    this.autoRequeue = on;
  }

  /**
   * Leaves the election: the leader's signal aborts, a waiting place is given up, and it resolves
   * once the task has ended and its node is deleted. Closing again does nothing.
   */
  async close(): Promise<void> {
    if (this.state === 'closed') return;
    this.state = 'closed';
    this.client.off('state', this.onState);
    const task = this.task;
    this.cancelTask('closed');
    await task?.done;
  }

  /** Every participant in line, the leader first (Curator's `getParticipants`). */
  async getParticipants(): Promise<Participant[]> {
    const nodes = await this.mutex.getParticipantNodes();
    const participants: Participant[] = [];
    for (const node of nodes) {
      const id = await this.idOf(node);
      if (id !== undefined) participants.push({ id, isLeader: participants.length === 0 });
    }
    return participants;
  }

  /** The leader; `{ id: '', isLeader: false }` when there is none (as Curator's empty Participant). */
  async getLeader(): Promise<Participant> {
    for (const node of await this.mutex.getParticipantNodes()) {
      const id = await this.idOf(node);
      if (id !== undefined) return { id, isLeader: true };
    }
    return { id: '', isLeader: false };
  }

  /** `await using selector = zk.LeaderSelector(...)`: `close()`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  /** One election task: wait for the lock, lead while takeLeadership runs, release. */
  private async runTask(signal: AbortSignal): Promise<void> {
    try {
      await this.mutex.acquire({ signal });
    } catch (error) {
      if (signal.aborted) return;
      if (!(error instanceof ConnectionClosedError)) {
        reportFault(this.client, error);
        // Paused so that a fault that repeats at once does not spin the auto-requeue.
        if (this.autoRequeue) await this.client.handler.sleep(REQUEUE_PAUSE_MS).catch(() => {});
      }
      return;
    }
    try {
      if (signal.aborted) return;
      this.leading = true;
      const stopLeading = (): void => {
        this.leading = false;
      };
      signal.addEventListener('abort', stopLeading, { once: true });
      try {
        await this.takeLeadershipFn(signal);
      } catch (error) {
        if (!signal.aborted || error !== signal.reason) reportFault(this.client, error);
      } finally {
        signal.removeEventListener('abort', stopLeading);
      }
    } finally {
      this.leading = false;
      await this.mutex.release().catch((error: unknown) => reportFault(this.client, error));
    }
  }

  private cancelTask(reason: string): void {
    const task = this.task;
    if (task === undefined || task.cancel.signal.aborted) return;
    task.cancel.abort(new LeadershipLostError(this.path, reason));
  }

  private readonly onState = (state: ClientState): void => {
    // Curator's Standard policy: SUSPENDED and LOST are both errors that cancel the election.
    if (state === ClientState.SUSPENDED) this.cancelTask('connection suspended');
    else if (state === ClientState.LOST) this.cancelTask('session lost');
  };

  private async idOf(node: string): Promise<string | undefined> {
    try {
      const [data] = await this.client.retry(() => this.client.get(node));
      return data === null ? '' : data.toString('utf8');
    } catch (error) {
      if (error instanceof NoNodeError) return undefined;
      throw error;
    }
  }
}
