// The connection loop's clocks (docs/protocol.md#timing) against the in-memory fake server, on the
// virtual clock: pings, read timeout, connect timeout, connect backoff and client-side expiry. The
// test plays the client's end of the channel, so what the loop tells the client is observed as is.

import type { VirtualClockHandler } from '../../../handlers/virtual-clock.js';
import { connectionLoopTask } from '../../../lib/session/connection-loop.js';
import type { ClientToLoop, LoopInit, LoopToClient } from '../../../lib/session/loop-messages.js';
import { DEFAULT_MAX_INBOUND_FRAME_BYTES, OpCode } from '../../../protocol/constants.js';
import { encodeRequest } from '../../../protocol/operations.js';
import { drive, fakeEnsemble } from '../fake-server.js';

// Everything runs on the virtual clock: a test still running after a few real seconds is stuck.
jest.setTimeout(10_000);

const H1 = '127.0.0.1:1';
const H2 = '127.0.0.1:2';
const H3 = '127.0.0.1:3';

/** Ping jitter is 10–399 ms: a ping is due in (interval − 400, interval] ms of idle sending. */
const MAX_JITTER = 400;

type Message<K extends LoopToClient['t']> = Extract<LoopToClient, { t: K }>;

/** A loop under test and what it said to the client, each message with the virtual time it came. */
interface LoopRun {
  readonly events: Array<{ at: number; message: LoopToClient }>;
  of<K extends LoopToClient['t']>(t: K): Array<{ at: number; message: Message<K> }>;
  post(message: ClientToLoop): void;
  /** Stops the loop and waits (on the virtual clock) until it has ended. */
  stop(): Promise<void>;
}

const running: LoopRun[] = [];

afterEach(async () => {
  for (const loop of running.splice(0)) await loop.stop();
});

function startLoop(
  handler: VirtualClockHandler,
  init: Partial<Omit<LoopInit, 'hosts'>> & { hosts: string[] },
): LoopRun {
  const [clientEnd, loopEnd] = handler.createSocketPair<ClientToLoop, LoopToClient>();
  const events: LoopRun['events'] = [];
  clientEnd.onMessage((message) => events.push({ at: handler.now(), message }));
  const spawned = handler.spawn(connectionLoopTask, {
    channel: loopEnd,
    init: {
      randomizeHosts: false,
      sessionTimeout: 9000,
      sessionId: 0n,
      passwd: null,
      readOnly: false,
      tls: undefined,
      maxInboundFrameBytes: DEFAULT_MAX_INBOUND_FRAME_BYTES,
      connectionRetry: { maxTries: -1, delay: 100, backoff: 2, maxJitter: 0, maxDelay: 1000 },
      // Reconnect at once: the cases below time everything else (the jitter has its own case).
      reconnectJitter: 0,
      ...init,
      hosts: init.hosts.map((h) => ({
        host: h.slice(0, h.lastIndexOf(':')),
        port: Number(h.slice(h.lastIndexOf(':') + 1)),
      })),
    },
  });
  let stopped: Promise<void> | undefined;
  const loop: LoopRun = {
    events,
    of: <K extends LoopToClient['t']>(t: K) =>
      events.filter((e): e is { at: number; message: Message<K> } => e.message.t === t),
    post: (message) => clientEnd.post(message),
    stop: () => {
      stopped ??= (async () => {
        clientEnd.post({ t: 'stop', graceful: false });
        await drive(handler, spawned.done);
        clientEnd.close();
      })();
      return stopped;
    },
  };
  running.push(loop);
  return loop;
}

/** Times of consecutive pings, as gaps. */
function gaps(times: number[]): number[] {
  return times.slice(1).map((t, i) => t - times[i]!);
}

describe('connection loop pings', () => {
  it('pings readTimeout/2 of the negotiated timeout after the handshake, less at most 400 ms of jitter', async () => {
    const { fake, handler } = fakeEnsemble({ negotiatedTimeout: 9000 });
    // Asks for 30 s, is granted 9 s: readTimeout 6000, ping interval 3000.
    const loop = startLoop(handler, { hosts: [H1], sessionTimeout: 30_000 });
    await handler.advance(0);
    const [handshake] = loop.of('handshake');
    expect(handshake?.message.timeout).toBe(9000);
    const shakenAt = handshake!.at;

    await handler.advance(30_000);

    const pings = fake.pingTimes();
    expect(pings[0]! - shakenAt).toBeGreaterThan(3000 - MAX_JITTER);
    expect(pings[0]! - shakenAt).toBeLessThanOrEqual(3000);
    for (const gap of gaps(pings)) {
      expect(gap).toBeGreaterThan(3000 - MAX_JITTER);
      expect(gap).toBeLessThanOrEqual(3000);
    }
    // Jittered, so a fleet of clients does not ping in step.
    expect(new Set(gaps(pings)).size).toBeGreaterThan(1);
    // 30 s of 2.6–3 s gaps: 10 or 11 pings, all answered, so the connection stays up.
    expect(pings.length).toBeGreaterThanOrEqual(10);
    expect(pings.length).toBeLessThanOrEqual(11);
    expect(loop.of('disconnected')).toEqual([]);
    expect(fake.connections).toHaveLength(1);
  });

  it('counts idle time from the last frame sent, so no ping goes out while requests flow', async () => {
    const { fake, handler } = fakeEnsemble({ negotiatedTimeout: 9000 });
    fake.zxid = 5n;
    const loop = startLoop(handler, { hosts: [H1] });
    await handler.advance(0);
    const epoch = loop.of('handshake')[0]!.message.epoch;

    // A request every 2500 ms: always less idle time than the shortest ping delay (2601 ms).
    const sentAt: number[] = [];
    for (let xid = 1; xid <= 5; xid++) {
      await handler.advance(xid === 1 ? 1000 : 2500);
      loop.post({
        t: 'write',
        epoch,
        frames: [encodeRequest(xid, OpCode.exists, { path: '/a', watch: false })],
      });
      await handler.advance(0);
      sentAt.push(handler.now());
    }
    const lastSend = sentAt.at(-1)!;
    expect(fake.requests(OpCode.exists).map((f) => f.at)).toEqual([1000, 3500, 6000, 8500, 11_000]);
    expect(loop.of('frames')).toHaveLength(5);

    await handler.advance(5000);

    const pings = fake.pingTimes();
    expect(pings.length).toBeGreaterThanOrEqual(1);
    expect(pings[0]! - lastSend).toBeGreaterThan(3000 - MAX_JITTER);
    expect(pings[0]! - lastSend).toBeLessThanOrEqual(3000);
  });

  it('never goes more than 10 s without a ping, however long the negotiated timeout', async () => {
    // 60 s negotiated: readTimeout 40 s, so readTimeout/2 (20 s) is capped at 10 s.
    const { fake, handler } = fakeEnsemble({ negotiatedTimeout: 60_000 });
    const loop = startLoop(handler, { hosts: [H1], sessionTimeout: 60_000 });
    await handler.advance(0);
    const shakenAt = loop.of('handshake')[0]!.at;

    await handler.advance(60_000);

    const pings = fake.pingTimes();
    expect(pings[0]! - shakenAt).toBeGreaterThan(10_000 - MAX_JITTER);
    expect(pings[0]! - shakenAt).toBeLessThanOrEqual(10_000);
    for (const gap of gaps(pings)) {
      expect(gap).toBeGreaterThan(10_000 - MAX_JITTER);
      expect(gap).toBeLessThanOrEqual(10_000);
    }
    expect(pings.length).toBeGreaterThanOrEqual(6);
    expect(loop.of('disconnected')).toEqual([]);
  });
});

describe('connection loop read timeout', () => {
  it('drops the connection 2/3 of the negotiated timeout after the last byte received and resumes on the next host', async () => {
    const { fake, handler } = fakeEnsemble({ negotiatedTimeout: 9000 });
    const loop = startLoop(handler, { hosts: [H1, H2], sessionTimeout: 30_000 });
    await handler.advance(7000); // two pings answered
    const first = fake.latest!;
    expect(fake.pingTimes()).toHaveLength(2);
    const { sessionId, passwd } = loop.of('handshake')[0]!.message;

    first.silent = true;
    const lastByte = first.lastSentAt!;
    await handler.advance(lastByte + 6000 - 1 - handler.now());
    expect(first.closedAt).toBeUndefined();
    expect(loop.of('disconnected')).toEqual([]);

    await handler.advance(1);
    expect(first.closedBy).toBe('client');
    expect(first.closedAt).toBe(lastByte + 6000);
    expect(loop.of('disconnected').map((e) => [e.at, e.message.epoch])).toEqual([[lastByte + 6000, 1]]);
    // Pings went on into the silence, unanswered.
    expect(fake.pingTimes().length).toBeGreaterThan(2);

    // Reconnects at once, to the next host, resuming the same session.
    const second = fake.latest!;
    expect(second).not.toBe(first);
    expect(second.remoteAddress).toBe(H2);
    const resume = fake.connectRequests()[1]!;
    expect(resume.at).toBe(lastByte + 6000);
    expect(resume.connect.sessionId).toBe(sessionId);
    expect(resume.connect.passwd).toEqual(passwd);
    const handshakes = loop.of('handshake');
    expect(handshakes.map((e) => [e.at, e.message.epoch, e.message.sessionId])).toEqual([
      [0, 1, sessionId],
      [lastByte + 6000, 2, sessionId],
    ]);
  });
});

describe('connection loop reconnect jitter', () => {
  it('waits random × reconnectJitter before reconnecting after a connection that was up ends, drawn from the handler', async () => {
    const reconnectAt = async (random: number, reconnectJitter: number | undefined): Promise<number> => {
      const { fake, handler } = fakeEnsemble({ negotiatedTimeout: 9000 }, { random: () => random });
      const loop = startLoop(handler, { hosts: [H1, H2], sessionTimeout: 30_000, reconnectJitter });
      await handler.advance(1000);
      const droppedAt = handler.now();
      fake.latest!.close();
      await handler.advance(5000);
      expect(loop.of('disconnected').map((e) => e.at)).toEqual([droppedAt]);
      return fake.connectRequests()[1]!.at - droppedAt;
    };
    expect(await reconnectAt(0.25, 2000)).toBe(500);
    expect(await reconnectAt(0.999, 2000)).toBe(1998);
    expect(await reconnectAt(0.999, 0)).toBe(0);
    // The default: a tenth of the negotiated timeout (9 s), at most 1 s.
    expect(await reconnectAt(0.5, undefined)).toBe(450);
  });
});

describe('connection loop connect timeout', () => {
  it('abandons a host that never answers the handshake after sessionTimeout / hostCount and tries the next', async () => {
    const { fake, handler } = fakeEnsemble();
    fake.setMode('mute', H1);
    const loop = startLoop(handler, { hosts: [H1, H2], sessionTimeout: 9000 });
    await handler.advance(0);
    const mute = fake.latest!;
    expect(mute.remoteAddress).toBe(H1);
    expect(fake.connectRequests().map((f) => f.at)).toEqual([0]);

    await handler.advance(4499);
    expect(mute.closedAt).toBeUndefined();
    expect(fake.attempts).toHaveLength(1);

    await handler.advance(1);
    expect(mute.closedAt).toBe(4500);
    expect(mute.closedBy).toBe('client');
    expect(fake.attempts.map((a) => [a.at, a.address])).toEqual([
      [0, H1],
      [4500, H2],
    ]);
    expect(
      loop.of('handshake').map((e) => [e.at, `${e.message.server.host}:${e.message.server.port}`]),
    ).toEqual([[4500, H2]]);
    expect(loop.of('cycleFailed')).toEqual([]);
  });

  it('divides the negotiated timeout, not the requested one, once a session exists', async () => {
    const { fake, handler } = fakeEnsemble({ negotiatedTimeout: 9000 });
    const loop = startLoop(handler, { hosts: [H1, H2, H3], sessionTimeout: 30_000 });
    await handler.advance(1000);
    expect(loop.of('handshake')).toHaveLength(1);

    // H1 drops us and refuses; H2 accepts TCP but never answers; H3 works. 9000 / 3 = 3000 ms.
    fake.setMode('refuse', H1);
    fake.setMode('mute', H2);
    fake.latest!.close();
    await handler.advance(3000);

    const mute = fake.connections.find((c) => c.remoteAddress === H2)!;
    expect(mute.openedAt).toBe(1000);
    expect(mute.closedAt! - mute.openedAt).toBe(3000);
    expect(
      loop.of('handshake').map((e) => [e.at, `${e.message.server.host}:${e.message.server.port}`]),
    ).toEqual([
      [0, H1],
      [4000, H3],
    ]);
  });
});

describe('connection loop backoff', () => {
  it('sleeps the connection retry backoff between failed passes over the hosts, and not between hosts', async () => {
    const { fake, handler } = fakeEnsemble();
    fake.setMode('refuse');
    const loop = startLoop(handler, { hosts: [H1, H2, H3] });

    await handler.advance(5000);

    const passes = groupByTime(fake.attempts.map((a) => [a.at, a.address]));
    expect([...passes.keys()]).toEqual([0, 100, 300, 700, 1500, 2500, 3500, 4500]);
    for (const hosts of passes.values()) expect([...hosts].sort()).toEqual([H1, H2, H3]);
    expect(loop.of('cycleFailed').map((e) => e.at)).toEqual([0, 100, 300, 700, 1500, 2500, 3500, 4500]);
    expect(loop.of('handshake')).toEqual([]);
  });

  it('starts the backoff over after a successful handshake', async () => {
    const { fake, handler } = fakeEnsemble({ negotiatedTimeout: 30_000 });
    fake.setMode('refuse');
    const loop = startLoop(handler, { hosts: [H1, H2] });
    await handler.advance(1000); // passes at 0, 100, 300, 700 failed; the next is due at 1500
    expect(loop.of('cycleFailed').map((e) => e.at)).toEqual([0, 100, 300, 700]);

    fake.setMode('accept');
    await handler.advance(1000);
    expect(loop.of('handshake').map((e) => e.at)).toEqual([1500]);

    fake.setMode('refuse');
    fake.latest!.close();
    await handler.advance(1000);

    // At once after the drop, then 100, 200, 400 ms: not 1000 ms, where the old backoff had got to.
    expect(loop.of('disconnected').map((e) => e.at)).toEqual([2000]);
    expect(loop.of('cycleFailed').map((e) => e.at)).toEqual([0, 100, 300, 700, 2000, 2100, 2300, 2700]);
  });
});

describe('connection loop backoff while a session is held', () => {
  it('sleeps at most a tenth of the session timeout between passes, and as configured without a session', async () => {
    const connectionRetry = { maxTries: -1, delay: 100, backoff: 2, maxJitter: 0, maxDelay: 10_000 };
    // No session yet: 100, 200, 400 ... doubling up to maxDelay.
    const fresh = fakeEnsemble({ negotiatedTimeout: 30_000 });
    fresh.fake.setMode('refuse');
    const first = startLoop(fresh.handler, { hosts: [H1, H2], connectionRetry });
    await fresh.handler.advance(20_000);
    expect(first.of('cycleFailed').map((e) => e.at)).toEqual([0, 100, 300, 700, 1500, 3100, 6300, 12_700]);

    // A 30 s session lost its connection at 1000: the sleeps stop growing at 3000 ms, so a pass
    // comes every 3 s until the ensemble serves again (or the client-side expiry, at 41 000).
    const held = fakeEnsemble({ negotiatedTimeout: 30_000 });
    const loop = startLoop(held.handler, { hosts: [H1, H2], connectionRetry });
    await held.handler.advance(1000);
    expect(loop.of('handshake').map((e) => e.at)).toEqual([0]);
    held.fake.setMode('refuse');
    held.fake.latest!.close();
    await held.handler.advance(12_200);
    expect(loop.of('cycleFailed').map((e) => e.at)).toEqual([
      1000, 1100, 1300, 1700, 2500, 4100, 7100, 10_100, 13_100,
    ]);
  });
});

describe('connection loop randomness', () => {
  it('draws the ping jitter from the handler, so the pings fall at exact instants', async () => {
    // random 0.5: jitter 10 + ⌊0.5 × 390⌋ = 205 ms off the 3000 ms interval.
    const { fake, handler } = fakeEnsemble({ negotiatedTimeout: 9000 }, { random: () => 0.5 });
    startLoop(handler, { hosts: [H1] });
    await handler.advance(9000);
    expect(fake.pingTimes()).toEqual([2795, 5590, 8385]);
  });

  it("shuffles the hosts with the handler's random numbers", async () => {
    const firstPass = async (random: () => number): Promise<string[]> => {
      const { fake, handler } = fakeEnsemble({}, { random });
      fake.setMode('refuse');
      startLoop(handler, { hosts: [H1, H2, H3], randomizeHosts: true });
      await handler.advance(0);
      return fake.attempts.map((a) => a.address);
    };
    // Fisher–Yates drawing 0 every time swaps each place with the first: [H2, H3, H1].
    expect(await firstPass(() => 0)).toEqual([H2, H3, H1]);
    // Drawing just under 1 swaps each place with itself: the order as given.
    expect(await firstPass(() => 0.999_999)).toEqual([H1, H2, H3]);
  });

  it('draws the connect backoff jitter from the handler, unless connectionRetry.random is given', async () => {
    const passes = async (connectionRetry: LoopInit['connectionRetry']): Promise<number[]> => {
      // random 0.75: jitter factor 1 − 0.5 + 2 × 0.5 × 0.75 = 1.25.
      const { fake, handler } = fakeEnsemble({}, { random: () => 0.75 });
      fake.setMode('refuse');
      const loop = startLoop(handler, { hosts: [H1], connectionRetry });
      await handler.advance(500);
      return loop.of('cycleFailed').map((e) => e.at);
    };
    const retry = { maxTries: -1, delay: 100, backoff: 2, maxJitter: 0.5 };
    // Sleeps of 125, then 250 × 1.25 = 312.5.
    expect(await passes(retry)).toEqual([0, 125, 437.5]);
    // The user's own source wins: factor 0.5, so every sleep is 100 × 0.5 = 50, then 2 × 50 × 0.5.
    expect(await passes({ ...retry, random: () => 0 })).toEqual([
      0, 50, 100, 150, 200, 250, 300, 350, 400, 450, 500,
    ]);
  });

  it('replays a run exactly on a virtual clock with the default seed', async () => {
    const run = async () => {
      const { fake, handler } = fakeEnsemble({ negotiatedTimeout: 9000 });
      fake.setMode('refuse', H1);
      const loop = startLoop(handler, {
        hosts: [H1, H2, H3],
        randomizeHosts: true,
        connectionRetry: { maxTries: -1, delay: 100, backoff: 2, maxJitter: 0.4 },
      });
      await handler.advance(5000);
      fake.setMode('refuse');
      fake.latest!.close();
      await handler.advance(30_000);
      return {
        attempts: fake.attempts.map((a) => [a.at, a.address]),
        pings: fake.pingTimes(),
        events: loop.events.map((e) => [e.at, e.message.t]),
      };
    };
    const first = await run();
    expect(first.pings.length).toBeGreaterThan(0);
    expect(new Set(first.attempts.map(([, address]) => address)).size).toBe(3);
    expect(await run()).toEqual(first);
  });
});

describe('connection loop name resolution', () => {
  it("resolves host names only through the handler's lookup, every address of each, and reports the ones it cannot", async () => {
    const asked: string[] = [];
    const { fake, handler } = fakeEnsemble(
      {},
      {
        lookup: async (hostname) => {
          asked.push(hostname);
          if (hostname === 'zk-a.test')
            return [
              { address: '10.0.0.1', family: 4 },
              { address: 'fd00::1', family: 6 },
            ];
          throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' });
        },
      },
    );
    fake.setMode('refuse');
    const loop = startLoop(handler, { hosts: ['zk-a.test:2181', 'zk-b.test:2182', '10.0.0.9:2183'] });
    await handler.advance(0);
    expect(asked).toEqual(['zk-a.test', 'zk-b.test']); // an address literal is not looked up
    expect(fake.attempts.map((a) => a.address)).toEqual(['10.0.0.1:2181', 'fd00::1:2181', '10.0.0.9:2183']);
    // The name that did not resolve is one of the pass's causes, with its DNS code.
    const [failed] = loop.of('cycleFailed');
    expect(failed?.message.failures).toEqual([
      { host: 'zk-b.test', port: 2182, code: 'ENOTFOUND', message: 'getaddrinfo ENOTFOUND zk-b.test' },
      expect.objectContaining({ host: '10.0.0.1', port: 2181, hostname: 'zk-a.test', code: 'ECONNREFUSED' }),
      expect.objectContaining({ host: 'fd00::1', port: 2181, hostname: 'zk-a.test', code: 'ECONNREFUSED' }),
      expect.objectContaining({ host: '10.0.0.9', port: 2183, code: 'ECONNREFUSED' }),
    ]);
    expect(failed?.message.reason).toContain('zk-b.test:2182: getaddrinfo ENOTFOUND zk-b.test');
  });
});

describe('connection loop attempts', () => {
  it('tells the client of every attempt and its one outcome: connectFailed with the cause, or the handshake', async () => {
    const { fake, handler } = fakeEnsemble({}, {});
    fake.setMode('refuse', H1);
    fake.setMode('mute', H2); // accepts, never answers the handshake
    const loop = startLoop(handler, { hosts: [H1, H2, H3], sessionTimeout: 9000 });
    await handler.advance(5000);
    const told = loop.events
      .map((e) => e.message)
      .filter((m) => m.t === 'connecting' || m.t === 'connectFailed' || m.t === 'handshake')
      .map((m) =>
        m.t === 'connecting'
          ? `connecting ${m.server.host}:${m.server.port}`
          : m.t === 'connectFailed'
            ? `failed ${m.failure.host}:${m.failure.port} ${m.failure.code}`
            : `handshake ${m.server.host}:${m.server.port}`,
      );
    // The handshake timeout is the session timeout over the hosts, 3000 ms; a timeout is ETIMEDOUT.
    expect(told).toEqual([
      'connecting 127.0.0.1:1',
      'failed 127.0.0.1:1 ECONNREFUSED',
      'connecting 127.0.0.1:2',
      'failed 127.0.0.1:2 ETIMEDOUT',
      'connecting 127.0.0.1:3',
      'handshake 127.0.0.1:3',
    ]);
  });
});

describe('connection loop client-side expiry', () => {
  it('expires the session once 4/3 of the negotiated timeout passed without a byte, and not before', async () => {
    const { fake, handler } = fakeEnsemble({ negotiatedTimeout: 6000 });
    // A pass every 100 ms, so the expiry check runs just before 4/3 of the timeout and at it.
    const loop = startLoop(handler, {
      hosts: [H1, H2],
      sessionTimeout: 6000,
      connectionRetry: { maxTries: -1, delay: 100, backoff: 1, maxJitter: 0, maxDelay: 100 },
    });
    await handler.advance(0);
    expect(loop.of('handshake')).toHaveLength(1);
    // Partitioned right after the handshake: the server goes silent and no host can be reached.
    fake.latest!.silent = true;
    fake.setMode('refuse');

    await handler.advance(4000);
    expect(loop.of('disconnected').map((e) => e.at)).toEqual([4000]);

    await handler.advance(3999);
    expect(loop.of('expired')).toEqual([]);

    // As the Java client's `expirationTimeout - idleRecv <= 0`: at 4/3 of 6000 ms, 8000 ms.
    await handler.advance(1);
    expect(loop.of('expired').map((e) => e.at)).toEqual([8000]);
    await handler.advance(100);
    expect(loop.of('expired')).toHaveLength(1);

    // The next session is a new one.
    fake.setMode('accept');
    await handler.advance(200);
    const connects = fake.connectRequests();
    expect(connects).toHaveLength(2);
    expect(connects[1]!.connect.sessionId).toBe(0n);
    expect(connects[1]!.connect.passwd).toEqual(Buffer.alloc(16));
    const handshakes = loop.of('handshake');
    expect(handshakes).toHaveLength(2);
    expect(handshakes[1]!.message.sessionId).not.toBe(handshakes[0]!.message.sessionId);
  });
});

describe('connection loop shutdown', () => {
  it('leaves no timer behind once stopped', async () => {
    const { fake, handler } = fakeEnsemble({ negotiatedTimeout: 9000 });
    const loop = startLoop(handler, { hosts: [H1] });
    await handler.advance(5000);
    expect(handler.pendingTimers).toBeGreaterThan(0); // the keep-alive sleeps while connected
    await loop.stop();
    expect(loop.of('ended').map((e) => e.message.reason)).toEqual([undefined]);
    expect(fake.latest!.closedBy).toBe('client');
    expect(handler.pendingTimers).toBe(0);
  });
});

describe('connection loop shutdown during a handshake', () => {
  it('closes a connection whose handshake is pending when stopped, and never serves it', async () => {
    const { fake, handler } = fakeEnsemble({ negotiatedTimeout: 9000 });
    fake.setMode('mute');
    const loop = startLoop(handler, { hosts: [H1], sessionTimeout: 9000 });
    await handler.advance(100);
    const pending = fake.latest!;
    expect(fake.connectRequests()).toHaveLength(1);

    loop.post({ t: 'stop', graceful: false });
    await handler.advance(0);
    expect(loop.of('ended')).toHaveLength(1);
    expect(pending.closedBy).toBe('client');
    expect(pending.closedAt).toBe(100);

    // A server that answers late must not bring a stopped loop back to life.
    pending.unmute();
    await handler.advance(30_000);
    expect(loop.of('handshake')).toEqual([]);
    expect(fake.pingTimes()).toEqual([]);
    expect(handler.pendingTimers).toBe(0);
  });
});

function groupByTime(entries: Array<[number, string]>): Map<number, string[]> {
  const groups = new Map<number, string[]>();
  for (const [at, value] of entries) groups.set(at, [...(groups.get(at) ?? []), value]);
  return groups;
}
