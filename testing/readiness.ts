import { type FourLetterWordOptions, fourLetterWord } from '../index.js';
import type { ServerMode } from './server-handle.js';

/** How long one readiness probe may take, in milliseconds; a slow answer just means "not yet". */
export const PROBE_TIMEOUT_MS = 1000;

/** Pause between readiness probes, in milliseconds. */
export const PROBE_INTERVAL_MS = 100;

const MODES: readonly ServerMode[] = ['standalone', 'leader', 'follower', 'observer', 'read-only'];

/** The `Mode:` of a `srvr` answer, or undefined when the answer has none (e.g. "not currently serving"). */
export function parseMode(srvr: string): ServerMode | undefined {
  const match = /^Mode: (\S+)/m.exec(srvr);
  return match && (MODES as readonly string[]).includes(match[1]!) ? (match[1] as ServerMode) : undefined;
}

/** How a probe talks to a server: `timeout` defaults to PROBE_TIMEOUT_MS; `tls` for a TLS-only port. */
export type ProbeOptions = FourLetterWordOptions;

function probe(host: string, port: number, word: string, options: ProbeOptions): Promise<string> {
  return fourLetterWord(host, port, word, { ...options, timeout: options.timeout ?? PROBE_TIMEOUT_MS });
}

/** Asks `srvr` for a server's mode; undefined when it does not answer or is not serving yet. */
export async function serverMode(
  host: string,
  port: number,
  options: ProbeOptions = {},
): Promise<ServerMode | undefined> {
  try {
    return parseMode(await probe(host, port, 'srvr', options));
  } catch {
    return undefined;
  }
}

/** True when the server answers `ruok` with `imok`, which a JVM does before it serves clients. */
export async function answersRuok(host: string, port: number, options: ProbeOptions = {}): Promise<boolean> {
  try {
    return (await probe(host, port, 'ruok', options)) === 'imok';
  } catch {
    return false;
  }
}

/**
 * True when the server serves clients. `ruok` alone is not enough: a standalone server answers
 * imok while `srvr` still says "not currently serving", and an ensemble member answers imok before
 * its quorum exists, so a member counts only once it is a leader or follower.
 */
export async function isServing(
  host: string,
  port: number,
  role: 'standalone' | 'member',
  options: ProbeOptions = {},
): Promise<boolean> {
  const mode = await serverMode(host, port, options);
  return role === 'standalone'
    ? mode === 'standalone' && (await answersRuok(host, port, options))
    : mode === 'leader' || mode === 'follower';
}

/**
 * Polls `check` every 100 ms until it resolves true. Before each round, `abort` may return an
 * Error to fail at once (e.g. the process exited). Rejects with `onTimeout()` after `timeoutMs`.
 */
export async function pollUntil(
  check: () => Promise<boolean>,
  options: { timeoutMs: number; abort?: () => Error | undefined; onTimeout: () => Error | Promise<Error> },
): Promise<void> {
  const deadline = Date.now() + options.timeoutMs;
  for (;;) {
    const aborted = options.abort?.();
    if (aborted) throw aborted;
    if (await check()) return;
    const abortedAfterCheck = options.abort?.();
    if (abortedAfterCheck) throw abortedAfterCheck;
    if (Date.now() >= deadline) throw await options.onTimeout();
    await new Promise((resolve) => setTimeout(resolve, PROBE_INTERVAL_MS));
  }
}
