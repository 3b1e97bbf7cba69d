// What a peer process of the interop specs is, whatever its language: a child that takes one JSON
// command per line on stdin ({"id": n, "cmd": ...}) and answers on stdout with a line carrying the
// same id, and pushes event lines of its own (no id) — the kazoo driver (spec/peers/kazoo.ts) and
// the Curator drivers (spec/peers/curator.ts) alike. A LinePeer matches answers to requests, keeps
// the events for `waitFor`, and keeps the child from outliving the spec: it registers with the
// harness's process registry (testing/process-registry.ts), so a peer left open is stopped after
// its test file, and a reaper kills it if the jest worker dies.

import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { createInterface } from 'node:readline';
import { registerOpen, trackProcess, unregisterOpen } from '../../testing/process-registry.js';

/** Default bound of one request, ms. */
export const REQUEST_TIMEOUT = 10_000;

/** An answer line, as every driver writes it. */
export interface AnswerLine {
  readonly id: number;
  readonly ok: boolean;
  readonly result?: unknown;
  readonly [field: string]: unknown;
}

interface Pending {
  cmd: string;
  resolve(result: unknown): void;
  reject(error: Error): void;
  timer: NodeJS.Timeout;
}

/** Resolves true once `child` has spawned, false if it could not be (no such program). */
export function spawned(child: ChildProcessWithoutNullStreams): Promise<boolean> {
  return new Promise<boolean>((resolve) => {
    child.once('spawn', () => resolve(true));
    child.once('error', () => resolve(false));
  });
}

/** A driver process spoken to in JSON lines. `E` is the shape of its event lines. */
export abstract class LinePeer<E extends { readonly event: string }> {
  /** Every event pushed so far, in order. */
  readonly events: E[] = [];
  private readonly pending = new Map<number, Pending>();
  private readonly waiters = new Set<() => void>();
  private nextId = 1;
  private stderrTail = '';
  private readonly exited: Promise<void>;
  private hasExited = false;

  protected constructor(
    protected readonly child: ChildProcessWithoutNullStreams,
    /** How messages name the driver: "the kazoo driver", "the Curator driver". */
    private readonly driverName: string,
    /** The bound of a request or wait that gives none, ms. */
    private readonly defaultTimeout = REQUEST_TIMEOUT,
  ) {
    const untrack = trackProcess(child.pid!);
    registerOpen(this);
    this.exited = new Promise((resolve) => {
      child.once('exit', () => {
        this.hasExited = true;
        untrack();
        unregisterOpen(this);
        const error = new Error(
          `${driverName} exited${this.stderrTail ? `; its stderr:\n${this.stderrTail}` : ''}`,
        );
        for (const [id, pending] of this.pending) {
          clearTimeout(pending.timer);
          pending.reject(error);
          this.pending.delete(id);
        }
        this.notify();
        resolve();
      });
    });
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (text: string) => {
      this.stderrTail = (this.stderrTail + text).slice(-4000);
    });
    createInterface({ input: child.stdout }).on('line', (line) => this.receive(line));
    child.stdin.on('error', () => undefined);
  }

  /** The error a failed answer stands for. */
  protected abstract errorOf(answer: AnswerLine, cmd: string): Error;

  /** Asks the driver to end (its session closes); `stop()` kills it if it has not within 5 s. */
  protected abstract askToStop(): void;

  /** The driver's process id. */
  get pid(): number {
    return this.child.pid!;
  }

  /** Sends one command; resolves with its result, or rejects with the driver's error or after `timeout` ms. */
  request<T = unknown>(
    cmd: string,
    args: Record<string, unknown> = {},
    timeout = this.defaultTimeout,
  ): Promise<T> {
    if (this.hasExited) return Promise.reject(new Error(`${cmd}: ${this.driverName} has exited`));
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`${cmd} got no answer from ${this.driverName} within ${timeout} ms`));
      }, timeout);
      this.pending.set(id, { cmd, resolve: (result) => resolve(result as T), reject, timer });
      this.child.stdin.write(`${JSON.stringify({ ...args, id, cmd })}\n`);
    });
  }

  /**
   * The first event (from index `since` of `events` on) that satisfies `predicate`; rejects after
   * `timeout` ms or when the driver exits.
   */
  async waitFor(
    predicate: (event: E) => boolean,
    what: string,
    { timeout = this.defaultTimeout, since = 0 }: { timeout?: number; since?: number } = {},
  ): Promise<E> {
    const deadline = Date.now() + timeout;
    for (;;) {
      const found = this.events.slice(since).find(predicate);
      if (found !== undefined) return found;
      if (this.hasExited) throw new Error(`${this.driverName} exited while waiting for ${what}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out after ${timeout} ms waiting for ${this.driverName}: ${what}`);
      await new Promise<void>((resolve) => {
        const wake = (): void => {
          clearTimeout(timer);
          this.waiters.delete(wake);
          resolve();
        };
        const timer = setTimeout(wake, left);
        this.waiters.add(wake);
      });
    }
  }

  /** Ends the driver: it closes its session (ephemeral nodes go at once); SIGKILL after 5 s. */
  async stop(): Promise<void> {
    if (this.hasExited) return;
    this.askToStop();
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 5_000);
    await this.exited;
    clearTimeout(timer);
  }

  /** Kills the driver at once (SIGKILL): its session lives on until the server expires it. */
  async kill(): Promise<void> {
    if (this.hasExited) return;
    this.child.kill('SIGKILL');
    await this.exited;
  }

  /** stop(): the registry's name for it (stopAllServers closes every open peer). */
  close(): Promise<void> {
    return this.stop();
  }

  private receive(line: string): void {
    let message: Record<string, unknown>;
    try {
      message = JSON.parse(line) as Record<string, unknown>;
    } catch {
      this.stderrTail = `${this.stderrTail}\n(stdout) ${line}`.slice(-4000);
      return;
    }
    if (typeof message.id !== 'number') {
      this.events.push(message as unknown as E);
      this.notify();
      return;
    }
    const pending = this.pending.get(message.id);
    if (pending === undefined) return;
    this.pending.delete(message.id);
    clearTimeout(pending.timer);
    const answer = message as unknown as AnswerLine;
    if (answer.ok === true) pending.resolve(answer.result);
    else pending.reject(this.errorOf(answer, pending.cmd));
  }

  private notify(): void {
    for (const wake of [...this.waiters]) wake();
  }
}
