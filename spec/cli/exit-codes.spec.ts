// One test per exit code of the `zookit` binary (docs/cli.md#exit-codes), each with its one line
// on stderr: a script branches on `$?`, a person reads the line.

import { makeDigestCredential, type ZooKeeperClient } from '../../index.js';
import { startTestingServer, type TestingServer } from '../../testing/index.js';
import { clientOn, freshChroot, type Run, zookit } from './support.js';

let server: TestingServer;
let hosts: string;
let zk: ZooKeeperClient;

beforeAll(async () => {
  server = await startTestingServer();
  hosts = await freshChroot(server.connectString, 'exit-codes');
  zk = await clientOn(hosts);
}, 120_000);

afterAll(async () => {
  await zk.close();
  await server.close();
});

function run(...args: string[]): Promise<Run> {
  return zookit(['--hosts', hosts, ...args]);
}

/** The exit code and the stderr, which must be exactly one line. */
function outcome(result: Run): { code: number | null; line: string } {
  const lines = result.stderr.split('\n').filter(Boolean);
  expect(lines).toHaveLength(1);
  return { code: result.code, line: lines[0]! };
}

describe('zookit exit codes', () => {
  it('0 when the command did what it was asked', async () => {
    expect((await run('ls', '/')).code).toBe(0);
  });

  it('1 for a failure without a code of its own (a child under an ephemeral node)', async () => {
    const result = await run('create', '-e', '/e');
    expect(result.code).toBe(0);
    await zk.create('/owner', '', { ephemeral: true });
    expect(outcome(await run('create', '/owner/child'))).toEqual({
      code: 1,
      line: 'zookit: /owner/child: ephemeral nodes cannot have children (NOCHILDRENFOREPHEMERALS)',
    });
  });

  it('2 for a bad command line: unknown command, unknown option, missing argument, bad value', async () => {
    expect(outcome(await run('frobnicate'))).toEqual({
      code: 2,
      line: expect.stringContaining('unknown command "frobnicate"'),
    });
    expect(outcome(await run('ls', '--bogus'))).toEqual({
      code: 2,
      line: expect.stringContaining("Unknown option '--bogus'"),
    });
    expect(outcome(await run('get'))).toEqual({
      code: 2,
      line: 'zookit: get: wrong number of arguments (usage: get [--base64] PATH)',
    });
    expect(outcome(await run('set', '/x', 'v', '--version', 'abc'))).toEqual({
      code: 2,
      line: 'zookit: --version takes an integer ≥ -1, got "abc"',
    });
  });

  it('3 when the node does not exist', async () => {
    expect(outcome(await run('get', '/missing'))).toEqual({
      code: 3,
      line: 'zookit: /missing: no such node (NONODE)',
    });
  });

  it('4 when a --version condition fails', async () => {
    await zk.create('/versioned', 'v0');
    expect(outcome(await run('set', '--version', '7', '/versioned', 'v1'))).toEqual({
      code: 4,
      line: 'zookit: /versioned: version does not match (BADVERSION)',
    });
  });

  it('5 when the server refuses who we are (NOAUTH), and 0 with the right --auth', async () => {
    const acl = [{ perms: 31, id: { scheme: 'digest', id: makeDigestCredential('carol', 'right') } }];
    await zk.create('/private', 'secret', { acl });
    expect(outcome(await run('get', '/private'))).toEqual({
      code: 5,
      line: 'zookit: /private: not authorised (NOAUTH)',
    });
    expect((await run('--auth', 'digest:carol:wrong', 'get', '/private')).code).toBe(5);
    const good = await run('--auth', 'digest:carol:right', 'get', '/private');
    expect([good.code, good.stdout]).toEqual([0, 'secret']);
  });

  it('6 when no server can be reached', async () => {
    const result = await zookit(['--hosts', '127.0.0.1:1', '--timeout', '3000', 'ls', '/']);
    expect(outcome(result)).toEqual({
      code: 6,
      line: expect.stringMatching(/^zookit: no server could be reached \(127\.0\.0\.1:1: .*ECONNREFUSED/),
    });
  });

  it('7 when the node already exists', async () => {
    await zk.create('/taken', '');
    expect(outcome(await run('create', '/taken'))).toEqual({
      code: 7,
      line: 'zookit: /taken: node already exists (NODEEXISTS)',
    });
  });

  it('8 when rm meets children without -r', async () => {
    await zk.create('/parent/child', '', { makepath: true });
    expect(outcome(await run('rm', '/parent'))).toEqual({
      code: 8,
      line: 'zookit: /parent: node has children (use rm -r) (NOTEMPTY)',
    });
  });

  it('130 when Ctrl-C stops a long operation, saying how far it got', async () => {
    const nodes = [{ path: '/', data: '', acl: ['world:anyone:cdrwa'] }];
    for (let i = 0; i < 5000; i++)
      nodes.push({ path: `/n${i}`, data: 'x'.repeat(100), acl: ['world:anyone:cdrwa'] });
    const file = JSON.stringify({ format: 'zookit-dump', version: 1, root: '/big', nodes });
    expect((await zookit(['--hosts', hosts, '-q', 'load', '-'], { input: file })).code).toBe(0);
    let child: import('node:child_process').ChildProcess | undefined;
    const result = await zookit(['--hosts', hosts, 'dump', '/big', '-o', '/dev/null'], {
      onSpawn: (spawned) => {
        child = spawned;
      },
      // The first line says the dump started; Ctrl-C then (SIGINT, as a terminal sends it).
      onStderr: (text) => {
        if (text.includes('reading: 0/5001 nodes')) child?.kill('SIGINT');
      },
    });
    expect(result.code).toBe(130);
    const last = result.stderr.trimEnd().split('\n').at(-1)!;
    expect(last).toMatch(/^zookit: dump \/big \(reading\): interrupted after \d+ of 5001 nodes$/);
    expect(Number(/after (\d+)/.exec(last)![1])).toBeLessThan(5001);
  });
});
