// The global options (where to connect and as whom) and the client they make: `--hosts` or
// ZK_HOSTS (a connect string with an optional chroot), TLS files, digest credentials and SASL,
// read-only sessions, and `--embedded`, which starts a throw-away ZooKeeper through zookit/testing
// first and points the client at it.

import { type ClientOptions, type SaslOptions, ZooKeeperClient } from '../index.js';
import { startTestingServer, type TestingServer } from '../testing/index.js';
import type { OptionSpec, OptionValues } from './command.js';
import { listOption, stringOption } from './command.js';
import { integerOption } from './context.js';
import { UsageError } from './exit-codes.js';

/** Options every command takes, before or after the command's name. */
export const GLOBAL_OPTIONS: Readonly<Record<string, OptionSpec>> = {
  hosts: { type: 'string', short: 'H' },
  'tls-ca': { type: 'string' },
  'tls-cert': { type: 'string' },
  'tls-key': { type: 'string' },
  auth: { type: 'string', multiple: true },
  sasl: { type: 'string' },
  'read-only': { type: 'boolean' },
  embedded: { type: 'boolean' },
  timeout: { type: 'string' },
  'session-timeout': { type: 'string' },
  json: { type: 'boolean' },
  quiet: { type: 'boolean', short: 'q' },
  help: { type: 'boolean', short: 'h' },
};

/** The default connect string, as zkCli.sh's. */
export const DEFAULT_HOSTS = '127.0.0.1:2181';
/** How long connecting may take before the command fails with exit code 6, ms. */
export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;

/** What connecting needs, read from the options and the environment. */
export interface ConnectionSettings {
  hosts: string;
  client: ClientOptions;
  connectTimeout: number;
  embedded: boolean;
}

/** The settings of `--hosts`/ZK_HOSTS, TLS, `--auth`, `--sasl`, `--read-only` and the timeouts. */
export function connectionSettings(options: OptionValues, env: NodeJS.ProcessEnv): ConnectionSettings {
  const hosts = stringOption(options, 'hosts') ?? env['ZK_HOSTS'] ?? DEFAULT_HOSTS;
  const authData = listOption(options, 'auth').map((entry): [string, string] => {
    const colon = entry.indexOf(':');
    if (colon <= 0)
      throw new UsageError(
        `--auth takes SCHEME:CREDENTIAL (e.g. digest:alice:secret), got ${JSON.stringify(entry)}`,
      );
    return [entry.slice(0, colon), entry.slice(colon + 1)];
  });
  const client: ClientOptions = { hosts, authData, readOnly: options['read-only'] === true };
  const sasl = stringOption(options, 'sasl');
  if (sasl !== undefined) client.sasl = saslOf(sasl);
  const ca = stringOption(options, 'tls-ca');
  const cert = stringOption(options, 'tls-cert');
  const key = stringOption(options, 'tls-key');
  if ((cert === undefined) !== (key === undefined))
    throw new UsageError('--tls-cert and --tls-key go together');
  if (ca !== undefined || cert !== undefined) {
    client.tls = {
      ...(ca === undefined ? {} : { caFile: ca }),
      ...(cert === undefined ? {} : { certFile: cert, keyFile: key }),
    };
  }
  const sessionTimeout = integerOption('session-timeout', stringOption(options, 'session-timeout'), 1);
  if (sessionTimeout !== undefined) client.sessionTimeout = sessionTimeout;
  return {
    hosts,
    client,
    connectTimeout:
      integerOption('timeout', stringOption(options, 'timeout'), 1) ?? DEFAULT_CONNECT_TIMEOUT_MS,
    embedded: options['embedded'] === true,
  };
}

/** `--sasl USER:PASSWORD` (DIGEST-MD5) or `--sasl gssapi` (Kerberos, from the credential cache). */
function saslOf(text: string): SaslOptions {
  if (text.toLowerCase() === 'gssapi') return { mechanism: 'GSSAPI' };
  const colon = text.indexOf(':');
  if (colon <= 0) throw new UsageError('--sasl takes USER:PASSWORD (DIGEST-MD5) or gssapi');
  return { mechanism: 'DIGEST-MD5', username: text.slice(0, colon), password: text.slice(colon + 1) };
}

/** A client and what to stop with it (the embedded server). */
export interface Connection {
  zk: ZooKeeperClient;
  embedded?: TestingServer;
  close(): Promise<void>;
}

/**
 * Makes the client (starting the embedded server first with `--embedded`: a chroot given in
 * `--hosts` is kept). With `session`, connects, failing at once when no host answers (exit 6).
 */
export async function connect(
  settings: ConnectionSettings,
  session: boolean,
  note: (line: string) => void,
): Promise<Connection> {
  let embedded: TestingServer | undefined;
  let hosts = settings.hosts;
  if (settings.embedded) {
    embedded = await startTestingServer();
    const slash = hosts.indexOf('/');
    hosts = embedded.connectString + (slash >= 0 ? hosts.slice(slash) : '');
    note(
      `embedded ZooKeeper serving at ${embedded.connectString} (${embedded.backend}); it stops when zookit exits`,
    );
  }
  const zk = new ZooKeeperClient({ ...settings.client, hosts });
  const close = async (): Promise<void> => {
    await zk.close().catch(() => undefined);
    await embedded?.close();
  };
  if (session) {
    try {
      await zk.start({ timeout: settings.connectTimeout, failFast: true });
    } catch (error) {
      await close();
      throw error;
    }
  }
  return { zk, close, ...(embedded ? { embedded } : {}) };
}
