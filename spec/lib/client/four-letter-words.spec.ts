// fourLetterWord on the virtual clock, against in-memory servers: the exchange goes through the
// handler it is given (its sockets, TLS options passed on, its clock), so the deadline passes at an
// exact virtual instant and an abort ends it at once, with nothing left open or asleep.

import type { ConnectOptions, Transport } from '../../../handlers/handler.js';
import { VirtualClockHandler } from '../../../handlers/virtual-clock.js';
import { fourLetterWord } from '../../../lib/client/four-letter-words.js';
import { rejectionOf } from '../../support.js';
import { track } from '../fake-server.js';

jest.setTimeout(10_000);

/**
 * The server's end of one in-memory connection: records what the client wrote, and answers the
 * first write with `answer` and a close, as ZooKeeper does; with no answer it stays silent and open.
 */
class WordServer implements Transport {
  readonly remoteAddress: string;
  readonly written: string[] = [];
  destroyed = false;
  private receive: ((chunk: Buffer) => void) | undefined;
  private closed: ((error?: Error) => void) | undefined;

  constructor(
    options: ConnectOptions,
    private readonly answer: string[] | undefined,
  ) {
    this.remoteAddress = `${options.host}:${options.port}`;
  }

  write(chunks: readonly Uint8Array[]): void {
    for (const chunk of chunks) this.written.push(Buffer.from(chunk).toString('latin1'));
    const answer = this.answer;
    if (answer === undefined) return;
    queueMicrotask(() => {
      for (const part of answer) this.receive?.(Buffer.from(part, 'utf8'));
      this.closed?.();
    });
  }

  onData(receive: (chunk: Buffer) => void): void {
    this.receive = receive;
  }

  onClose(closed: (error?: Error) => void): void {
    this.closed = closed;
  }

  end(): void {
    this.destroyed = true;
  }

  destroy(): void {
    this.destroyed = true;
  }
}

/** A virtual-clock handler whose connections `open` makes, and what it was asked to open. */
function handlerWith(open: (options: ConnectOptions) => Promise<Transport>): {
  handler: VirtualClockHandler;
  asked: ConnectOptions[];
} {
  const asked: ConnectOptions[] = [];
  const handler = new VirtualClockHandler({
    connect: (options) => {
      asked.push(options);
      return open(options);
    },
  });
  return { handler, asked };
}

describe('fourLetterWord through a handler', () => {
  it("sends the word on the handler's connection and resolves with everything read until the server closes", async () => {
    let server: WordServer | undefined;
    const { handler, asked } = handlerWith(async (options) => {
      server = new WordServer(options, [
        'Zookeeper version: 3.8.0\n',
        'Mode: standalone\n',
        'Zxid: 0x0 – ✓\n',
      ]);
      return server;
    });
    const tls = { ca: 'test CA', servername: 'zk.example' };
    const answer = await fourLetterWord('zk1', 2281, 'srvr', { handler, tls });
    expect(answer).toBe('Zookeeper version: 3.8.0\nMode: standalone\nZxid: 0x0 – ✓\n');
    expect(server!.written).toEqual(['srvr']);
    expect(asked).toEqual([expect.objectContaining({ host: 'zk1', port: 2281, tls, timeoutMs: 5000 })]);
    expect(server!.destroyed).toBe(true);
    expect(handler.pendingTimers).toBe(0);
  });

  it('rejects at exactly the virtual instant the timeout passes when the server never answers', async () => {
    let server: WordServer | undefined;
    const { handler } = handlerWith(async (options) => {
      server = new WordServer(options, undefined);
      return server;
    });
    await handler.advance(1000);
    const result = track(handler, fourLetterWord('zk1', 2181, 'ruok', { handler, timeout: 250 }));
    await handler.advance(249);
    expect(result.state).toBe('pending');
    expect(server!.written).toEqual(['ruok']);

    await handler.advance(1);
    expect(result.state).toBe('rejected');
    expect(result.at).toBe(1250);
    expect((result.error as Error).message).toBe(
      "four-letter word 'ruok' to zk1:2181 timed out after 250 ms",
    );
    expect(server!.destroyed).toBe(true);
    expect(handler.pendingTimers).toBe(0);
  });

  it('waits 5000 ms by default, also for a connect that never completes, and then abandons the connect', async () => {
    let connectSignal: AbortSignal | undefined;
    const { handler } = handlerWith(
      (options) =>
        new Promise<Transport>((_resolve, reject) => {
          connectSignal = options.signal;
          options.signal?.addEventListener('abort', () => reject(options.signal?.reason));
        }),
    );
    const result = track(handler, fourLetterWord('zk1', 2181, 'mntr', { handler }));
    await handler.advance(4999);
    expect(result.state).toBe('pending');
    expect(connectSignal?.aborted).toBe(false);
    await handler.advance(1);
    expect(result.at).toBe(5000);
    expect((result.error as Error).message).toBe(
      "four-letter word 'mntr' to zk1:2181 timed out after 5000 ms",
    );
    expect(connectSignal?.aborted).toBe(true);
  });

  it("reports the handler's own connect timeout as the same missing answer", async () => {
    const { handler } = handlerWith(async () => {
      throw new handler.TimeoutError('connect to zk1:2181 timed out after 300 ms');
    });
    await expect(fourLetterWord('zk1', 2181, 'ruok', { handler, timeout: 300 })).rejects.toThrow(
      "four-letter word 'ruok' to zk1:2181 timed out after 300 ms",
    );
  });

  it("rejects at once with the signal's reason when the signal is aborted, and closes the connection", async () => {
    let server: WordServer | undefined;
    const { handler } = handlerWith(async (options) => {
      server = new WordServer(options, undefined);
      return server;
    });
    const controller = new AbortController();
    const result = track(
      handler,
      fourLetterWord('zk1', 2181, 'cons', { handler, timeout: 1000, signal: controller.signal }),
    );
    await handler.advance(100);
    const reason = new Error('the caller gave up');
    controller.abort(reason);
    await handler.advance(0);
    expect(result.state).toBe('rejected');
    expect(result.at).toBe(100);
    expect(result.error).toBe(reason);
    expect(server!.destroyed).toBe(true);
    expect(handler.pendingTimers).toBe(0);
  });

  it('never connects when the signal is already aborted', async () => {
    const { handler, asked } = handlerWith(async (options) => new WordServer(options, ['imok']));
    const error = await rejectionOf(
      fourLetterWord('zk1', 2181, 'ruok', {
        handler,
        signal: AbortSignal.abort('stop'),
      }),
    );
    expect(error).toBe('stop');
    expect(asked).toEqual([]);
    expect(handler.pendingTimers).toBe(0);
  });

  it('rejects with the connection error, naming the word and the address, when the server refuses', async () => {
    const { handler } = handlerWith(async (options) => {
      throw Object.assign(new Error(`connect ECONNREFUSED ${options.host}:${options.port}`), {
        code: 'ECONNREFUSED',
      });
    });
    const error = (await rejectionOf(fourLetterWord('zk1', 2181, 'ruok', { handler }))) as Error;
    expect(error.message).toBe("four-letter word 'ruok' to zk1:2181 failed: connect ECONNREFUSED zk1:2181");
    expect((error.cause as NodeJS.ErrnoException).code).toBe('ECONNREFUSED');
    expect(handler.pendingTimers).toBe(0);
  });

  it('rejects a malformed word with a TypeError before opening anything', async () => {
    const { handler, asked } = handlerWith(async (options) => new WordServer(options, ['imok']));
    for (const word of ['RUOK', 'ruo', 'ruok\n', 'rüok']) {
      await expect(fourLetterWord('zk1', 2181, word, { handler })).rejects.toThrow(TypeError);
    }
    expect(asked).toEqual([]);
  });
});
