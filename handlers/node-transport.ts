import { lookup } from 'node:dns/promises';
import net from 'node:net';
import tls from 'node:tls';
import type { ConnectOptions, ResolvedAddress, Transport } from './handler.js';

/** The longest delay setTimeout honours, ms; it fires after 1 ms for anything longer. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/** A Transport over a Node TCP or TLS socket. */
class SocketTransport implements Transport {
  private receiver: ((chunk: Buffer) => void) | undefined;
  /** Bytes that arrived before a receiver was set (a server may speak first). */
  private early: Buffer[] = [];
  private closedCallback: ((error?: Error) => void) | undefined;
  private closeError: Error | undefined;
  private closed = false;

  constructor(
    private readonly socket: net.Socket,
    readonly remoteAddress: string,
  ) {
    socket.on('error', (err) => {
      this.closeError ??= err;
    });
    socket.on('data', (chunk: Buffer) => {
      if (this.receiver) this.receiver(chunk);
      else this.early.push(chunk);
    });
    socket.on('close', () => {
      this.closed = true;
      this.closedCallback?.(this.closeError);
    });
  }

  write(chunks: readonly Uint8Array[]): void {
    if (chunks.length === 1) {
      this.socket.write(chunks[0]!);
      return;
    }
    // One syscall for a batch of frames.
    this.socket.cork();
    for (const chunk of chunks) this.socket.write(chunk);
    this.socket.uncork();
  }

  onData(receive: (chunk: Buffer) => void): void {
    this.receiver = receive;
    for (const chunk of this.early.splice(0)) receive(chunk);
  }

  onClose(closed: (error?: Error) => void): void {
    this.closedCallback = closed;
    if (this.closed) closed(this.closeError);
  }

  end(): void {
    this.socket.end();
  }

  destroy(): void {
    this.socket.destroy();
  }
}

/**
 * Opens a TCP (or, with `options.tls`, TLS) connection with Nagle off. Rejects with
 * `TimeoutError` when it is not up within `timeoutMs`, and with the signal's reason on abort.
 */
export function connectSocket(
  options: ConnectOptions,
  TimeoutError: new (message: string) => Error,
): Promise<Transport> {
  return new Promise<Transport>((resolve, reject) => {
    const address = `${options.host}:${options.port}`;
    const socket = options.tls
      ? tls.connect({
          servername: net.isIP(options.host) ? undefined : options.host,
          ...options.tls,
          host: options.host,
          port: options.port,
        })
      : net.connect({ host: options.host, port: options.port });
    const readyEvent = options.tls ? 'secureConnect' : 'connect';
    let settled = false;
    const fail = (err: Error): void => {
      if (settled) return;
      settled = true;
      cleanup();
      socket.destroy();
      reject(err);
    };
    // Past MAX_TIMER_MS (24.8 days, or Infinity) setTimeout would fire at once: no timeout at all.
    const timer =
      options.timeoutMs <= MAX_TIMER_MS
        ? setTimeout(
            () => fail(new TimeoutError(`connect to ${address} timed out after ${options.timeoutMs} ms`)),
            options.timeoutMs,
          )
        : undefined;
    const onAbort = (): void => fail(options.signal?.reason ?? new Error('aborted'));
    const onError = (err: Error): void => fail(err);
    const cleanup = (): void => {
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      socket.off('error', onError);
    };
    if (options.signal?.aborted) return onAbort();
    options.signal?.addEventListener('abort', onAbort, { once: true });
    socket.once('error', onError);
    socket.once(readyEvent, () => {
      if (settled) return;
      settled = true;
      cleanup();
      socket.setNoDelay(true);
      resolve(new SocketTransport(socket, address));
    });
  });
}

/** Every address of `hostname` from the system resolver (getaddrinfo, as `net.connect` itself uses). */
export async function lookupAll(hostname: string): Promise<ResolvedAddress[]> {
  const found = await lookup(hostname, { all: true });
  return found.map(({ address, family }) => ({ address, family: family === 6 ? 6 : 4 }));
}
