// The issue's acceptance round trip: a 10,000-node tree dumped, deleted with `rm -r`, loaded back
// and dumped again, which must give the same file (every path, its data byte for byte, its ACL
// and mode). It prints the time of each step; with Debian's zkCli.sh installed it also times
// zkCli's `deleteall` on the same tree beside `zookit rm -r` (docs/cli.md#performance has the
// numbers). Every node is written and read through the binary; a library client only checks.

import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeDigestCredential, type ZooKeeperClient } from '../../index.js';
import { startTestingServer, type TestingServer } from '../../testing/index.js';
import { clientOn, freshChroot, zookit } from './support.js';

const ZKCLI = '/usr/share/zookeeper/bin/zkCli.sh';
const OUT = join(__dirname, '..', '..', '.build', 'cli-round-trip');
const GROUPS = 100;
const PER_GROUP = 99;
/** The root, GROUPS groups and GROUPS × PER_GROUP leaves: 10,001 nodes. */
const TOTAL = 1 + GROUPS + GROUPS * PER_GROUP;

let server: TestingServer;
let hosts: string;
let zk: ZooKeeperClient;

beforeAll(async () => {
  server = await startTestingServer();
  hosts = await freshChroot(server.connectString, 'round-trip');
  zk = await clientOn(hosts, [['digest', 'owner:pw']]);
  mkdirSync(OUT, { recursive: true });
}, 120_000);

afterAll(async () => {
  await zk.close();
  await server.close();
});

/** A tree of every kind of content: UTF-8, binary, empty and long data; open, read-only and digest ACLs. */
function sourceTree(): string {
  const owner = `digest:${makeDigestCredential('owner', 'pw')}:cdrwa`;
  const nodes: object[] = [{ path: '/', data: 'root ✓', acl: ['world:anyone:cdrwa'] }];
  let seed = 7;
  const random = (): number => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed / 2 ** 31;
  };
  for (let g = 0; g < GROUPS; g++) {
    const group = `/group-${String(g).padStart(3, '0')}`;
    nodes.push({ path: group, data: `group ${g}`, acl: [owner, 'world:anyone:r'] });
    for (let n = 0; n < PER_GROUP; n++) {
      const path = `${group}/item-${String(n).padStart(10, '0')}`;
      const kind = n % 4;
      if (kind === 0) {
        const bytes = Buffer.from(Array.from({ length: 24 }, () => Math.floor(random() * 256)));
        nodes.push({ path, data: bytes.toString('base64'), encoding: 'base64', acl: ['world:anyone:r'] });
      } else if (kind === 1) nodes.push({ path, data: `ünïcødé ${n} — ✓`, acl: ['world:anyone:cdrwa'] });
      else if (kind === 2) nodes.push({ path, data: '', acl: [owner] });
      else nodes.push({ path, data: 'x'.repeat(Math.floor(random() * 200)), acl: ['world:anyone:cdrwa'] });
    }
  }
  return JSON.stringify({ format: 'zookit-dump', version: 1, root: '/big', nodes });
}

/** Runs the binary as the tree's owner (so digest hashes are shown to it); returns seconds taken. */
async function timed(...args: string[]): Promise<number> {
  const started = performance.now();
  const run = await zookit(['--hosts', hosts, '--auth', 'digest:owner:pw', ...args]);
  expect({ args, code: run.code, stderr: run.stderr }).toEqual({ args, code: 0, stderr: expect.any(String) });
  return (performance.now() - started) / 1000;
}

/** A dump file's nodes (its `taken` time differs by design). */
function nodesOf(file: string): unknown[] {
  return JSON.parse(readFileSync(file, 'utf8')).nodes;
}

describe('zookit dump → rm -r → load', () => {
  it(`gives back an identical ${TOTAL}-node tree (data, ACLs, modes), and reports its time`, async () => {
    writeFileSync(join(OUT, 'source.json'), sourceTree());
    const seconds: Record<string, number> = {};
    seconds['load (initial)'] = await timed('load', join(OUT, 'source.json'));
    expect(await zk.getAllChildrenNumber('/big')).toBe(TOTAL - 1);

    seconds['dump'] = await timed('dump', '/big', '-o', join(OUT, 'before.json'));
    seconds['rm -r'] = await timed('rm', '-r', '/big');
    expect(await zk.exists('/big')).toBeNull();
    seconds['load'] = await timed('load', join(OUT, 'before.json'));
    await timed('dump', '/big', '-o', join(OUT, 'after.json'));

    const before = nodesOf(join(OUT, 'before.json'));
    expect(before).toHaveLength(TOTAL);
    expect(nodesOf(join(OUT, 'after.json'))).toEqual(before);
    // And the dump is the source itself: nothing was lost on the first way in either.
    expect(before).toEqual(JSON.parse(readFileSync(join(OUT, 'source.json'), 'utf8')).nodes);

    const total = seconds['dump']! + seconds['rm -r']! + seconds['load']!;
    const line = `round trip of ${TOTAL} nodes: ${Object.entries(seconds)
      .map(([step, s]) => `${step} ${s.toFixed(2)} s`)
      .join(', ')}; dump + rm -r + load ${total.toFixed(2)} s`;
    console.log(line);
    writeFileSync(join(OUT, 'timings.json'), JSON.stringify({ nodes: TOTAL, seconds, total }, null, 2));
  });

  (existsSync(ZKCLI) ? it : it.skip)(
    `compares with zkCli.sh deleteall on the same ${TOTAL} nodes`,
    async () => {
      /** zkCli.sh reading commands from stdin (so `addauth` holds for the next command): seconds taken. */
      const zkCli = (script: string): { seconds: number; out: string; code: number | null } => {
        const started = performance.now();
        const run = spawnSync(ZKCLI, ['-server', hosts], {
          input: script,
          encoding: 'utf8',
          timeout: 300_000,
        });
        return {
          seconds: (performance.now() - started) / 1000,
          out: run.stdout + run.stderr,
          code: run.status,
        };
      };
      const startup = zkCli('ls /\nquit\n');
      expect(startup.out).toContain('[big]');

      await timed('load', join(OUT, 'source.json'), '/zkcli');
      await timed('load', join(OUT, 'source.json'), '/zookit');
      const deleteall = zkCli('addauth digest owner:pw\ndeleteall /zkcli\nquit\n');
      const zookitRm = await timed('rm', '-r', '/zookit');
      expect(await zk.exists('/zookit')).toBeNull();
      expect(await zk.exists('/zkcli')).toBeNull();
      const line =
        `zkCli.sh deleteall of ${TOTAL} nodes: ${deleteall.seconds.toFixed(2)} s ` +
        `(of which its start, as for ls /: ${startup.seconds.toFixed(2)} s); zookit rm -r: ${zookitRm.toFixed(2)} s`;
      console.log(line);
      writeFileSync(
        join(OUT, 'zkcli.json'),
        JSON.stringify(
          { nodes: TOTAL, zkCliDeleteall: deleteall.seconds, zkCliStartup: startup.seconds, zookitRm },
          null,
          2,
        ),
      );
    },
  );
});
