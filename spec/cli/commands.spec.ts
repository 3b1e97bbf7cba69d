// One test per command of the `zookit` binary, each running the built binary against a real
// server (zookit/testing) in a chroot of its own, and checking what it printed and what it did to
// the tree (through a library client).

import { makeDigestCredential, type ZooKeeperClient } from '../../index.js';
import { startTestingServer, type TestingServer } from '../../testing/index.js';
import { clientOn, freshChroot, zookit } from './support.js';

let server: TestingServer;
let hosts: string;
let zk: ZooKeeperClient;

beforeAll(async () => {
  server = await startTestingServer();
}, 120_000);

afterAll(async () => {
  await server.close();
});

beforeEach(async () => {
  hosts = await freshChroot(server.connectString, expect.getState().currentTestName!.split(' ')[1]!);
  zk = await clientOn(hosts);
});

afterEach(async () => {
  await zk.close();
});

/** Runs the binary on this test's chroot; fails the test on a non-zero exit. */
async function ok(...args: string[]): Promise<string> {
  const run = await zookit(['--hosts', hosts, ...args]);
  expect({ args, code: run.code, stderr: run.stderr }).toEqual({ args, code: 0, stderr: run.stderr });
  return run.stdout;
}

describe('zookit', () => {
  it('ls lists the children sorted, -R every path below, --json as an array', async () => {
    await zk.create('/b', 'x', { makepath: true });
    await zk.create('/a/c', 'y', { makepath: true });
    expect(await ok('ls', '/')).toBe('a\nb\n');
    expect(await ok('ls', '-R', '/')).toBe('/a\n/a/c\n/b\n');
    expect(JSON.parse(await ok('ls', '--json', '/a'))).toEqual(['c']);
  });

  it('tree draws the subtree with sizes and marks ephemeral nodes', async () => {
    await zk.create('/app/config', 'hello', { makepath: true });
    await zk.create('/app/workers/w1', 'host-a', { makepath: true, ephemeral: true });
    const out = await ok('tree', '/app');
    expect(out).toBe(
      ['/app (0 B)', '├── config (5 B)', '└── workers (0 B)', '    └── w1 (6 B) [ephemeral]', ''].join('\n'),
    );
    const json = JSON.parse(await ok('tree', '--json', '/app'));
    expect(json.children.map((c: { path: string }) => c.path)).toEqual(['/app/config', '/app/workers']);
    expect(json.children[1].children[0]).toMatchObject({
      path: '/app/workers/w1',
      bytes: 6,
      ephemeral: true,
    });
  });

  it('get prints the raw bytes, --base64 encodes them, --json gives data and stat', async () => {
    await zk.create('/text', 'héllo\n');
    await zk.create('/bytes', Buffer.from([0xff, 0x00, 0x01]));
    expect(await ok('get', '/text')).toBe('héllo\n');
    expect(await ok('get', '--base64', '/bytes')).toBe('/wAB\n');
    const json = JSON.parse(await ok('get', '--json', '/bytes'));
    expect(json).toMatchObject({
      path: '/bytes',
      data: '/wAB',
      encoding: 'base64',
      stat: { version: 0, dataLength: 3 },
    });
  });

  it('stat prints the Stat as zkCli does, and as JSON with hex zxids', async () => {
    await zk.create('/s', 'abc');
    await zk.set('/s', 'abcd');
    const lines = (await ok('stat', '/s')).trimEnd().split('\n');
    expect(lines.map((line) => line.split(' = ')[0])).toEqual([
      'cZxid',
      'ctime',
      'mZxid',
      'mtime',
      'pZxid',
      'cversion',
      'dataVersion',
      'aclVersion',
      'ephemeralOwner',
      'dataLength',
      'numChildren',
    ]);
    expect(lines).toContain('dataVersion = 1');
    expect(lines).toContain('dataLength = 4');
    expect(JSON.parse(await ok('stat', '--json', '/s'))).toMatchObject({
      version: 1,
      czxid: expect.stringMatching(/^0x[0-9a-f]+$/),
    });
  });

  it('set writes data, from an argument, a file or stdin, at a --version', async () => {
    await zk.create('/v', 'one');
    await ok('set', '/v', 'two', '--version', '0');
    expect((await zk.get('/v'))[0]?.toString()).toBe('two');
    const run = await zookit(['--hosts', hosts, 'set', '/v', '--file', '-'], { input: 'three' });
    expect(run.code).toBe(0);
    expect((await zk.get('/v'))[0]?.toString()).toBe('three');
  });

  it('create makes every mode: persistent, ephemeral, sequential, container and TTL, with parents and ACLs', async () => {
    expect(await ok('create', '-p', '/x/y', 'data')).toBe('/x/y\n');
    expect(await ok('create', '-s', '/x/item-', 'q')).toBe('/x/item-0000000001\n');
    expect(await ok('create', '-c', '/box')).toBe('/box\n');
    expect(await ok('create', '-t', '600000', '/short-lived')).toBe('/short-lived\n');
    // The one-shot session ends as zookit exits: so does its ephemeral node.
    expect(await ok('create', '-e', '/gone')).toBe('/gone\n');
    expect(await zk.exists('/gone')).toBeNull();
    await ok('create', '--acl', 'world:anyone:r', '/read-only-node');
    expect((await zk.getAcls('/read-only-node'))[0]).toEqual([
      { perms: 1, id: { scheme: 'world', id: 'anyone' } },
    ]);
    expect((await zk.get('/x/y'))[0]?.toString()).toBe('data');
    expect(await zk.getChildren('/')).toEqual(expect.arrayContaining(['x', 'box', 'short-lived']));
  });

  it('rm deletes nodes, and -r whole subtrees', async () => {
    await zk.create('/one', '');
    await zk.create('/tree/a/b', '', { makepath: true });
    await zk.create('/tree/c', '');
    await ok('rm', '/one');
    await ok('rm', '-r', '/tree');
    expect(await zk.getChildren('/')).toEqual([]);
  });

  it('watch streams the events of a subtree (-r) as they happen, as text or JSON lines', async () => {
    await zk.create('/w', '');
    let started!: () => void;
    const watching = new Promise<void>((resolve) => {
      started = resolve;
    });
    const run = zookit(['--hosts', hosts, 'watch', '-r', '-n', '3', '--json', '/w'], {
      onStderr: (text) => {
        if (text.includes('watching /w and below')) started();
      },
    });
    await watching;
    await zk.create('/w/child', 'a');
    await zk.set('/w/child', 'b');
    await zk.delete('/w/child');
    const result = await run;
    expect(result.code).toBe(0);
    const events = result.stdout
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(events.map((e: { type: string; path: string }) => `${e.type} ${e.path}`)).toEqual([
      'NodeCreated /w/child',
      'NodeDataChanged /w/child',
      'NodeDeleted /w/child',
    ]);
  });

  it('acl get and set speak scheme:id:perms, and acl digest makes the id for a password', async () => {
    await zk.create('/guarded', 'x');
    expect(await ok('acl', 'get', '/guarded')).toBe('world:anyone:cdrwa\n');
    const id = (await ok('acl', 'digest', 'alice:secret')).trim();
    expect(id).toBe(`digest:${makeDigestCredential('alice', 'secret')}`);
    await ok('acl', 'set', '/guarded', `${id}:cdrwa`, 'world:anyone:r');
    // The server shows a digest hash only to a session with ADMIN on the node.
    await zk.addAuth('digest', 'alice:secret');
    const [acl] = await zk.getAcls('/guarded');
    expect(acl).toEqual([
      { perms: 31, id: { scheme: 'digest', id: makeDigestCredential('alice', 'secret') } },
      { perms: 1, id: { scheme: 'world', id: 'anyone' } },
    ]);
    const json = JSON.parse(await ok('--auth', 'digest:alice:secret', 'acl', 'get', '--json', '/guarded'));
    expect(json.map((entry: { text: string }) => entry.text)).toEqual([`${id}:cdrwa`, 'world:anyone:r']);
  });

  it('find prints the paths whose name matches a glob or a regular expression', async () => {
    await zk.create('/svc/web-1', '', { makepath: true });
    await zk.create('/svc/web-2', '');
    await zk.create('/svc/db-1', '');
    expect(await ok('find', '/', '--name', 'web-*')).toBe('/svc/web-1\n/svc/web-2\n');
    expect(JSON.parse(await ok('find', '--json', '--regex=-1$'))).toEqual(['/svc/db-1', '/svc/web-1']);
  });

  it('du counts nodes and data bytes for the node and each child', async () => {
    await zk.create('/d/a/x', '12345', { makepath: true });
    await zk.create('/d/b', '123');
    const json = JSON.parse(await ok('du', '--json', '/d'));
    expect(json).toEqual({
      path: '/d',
      nodes: 4,
      bytes: 8,
      children: [
        { path: '/d/a', nodes: 2, bytes: 5 },
        { path: '/d/b', nodes: 1, bytes: 3 },
      ],
    });
    expect(await ok('du', '/d')).toMatch(/^ +4 nodes +8 bytes {2}\/d$/m);
  });

  it('dump writes the subtree as JSON with data, encodings, ACLs and modes', async () => {
    await zk.create('/dump/text', 'hi', { makepath: true });
    await zk.create('/dump/bin', Buffer.from([0xc3, 0x28]), {
      acl: [{ perms: 1, id: { scheme: 'world', id: 'anyone' } }],
    });
    await zk.create('/dump/eph', '', { ephemeral: true });
    const file = JSON.parse(await ok('dump', '/dump'));
    expect(file).toMatchObject({ format: 'zookit-dump', version: 1, root: '/dump' });
    expect(file.nodes).toEqual([
      { path: '/', data: '', acl: ['world:anyone:cdrwa'] },
      { path: '/bin', data: 'wyg=', encoding: 'base64', acl: ['world:anyone:r'] },
      { path: '/eph', data: '', acl: ['world:anyone:cdrwa'], mode: 'ephemeral' },
      { path: '/text', data: 'hi', acl: ['world:anyone:cdrwa'] },
    ]);
    const forced = JSON.parse(await ok('dump', '--base64', '/dump/text'));
    expect(forced.nodes[0]).toMatchObject({ data: 'aGk=', encoding: 'base64' });
  });

  it('load creates a dump again, elsewhere too, with modes; --dry-run writes nothing', async () => {
    const file = JSON.stringify({
      format: 'zookit-dump',
      version: 1,
      root: '/orig',
      nodes: [
        { path: '/', data: 'root', acl: ['world:anyone:cdrwa'] },
        { path: '/box', data: null, acl: ['world:anyone:cdrwa'], mode: 'container' },
        { path: '/box/in', data: 'aGk=', encoding: 'base64', acl: ['world:anyone:cdrwa'] },
        { path: '/ttl', data: 't', acl: ['world:anyone:r'], mode: 'ttl', ttl: 600000 },
        { path: '/eph', data: 'e', acl: ['world:anyone:cdrwa'], mode: 'ephemeral' },
      ],
    });
    const dry = await zookit(['--hosts', hosts, 'load', '--dry-run', '-', '/copy'], { input: file });
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain('create /copy/box (container, 0 bytes)');
    expect(dry.stdout).toContain('create /copy/ttl (ttl 600000 ms, 1 bytes)');
    expect(dry.stderr).toContain('would create 4 nodes (1 ephemeral nodes skipped)');
    expect(await zk.exists('/copy')).toBeNull();
    const run = await zookit(['--hosts', hosts, 'load', '-', '/copy'], { input: file });
    expect([run.code, run.stderr]).toEqual([
      0,
      expect.stringContaining('created 4 nodes (1 ephemeral nodes skipped)'),
    ]);
    expect((await zk.get('/copy/box/in'))[0]?.toString()).toBe('hi');
    expect((await zk.getAcls('/copy/ttl'))[0]).toEqual([{ perms: 1, id: { scheme: 'world', id: 'anyone' } }]);
    expect((await zk.getChildren('/copy')).sort()).toEqual(['box', 'ttl']);
  });

  it('cp copies a subtree with data and ACLs in one transaction', async () => {
    await zk.create('/src', '');
    await zk.create('/src/a', 'A', {
      acl: [{ perms: 3, id: { scheme: 'world', id: 'anyone' } }],
    });
    await zk.create('/src/b', 'B');
    const run = await zookit(['--hosts', hosts, 'cp', '/src', '/dst']);
    expect([run.code, run.stderr]).toEqual([0, expect.stringContaining('copied 3 nodes in one transaction')]);
    expect((await zk.get('/dst/a'))[0]?.toString()).toBe('A');
    expect((await zk.getAcls('/dst/a'))[0]).toEqual([{ perms: 3, id: { scheme: 'world', id: 'anyone' } }]);
    expect((await zk.getChildren('/src')).sort()).toEqual(['a', 'b']);
  });

  it('mv moves a subtree atomically', async () => {
    await zk.create('/from/a/b', 'deep', { makepath: true });
    const run = await zookit(['--hosts', hosts, 'mv', '/from', '/to']);
    expect([run.code, run.stderr]).toEqual([0, expect.stringContaining('moved 3 nodes in one transaction')]);
    expect(await zk.exists('/from')).toBeNull();
    expect((await zk.get('/to/a/b'))[0]?.toString()).toBe('deep');
  });

  it('whoami names the identities of the session, the --auth digest among them', async () => {
    expect(await ok('whoami')).toMatch(/^ip\t127\.0\.0\.1$/m);
    const json = JSON.parse(await ok('--auth', 'digest:bob:pw', 'whoami', '--json'));
    expect(json).toEqual(expect.arrayContaining([{ authScheme: 'digest', user: 'bob' }]));
  });

  it('srvr prints the server summary, aligned or as JSON', async () => {
    expect(await ok('srvr')).toMatch(/^Zookeeper version: +3\.\d+\.\d+/m);
    const json = JSON.parse(await ok('srvr', '--json'));
    expect(json).toMatchObject({ mode: 'standalone', node_count: expect.any(Number) });
  });

  it('mntr prints the metrics, aligned or as JSON numbers', async () => {
    expect(await ok('mntr')).toMatch(/^zk_server_state +standalone$/m);
    expect(JSON.parse(await ok('mntr', '--json'))).toMatchObject({ zk_znode_count: expect.any(Number) });
  });

  it('cons prints one row per connection, the library client among them', async () => {
    const sessionId = `0x${zk.clientId!.sessionId.toString(16)}`;
    const out = await ok('cons');
    expect(out.split('\n')[0]).toMatch(/^address +sid +queued/);
    expect(out).toContain(sessionId);
    const rows = JSON.parse(await ok('cons', '--json'));
    expect(rows.some((row: { sid?: string }) => row.sid === sessionId)).toBe(true);
  });

  it('takes its hosts from ZK_HOSTS, chroot included, when --hosts is not given', async () => {
    await zk.create('/from-env', 'yes');
    const run = await zookit(['get', '/from-env'], { env: { ZK_HOSTS: hosts } });
    expect([run.code, run.stdout]).toEqual([0, 'yes']);
  });

  it('reads with --read-only as with any session', async () => {
    await zk.create('/ro', 'r');
    expect(await ok('--read-only', 'get', '/ro')).toBe('r');
  });

  it('prints its help with --help and a command usage with COMMAND --help', async () => {
    const help = await zookit(['--help']);
    expect(help.code).toBe(0);
    for (const name of ['ls', 'tree', 'dump', 'load', 'watch', 'acl', 'srvr'])
      expect(help.stdout).toMatch(new RegExp(`^  ${name}\\b`, 'm'));
    expect(help.stdout).toContain('exit codes:');
    expect((await zookit(['ls', '--help'])).stdout).toBe(
      'usage: zookit ls [-R] [PATH]\n  list the children of a node (-R: every node below it, as paths)\n',
    );
  });
});
