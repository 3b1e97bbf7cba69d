// Connecting to the wrong place fails fast and says why (docs/observability.md#connection-failures):
// a bad host is refused by the constructor, every failed pass is a warn line and a
// `connectionFailed` event with each host's cause, start({ failFast }) rejects at the first failed
// pass, and start()'s TimeoutError carries the last pass's causes. DNS failures go through a
// handler whose lookup fails as Node's does for a `.invalid` name: a real lookup would ask the
// machine's name server, off 127.0.0.0/8.

import type { ResolvedAddress } from '../../handlers/handler.js';
import { HandlerTimeoutError } from '../../handlers/handler.js';
import { SequentialMicrotaskHandler } from '../../handlers/sequential-microtask.js';
import { ConnectionFailedError, InvalidArgumentError, type LogFields, ZooKeeperClient } from '../../index.js';
import { freePort } from '../../testing/ports.js';
import { ClientPool, rejectionOf } from './support.js';

const pool = new ClientPool();
afterEach(() => pool.stopAll());

const NO_SUCH_HOST = 'zookit-no-such-host.invalid';

/** The default handler, except that every name fails to resolve as getaddrinfo fails for `.invalid`. */
class UnresolvingHandler extends SequentialMicrotaskHandler {
  override async lookup(hostname: string): Promise<ResolvedAddress[]> {
    throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), {
      errno: -3008,
      code: 'ENOTFOUND',
      syscall: 'getaddrinfo',
      hostname,
    });
  }
}

/** Every line a logger was given, with its level and fields. */
function collectingLogger(): {
  lines: Array<{ level: string; message: string; fields: LogFields | undefined }>;
  logger: Record<'debug' | 'info' | 'warn' | 'error', (message: string, fields?: LogFields) => void>;
} {
  const lines: Array<{ level: string; message: string; fields: LogFields | undefined }> = [];
  const at = (level: string) => (message: string, fields?: LogFields) =>
    lines.push({ level, message, fields });
  return { lines, logger: { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') } };
}

describe('the hosts given to the constructor', () => {
  it.each([
    ['not a host:2181', /"not a host" .* is not a host name/],
    [['127.0.0.1:2181', 'not a host'], /not a host name/],
    ['127.0.0.1:0', /1\.\.65535/],
    ['127.0.0.1:65536', /1\.\.65535/],
    ['', /no hosts given/],
    [[], /no hosts given/],
  ])('are refused with InvalidArgumentError("hosts") before any connection: %j', (hosts, message) => {
    let thrown: unknown;
    try {
      new ZooKeeperClient({ hosts: hosts as string | string[] });
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(InvalidArgumentError);
    expect((thrown as InvalidArgumentError).argument).toBe('hosts');
    expect((thrown as Error).message).toMatch(message);
  });
});

describe('start({ failFast: true })', () => {
  it('rejects at the first failed pass with each host’s cause, and stops the client', async () => {
    const [a, b] = [await freePort(), await freePort()];
    const zk = pool.create({ hosts: `127.0.0.1:${a},127.0.0.1:${b}`, randomizeHosts: false });
    const passes: ConnectionFailedError[] = [];
    zk.on('connectionFailed', (error) => passes.push(error));
    // Without failFast this would wait out the whole minute and reject with a TimeoutError.
    const error = await rejectionOf(() => zk.start({ failFast: true, timeout: 60_000 }));
    expect(error).toBeInstanceOf(ConnectionFailedError);
    const { causes, message } = error as ConnectionFailedError;
    expect(causes).toEqual([
      expect.objectContaining({ host: '127.0.0.1', port: a, code: 'ECONNREFUSED' }),
      expect.objectContaining({ host: '127.0.0.1', port: b, code: 'ECONNREFUSED' }),
    ]);
    expect(message).toContain(`127.0.0.1:${a}: connect ECONNREFUSED 127.0.0.1:${a}`);
    expect(message).toContain(`127.0.0.1:${b}: connect ECONNREFUSED 127.0.0.1:${b}`);
    // One pass: one attempt per host, then the client is stopped.
    expect(passes).toHaveLength(1);
    expect(zk.connectionState).toBe('CLOSED');
  });

  it('names the DNS error of a host that does not resolve', async () => {
    const zk = pool.create({ hosts: `${NO_SUCH_HOST}:2181`, handler: new UnresolvingHandler() });
    const error = await rejectionOf(() => zk.start({ failFast: true, timeout: 60_000 }));
    expect(error).toBeInstanceOf(ConnectionFailedError);
    expect((error as Error).message).toContain(`${NO_SUCH_HOST}:2181: getaddrinfo ENOTFOUND ${NO_SUCH_HOST}`);
    expect((error as ConnectionFailedError).causes).toEqual([
      { host: NO_SUCH_HOST, port: 2181, code: 'ENOTFOUND', message: `getaddrinfo ENOTFOUND ${NO_SUCH_HOST}` },
    ]);
    expect(zk.connectionState).toBe('CLOSED');
  });
});

describe('a start without failFast', () => {
  it('logs a warn line and emits connectionFailed for every failed pass, and times out with the causes', async () => {
    const port = await freePort();
    const { lines, logger } = collectingLogger();
    const zk = pool.create({
      hosts: `127.0.0.1:${port}`,
      logger,
      connectionRetry: { delay: 50, maxDelay: 50 },
    });
    const passes: ConnectionFailedError[] = [];
    zk.on('connectionFailed', (error) => passes.push(error));
    const error = await rejectionOf(() => zk.start({ timeout: 1500 }));

    expect(error).toBeInstanceOf(HandlerTimeoutError);
    expect((error as Error).message).toContain('ECONNREFUSED');
    const cause = (error as Error).cause;
    expect(cause).toBeInstanceOf(ConnectionFailedError);
    expect((cause as ConnectionFailedError).causes).toEqual([
      expect.objectContaining({ host: '127.0.0.1', port, code: 'ECONNREFUSED' }),
    ]);

    expect(passes.length).toBeGreaterThan(1);
    const warnings = lines.filter((line) => line.level === 'warn');
    expect(warnings.length).toBe(passes.length);
    for (const warning of warnings) {
      expect(warning.message).toContain(`127.0.0.1:${port}: connect ECONNREFUSED`);
      expect(warning.fields).toEqual({ causes: [expect.objectContaining({ port, code: 'ECONNREFUSED' })] });
    }
  });

  it('keeps a DNS failure in the pass’s causes', async () => {
    const zk = pool.create({ hosts: `${NO_SUCH_HOST}:2181`, handler: new UnresolvingHandler() });
    const passes: ConnectionFailedError[] = [];
    zk.on('connectionFailed', (error) => passes.push(error));
    const error = await rejectionOf(() => zk.start({ timeout: 500 }));
    expect((error as Error).message).toContain(`getaddrinfo ENOTFOUND ${NO_SUCH_HOST}`);
    expect(passes[0]?.causes).toEqual([expect.objectContaining({ host: NO_SUCH_HOST, code: 'ENOTFOUND' })]);
  });
});
