// The child processes of the herd's multi-process variant: compiles spec/herd/child.ts (and the
// fleet it runs) to .build/herd/child/ with TypeScript's transpileModule, forks it with an IPC
// channel, and talks to it in the closed union of spec/herd/child-protocol.ts. The child runs the
// built package, so dist/ must be current: scripts/ensure-build.mjs builds it only when stale and
// under a lock (jest's global setup has normally done it already). Every child is tracked from
// the moment it is forked, and `killAll` SIGKILLs whatever is still alive, so a failed run leaves
// no process behind.

import { type ChildProcess, execFileSync, fork } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import type { FromChild, ToChild } from './child-protocol.js';

/** The files the child is made of, all in spec/herd/. */
const CHILD_SOURCES = ['child.ts', 'child-protocol.ts', 'fleet.ts', 'records.ts'];

/** Where the compiled child goes. */
const OUT_DIR = join(process.cwd(), '.build', 'herd', 'child');

/**
 * Makes sure dist/ is built and compiles the child; returns the path of its entry. Each file is
 * transpiled alone (no type check here: `npm run typecheck` covers spec/herd/).
 */
export function compileChild(): string {
  execFileSync(process.execPath, ['scripts/ensure-build.mjs'], { stdio: 'pipe' });
  mkdirSync(OUT_DIR, { recursive: true });
  for (const file of CHILD_SOURCES) {
    const source = readFileSync(join(__dirname, file), 'utf8');
    const { outputText } = ts.transpileModule(source, {
      fileName: file,
      compilerOptions: {
        module: ts.ModuleKind.CommonJS,
        target: ts.ScriptTarget.ES2022,
        esModuleInterop: true,
      },
    });
    writeFileSync(join(OUT_DIR, file.replace(/\.ts$/, '.js')), outputText);
  }
  return join(OUT_DIR, 'child.js');
}

/** A forked child and its answers. */
export class HerdChild {
  /** Its stderr, for a failure message. */
  private stderr = '';
  private readonly answers: FromChild[] = [];
  private waiting: (() => void) | undefined;

  private constructor(
    readonly name: string,
    private readonly process: ChildProcess,
  ) {
    process.stderr?.on('data', (chunk: Buffer) => {
      this.stderr = (this.stderr + chunk.toString()).slice(-4000);
    });
    process.on('message', (message: FromChild) => {
      this.answers.push(message);
      this.waiting?.();
    });
    process.on('exit', () => this.waiting?.());
  }

  /** Forks `entry` and tracks the child in `registry` before anything can fail. */
  static fork(entry: string, name: string, registry: Set<HerdChild>): HerdChild {
    const child = new HerdChild(name, fork(entry, [], { stdio: ['ignore', 'ignore', 'pipe', 'ipc'] }));
    registry.add(child);
    return child;
  }

  /** Sends `message` and resolves with the answer of type `expect`; rejects on `failed`, exit or timeout. */
  async ask<T extends FromChild['t']>(
    message: ToChild,
    expect: T,
    timeoutMs: number,
  ): Promise<Extract<FromChild, { t: T }>> {
    this.process.send(message);
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const answer = this.answers.shift();
      if (answer?.t === expect) return answer as Extract<FromChild, { t: T }>;
      if (answer?.t === 'failed') throw new Error(`${this.name} failed: ${answer.message}`);
      if (answer !== undefined) continue;
      if (this.process.exitCode !== null || this.process.signalCode !== null) {
        throw new Error(
          `${this.name} exited (${this.process.exitCode ?? this.process.signalCode}): ${this.stderr}`,
        );
      }
      const left = deadline - Date.now();
      if (left <= 0)
        throw new Error(`${this.name} did not answer ${message.t} within ${timeoutMs} ms: ${this.stderr}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiting = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.waiting = undefined;
    }
  }

  /** Asks the child to close its clients and exit; SIGKILL if it has not within `timeoutMs`. */
  async close(timeoutMs: number): Promise<void> {
    if (!this.alive) return;
    try {
      await this.ask({ t: 'close' }, 'closed', timeoutMs);
    } catch {
      // killed below
    }
    await this.kill();
  }

  /** SIGKILLs the child unless it has exited, and waits for its exit. */
  async kill(): Promise<void> {
    if (!this.alive) return;
    const exited = new Promise((resolve) => this.process.once('exit', resolve));
    this.process.kill('SIGKILL');
    await exited;
  }

  private get alive(): boolean {
    return this.process.exitCode === null && this.process.signalCode === null;
  }
}

/** Kills every child still alive in `registry` and empties it. */
export async function killAll(registry: Set<HerdChild>): Promise<void> {
  const children = [...registry];
  registry.clear();
  await Promise.all(children.map((child) => child.kill()));
}
