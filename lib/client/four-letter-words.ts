// Four-letter words (ruok, srvr, mntr, ...): ZooKeeper's admin commands on the client port. The
// server reads the four bytes, writes its text answer and closes the connection, so the answer is
// everything read until the close. The exchange goes through a Handler like every other
// connection: its sockets (TLS when asked, so a server with only a secureClientPort answers too)
// and its clock (so a virtual clock decides when it times out, and a test waits for nothing).

import type { ConnectionOptions as TlsConnectionOptions } from 'node:tls';
import type { Handler, Transport } from '../../handlers/handler.js';
import { SequentialMicrotaskHandler } from '../../handlers/sequential-microtask.js';

/** How long `fourLetterWord` waits for the whole answer by default, in milliseconds. */
export const DEFAULT_FOUR_LETTER_WORD_TIMEOUT_MS = 5000;

/** Options for `fourLetterWord`. */
export interface FourLetterWordOptions {
  /**
   * Deadline for connecting, sending and reading the whole answer, in milliseconds on the
   * handler's clock (default 5000).
   */
  timeout?: number;
  /** Abandons the exchange: the promise rejects with the signal's reason, as every client call does. */
  signal?: AbortSignal;
  /** Node `tls.connect` options: when given, the word goes over TLS (to a `secureClientPort`). */
  tls?: TlsConnectionOptions;
  /** Whose sockets and clock carry the exchange; default one shared SequentialMicrotaskHandler. */
  handler?: Handler;
}

/** The handler of calls that bring none: real sockets, real time. */
const sharedHandler = new SequentialMicrotaskHandler();
sharedHandler.start();

/**
 * Sends a four-letter word (`ruok`, `srvr`, `cons`, `mntr`, …) to a ZooKeeper server's client port
 * and resolves with the server's whole text answer. The server must whitelist the word
 * (`4lw.commands.whitelist`); otherwise the answer is its "not in the whitelist" text, not an error.
 * Rejects with a TypeError for a malformed word, with the handler's TimeoutError when the deadline
 * passes first, with the signal's reason on abort, and with an Error naming the word and
 * `host:port` when the connection fails.
 */
export async function fourLetterWord(
  host: string,
  port: number,
  word: string,
  options: FourLetterWordOptions = {},
): Promise<string> {
  if (typeof word !== 'string' || !/^[a-z]{4}$/.test(word)) {
    throw new TypeError(
      `a four-letter word is exactly four lowercase ASCII letters, got ${JSON.stringify(word)}`,
    );
  }
  const handler = options.handler ?? sharedHandler;
  const timeout = options.timeout ?? DEFAULT_FOUR_LETTER_WORD_TIMEOUT_MS;
  const { signal } = options;
  const what = `four-letter word '${word}' to ${host}:${port}`;
  const timedOut = (): Error => new handler.TimeoutError(`${what} timed out after ${timeout} ms`);

  return new Promise<string>((resolve, reject) => {
    /** Ends the deadline's sleep and the connect attempt once the outcome is known. */
    const done = new AbortController();
    let transport: Transport | undefined;
    const finish = (outcome: { answer: string } | { error: Error }): void => {
      if (done.signal.aborted) return;
      done.abort();
      signal?.removeEventListener('abort', onAbort);
      transport?.destroy();
      if ('error' in outcome) reject(outcome.error);
      else resolve(outcome.answer);
    };
    const onAbort = (): void => finish({ error: signal?.reason as Error });
    if (signal?.aborted) return onAbort();
    signal?.addEventListener('abort', onAbort, { once: true });

    handler.sleep(timeout, done.signal).then(
      () => finish({ error: timedOut() }),
      () => {}, // cancelled: the exchange ended first
    );
    handler.createConnection({ host, port, timeoutMs: timeout, tls: options.tls, signal: done.signal }).then(
      (opened) => {
        if (done.signal.aborted) {
          opened.destroy(); // a connect that ignored the abort: nobody reads it now
          return;
        }
        transport = opened;
        const chunks: Buffer[] = [];
        opened.onData((chunk) => chunks.push(chunk));
        // The server answers by writing its text and closing, so the end of the stream is the
        // end of the answer; we never half-close our side first.
        opened.onClose((cause) => {
          if (cause !== undefined)
            finish({ error: new Error(`${what} failed: ${cause.message}`, { cause }) });
          // Decoded once at the end, so a multi-byte character split across chunks stays intact.
          else finish({ answer: Buffer.concat(chunks).toString('utf8') });
        });
        opened.write([Buffer.from(word, 'latin1')]);
      },
      (cause: unknown) => {
        if (cause instanceof handler.TimeoutError) finish({ error: timedOut() });
        else {
          const text = cause instanceof Error ? cause.message : String(cause);
          finish({ error: new Error(`${what} failed: ${text}`, { cause }) });
        }
      },
    );
  });
}
