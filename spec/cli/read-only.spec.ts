// Exit code 9 (docs/cli.md#exit-codes) needs a server that serves reads only: a member of a
// 3-member ensemble cut off from its quorum (the harness enables read-only mode on ensembles;
// 3.8.0 needs local sessions for a new session there, see spec/client/read-only.spec.ts). With
// `--read-only` the binary connects to it, reads, and a write fails with 9 and one line.

import { startTestingCluster, type TestingCluster } from '../../testing/index.js';
import { clientOn, zookit } from './support.js';

let cluster: TestingCluster;

beforeAll(async () => {
  cluster = await startTestingCluster({ size: 3, extraConfig: { localSessionsEnabled: true } });
  const zk = await clientOn(cluster.connectString);
  await zk.create('/ro-exit', 'written before');
  await zk.close();
  const [survivor, ...others] = cluster.servers;
  await Promise.all(others.map((member) => member.kill()));
  const deadline = Date.now() + 30_000;
  while ((await survivor!.fourLetterWord('isro', { timeout: 1000 }).catch(() => '')) !== 'ro') {
    if (Date.now() > deadline) throw new Error('the member did not turn read-only');
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}, 120_000);

afterAll(async () => {
  await cluster?.close();
});

it('9 when a write reaches a read-only server; reads there succeed', async () => {
  const hosts = cluster.servers[0]!.connectString;
  const read = await zookit(['--hosts', hosts, '--read-only', 'get', '/ro-exit']);
  expect({ code: read.code, stderr: read.stderr }).toEqual({ code: 0, stderr: '' });
  expect(read.stdout).toContain('written before');
  const write = await zookit(['--hosts', hosts, '--read-only', 'set', '/ro-exit', 'changed']);
  const lines = write.stderr.split('\n').filter(Boolean);
  expect({ code: write.code, lines: lines.length }).toEqual({ code: 9, lines: 1 });
  expect(lines[0]).toMatch(/read-only/i);
}, 60_000);
