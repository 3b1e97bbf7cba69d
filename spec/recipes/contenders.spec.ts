// The lock layout's pure parts (names, the signed-difference order, predecessor choice) and the
// timeout countdown, without a server: the countdown through a whole Lock runs on an in-memory
// stand-in of the client under VirtualClockHandler, so the 2 s of the test take no real time.

import { VirtualClockHandler } from '../../handlers/virtual-clock.js';
import { NoNodeError, type RecipeClient, type WatchCallback } from '../../lib/recipe-client.js';
import { EventType, KeeperState } from '../../protocol/constants.js';
import {
  compareContenders,
  contenderPattern,
  contendersOf,
  newContenderPrefix,
  parseContender,
  predecessorOf,
} from '../../recipes/contenders.js';
import { startCountdown } from '../../recipes/countdown.js';
import { Lock } from '../../recipes/lock.js';
import { LockTimeoutError } from '../../recipes/recipe-errors.js';

const LOCK = contenderPattern(['__lock__']);
const RLOCK = contenderPattern(['__rlock__']);
const BOTH = contenderPattern(['__lock__', '__rlock__']);
const name = (seq: string, marker = '__lock__', id = 'a'.repeat(32)): string => `${id}${marker}${seq}`;

describe('contender names', () => {
  it("match the three forms of the server's %010d counter, and nothing else", () => {
    expect(parseContender(name('0000000031'), LOCK)?.sequence).toBe(31);
    expect(parseContender(name('-000000005'), LOCK)?.sequence).toBe(-5);
    expect(parseContender(name('-2147483648'), LOCK)?.sequence).toBe(-2147483648);
    expect(parseContender(name('2147483647'), LOCK)?.sequence).toBe(2147483647);
    for (const bad of ['000000031', '00000000031', '-00000005', 'x', '__lock__', '4294967295'])
      expect(parseContender(name(bad), LOCK)).toBeUndefined();
    expect(parseContender(name('0000000001', '__rlock__'), LOCK)).toBeUndefined();
    expect(parseContender(name('0000000001', '__rlock__'), BOTH)?.marker).toBe('__rlock__');
    expect(parseContender('hello', LOCK)).toBeUndefined();
  });

  it('take extra patterns as literal text (a "." is a dot)', () => {
    const curator = contenderPattern(['__lock__', '-lock-', 'a.b']);
    expect(parseContender('_c_8eb60557ba51e0da67eefc47467d3f34-lock-0000000031', curator)?.marker).toBe(
      '-lock-',
    );
    expect(parseContender('xa.b0000000001', curator)).toBeDefined();
    expect(parseContender('xaXb0000000001', curator)).toBeUndefined();
  });

  it('new prefixes are 32 lowercase hex digits and the marker, a fresh one each time', () => {
    const a = newContenderPrefix('__lock__');
    expect(a).toMatch(/^[0-9a-f]{32}__lock__$/);
    expect(newContenderPrefix('__lock__')).not.toBe(a);
  });
});

describe('lock order', () => {
  it('sorts across the wrap by signed 32-bit difference (kazoo sorts the strings, #730)', () => {
    const children = ['-2147483647', '2147483646', '-2147483648', '2147483647'].map((s) => name(s));
    expect(contendersOf(children, LOCK).map((c) => c.sequence)).toEqual([
      2147483646, 2147483647, -2147483648, -2147483647,
    ]);
    expect([...children].sort()).not.toEqual(contendersOf(children, LOCK).map((c) => c.name));
  });

  it('orders small counters numerically and breaks a tie by name', () => {
    const a = parseContender(name('0000000002', '__lock__', 'b'.repeat(32)), LOCK)!;
    const b = parseContender(name('0000000002', '__lock__', 'a'.repeat(32)), LOCK)!;
    const c = parseContender(name('0000000010'), LOCK)!;
    expect([c, a, b].sort(compareContenders)).toEqual([b, a, c]);
  });
});

describe('predecessorOf (kazoo TestSequence and the read/write rules)', () => {
  const goLock = '_c_8eb60557ba51e0da67eefc47467d3f34-lock-0000000031';
  const pyLock = '514e5a831836450cb1a56c741e990fd8__lock__0000000032';

  it('test_get_predecessor: a foreign contender is ignored without extra patterns', () => {
    expect(predecessorOf(['hello', goLock, 'world', pyLock], pyLock, LOCK, LOCK)).toBeUndefined();
  });

  it('test_get_predecessor_go: with "-lock-" the go contender is the predecessor', () => {
    const blockers = contenderPattern(['__lock__', '-lock-']);
    expect(predecessorOf(['hello', goLock, 'world', pyLock], pyLock, LOCK, blockers)).toBe(goLock);
  });

  it('is the immediate predecessor only, across the wrap', () => {
    const children = ['2147483646', '2147483647', '-2147483648', '-2147483647'].map((s) => name(s));
    expect(predecessorOf(children, name('-2147483648'), LOCK, LOCK)).toBe(name('2147483647'));
    expect(predecessorOf(children, name('2147483646'), LOCK, LOCK)).toBeUndefined();
  });

  it('a reader waits for the last writer before it, never a later one (#649); a writer for readers too', () => {
    const w0 = name('0000000001', '__lock__');
    const r1 = name('0000000002', '__rlock__');
    const r2 = name('0000000003', '__rlock__');
    const w1 = name('0000000004', '__lock__');
    const children = [w1, r2, r1, w0];
    expect(predecessorOf(children, r2, RLOCK, LOCK)).toBe(w0);
    expect(predecessorOf([r1, r2, w1], r2, RLOCK, LOCK)).toBeUndefined();
    expect(predecessorOf(children, w1, LOCK, BOTH)).toBe(r2);
    // A plain Lock ignores readers.
    expect(predecessorOf([r1, r2, w1], w1, LOCK, LOCK)).toBeUndefined();
  });
});

describe('timeout countdown (virtual clock)', () => {
  it('aborts with the timeout reason once, after exactly the budget, and reports what is left', async () => {
    const handler = new VirtualClockHandler();
    const countdown = startCountdown(handler, { timeout: 1000 }, () => new Error('late'));
    await handler.advance(400);
    expect(countdown.remaining()).toBe(600);
    expect(countdown.signal.aborted).toBe(false);
    await handler.advance(600);
    expect(countdown.signal.aborted).toBe(true);
    expect((countdown.signal.reason as Error).message).toBe('late');
    expect(countdown.remaining()).toBe(0);
    countdown.finish();
  });

  it("takes the caller's abort reason, and stops its timer on finish()", async () => {
    const handler = new VirtualClockHandler();
    const caller = new AbortController();
    const countdown = startCountdown(handler, { timeout: 1000, signal: caller.signal }, () => 'late');
    caller.abort('mine');
    expect(countdown.signal.reason).toBe('mine');
    countdown.finish();
    expect(handler.pendingTimers).toBe(0);
  });
});

/**
 * Just enough of a client for a Lock: one lock node's children in memory, one-shot data watches,
 * and a function to delete a node as another client would (firing its watches).
 */
function memoryClient(handler: VirtualClockHandler) {
  const nodes = new Map<string, string>();
  const watches = new Map<string, Set<WatchCallback>>();
  let counter = 0;
  const stat = (path: string) => {
    if (!nodes.has(path)) throw new NoNodeError(undefined, path);
    return { ephemeralOwner: 1n } as never;
  };
  const remove = (path: string): void => {
    if (!nodes.delete(path)) throw new NoNodeError(undefined, path);
    for (const watch of watches.get(path) ?? [])
      handler.dispatchCallback(() =>
        watch({ type: EventType.NodeDeleted, state: KeeperState.SyncConnected, path }),
      );
    watches.delete(path);
  };
  const client = {
    handler,
    state: 'CONNECTED',
    isConnected: true,
    connectionState: 'CONNECTED',
    clientId: { sessionId: 1n, password: Buffer.alloc(16) },
    on: () => client,
    off: () => client,
    ensurePath: async () => {},
    create: async (path: string, value: string) => {
      const full = `${path}${String(counter++).padStart(10, '0')}`;
      nodes.set(full, value);
      return [full, stat(full)];
    },
    getChildren: async (parent: string) =>
      [...nodes.keys()].filter((p) => p.startsWith(`${parent}/`)).map((p) => p.slice(parent.length + 1)),
    get: async (path: string, watch?: WatchCallback) => {
      stat(path);
      if (watch) watches.set(path, new Set([...(watches.get(path) ?? []), watch]));
      return [Buffer.from(nodes.get(path)!), stat(path)];
    },
    exists: async (path: string) => (nodes.has(path) ? stat(path) : null),
    delete: async (path: string) => remove(path),
    removeWatches: async (path: string) => {
      watches.delete(path);
    },
    retry: <T>(fn: () => Promise<T>) => fn(),
  };
  return { client: client as unknown as RecipeClient, nodes, remove };
}

describe('Lock timeout countdown (virtual clock)', () => {
  it('rejects 2000 ms after the call although the predecessor was replaced at 1000 ms (kazoo: 3000 ms)', async () => {
    const handler = new VirtualClockHandler();
    handler.start();
    const { client, nodes, remove } = memoryClient(handler);
    // The stand-in numbers its creates from 0: the holder and the middle contender come before.
    const h = `/l/${'a'.repeat(32)}__lock__-000000010`;
    const m = `/l/${'b'.repeat(32)}__lock__-000000005`;
    nodes.set(h, 'h');
    nodes.set(m, 'm');
    const waiter = new Lock(client, '/l', 'w');
    let outcome: unknown;
    let settledAt = -1;
    void waiter.acquire({ timeout: 2000 }).then(
      (value) => {
        outcome = value;
        settledAt = handler.now();
      },
      (error: unknown) => {
        outcome = error;
        settledAt = handler.now();
      },
    );
    await handler.advance(1000);
    expect(outcome).toBeUndefined();
    remove(m); // the predecessor goes: the waiter now waits for the holder
    await handler.advance(999);
    expect(outcome).toBeUndefined();
    await handler.advance(1);
    expect(outcome).toBeInstanceOf(LockTimeoutError);
    expect(settledAt).toBe(2000);
    await handler.advance(0);
    expect([...nodes.keys()]).toEqual([h]); // its node was removed
    await handler.stop();
  });
});
