// What every command runs with: the client, where its output goes, the shell's current node, and
// the signal Ctrl-C aborts. One-shot commands and the interactive shell build the same Context, so
// a command never knows which of the two runs it (only `cd` and the prompt do).

import type { ZooKeeperClient } from '../index.js';
import { UsageError } from './exit-codes.js';

/** Where a command's output goes: stdout for results, stderr for progress and notes. */
export interface Io {
  /** Writes raw text or bytes to stdout. */
  write(chunk: string | Uint8Array): void;
  /** Writes one line of stderr (progress, notes, errors). */
  note(line: string): void;
  /** Writes raw text to stderr with no newline: a progress bar redrawn in place. */
  status(text: string): void;
  /** stdout is a terminal: a value without a final newline gets one, for the prompt's sake. */
  readonly stdoutIsTty: boolean;
  /** stderr is a terminal: progress is a bar redrawn in place rather than lines. */
  readonly stderrIsTty: boolean;
  /** Columns of the terminal (80 when not one). */
  readonly columns: number;
}

/** The Io of the process itself. */
export function processIo(): Io {
  return {
    write: (chunk) => void process.stdout.write(chunk),
    note: (line) => void process.stderr.write(`${line}\n`),
    status: (text) => void process.stderr.write(text),
    stdoutIsTty: process.stdout.isTTY === true,
    stderrIsTty: process.stderr.isTTY === true,
    columns: process.stderr.columns ?? 80,
  };
}

/** What a command gets. */
export interface Context {
  /** A started client (or, for a command that needs no session, a client that was never started). */
  readonly zk: ZooKeeperClient;
  readonly io: Io;
  /** The node relative paths start from: '/' except after `cd` in the shell. */
  readonly cwd: string;
  /** `--json`: reads print one JSON document (watch: one per line) instead of text. */
  readonly json: boolean;
  /** `--quiet`: no progress and no summary lines on stderr. */
  readonly quiet: boolean;
  /** Aborted by Ctrl-C: long operations stop issuing requests, wait for those in flight and report. */
  readonly signal: AbortSignal;
}

/** Prints `value` as JSON on one document (bigints as strings, Buffers never reach here). */
export function printJson(io: Io, value: unknown): void {
  io.write(`${JSON.stringify(value, (_key, v) => (typeof v === 'bigint' ? v.toString() : v), 2)}\n`);
}

/** Prints lines of text, each with its newline. */
export function printLines(io: Io, lines: readonly string[]): void {
  if (lines.length > 0) io.write(`${lines.join('\n')}\n`);
}

/**
 * An absolute path for what the user typed, relative to `cwd`: `.` and `..` segments resolved, a
 * trailing '/' dropped. The client validates what remains (empty segments, reserved names).
 */
export function resolvePath(cwd: string, typed: string | undefined): string {
  if (typed === undefined || typed === '') return cwd;
  const start = typed.startsWith('/') ? [] : cwd.split('/').filter(Boolean);
  for (const segment of typed.split('/')) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..') start.pop();
    else start.push(segment);
  }
  return `/${start.join('/')}`;
}

/** An integer option (a `--version`, a `--ttl`), or UsageError naming the option. */
export function integerOption(name: string, value: string | undefined, min = 0): number | undefined {
  if (value === undefined) return undefined;
  if (!/^-?\d+$/.test(value) || Number(value) < min || !Number.isSafeInteger(Number(value))) {
    throw new UsageError(`--${name} takes an integer ≥ ${min}, got ${JSON.stringify(value)}`);
  }
  return Number(value);
}
