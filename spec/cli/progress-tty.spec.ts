// On a terminal a long operation draws a progress bar in place (docs/cli.md#long-operations-pipelined-with-progress-stopped-cleanly),
// and clears it before its summary line. The binary runs in a pseudo-terminal (spec/cli/pty-driver.py)
// behind a FaultProxy that delays every reply by 100 ms: an `rm -r` of 3,000 nodes then takes several
// round trips of 200 ms whatever the machine's speed, so the bar has its time to show.

import { execFile } from 'node:child_process';
import { join } from 'node:path';
import type { ZooKeeperClient } from '../../index.js';
import { FaultProxy, startTestingServer, type TestingServer } from '../../testing/index.js';
import { BIN, clientOn } from './support.js';

const PYTHON = '/usr/bin/python3';
const DRIVER = join(__dirname, 'pty-driver.py');
const NODES = 3000;

let server: TestingServer;
let proxy: FaultProxy;
let zk: ZooKeeperClient;

beforeAll(async () => {
  server = await startTestingServer();
  zk = await clientOn(server.connectString);
  await zk.create('/big');
  for (let i = 0; i < NODES; i += 500) {
    await Promise.all(
      Array.from({ length: Math.min(500, NODES - i) }, (_, k) => zk.create(`/big/n${i + k}`, 'x')),
    );
  }
  proxy = await FaultProxy.start({ host: server.host, port: server.port });
  proxy.delay(100, { direction: 'toClient' });
}, 120_000);

afterAll(async () => {
  await zk?.close();
  await proxy?.close();
  await server?.close();
});

it('draws a bar with the count and percentage on a terminal, then clears it for the summary', async () => {
  const steps = [
    { expect: `\\[#*\\.*\\] \\d+/${NODES + 1} +\\d+% \\d+/s`, timeout: 60 },
    { expect: `rm -r /big: deleted ${NODES + 1} nodes`, timeout: 60 },
  ];
  const run = await new Promise<{ ok: boolean; transcript: string; exit: number | null }>((resolve, reject) =>
    execFile(
      PYTHON,
      [
        DRIVER,
        JSON.stringify(steps),
        '--',
        process.execPath,
        BIN,
        '--hosts',
        proxy.connectString,
        'rm',
        '-r',
        '/big',
      ],
      { timeout: 120_000, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout) => (error ? reject(error) : resolve(JSON.parse(stdout))),
    ),
  );
  expect({ ok: run.ok, exit: run.exit, transcript: run.ok ? '' : run.transcript }).toEqual({
    ok: true,
    exit: 0,
    transcript: '',
  });
  // Redrawn in place: carriage return and erase-line, never a newline per update.
  expect(run.transcript).toContain('\r\x1b[2K');
  expect(await zk.exists('/big')).toBeNull();
}, 120_000);
