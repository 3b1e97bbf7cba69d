import fc from 'fast-check';
import type { ChannelEnd, SpawnTask } from '../../handlers/index.js';
import { inThreadHandlers, nextTurn } from './support.js';

type ClientMessage = { op: string; n?: number };
type LoopMessage = { event: string; n?: number };

describe.each(inThreadHandlers)('createSocketPair on %s', (_name, makeHandler) => {
  function pair(): [ChannelEnd<LoopMessage, ClientMessage>, ChannelEnd<ClientMessage, LoopMessage>] {
    return makeHandler().createSocketPair<ClientMessage, LoopMessage>();
  }

  it('delivers messages in the order they were posted', async () => {
    const [client, loop] = pair();
    const got: number[] = [];
    loop.onMessage((m) => got.push(m.n!));
    for (let n = 0; n < 100; n++) client.post({ op: 'submit', n });
    await nextTurn();
    expect(got).toEqual([...Array(100).keys()]);
  });

  it('delivers asynchronously, never inside post()', async () => {
    const [client, loop] = pair();
    const got: ClientMessage[] = [];
    loop.onMessage((m) => got.push(m));
    const message = { op: 'submit' };
    client.post(message);
    expect(got).toEqual([]);
    await Promise.resolve();
    await Promise.resolve();
    expect(got).toEqual([message]);
  });

  it('keeps the two directions independent', async () => {
    const [client, loop] = pair();
    const atClient: LoopMessage[] = [];
    const atLoop: ClientMessage[] = [];
    client.onMessage((m) => atClient.push(m));
    loop.onMessage((m) => atLoop.push(m));
    client.post({ op: 'a' });
    loop.post({ event: 'x' });
    client.post({ op: 'b' });
    loop.post({ event: 'y' });
    await nextTurn();
    expect(atLoop).toEqual([{ op: 'a' }, { op: 'b' }]);
    expect(atClient).toEqual([{ event: 'x' }, { event: 'y' }]);
  });

  it('delivers a burst posted in one tick as one batch, with no other microtask in between', async () => {
    const [client, loop] = pair();
    const trace: string[] = [];
    loop.onMessage((m) => {
      trace.push(m.op);
      // Runs only after the whole batch when the batch is delivered in one go.
      queueMicrotask(() => trace.push(`after ${m.op}`));
    });
    client.post({ op: 'a' });
    client.post({ op: 'b' });
    client.post({ op: 'c' });
    await nextTurn();
    expect(trace).toEqual(['a', 'b', 'c', 'after a', 'after b', 'after c']);
  });

  it('delivers a reply posted from inside a receiver in a later batch, still in order', async () => {
    const [client, loop] = pair();
    const atLoop: string[] = [];
    loop.onMessage((m) => {
      atLoop.push(m.op);
      if (m.op === 'a') client.post({ op: 'posted from the receiver' });
    });
    client.post({ op: 'a' });
    client.post({ op: 'b' });
    await nextTurn();
    expect(atLoop).toEqual(['a', 'b', 'posted from the receiver']);
  });

  it('passes each side exactly the other side’s messages, in order, for any interleaving', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.constantFrom('client', 'loop', 'tick'), { maxLength: 60 }),
        async (steps) => {
          const [client, loop] = pair();
          const atClient: number[] = [];
          const atLoop: number[] = [];
          client.onMessage((m) => atClient.push(m.n!));
          loop.onMessage((m) => atLoop.push(m.n!));
          const fromClient: number[] = [];
          const fromLoop: number[] = [];
          for (const [n, step] of steps.entries()) {
            if (step === 'client') {
              client.post({ op: 'submit', n });
              fromClient.push(n);
            } else if (step === 'loop') {
              loop.post({ event: 'reply', n });
              fromLoop.push(n);
            } else {
              await Promise.resolve();
            }
          }
          await nextTurn();
          expect(atLoop).toEqual(fromClient);
          expect(atClient).toEqual(fromLoop);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('sends later messages to a receiver set in place of the first', async () => {
    const [client, loop] = pair();
    const first: string[] = [];
    const second: string[] = [];
    loop.onMessage((m) => first.push(m.op));
    client.post({ op: 'a' });
    await nextTurn();
    loop.onMessage((m) => second.push(m.op));
    client.post({ op: 'b' });
    await nextTurn();
    expect(first).toEqual(['a']);
    expect(second).toEqual(['b']);
  });

  it('delivers to a receiver set in the same tick as, but after, the post', async () => {
    const [client, loop] = pair();
    const got: string[] = [];
    client.post({ op: 'early' });
    loop.onMessage((m) => got.push(m.op));
    await nextTurn();
    expect(got).toEqual(['early']);
  });

  // A MessagePort keeps them too, and the in-thread and worker channels must behave alike.
  it('keeps messages that arrive before a receiver is set until one is', async () => {
    const [client, loop] = pair();
    const got: string[] = [];
    client.post({ op: 'early' });
    await nextTurn();
    loop.onMessage((m) => got.push(m.op));
    client.post({ op: 'late' });
    await nextTurn();
    expect(got).toEqual(['early', 'late']);
  });

  // The order a client naturally writes its start-up in: post, then spawn the loop that listens.
  it('delivers a message posted before spawn to the spawned task that sets its receiver', async () => {
    const handler = makeHandler();
    const [client, loop] = handler.createSocketPair<ClientMessage, LoopMessage>();
    const got: string[] = [];
    const task: SpawnTask<ChannelEnd<ClientMessage, LoopMessage>> = {
      name: 'connection-loop',
      module: '/nonexistent/in-thread-only.js',
      run: async (end) => {
        end.onMessage((m) => got.push(m.op));
      },
    };
    client.post({ op: 'connect' });
    await handler.spawn(task, loop).done;
    await nextTurn();
    expect(got).toEqual(['connect']);
  });

  it('drops messages still queued when closed, in both directions', async () => {
    const [client, loop] = pair();
    const atClient: LoopMessage[] = [];
    const atLoop: ClientMessage[] = [];
    client.onMessage((m) => atClient.push(m));
    loop.onMessage((m) => atLoop.push(m));
    client.post({ op: 'queued' });
    loop.post({ event: 'queued' });
    client.close();
    await nextTurn();
    expect(atLoop).toEqual([]);
    expect(atClient).toEqual([]);
  });

  it('drops messages posted after close from either end', async () => {
    const [client, loop] = pair();
    const atClient: LoopMessage[] = [];
    const atLoop: ClientMessage[] = [];
    client.onMessage((m) => atClient.push(m));
    loop.onMessage((m) => atLoop.push(m));
    loop.close();
    client.post({ op: 'after close' });
    loop.post({ event: 'after close' });
    await nextTurn();
    expect(atLoop).toEqual([]);
    expect(atClient).toEqual([]);
  });

  it('stops delivering the rest of a batch when a receiver closes the channel', async () => {
    const [client, loop] = pair();
    const got: string[] = [];
    loop.onMessage((m) => {
      got.push(m.op);
      if (m.op === 'close now') loop.close();
    });
    client.post({ op: 'a' });
    client.post({ op: 'close now' });
    client.post({ op: 'never' });
    await nextTurn();
    expect(got).toEqual(['a', 'close now']);
  });

  it('can be closed twice', () => {
    const [client, loop] = pair();
    client.close();
    expect(() => loop.close()).not.toThrow();
    expect(() => client.close()).not.toThrow();
  });
});
