// zookit's diagnostics channels (docs/observability.md#tracing), subscribed to as an APM would:
// one start/end and one asyncStart/asyncEnd per request, `error` for a failing one; a connect
// attempt with its outcome; state changes and watch events. Published on the main thread, so the
// same holds with the connection loop in a worker (the `worker` project runs this file too).

import diagnostics_channel from 'node:diagnostics_channel';
import {
  ConnectionFailedError,
  type ConnectTraceContext,
  EventType,
  NoNodeError,
  type RequestTraceContext,
  type Stat,
  type StateChannelMessage,
  type WatchChannelMessage,
} from '../../index.js';
import { freePort } from '../../testing/ports.js';
import { startTestingServer, type TestingServer } from '../../testing/testing-server.js';
import { ClientPool, rejectionOf, uniqueName, waitUntil } from './support.js';

let server: TestingServer;
const pool = new ClientPool();
beforeAll(async () => {
  server = await startTestingServer();
});
afterEach(() => pool.stopAll());
afterAll(async () => {
  await server?.close();
});

const PHASES = ['start', 'end', 'asyncStart', 'asyncEnd', 'error'] as const;
type Phase = (typeof PHASES)[number];

/** Subscribes to every channel of a TracingChannel; `stop()` unsubscribes. */
function traceAll<C extends object>(name: string): { seen: Array<[Phase, C]>; stop: () => void } {
  const channel = diagnostics_channel.tracingChannel<unknown, C>(name);
  const seen: Array<[Phase, C]> = [];
  const handlers = Object.fromEntries(
    PHASES.map((phase) => [phase, (context: C) => void seen.push([phase, context])]),
  ) as unknown as Record<Phase, (context: C) => void>;
  channel.subscribe(handlers);
  return { seen, stop: () => channel.unsubscribe(handlers) };
}

/** The phases each context went through, in order. */
function phasesByContext<C extends object>(seen: Array<[Phase, C]>): Map<C, Phase[]> {
  const byContext = new Map<C, Phase[]>();
  for (const [phase, context] of seen) byContext.set(context, [...(byContext.get(context) ?? []), phase]);
  return byContext;
}

/** Every zookit channel, as Node names them. */
const CHANNEL_NAMES = [
  ...PHASES.flatMap((phase) => [`tracing:zookit:request:${phase}`, `tracing:zookit:connect:${phase}`]),
  'zookit:state',
  'zookit:watch',
];

describe('zookit:request', () => {
  it('sees exactly one start, end, asyncStart and asyncEnd per request, and error for a failing one', async () => {
    const zk = await pool.open({ hosts: server.connectString });
    const path = `/${uniqueName('traced')}`;
    const trace = traceAll<RequestTraceContext>('zookit:request');
    try {
      await zk.create(path, 'a');
      await zk.get(path);
      await zk.set(path, 'bb');
      expect(await rejectionOf(() => zk.get(`${path}/missing`))).toBeInstanceOf(NoNodeError);
      await zk.transaction().setData(path, 'ccc').create(`${path}/child`, 'x').commit();
    } finally {
      trace.stop();
    }
    const byContext = phasesByContext(trace.seen);
    const contexts = [...byContext.keys()].filter((c) => c.path?.startsWith(path) || c.op === 'multi');
    expect(contexts.map((c) => [c.op, c.path])).toEqual([
      ['create', path],
      ['getData', path],
      ['setData', path],
      ['getData', `${path}/missing`],
      ['multi', undefined],
    ]);
    for (const context of contexts) {
      const failed = context.path === `${path}/missing`;
      expect(byContext.get(context)).toEqual(
        failed
          ? ['start', 'end', 'error', 'asyncStart', 'asyncEnd']
          : ['start', 'end', 'asyncStart', 'asyncEnd'],
      );
      expect(context.xid).toBeGreaterThan(0);
      expect(context.requestBytes).toBeGreaterThan(8);
      expect(context.replyBytes).toBeGreaterThanOrEqual(16);
      expect(context.sessionId).toBe(zk.clientId?.sessionId);
    }
    const [create, get, , missing] = contexts;
    expect(create?.result).toBe(path);
    expect(String((get?.result as [Buffer] | undefined)?.[0])).toBe('a');
    expect(missing?.error).toBeInstanceOf(NoNodeError);
    // Consecutive requests on one connection: consecutive xids.
    const xids = contexts.map((c) => c.xid!);
    expect(xids).toEqual([...xids].sort((a, b) => a - b));
  });

  it("gives each reply's header zxid: a write's is its transaction's (the Stat's mzxid), and they never go down", async () => {
    const zk = await pool.open({ hosts: server.connectString });
    const path = `/${uniqueName('zxids')}`;
    const trace = traceAll<RequestTraceContext>('zookit:request');
    let created: Stat;
    let set: Stat;
    try {
      [, created] = await zk.create(path, 'a', { includeData: true });
      await zk.get(path);
      set = await zk.set(path, 'b');
      await rejectionOf(() => zk.get(`${path}/missing`));
      await zk.exists(path);
    } finally {
      trace.stop();
    }
    const contexts = [...phasesByContext(trace.seen).keys()].filter((c) => c.path?.startsWith(path));
    expect(contexts.map((c) => c.op)).toEqual(['create2', 'getData', 'setData', 'getData', 'exists']);
    const zxids = contexts.map((c) => c.zxid);
    expect(zxids[0]).toBe(created.czxid);
    expect(zxids[2]).toBe(set.mzxid);
    expect(zxids[1]).toBeGreaterThanOrEqual(created.czxid);
    for (let i = 1; i < zxids.length; i++) expect(zxids[i]! >= zxids[i - 1]!).toBe(true);
  });

  it('leaves nothing behind once unsubscribed: no subscriber of its own, and nothing published', async () => {
    const zk = await pool.open({ hosts: server.connectString });
    const trace = traceAll<RequestTraceContext>('zookit:request');
    await zk.exists('/');
    trace.stop();
    const seenWhileSubscribed = trace.seen.length;
    expect(seenWhileSubscribed).toBe(4);
    await zk.exists('/');
    expect(trace.seen).toHaveLength(seenWhileSubscribed);
    for (const name of CHANNEL_NAMES)
      expect([name, diagnostics_channel.hasSubscribers(name)]).toEqual([name, false]);
  });
});

describe('zookit:connect', () => {
  it('traces a connect attempt to its session, and a refused one with its cause', async () => {
    const trace = traceAll<ConnectTraceContext>('zookit:connect');
    const dead = await freePort();
    try {
      const zk = pool.create({ hosts: `127.0.0.1:${dead},${server.connectString}`, randomizeHosts: false });
      await zk.start({ timeout: 10_000 });
      const byContext = phasesByContext(trace.seen);
      const [refused, connected] = [...byContext.keys()];
      expect(byContext.get(refused!)).toEqual(['start', 'end', 'error', 'asyncStart', 'asyncEnd']);
      expect(refused).toMatchObject({ host: '127.0.0.1', port: dead, outcome: 'failed' });
      expect(refused?.error).toBeInstanceOf(ConnectionFailedError);
      expect(refused?.error?.causes[0]?.code).toBe('ECONNREFUSED');
      expect(byContext.get(connected!)).toEqual(['start', 'end', 'asyncStart', 'asyncEnd']);
      expect(connected).toMatchObject({
        host: '127.0.0.1',
        port: server.port,
        outcome: 'connected',
        sessionId: zk.clientId?.sessionId,
        readOnly: false,
      });
    } finally {
      trace.stop();
    }
  });
});

describe('zookit:state and zookit:watch', () => {
  it('publish every state change and every watch event delivered', async () => {
    const states: StateChannelMessage[] = [];
    const events: WatchChannelMessage[] = [];
    const onState = (message: unknown) => states.push(message as StateChannelMessage);
    const onWatch = (message: unknown) => events.push(message as WatchChannelMessage);
    diagnostics_channel.subscribe('zookit:state', onState);
    diagnostics_channel.subscribe('zookit:watch', onWatch);
    try {
      const zk = await pool.open({ hosts: server.connectString });
      const sessionId = zk.clientId?.sessionId;
      const path = `/${uniqueName('watched')}`;
      await zk.create(path, 'a', { ephemeral: true });
      const fired = new Promise((resolve) => zk.get(path, resolve));
      await zk.get(path, () => {});
      await zk.set(path, 'b');
      await fired;
      await zk.stop();
      await waitUntil(
        () => states.some((s) => s.connectionState === 'CLOSED'),
        `CLOSED in ${JSON.stringify(states, (_k, v) => (typeof v === 'bigint' ? String(v) : v))}`,
      );
      expect(events).toEqual([{ type: EventType.NodeDataChanged, state: 3, path, callbacks: 2 }]);
      expect(states.map((s) => [s.connectionState, s.clientState])).toEqual([
        ['CONNECTING', 'LOST'],
        ['CONNECTED', 'CONNECTED'],
        ['CLOSED', 'LOST'],
      ]);
      expect(states[1]?.sessionId).toBe(sessionId);
    } finally {
      diagnostics_channel.unsubscribe('zookit:state', onState);
      diagnostics_channel.unsubscribe('zookit:watch', onWatch);
    }
  });
});
