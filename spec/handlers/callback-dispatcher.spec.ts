import { inThreadHandlers, nextTurn } from './support.js';

describe.each(inThreadHandlers)('dispatchCallback on %s', (_name, makeHandler) => {
  it('runs a callback dispatched while idle before dispatchCallback returns', () => {
    const handler = makeHandler();
    const trace: string[] = [];
    trace.push('before');
    handler.dispatchCallback(() => trace.push('callback'));
    trace.push('after');
    expect(trace).toEqual(['before', 'callback', 'after']);
  });

  it('runs callbacks in the order they were dispatched', () => {
    const handler = makeHandler();
    const trace: number[] = [];
    handler.dispatchCallback(() => {
      for (const n of [1, 2, 3, 4, 5]) handler.dispatchCallback(() => trace.push(n));
    });
    expect(trace).toEqual([1, 2, 3, 4, 5]);
  });

  it('runs a callback dispatched from inside a callback after it, not nested, before the outer call returns', () => {
    const handler = makeHandler();
    const trace: string[] = [];
    handler.dispatchCallback(() => {
      trace.push('outer start');
      handler.dispatchCallback(() => trace.push('inner'));
      trace.push('outer end');
    });
    trace.push('dispatchCallback returned');
    expect(trace).toEqual(['outer start', 'outer end', 'inner', 'dispatchCallback returned']);
  });

  it('queues callbacks dispatched at any depth behind those already waiting', () => {
    const handler = makeHandler();
    const trace: string[] = [];
    handler.dispatchCallback(() => {
      trace.push('a');
      handler.dispatchCallback(() => {
        trace.push('b');
        handler.dispatchCallback(() => trace.push('d'));
      });
      handler.dispatchCallback(() => trace.push('c'));
    });
    expect(trace).toEqual(['a', 'b', 'c', 'd']);
  });

  it('reports a callback that throws and still runs the next one', () => {
    const handler = makeHandler();
    const reported: unknown[] = [];
    handler.onCallbackError((error) => reported.push(error));
    const boom = new Error('watch callback failed');
    const trace: string[] = [];
    handler.dispatchCallback(() => {
      handler.dispatchCallback(() => {
        throw boom;
      });
      handler.dispatchCallback(() => trace.push('next'));
    });
    expect(reported).toEqual([boom]);
    expect(trace).toEqual(['next']);
  });

  it('reports each throw with the kind its callback was dispatched with, "callback" by default', async () => {
    const handler = makeHandler();
    const reported: Array<[unknown, string]> = [];
    handler.onCallbackError((error, kind) => reported.push([error, kind]));
    handler.dispatchCallback(() => {
      throw 'a';
    }, 'watch callback');
    handler.dispatchCallback(() => {
      throw 'b';
    });
    handler.dispatchCallback(() => Promise.reject('c'), 'state listener');
    await new Promise((resolve) => setImmediate(resolve));
    expect(reported).toEqual([
      ['a', 'watch callback'],
      ['b', 'callback'],
      ['c', 'state listener'],
    ]);
  });

  it('keeps a throw inside the dispatcher and stays usable for synchronous delivery afterwards', () => {
    const handler = makeHandler();
    const reported: unknown[] = [];
    handler.onCallbackError((error) => reported.push(error));
    expect(() =>
      handler.dispatchCallback(() => {
        throw 'not even an Error';
      }),
    ).not.toThrow();
    expect(reported).toEqual(['not even an Error']);
    const trace: string[] = [];
    handler.dispatchCallback(() => trace.push('ran'));
    expect(trace).toEqual(['ran']);
  });

  it('reports an async callback whose promise rejects', async () => {
    const handler = makeHandler();
    const reported: unknown[] = [];
    handler.onCallbackError((error) => reported.push(error));
    const failure = new Error('async callback failed');
    handler.dispatchCallback(async () => {
      await nextTurn();
      throw failure;
    });
    expect(reported).toEqual([]);
    await nextTurn();
    await nextTurn();
    expect(reported).toEqual([failure]);
  });

  it('does not wait for an async callback before running the next one', () => {
    const handler = makeHandler();
    const trace: string[] = [];
    handler.dispatchCallback(() => {
      handler.dispatchCallback(async () => {
        trace.push('async start');
        await new Promise(() => {});
      });
      handler.dispatchCallback(() => trace.push('next'));
    });
    expect(trace).toEqual(['async start', 'next']);
  });

  it('keeps delivering when the reporter itself throws', async () => {
    const handler = makeHandler();
    let reports = 0;
    handler.onCallbackError(() => {
      reports++;
      throw new Error('reporter failed');
    });
    const trace: string[] = [];
    expect(() =>
      handler.dispatchCallback(() => {
        handler.dispatchCallback(() => {
          throw new Error('first');
        });
        handler.dispatchCallback(async () => {
          throw new Error('second');
        });
        handler.dispatchCallback(() => trace.push('still delivered'));
      }),
    ).not.toThrow();
    expect(trace).toEqual(['still delivered']);
    await nextTurn();
    expect(reports).toBe(2);
    handler.dispatchCallback(() => trace.push('and afterwards'));
    expect(trace).toEqual(['still delivered', 'and afterwards']);
  });

  it('sends errors only to the latest reporter', () => {
    const handler = makeHandler();
    const old: unknown[] = [];
    const current: unknown[] = [];
    handler.onCallbackError((error) => old.push(error));
    handler.onCallbackError((error) => current.push(error));
    handler.dispatchCallback(() => {
      throw new Error('x');
    });
    expect(old).toEqual([]);
    expect(current).toHaveLength(1);
  });

  it('runs a watch callback before code awaiting the reply that followed it', async () => {
    // The connection loop reads a watch event, then the reply to a write, in one batch.
    const handler = makeHandler();
    const trace: string[] = [];
    const reply = handler.asyncResult<string>();
    const caller = (async () => {
      const value = await reply.promise;
      trace.push(`caller continues with ${value}`);
    })();
    handler.dispatchCallback(() => trace.push('watch fired'));
    reply.set('ok');
    await caller;
    expect(trace).toEqual(['watch fired', 'caller continues with ok']);
  });

  it('runs a watch callback before the awaiting code even when queued behind a running callback', async () => {
    const handler = makeHandler();
    const trace: string[] = [];
    const reply = handler.asyncResult<string>();
    const caller = (async () => {
      await reply.promise;
      trace.push('caller continues');
    })();
    handler.dispatchCallback(() => {
      trace.push('earlier callback');
      // Delivered while the dispatcher is busy: the watch is queued, the reply settles at once.
      handler.dispatchCallback(() => trace.push('watch fired'));
      reply.set('ok');
      trace.push('earlier callback ends');
    });
    await caller;
    expect(trace).toEqual(['earlier callback', 'earlier callback ends', 'watch fired', 'caller continues']);
  });
});
