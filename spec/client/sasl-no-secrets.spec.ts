// No SASL password reaches anything a client reports (docs/security.md#secrets): every log line
// (debug level, and NODE_DEBUG=zookit in a child process), every event, error and diagnostics
// channel message, util.inspect and JSON of a client that authenticates with DIGEST-MD5,
// reconnects (authenticating again) and fails to authenticate with a wrong password. Searched in
// plain text, hex and base64: the DIGEST-MD5 response carries a hash, never the password.

import { spawn } from 'node:child_process';
import diagnostics_channel from 'node:diagnostics_channel';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { inspect } from 'node:util';
import type { LogFields, ZooKeeperClient } from '../../index.js';
import { startTestingServer, type TestingServer } from '../../testing/testing-server.js';
import { ClientPool, rejectionOf, sleep, TcpProxy, uniqueName, waitUntil } from './support.js';

const GOOD = 'Sasl-Good-Pa55-71f3';
const BAD = 'Sasl-Wrong-Pa55-c20e';

let server: TestingServer;
const pool = new ClientPool();
beforeAll(async () => {
  server = await startTestingServer({ sasl: { users: { alice: GOOD } } });
});
afterEach(() => pool.stopAll());
afterAll(async () => {
  await server?.close();
});

/** Everything printable about `value`: inspected to any depth, hidden properties and causes included. */
function printed(value: unknown): string {
  return inspect(value, {
    depth: Number.POSITIVE_INFINITY,
    showHidden: true,
    maxArrayLength: null,
    maxStringLength: null,
  });
}

/** A password as it could be printed: itself, its UTF-8 bytes in hex, base64 and base64url. */
function spellings(secret: string): string[] {
  const bytes = Buffer.from(secret, 'utf8');
  return [secret, bytes.toString('hex'), bytes.toString('base64'), bytes.toString('base64url')];
}

it('puts no SASL password in log lines, fields, events, errors, channel messages or util.inspect', async () => {
  const reported: string[] = [];
  const keep = (what: string) => (message: unknown, fields?: unknown) =>
    reported.push(`${what} ${printed(message)} ${printed(fields)}`);
  const logger = {
    debug: keep('debug') as (m: string, f?: LogFields) => void,
    info: keep('info') as (m: string, f?: LogFields) => void,
    warn: keep('warn') as (m: string, f?: LogFields) => void,
    error: keep('error') as (m: string, f?: LogFields) => void,
  };
  const onMessage = (message: unknown, name: string | symbol) =>
    reported.push(`${String(name)} ${printed(message)}`);
  const names = [
    ...['start', 'end', 'asyncStart', 'asyncEnd', 'error'].flatMap((p) => [
      `tracing:zookit:request:${p}`,
      `tracing:zookit:connect:${p}`,
    ]),
    'zookit:state',
    'zookit:watch',
  ];
  for (const name of names) diagnostics_channel.subscribe(name, onMessage);
  const listen = (client: ZooKeeperClient) => {
    for (const event of ['state', 'connectionState', 'connectionFailed', 'error'] as const)
      client.on(event, (...args: unknown[]) => reported.push(`${event} ${printed(args)}`));
  };

  try {
    const proxy = await TcpProxy.start('127.0.0.1', server.port);
    const zk = pool.create({
      hosts: proxy.connectString,
      sasl: { username: 'alice', password: GOOD },
      connectionRetry: { delay: 50, maxDelay: 100 },
      logger,
    });
    listen(zk);
    reported.push(printed(zk), JSON.stringify(zk) ?? '');
    await zk.start({ timeout: 10_000 });
    const path = `/${uniqueName('sasl-secrets')}`;
    await zk.create(path, 'a', { ephemeral: true });
    // A reconnect: the exchange runs again on the new connection.
    proxy.block();
    await waitUntil(() => reported.some((line) => line.startsWith('connectionFailed')), 'a failed pass');
    await sleep(200);
    proxy.unblock();
    await waitUntil(() => zk.state === 'CONNECTED', 'the reconnect');
    await zk.get(path);
    reported.push(printed(zk), JSON.stringify(zk) ?? '');
    await zk.stop();
    proxy.close();

    const refused = pool.create({
      hosts: server.connectString,
      authData: [['sasl', `alice:${BAD}`]],
      logger,
    });
    listen(refused);
    reported.push(printed(refused));
    reported.push(printed(await rejectionOf(() => refused.start({ timeout: 10_000 }))));
    reported.push(printed(await rejectionOf(() => refused.get('/'))));
  } finally {
    for (const name of names) diagnostics_channel.unsubscribe(name, onMessage);
  }

  // What was collected is the real thing: two SASL exchanges, a failed one, log lines of every level.
  const text = reported.join('\n');
  expect(text.match(/SASL DIGEST-MD5 authentication with .* complete/g)?.length).toBeGreaterThanOrEqual(2);
  for (const expected of [
    "op: 'sasl'",
    'AUTH_FAILED',
    'AuthFailedError',
    'debug ',
    'info ',
    'error ',
    'connectionFailed',
  ])
    expect(text).toContain(expected);
  for (const secret of [...spellings(GOOD), ...spellings(BAD)]) expect(text).not.toContain(secret);
});

it('prints no SASL password under NODE_DEBUG=zookit', async () => {
  // The TypeScript sources through the require hook a worker thread uses (spec/client/callback-errors.spec.ts).
  const bootstrap = join(__dirname, '..', '..', 'handlers', 'typescript-worker-bootstrap.cjs');
  const hook = readFileSync(bootstrap, 'utf8').replace('require(workerData.entry);', '');
  const index = join(__dirname, '..', '..', 'index.ts');
  const script = `${hook}
    const { ZooKeeperClient } = require(${JSON.stringify(index)});
    const hosts = process.env.ZK_HOSTS;
    (async () => {
      const zk = new ZooKeeperClient({ hosts, sasl: { username: 'alice', password: process.env.GOOD } });
      await zk.start();
      await zk.whoAmI();
      await zk.stop();
      const bad = new ZooKeeperClient({ hosts, authData: [['sasl', 'alice:' + process.env.BAD]] });
      await bad.start().then(() => { throw new Error('started'); }, (e) => console.error(e));
      await bad.stop();
    })().then(() => console.error('done'), (e) => { console.error(e); process.exitCode = 2; });
  `;
  const stderr = await new Promise<string>((resolve, reject) => {
    const child = spawn(process.execPath, ['-e', script], {
      env: { ...process.env, NODE_DEBUG: 'zookit', ZK_HOSTS: server.connectString, GOOD, BAD },
      cwd: join(__dirname, '..', '..'),
    });
    let err = '';
    child.stderr.on('data', (d) => {
      err += d;
    });
    child.stdout.resume();
    const killer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`the child did not exit within 60 s; stderr:\n${err}`));
    }, 60_000);
    child.on('exit', () => {
      clearTimeout(killer);
      resolve(err);
    });
  });
  expect(stderr).toContain('done');
  expect(stderr).toMatch(/ZOOKIT \d+: debug SASL DIGEST-MD5 authentication with .* complete/);
  expect(stderr).toMatch(/ZOOKIT \d+: info connection state AUTH_FAILED/);
  expect(stderr).toContain('AuthFailedError');
  for (const secret of [...spellings(GOOD), ...spellings(BAD)]) expect(stderr).not.toContain(secret);
});
