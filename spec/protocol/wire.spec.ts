// The codec against a real ZooKeeper server: the handshake, pipelining, ordering of
// notifications and replies, multi, and session expiry done on the server.

import { errorFromCode, NoNodeError } from '../../lib/errors.js';
import { CreateFlag, EventType, OpCode, Perm } from '../../protocol/constants.js';
import { expireSession } from '../../testing/expire-session.js';
import { RawSession } from '../../testing/raw-session.js';
import { startTestingServer, type TestingServer } from '../../testing/testing-server.js';

const OPEN_ACL = [{ perms: Perm.ALL, id: { scheme: 'world', id: 'anyone' } }];
let server: TestingServer;
let base: string;

beforeAll(async () => {
  server = await startTestingServer();
});
afterAll(async () => {
  await server?.close();
});

let counter = 0;
async function connect(options: Partial<Parameters<typeof RawSession.connect>[0]> = {}): Promise<RawSession> {
  return RawSession.connect({ host: server.host, port: server.port, ...options });
}

beforeEach(async () => {
  // A fresh subtree per test, so tests never see each other's nodes.
  base = `/wire-${process.pid}-${++counter}`;
  const s = await connect();
  const res = await s.request(OpCode.create, { path: base, data: null, acl: OPEN_ACL, flags: 0 });
  expect(res.header.err).toBe(0);
  await s.close();
});

describe('handshake against a real server', () => {
  it('creates a session: 64-bit id, 16-byte password, timeout clamped to the server bounds', async () => {
    const s = await connect({ sessionTimeout: 1000 });
    try {
      // tickTime 2000 → minSessionTimeout 4000.
      expect(s.negotiatedTimeout).toBe(4000);
      expect(s.sessionId).not.toBe(0n);
      expect(typeof s.sessionId).toBe('bigint');
      expect(s.passwd).toHaveLength(16);
      expect(s.expired).toBe(false);
    } finally {
      await s.close();
    }
    const big = await connect({ sessionTimeout: 10_000_000 });
    expect(big.negotiatedTimeout).toBe(40000);
    await big.close();
  });

  it('gets the readOnly byte echoed (37 bytes) when it sends one and a 36-byte answer when not', async () => {
    const withFlag = await connect({ readOnly: false });
    expect(withFlag.connectResponse.readOnly).toBe(false);
    await withFlag.close();
    const without = await connect({ readOnly: undefined });
    expect(without.connectResponse.readOnly).toBeUndefined();
    expect(without.expired).toBe(false);
    await without.close();
  });

  it('resumes a session with its id and password, and the server closes the first socket', async () => {
    const first = await connect();
    const second = await connect({ sessionId: first.sessionId, passwd: first.passwd });
    expect(second.sessionId).toBe(first.sessionId);
    await first.closed; // the server closed the older connection of the session
    const res = await second.request(OpCode.exists, { path: base, watch: false });
    expect(res.header.err).toBe(0);
    await second.close();
  });
});

describe('requests against a real server', () => {
  it('answers a pipeline of 1,000 getData requests in request order', async () => {
    const s = await connect();
    try {
      const data = Buffer.from('payload-0123456789');
      await s.request(OpCode.create, { path: `${base}/n`, data, acl: OPEN_ACL, flags: 0 });
      const before = s.arrivals.length;
      const replies = await Promise.all(
        s.requests(
          Array.from({ length: 1000 }, () => [OpCode.getData, { path: `${base}/n`, watch: false }] as const),
        ),
      );
      const xids = s.arrivals.slice(before);
      expect(xids).toHaveLength(1000);
      expect(xids).toEqual([...xids].sort((a, b) => a - b));
      for (const r of replies) {
        expect(r.header.err).toBe(0);
        expect(r.body?.data).toEqual(data);
        expect(r.body?.stat.dataLength).toBe(data.length);
      }
    } finally {
      await s.close();
    }
  });

  it('delivers the notification caused by a write before that write’s reply', async () => {
    const s = await connect();
    try {
      const path = `${base}/watched`;
      await s.request(OpCode.create, { path, data: Buffer.from('a'), acl: OPEN_ACL, flags: 0 });
      await s.request(OpCode.getData, { path, watch: true });
      const before = s.arrivals.length;
      const set = await s.request(OpCode.setData, { path, data: Buffer.from('b'), version: -1 });
      expect(s.arrivals.slice(before)).toEqual([-1, set.header.xid]);
      expect(s.events.at(-1)).toEqual({ type: EventType.NodeDataChanged, state: 3, path });
    } finally {
      await s.close();
    }
  });

  it('maps a missing node to NONODE with no body, and the session goes on', async () => {
    const s = await connect();
    try {
      const res = await s.request(OpCode.getData, { path: `${base}/missing`, watch: false });
      expect(res.header.err).toBe(-101);
      expect(res.body).toBeUndefined();
      expect(errorFromCode(res.header.err)).toBeInstanceOf(NoNodeError);
      expect((await s.request(OpCode.exists, { path: base, watch: false })).header.err).toBe(0);
    } finally {
      await s.close();
    }
  });

  it('runs a multi whose create2 comes back as a plain create result on 3.8', async () => {
    const s = await connect();
    try {
      const res = await s.request(OpCode.multi, [
        { type: OpCode.create2, request: { path: `${base}/m`, data: null, acl: OPEN_ACL, flags: 0 } },
        { type: OpCode.check, request: { path: `${base}/m`, version: 0 } },
        { type: OpCode.setData, request: { path: `${base}/m`, data: Buffer.from('x'), version: 0 } },
      ]);
      expect(res.header.err).toBe(0);
      expect(res.body?.[0]).toEqual({ type: OpCode.create, path: `${base}/m` });
      expect(res.body?.[1]).toEqual({ type: OpCode.check });
      expect(res.body?.[2]).toMatchObject({ type: OpCode.setData, stat: { version: 1 } });
    } finally {
      await s.close();
    }
  });

  it('reports a failed multi per op: 0 before the failure, its code, -2 after', async () => {
    const s = await connect();
    try {
      const res = await s.request(OpCode.multi, [
        { type: OpCode.create, request: { path: `${base}/ok`, data: null, acl: OPEN_ACL, flags: 0 } },
        { type: OpCode.check, request: { path: base, version: 42 } },
        { type: OpCode.delete, request: { path: `${base}/ok`, version: -1 } },
      ]);
      expect(res.header.err).toBe(0);
      expect(res.body).toEqual([
        { type: OpCode.error, err: 0 },
        { type: OpCode.error, err: -103 },
        { type: OpCode.error, err: -2 },
      ]);
      expect((await s.request(OpCode.exists, { path: `${base}/ok`, watch: false })).header.err).toBe(-101);
    } finally {
      await s.close();
    }
  });

  it('creates sequential, container and TTL nodes with their own op codes', async () => {
    const s = await connect();
    try {
      const seq = await s.request(OpCode.create, {
        path: `${base}/s-`,
        data: null,
        acl: OPEN_ACL,
        flags: CreateFlag.PERSISTENT_SEQUENTIAL,
      });
      expect(seq.body?.path).toMatch(new RegExp(`^${base}/s-\\d{10}$`));
      const container = await s.request(OpCode.createContainer, {
        path: `${base}/c`,
        data: null,
        acl: OPEN_ACL,
        flags: CreateFlag.CONTAINER,
      });
      expect(container.body?.stat.ephemeralOwner).toBe(0n);
      const ttl = await s.request(OpCode.createTTL, {
        path: `${base}/t`,
        data: null,
        acl: OPEN_ACL,
        flags: CreateFlag.PERSISTENT_WITH_TTL,
        ttl: 60_000n,
      });
      expect(ttl.header.err).toBe(0); // needs extendedTypesEnabled, which the harness sets
      const who = await s.request(OpCode.whoAmI, {});
      expect(who.body?.clientInfo).toContainEqual({ authScheme: 'ip', user: '127.0.0.1' });
    } finally {
      await s.close();
    }
  });
});

describe('session expiry on the server', () => {
  it('ends the session: its socket closes, its ephemerals vanish, resuming it is refused', async () => {
    const victim = await connect();
    const path = `${base}/eph`;
    await victim.request(OpCode.create, { path, data: null, acl: OPEN_ACL, flags: CreateFlag.EPHEMERAL });
    await expireSession(server.connectString, { sessionId: victim.sessionId, passwd: victim.passwd });
    await victim.closed;
    await expect(victim.request(OpCode.sync, { path: base })).rejects.toThrow(/closed/);

    const observer = await connect();
    expect((await observer.request(OpCode.exists, { path, watch: false })).header.err).toBe(-101);
    await observer.close();

    const resumed = await connect({ sessionId: victim.sessionId, passwd: victim.passwd });
    expect(resumed.expired).toBe(true);
    expect(resumed.sessionId).toBe(0n);
    await resumed.closed;
  });
});
