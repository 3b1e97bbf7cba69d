import { connect } from 'node:net';

/** How long `fourLetterWord` waits for the whole answer by default, in milliseconds. */
export const DEFAULT_FOUR_LETTER_WORD_TIMEOUT_MS = 5000;

/** Options for `fourLetterWord`. */
export interface FourLetterWordOptions {
  /** Deadline for connecting, sending and reading the whole answer, in milliseconds (default 5000). */
  timeoutMs?: number;
}

/**
 * Sends a four-letter word (`ruok`, `srvr`, `cons`, `mntr`, …) to a ZooKeeper server's client port
 * and resolves with the server's whole text answer. The server must whitelist the word
 * (`4lw.commands.whitelist`); otherwise the answer is its "not in the whitelist" text, not an error.
 * Rejects with a TypeError for a malformed word and with an Error on timeout or connection failure.
 */
export async function fourLetterWord(
  host: string,
  port: number,
  command: string,
  options: FourLetterWordOptions = {},
): Promise<string> {
  if (typeof command !== 'string' || !/^[a-z]{4}$/.test(command)) {
    throw new TypeError(
      `a four-letter word is exactly four lowercase ASCII letters, got ${JSON.stringify(command)}`,
    );
  }
  const timeoutMs = options.timeoutMs ?? DEFAULT_FOUR_LETTER_WORD_TIMEOUT_MS;
  const where = `${host}:${port}`;

  return new Promise<string>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let settled = false;
    const socket = connect({ host, port });

    const finish = (error: Error | undefined): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      if (error) reject(error);
      // Decode once at the end so a multi-byte character split across chunks stays intact.
      else resolve(Buffer.concat(chunks).toString('utf8'));
    };

    const timer = setTimeout(() => {
      finish(
        new Error(`four-letter word '${command}' to ${where} got no complete answer within ${timeoutMs} ms`),
      );
    }, timeoutMs);

    // The server answers a four-letter word by writing its text and closing the connection, so
    // the end of the stream is the end of the answer; we never half-close our side first.
    socket.on('connect', () => socket.write(command));
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('end', () => finish(undefined));
    socket.on('close', () => finish(undefined));
    socket.on('error', (cause) => {
      finish(new Error(`four-letter word '${command}' to ${where} failed: ${cause.message}`, { cause }));
    });
  });
}
