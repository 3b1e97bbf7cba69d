// After stop(), nothing the client made (timers, sockets, the loop) keeps Node alive: a process
// that used the client exits by itself. Checked in a child process with the compiled package, so
// jest's own handles cannot hide anything.

import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { startTestingServer, type TestingServer } from '../../testing/testing-server.js';

let server: TestingServer;
let outDir: string;

beforeAll(async () => {
  server = await startTestingServer();
  // Our own build, so this file never races spec/package.spec.ts over dist/.
  // Inside the repository, so the build finds eventemitter3 in node_modules.
  mkdirSync('.build', { recursive: true });
  outDir = mkdtempSync(join(process.cwd(), '.build', 'exit-'));
  execFileSync(
    process.execPath,
    [
      'node_modules/typescript/bin/tsc',
      '-p',
      'tsconfig.build.json',
      '--outDir',
      outDir,
      '--module',
      'commonjs',
      '--moduleResolution',
      'node10',
      '--declaration',
      'false',
      '--declarationMap',
      'false',
      '--sourceMap',
      'false',
    ],
    { stdio: 'pipe' },
  );
}, 120_000);

afterAll(async () => {
  await server?.close();
  if (outDir) rmSync(outDir, { recursive: true, force: true });
});

/** Runs `body` (an async function's text, with `zk` and `hosts` in scope) and resolves with its exit. */
let handlerName = 'sequential';

function runChild(body: string): Promise<{ code: number | null; out: string; ms: number }> {
  const script = `
    const { ZooKeeperClient, WorkerThreadsHandler } = require(${JSON.stringify(join(outDir, 'index.js'))});
    if (process.env.ZK_HANDLER === 'worker') ZooKeeperClient.defaultHandler = () => new WorkerThreadsHandler();
    const hosts = process.env.ZK_HOSTS;
    (async () => { ${body} })().then(() => console.log('done'), (e) => { console.error(e); process.exitCode = 2; });
  `;
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-e', script], {
      env: { ...process.env, ZK_HOSTS: server.connectString, ZK_HANDLER: handlerName },
    });
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
    });
    child.stderr.on('data', (d) => {
      out += d;
    });
    const killer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`the process did not exit by itself within 15 s; output:\n${out}`));
    }, 15_000);
    child.on('exit', (code) => {
      clearTimeout(killer);
      resolve({ code, out, ms: Date.now() - started });
    });
  });
}

describe.each(['sequential', 'worker'])('with the %s handler', (name) => {
  beforeEach(() => {
    handlerName = name;
  });

  it('exits by itself after a client connected, worked and was stopped', async () => {
    const result = await runChild(`
      const zk = new ZooKeeperClient({ hosts });
      await zk.start();
      await zk.create('/exit-' + process.pid, 'x', { ephemeral: true });
      await zk.get('/exit-' + process.pid, () => {});
      await zk.stop();
    `);
    expect(result.out).toContain('done');
    expect(result.code).toBe(0);
  });

  it('exits by itself when stop() is called from inside a watch callback', async () => {
    const result = await runChild(`
      const zk = new ZooKeeperClient({ hosts });
      await zk.start();
      const path = '/exit-watch-' + process.pid;
      await zk.create(path, 'a');
      const stopped = new Promise((resolve) => zk.get(path, () => resolve(zk.stop())));
      await zk.set(path, 'b');
      await stopped;
    `);
    expect(result.out).toContain('done');
    expect(result.code).toBe(0);
  });

  it('exits by itself when a client that never connected is stopped', async () => {
    const result = await runChild(`
      const zk = new ZooKeeperClient({ hosts: '127.0.0.1:1' });
      zk.startAsync();
      await new Promise((r) => setTimeout(r, 300));
      await zk.stop();
    `);
    expect(result.out).toContain('done');
    expect(result.code).toBe(0);
  });
});
