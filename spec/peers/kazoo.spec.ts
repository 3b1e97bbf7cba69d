// The kazoo peer itself (spec/peers/kazoo.ts driving kazoo_driver.py) against a real server: the
// layouts kazoo 2.8.0 writes, as a zookit client reads them (what zookit's recipes must match),
// the driver's commands and events, and that no python process outlives its test file.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { stopAllServers } from '../../testing/process-registry.js';
import { startTestingServer, type TestingServer } from '../../testing/testing-server.js';
import { ClientPool, sleep, uniqueName, waitUntil } from '../client/support.js';
import { KAZOO_DRIVER, KAZOO_PYTHON, KazooError, KazooPeer } from './kazoo.js';

let server: TestingServer;
const pool = new ClientPool();
const peers: KazooPeer[] = [];

/** A kazoo peer on the test server, stopped after the test. */
async function kazoo(): Promise<KazooPeer> {
  const peer = await KazooPeer.start(server.connectString);
  peers.push(peer);
  return peer;
}

/** A contender node kazoo names `<uuid4 hex><NODE_NAME><10-digit sequence>`. */
const contenderName = (nodeName: string): RegExp => new RegExp(`^[0-9a-f]{32}${nodeName}\\d{10}$`);

/** Whether a process with this id still runs: a zombie (exited, not yet reaped) does not. */
function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    // /proc/<pid>/stat: "pid (comm) state ..."; an orphan's zombie waits for whoever reaps it.
    return !/\) Z /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return process.platform !== 'linux';
  }
}

beforeAll(async () => {
  server = await startTestingServer();
});

afterEach(async () => {
  await Promise.all(peers.splice(0).map((peer) => peer.stop()));
  await pool.stopAll();
});

afterAll(async () => {
  await server?.close();
});

describe("kazoo's layouts, as a zookit client reads them", () => {
  it('a Lock contender is <32 hex>__lock__<seq10>, its data the identifier, owned by the kazoo session', async () => {
    const peer = await kazoo();
    const zk = await pool.open({ hosts: server.connectString });
    const path = `/${uniqueName('kazoo-lock-layout')}`;
    const lock = await peer.Lock(path, 'kazoo-holder');

    expect(await lock.acquire({ timeout: 5_000 })).toBe(true);

    const children = await zk.getChildren(path);
    expect(children).toHaveLength(1);
    expect(children[0]).toMatch(contenderName('__lock__'));
    const [data, stat] = await zk.get(`${path}/${children[0]}`);
    expect(data?.toString('utf8')).toBe('kazoo-holder');
    expect(stat.ephemeralOwner).toBe(peer.sessionId);
    expect(await lock.isAcquired()).toBe(true);

    expect(await lock.release()).toBe(true);
    expect(await zk.getChildren(path)).toEqual([]);
  });

  it('a ReadLock contender is __rlock__, a WriteLock one __lock__; contenders() lists identifiers in order', async () => {
    const peer = await kazoo();
    const zk = await pool.open({ hosts: server.connectString });
    const path = `/${uniqueName('kazoo-rw-layout')}`;
    const reader = await peer.ReadLock(path, 'reader');
    const writer = await peer.WriteLock(path, 'writer');

    expect(await reader.acquire({ timeout: 5_000 })).toBe(true);
    expect(await writer.acquire({ blocking: false })).toBe(false);
    const waiting = writer.acquire({ timeout: 5_000 });
    await waitUntil(async () => (await zk.getChildren(path)).length === 2, 'the writer to contend');

    const names = (await zk.getChildren(path)).sort((a, b) => a.slice(-10).localeCompare(b.slice(-10)));
    expect(names[0]).toMatch(contenderName('__rlock__'));
    expect(names[1]).toMatch(contenderName('__lock__'));
    expect(await reader.contenders()).toEqual(['reader', 'writer']);

    await reader.release();
    expect(await waiting).toBe(true);
    await writer.release();
  });

  it('a Semaphore keeps max_leases as ASCII on its node, leases as <32 hex> with the identifier, its lock beside it', async () => {
    const peer = await kazoo();
    const zk = await pool.open({ hosts: server.connectString });
    const path = `/${uniqueName('kazoo-sem-layout')}`;
    const semaphore = await peer.Semaphore(path, 'kazoo-lease', 2);

    expect(await semaphore.acquire({ timeout: 5_000 })).toBe(true);

    const [max] = await zk.get(path);
    expect(max?.toString('latin1')).toBe('2');
    const leases = await zk.getChildren(path);
    expect(leases).toHaveLength(1);
    expect(leases[0]).toMatch(/^[0-9a-f]{32}$/);
    const [data, stat] = await zk.get(`${path}/${leases[0]}`);
    expect(data?.toString('utf8')).toBe('kazoo-lease');
    expect(stat.ephemeralOwner).toBe(peer.sessionId);
    expect(await zk.exists(`${path}-__lock__`)).not.toBeNull();
    expect(await semaphore.leaseHolders()).toEqual(['kazoo-lease']);

    expect(await semaphore.release()).toBe(true);
    expect(await zk.getChildren(path)).toEqual([]);
  });

  it('a NonBlockingLease writes lease_holder as json.dumps does: version, holder, end in naive UTC seconds', async () => {
    const peer = await kazoo();
    const zk = await pool.open({ hosts: server.connectString });
    const path = `/${uniqueName('kazoo-lease-layout')}`;
    const before = Date.now();

    expect(await peer.NonBlockingLease(path, 60_000, 'kazoo-host')).toBe(true);

    const [data, stat] = await zk.get(`${path}/lease_holder`);
    const text = data?.toString('utf8') ?? '';
    const match =
      /^\{"version": 1, "holder": "kazoo-host", "end": "(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)"\}$/.exec(text);
    expect(match).not.toBeNull();
    const end = Date.parse(`${match![1]}Z`);
    expect(end).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000 + 59_000);
    expect(end).toBeLessThanOrEqual(Date.now() + 60_000);
    expect(stat.ephemeralOwner).toBe(0n);
    // The lock it took meanwhile, directly under the lease path, is gone.
    expect(await zk.getChildren(path)).toEqual(['lease_holder']);
  });
});

describe('the driver', () => {
  it('answers other commands while an acquire waits, and pushes `acquired` when it returns', async () => {
    const holder = await kazoo();
    const waiter = await kazoo();
    const path = `/${uniqueName('kazoo-wait')}`;
    const held = await holder.Lock(path, 'first');
    const wanted = await waiter.Lock(path, 'second');
    await held.acquire({ timeout: 5_000 });

    const acquiring = wanted.acquire({ timeout: 10_000 });
    await waitUntil(async () => (await waiter.children(path)).length === 2, 'the second contender');
    expect(await wanted.contenders()).toEqual(['first', 'second']);
    expect(waiter.events.some((e) => e.event === 'acquired')).toBe(false);

    await held.release();
    await wanted.acquired();
    expect(await acquiring).toBe(true);
  });

  it("rejects with kazoo's exception: LockTimeout for an acquire that timed out, and its contender is gone", async () => {
    const holder = await kazoo();
    const waiter = await kazoo();
    const path = `/${uniqueName('kazoo-timeout')}`;
    await (await holder.Lock(path, 'holder')).acquire({ timeout: 5_000 });
    const late = await waiter.Lock(path, 'late');

    const error = await late.acquire({ timeout: 300 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KazooError);
    expect((error as KazooError).type).toBe('LockTimeout');
    expect(await waiter.children(path)).toHaveLength(1);
    await expect(waiter.request('no-such-command')).rejects.toMatchObject({ type: 'KeyError' });
  });

  it('runs an election whose leader holds on until resign(); the next contender is then elected', async () => {
    const peer = await kazoo();
    const path = `/${uniqueName('kazoo-election')}`;
    const first = await peer.Election(path, 'first');
    const second = await peer.Election(path, 'second');

    await first.run();
    await first.elected();
    await second.run();
    await waitUntil(async () => (await first.contenders()).length === 2, 'the second contender');
    expect(second.isLeader).toBe(false);

    await first.resign();
    await second.elected();
    expect(first.isLeader).toBe(false);
    expect(await second.contenders()).toEqual(['second']);
    await second.resign();
  });
});

describe('construct and call: any recipe kazoo binds, without a command of its own', () => {
  it('makes a kazoo Counter, runs its += and reads its value and attributes; zookit reads the node kazoo wrote', async () => {
    const peer = await kazoo();
    const zk = await pool.open({ hosts: server.connectString });
    const path = `/${uniqueName('kazoo-counter')}`;
    await peer.construct('c', 'Counter', [path], { default: 0 });
    await peer.call('c', '__iadd__', [5]);
    await peer.call('c', '__iadd__', [2]);
    expect(await peer.call('c', 'value')).toBe(7);
    expect([await peer.call('c', 'pre_value'), await peer.call('c', 'post_value')]).toEqual([5, 7]);
    const [data] = await zk.get(path);
    expect(data?.toString('ascii')).toBe('7'); // kazoo's repr(7)
  });

  it('passes and returns bytes as { bytes: base64 }, an iterator as a list; an unknown member is a KazooError', async () => {
    const peer = await kazoo();
    const path = `/${uniqueName('kazoo-queue')}`;
    const bytes = (text: string) => ({ bytes: Buffer.from(text).toString('base64') });
    await peer.construct('q', 'Queue', [path]);
    await peer.call('q', 'put', [bytes('low')], { priority: 200 });
    await peer.call('q', 'put', [bytes('high')], { priority: 10 });
    expect(await peer.call('q', 'get')).toEqual(bytes('high'));
    await expect(peer.call('q', 'no_such_member')).rejects.toBeInstanceOf(KazooError);
    await peer.construct('p', 'Party', [`${path}-party`], { identifier: 'py-member' });
    await peer.call('p', 'join');
    expect(await peer.call('p', '__iter__')).toEqual(['py-member']);
  });
});

describe('cleanup', () => {
  it('stop() ends the driver and closes its session: its ephemeral nodes are gone at once', async () => {
    const peer = await KazooPeer.start(server.connectString);
    const zk = await pool.open({ hosts: server.connectString });
    const path = `/${uniqueName('kazoo-stop')}`;
    await (await peer.Lock(path, 'gone')).acquire({ timeout: 5_000 });

    await peer.stop();

    expect(isRunning(peer.pid)).toBe(false);
    expect(await zk.getChildren(path)).toEqual([]);
    await expect(peer.request('session')).rejects.toThrow(/exited/);
  });

  it('stopAllServers(), which jest-cleanup runs after every test file, stops a peer left running', async () => {
    const peer = await KazooPeer.start(server.connectString);
    const pid = peer.pid;

    // The testing server must survive for the rest of this file: reopen what stopAllServers closes.
    await stopAllServers();
    server = await startTestingServer();

    expect(isRunning(pid)).toBe(false);
  });

  it('a driver whose parent is SIGKILLed exits within seconds and closes its session', async () => {
    const zk = await pool.open({ hosts: server.connectString });
    const path = `/${uniqueName('kazoo-orphan')}`;
    // A parent process that starts the driver, has it take a lock, and echoes what it says.
    const parentScript = `
      const driver = require('node:child_process').spawn(${JSON.stringify(KAZOO_PYTHON)},
        [${JSON.stringify(KAZOO_DRIVER)}, ${JSON.stringify(server.connectString)}], { stdio: ['pipe', 'pipe', 'inherit'] });
      console.log(JSON.stringify({ event: 'pid', pid: driver.pid }));
      driver.stdout.pipe(process.stdout);
      driver.stdin.write(JSON.stringify({ id: 1, cmd: 'new', name: 'l', recipe: 'Lock', path: ${JSON.stringify(path)} }) + '\\n');
      driver.stdin.write(JSON.stringify({ id: 2, cmd: 'acquire', name: 'l', timeout: 5 }) + '\\n');
      setInterval(() => {}, 1000);`;
    const parent = spawn(process.execPath, ['-e', parentScript], { stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      let driverPid = 0;
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('the orphan driver did not take its lock')), 20_000);
        createInterface({ input: parent.stdout }).on('line', (line) => {
          const message = JSON.parse(line);
          if (message.event === 'pid') driverPid = message.pid;
          if (message.event === 'acquired') {
            clearTimeout(timer);
            resolve();
          }
        });
      });
      expect(await zk.getChildren(path)).toHaveLength(1);

      parent.kill('SIGKILL');

      await waitUntil(() => !isRunning(driverPid), 'the orphaned driver to exit', { timeoutMs: 5_000 });
      expect(await zk.getChildren(path)).toEqual([]);
    } finally {
      parent.kill('SIGKILL');
      await sleep(0);
    }
  });
});
