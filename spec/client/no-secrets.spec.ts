// No credential reaches anything a client reports (docs/observability.md#observability): every log
// line and its fields, every event, every error, and every diagnostics channel message of a client
// with auth data and digest credentials, through a connect, a reconnect, failed passes and a
// failFast start, is collected and searched for the passwords and the session password.

import diagnostics_channel from 'node:diagnostics_channel';
import { inspect } from 'node:util';
import type { LogFields, ZooKeeperClient } from '../../index.js';
import { freePort } from '../../testing/ports.js';
import { startTestingServer, type TestingServer } from '../../testing/testing-server.js';
import { ClientPool, rejectionOf, sleep, TcpProxy, uniqueName, waitUntil } from './support.js';

let server: TestingServer;
const pool = new ClientPool();
beforeAll(async () => {
  server = await startTestingServer();
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

/** Every way 16 password bytes could be printed: hex, hex with spaces (a Buffer), base64, decimal. */
function spellings(bytes: Buffer): string[] {
  const hex = bytes.toString('hex');
  return [hex, hex.match(/../g)!.join(' '), bytes.toString('base64'), [...bytes].join(', ')];
}

it('puts no credential and no session password in log lines, fields, events, errors or channel messages', async () => {
  const secrets = ['ctor-Pa55-5e1c', 'added-Pa55-9b07', 'failfast-Pa55-3d2a'];
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

  let password: Buffer | undefined;
  try {
    const proxy = await TcpProxy.start('127.0.0.1', server.port);
    const zk = pool.create({
      hosts: proxy.connectString,
      authData: [['digest', `u:${secrets[0]}`]],
      connectionRetry: { delay: 50, maxDelay: 100 },
      logger,
    });
    listen(zk);
    await zk.start({ timeout: 10_000 });
    password = zk.clientId?.password;
    await zk.addAuth('digest', `v:${secrets[1]}`);
    const path = `/${uniqueName('secrets')}`;
    await zk.create(path, 'a', { ephemeral: true });
    await zk.get(path, () => {});
    await zk.set(path, 'b');
    // A reconnect, with failed passes while the proxy turns every connection away.
    proxy.block();
    await waitUntil(() => reported.some((line) => line.startsWith('connectionFailed')), 'a failed pass');
    await sleep(200);
    proxy.unblock();
    await waitUntil(() => zk.state === 'CONNECTED', 'the reconnect');
    await zk.get(path);
    reported.push(printed(await rejectionOf(() => zk.get(`${path}/missing`))));
    await zk.stop();
    proxy.close();

    const refused = pool.create({
      hosts: `127.0.0.1:${await freePort()}`,
      authData: [['digest', `w:${secrets[2]}`]],
      logger,
    });
    listen(refused);
    reported.push(printed(await rejectionOf(() => refused.start({ failFast: true, timeout: 10_000 }))));
  } finally {
    for (const name of names) diagnostics_channel.unsubscribe(name, onMessage);
  }

  // What was collected is the real thing: states, passes, requests and log lines of every level.
  const text = reported.join('\n');
  for (const expected of [
    'connectionFailed',
    'tracing:zookit:request:asyncEnd',
    'tracing:zookit:connect:error',
    'zookit:state',
    'info ',
    'warn ',
    'ConnectionFailedError',
  ])
    expect(text).toContain(expected);
  expect(password).toBeDefined();
  for (const secret of [...secrets, ...spellings(password!)]) expect(text).not.toContain(secret);
});
