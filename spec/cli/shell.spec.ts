// The interactive shell (`zookit` with no command) driven through a pseudo-terminal, as a person
// types at it: Tab completion of commands and node paths, `cd` and the prompt, history kept across
// runs (the up arrow), Ctrl-C stopping a running watch but not the shell, and a reconnect shown as
// it happens. spec/cli/pty-driver.py (Python's standard pty module) gives it the terminal.

import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ZooKeeperClient } from '../../index.js';
import { startTestingServer, type TestingServer } from '../../testing/index.js';
import { BIN, clientOn, freshChroot } from './support.js';

const PYTHON = '/usr/bin/python3';
const DRIVER = join(__dirname, 'pty-driver.py');

type Step = { expect: string; timeout?: number } | { send: string };

interface PtyRun {
  ok: boolean;
  failed_step: number | null;
  transcript: string;
  exit: number | null;
}

let server: TestingServer;
let hosts: string;
let zk: ZooKeeperClient;
let history: string;

beforeAll(async () => {
  server = await startTestingServer();
}, 120_000);

afterAll(async () => {
  await server.close();
});

beforeEach(async () => {
  hosts = await freshChroot(server.connectString, 'shell');
  zk = await clientOn(hosts);
  history = join(mkdtempSync(join(tmpdir(), 'zookit-history-')), 'history');
});

afterEach(async () => {
  await zk.close();
});

/** Runs the shell in a pseudo-terminal with `steps`; `during` runs while it does. */
function shell(steps: Step[], during?: (run: Promise<PtyRun>) => Promise<void>): Promise<PtyRun> {
  const run = new Promise<PtyRun>((resolve, reject) => {
    execFile(
      PYTHON,
      [DRIVER, JSON.stringify(steps), '--', process.execPath, BIN, '--hosts', hosts],
      { env: { ...process.env, ZOOKIT_HISTORY: history }, timeout: 120_000, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout) => (error ? reject(error) : resolve(JSON.parse(stdout) as PtyRun)),
    );
  });
  return during ? during(run).then(() => run) : run;
}

/** Fails with the transcript when a step was not met. */
function expectOk(run: PtyRun): void {
  expect({
    ok: run.ok,
    failed_step: run.failed_step,
    exit: run.exit,
    transcript: run.ok ? '' : run.transcript,
  }).toEqual({
    ok: true,
    failed_step: null,
    exit: 0,
    transcript: '',
  });
}

const PROMPT = (path: string): string => `zk CONNECTED 127\\.0\\.0\\.1:\\d+ ${path.replace(/\//g, '\\/')}> `;

describe('the zookit shell', () => {
  it('completes commands and node paths with Tab, and cd changes the prompt', async () => {
    await zk.create('/services/web/config', 'port=80', { makepath: true });
    await zk.create('/services/db', '');
    const run = await shell([
      { expect: PROMPT('/') },
      { send: 'tr\t' }, // the one command starting with tr
      { expect: 'tree ' },
      { send: '\r' },
      { expect: '└── services' },
      { expect: PROMPT('/') },
      { send: 'cd ser\t' }, // a node with children completes with a '/'
      { expect: 'cd services/' },
      { send: '\r' },
      { expect: PROMPT('/services') },
      { send: 'get web/con\t' },
      { expect: 'get web/config ' },
      { send: '\r' },
      { expect: 'port=80' },
      { send: 'ls \t\t' }, // two candidates: both listed
      { expect: 'db\\s+web' },
      { send: '\x15cd ..\r' },
      { expect: PROMPT('/') },
      { send: 'exit\r' },
    ]);
    expectOk(run);
  });

  it('keeps history across runs: the up arrow recalls the last session’s lines', async () => {
    await zk.create('/remembered', 'from last time');
    expectOk(
      await shell([
        { expect: PROMPT('/') },
        { send: 'get /remembered\r' },
        { expect: 'from last time' },
        { send: 'exit\r' },
      ]),
    );
    expect(readFileSync(history, 'utf8')).toContain('get /remembered\n');
    const second = await shell([
      { expect: PROMPT('/') },
      { send: '\x1b[A\x1b[A' }, // up twice: past `exit` to the get
      { expect: 'get /remembered' },
      { send: '\r' },
      { expect: 'from last time' },
      { send: 'exit\r' },
    ]);
    expectOk(second);
  });

  it('stops a running watch on Ctrl-C and stays open', async () => {
    await zk.create('/watched', '');
    const run = await shell(
      [
        { expect: PROMPT('/') },
        { send: 'watch /watched\r' },
        { expect: 'watching /watched' },
        { expect: 'NodeDataChanged /watched' },
        { send: '\x03' },
        { expect: PROMPT('/') },
        { send: 'get /watched\r' },
        { expect: 'changed' },
        { send: 'exit\r' },
      ],
      async () => {
        // The watch is set once the shell says so; the driver waits for the event it causes.
        await new Promise((resolve) => setTimeout(resolve, 4000));
        await zk.set('/watched', 'changed');
      },
    );
    expectOk(run);
  });

  it('shows a reconnect as it happens, and the prompt follows the state', async () => {
    const run = await shell(
      [
        { expect: PROMPT('/') },
        { expect: '-- CONNECTING', timeout: 60 },
        { expect: '-- CONNECTED to 127\\.0\\.0\\.1:\\d+ session 0x', timeout: 60 },
        { send: 'ls /\r' },
        { expect: PROMPT('/') },
        { send: 'exit\r' },
      ],
      async () => {
        await new Promise((resolve) => setTimeout(resolve, 3000));
        await server.restart();
      },
    );
    expectOk(run);
  });
});
