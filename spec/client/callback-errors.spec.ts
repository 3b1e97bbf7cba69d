// A watch callback or state listener that throws is never silent (docs/observability.md#callback-errors):
// with an `error` listener it is that event only, with a logger an error line with fields, and
// with neither one process warning per kind, with the stack. What reaches stderr is checked in a
// child process (jest keeps its own warning handlers), running the TypeScript sources through
// the same require hook a worker thread uses; so is NODE_DEBUG=zookit.

import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type LogFields, SequentialMicrotaskHandler } from '../../index.js';
import { startTestingServer, type TestingServer } from '../../testing/testing-server.js';
import { ClientPool, uniqueName, waitUntil } from './support.js';

let server: TestingServer;
const pool = new ClientPool();
beforeAll(async () => {
  server = await startTestingServer();
});
afterEach(() => pool.stopAll());
afterAll(async () => {
  await server?.close();
});

const INDEX = join(__dirname, '..', '..', 'index.ts');

/**
 * Runs `body` (an async function's text, with ZooKeeperClient and `hosts` in scope) in a child
 * Node process on the TypeScript sources, and resolves with its stderr once it exits.
 */
function runChild(
  body: string,
  env: Record<string, string> = {},
): Promise<{ code: number | null; stderr: string }> {
  // The worker bootstrap, minus its last line (which requires the worker's entry): just the hook.
  const bootstrap = join(__dirname, '..', '..', 'handlers', 'typescript-worker-bootstrap.cjs');
  const hook = readFileSync(bootstrap, 'utf8').replace('require(workerData.entry);', '');
  const script = `${hook}
    const { ZooKeeperClient, WorkerThreadsHandler } = require(${JSON.stringify(INDEX)});
    if (process.env.ZK_HANDLER === 'worker') ZooKeeperClient.defaultHandler = () => new WorkerThreadsHandler();
    const hosts = process.env.ZK_HOSTS;
    (async () => { ${body} })().then(() => console.error('done'), (e) => { console.error(e); process.exitCode = 2; });
  `;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-e', script], {
      env: { ...process.env, NODE_DEBUG: '', ...env, ZK_HOSTS: server.connectString },
      cwd: join(__dirname, '..', '..'),
    });
    let stderr = '';
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    child.stdout.resume();
    const killer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`the child did not exit within 60 s; stderr:\n${stderr}`));
    }, 60_000);
    child.on('exit', (code) => {
      clearTimeout(killer);
      resolve({ code, stderr });
    });
  });
}

describe('without an error listener or a logger', () => {
  it('prints one warning with the stack per kind of callback that throws', async () => {
    const { code, stderr } = await runChild(`
      const zk = new ZooKeeperClient({ hosts });
      await zk.start();
      const path = '/callback-errors-' + process.pid;
      await zk.create(path, 'a', { ephemeral: true });
      for (const value of ['b', 'c']) {
        const fired = new Promise((resolve) => zk.get(path, () => { resolve(); throw new Error('boom-watch-' + value); }));
        await zk.set(path, value);
        await fired;
      }
      zk.on('state', () => { throw new Error('boom-state'); });
      await zk.stop();
    `);
    expect(stderr).toContain('done');
    expect(code).toBe(0);
    // The first throw of each kind, with its stack; the second watch throw is not repeated.
    expect(stderr).toMatch(
      /\[ZOOKIT_CALLBACK_THREW\] ZookitWarning: a watch callback threw: Error: boom-watch-b[^\n]*\nError: boom-watch-b\n\s+at /,
    );
    expect(stderr).not.toContain('boom-watch-c');
    expect(stderr).toMatch(
      /ZookitWarning: a state listener threw: Error: boom-state[^\n]*\nError: boom-state\n\s+at /,
    );
  });

  it('prints every log line under NODE_DEBUG=zookit', async () => {
    const { code, stderr } = await runChild(
      `
      const zk = new ZooKeeperClient({ hosts });
      await zk.start();
      await zk.stop();
    `,
      { NODE_DEBUG: 'zookit' },
    );
    expect(code).toBe(0);
    expect(stderr).toMatch(
      /ZOOKIT \d+: info connection state CONNECTED \(127\.0\.0\.1:\d+\) \{ state: 'CONNECTED'/,
    );
    expect(stderr).toMatch(/ZOOKIT \d+: info connection state CLOSED/);
  });
});

describe('a callback that throws', () => {
  it('is logged at error level with its kind and error as fields when there is a logger, and not warned', async () => {
    const lines: Array<{ message: string; fields: LogFields | undefined }> = [];
    const warn = jest.spyOn(process, 'emitWarning');
    try {
      const zk = await pool.open({
        hosts: server.connectString,
        logger: { error: (message, fields) => lines.push({ message, fields }) },
      });
      const path = `/${uniqueName('logged')}`;
      await zk.create(path, 'a', { ephemeral: true });
      const boom = new Error('boom-logged');
      await zk.get(path, () => {
        throw boom;
      });
      await zk.set(path, 'b');
      await waitUntil(() => lines.length > 0, 'the error line');
      expect(lines).toEqual([
        {
          message: 'a watch callback threw: Error: boom-logged',
          fields: { kind: 'watch callback', err: boom },
        },
      ]);
      expect(warn).not.toHaveBeenCalled();
    } finally {
      warn.mockRestore();
    }
  });

  it('goes only to the error event when someone listens', async () => {
    const lines: string[] = [];
    const errors: unknown[] = [];
    const warn = jest.spyOn(process, 'emitWarning');
    try {
      const zk = await pool.open({
        hosts: server.connectString,
        logger: { error: (message) => lines.push(message) },
      });
      zk.on('error', (error) => errors.push(error));
      const path = `/${uniqueName('listened')}`;
      await zk.create(path, 'a', { ephemeral: true });
      const boom = new Error('boom-listened');
      await zk.get(path, () => {
        throw boom;
      });
      await zk.set(path, 'b');
      await waitUntil(() => errors.length > 0, 'the error event');
      expect(errors).toEqual([boom]);
      expect(lines).toEqual([]);
      expect(warn).not.toHaveBeenCalled();
    } finally {
      warn.mockRestore();
    }
  });
});

describe('clients sharing one handler', () => {
  it('report a throwing watch callback or state listener on the client it belongs to, not on the client constructed last', async () => {
    // One handler, two clients: the handler keeps one fallback reporter (the last client's), so
    // each client passes its own with every callback it dispatches (the herd test found the
    // first client's errors on the second's event before).
    const handler = new SequentialMicrotaskHandler();
    const first = await pool.open({ hosts: server.connectString, handler });
    const second = await pool.open({ hosts: server.connectString, handler });
    const errorsOf = { first: [] as unknown[], second: [] as unknown[] };
    first.on('error', (error) => errorsOf.first.push(error));
    second.on('error', (error) => errorsOf.second.push(error));
    const path = `/${uniqueName('shared-handler')}`;
    await first.create(path, 'a', { ephemeral: true });
    const fromWatch = new Error('first-watch');
    await first.get(path, () => {
      throw fromWatch;
    });
    const fromListener = new Error('second-listener');
    second.on('connectionState', () => {
      throw fromListener;
    });
    await second.set(path, 'b');
    await waitUntil(() => errorsOf.first.length > 0, "the first client's error event");
    await second.stop();
    await waitUntil(() => errorsOf.second.length > 0, "the second client's error event");
    expect(errorsOf.first).toEqual([fromWatch]);
    expect(errorsOf.second).toEqual([fromListener]);
    await first.stop();
    await handler.stop();
  });
});
