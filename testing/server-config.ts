import { createHash } from 'node:crypto';
import type { ConnectionOptions as TlsConnectionOptions } from 'node:tls';
import type { BackendKind } from './backend-kinds.js';

/**
 * Password of the ZooKeeper superuser `super` on every harness server. A test-only secret: tests
 * authenticate with `addAuth('digest', 'super:' + SUPER_PASSWORD)` to bypass ACLs or to reconfig.
 */
export const SUPER_PASSWORD = 'zookit-super';

/** The superuser's digest id, `super:<base64 sha1 of "super:<password>">`, as the server expects it. */
export const SUPER_DIGEST = digestId('super', SUPER_PASSWORD);

/** JVM flags used unless `jvmFlags` is given: a small heap and a fast-starting JIT for tests. */
export const DEFAULT_JVM_FLAGS: readonly string[] = [
  '-Xms32m',
  '-Xmx256m',
  '-XX:+UseSerialGC',
  '-XX:TieredStopAtLevel=1',
];

/** Default ZooKeeper tick, in milliseconds; session timeouts are clamped to 2–20 ticks. */
export const DEFAULT_TICK_TIME_MS = 2000;

/** Default interval of the container/TTL reaper, in milliseconds (the server's default is 60000). */
export const DEFAULT_CONTAINER_CHECK_INTERVAL_MS = 1000;

/** Default deadline for a server or ensemble to start serving, in milliseconds. */
export const DEFAULT_START_TIMEOUT_MS = 60_000;

/** slf4j log levels the harness can ask a server for. */
export type ServerLogLevel = 'error' | 'warn' | 'info' | 'debug';

/** Options shared by `startTestingServer` and `startTestingCluster`. */
export interface ServerOptions {
  /** ZooKeeper tickTime in milliseconds (default 2000). */
  tickTimeMs?: number;
  /** Replaces `DEFAULT_JVM_FLAGS` (heap, GC, JIT); the harness's own -D flags are always added. */
  jvmFlags?: readonly string[];
  /** Extra JVM system properties, passed as -Dkey=value after the harness's own. */
  systemProperties?: Readonly<Record<string, string>>;
  /** Extra zoo.cfg lines (e.g. TLS settings); they override the harness's lines of the same key. */
  extraConfig?: Readonly<Record<string, string | number | boolean>>;
  /** `znode.container.checkIntervalMs`: how often containers and TTL nodes are reaped, in ms (default 1000). */
  containerCheckIntervalMs?: number;
  /** Server log level (default 'warn'); local servers log to `logFile` in their data directory. */
  logLevel?: ServerLogLevel;
  /** Deadline for the server or ensemble to serve, in milliseconds (default 60000). */
  startTimeoutMs?: number;
  /** Forces a backend for this call; wins over the ZOOKIT_TEST_BACKEND environment variable. */
  backend?: BackendKind;
  /**
   * Take every port the server or ensemble opens (client, quorum, election) from this inclusive
   * range, lowest free ones first, instead of any free port (docs/testing.md#ports).
   * PortUnavailableError when it holds too few free ports.
   */
  portRange?: readonly [low: number, high: number];
  /**
   * Serve SASL clients: a JAAS file with a `Server` section (DIGEST-MD5 users, or `jaas` as
   * given), the SASL auth provider, and unless `require: false` the server refuses every client
   * that has not authenticated with SASL (docs/testing.md#sasl). Local backend only.
   */
  sasl?: SaslServerOptions;
}

/** SASL settings of a harness server (docs/testing.md#sasl). */
export interface SaslServerOptions {
  /** DIGEST-MD5 users: name → password, as `user_<name>="<password>"` of DigestLoginModule. */
  users?: Readonly<Record<string, string>>;
  /**
   * Enforce SASL (`enforce.auth.enabled=true`, `enforce.auth.schemes=sasl`): a client without it
   * gets -124 (SESSIONCLOSEDREQUIRESASLAUTH). Default true.
   */
  require?: boolean;
  /**
   * The whole JAAS file instead of the generated one (e.g. a Kerberos `Server` section with a
   * keytab); krb5 settings go in `systemProperties` (`java.security.krb5.conf`, ...).
   */
  jaas?: string;
}

/** Options of `startTestingServer`: the shared ones and a standalone server's own. */
export interface StandaloneServerOptions extends ServerOptions {
  /**
   * The client port (1–65535) instead of a free one; PortUnavailableError if it is taken. Not
   * with `portRange` (docs/testing.md#ports).
   */
  port?: number;
  /**
   * Serve clients over TLS only: the server's one client port is a `secureClientPort` (through the
   * Netty connection factory) and it opens no plain one, so `port` is the TLS port. The harness's
   * own probes (readiness, `fourLetterWord`, `mode`) connect with these Node `tls.connect` options.
   * The server's key and trust stores still go in `extraConfig` (see `serverSslConfig`). Local
   * backend only: the stores are files on this machine.
   */
  tlsOnly?: TlsConnectionOptions;
}

/** The ports of one ensemble member, all on 127.0.0.1. */
export interface MemberPorts {
  /** The member's myid, 1-based. */
  id: number;
  /** Client port. */
  clientPort: number;
  /** Port followers use to talk to the leader. */
  quorumPort: number;
  /** Port for leader election. */
  electionPort: number;
}

/** The JAAS file of a SASL server: `sasl.jaas` as given, else a DigestLoginModule `Server` section with the users. */
export function jaasConfig(sasl: SaslServerOptions): string {
  if (sasl.jaas !== undefined) return sasl.jaas;
  const users = Object.entries(sasl.users ?? {}).map(([name, password]) => {
    if (!/^[A-Za-z0-9_.-]+$/.test(name))
      throw new Error(`SASL user name ${JSON.stringify(name)} is not a JAAS option name`);
    return `  user_${name}="${password.replace(/(["\\])/g, '\\$1')}"`;
  });
  return `Server {\n  org.apache.zookeeper.server.auth.DigestLoginModule required\n${users.join('\n')};\n};\n`;
}

/** zoo.cfg lines of a SASL server: enforcement unless `require: false`. */
export function saslServerConfig(sasl: SaslServerOptions | undefined): Record<string, string | boolean> {
  if (sasl === undefined || sasl.require === false) return {};
  return { 'enforce.auth.enabled': true, 'enforce.auth.schemes': 'sasl' };
}

/** JVM system properties of a SASL server whose JAAS file is `jaasFile`. */
export function saslSystemProperties(jaasFile: string): Record<string, string> {
  return {
    'java.security.auth.login.config': jaasFile,
    'zookeeper.authProvider.sasl': 'org.apache.zookeeper.server.auth.SASLAuthenticationProvider',
  };
}

/** `user:<base64 sha1 of "user:password">`, the id of ZooKeeper's digest scheme. */
export function digestId(user: string, password: string): string {
  return `${user}:${createHash('sha1').update(`${user}:${password}`).digest('base64')}`;
}

/** zoo.cfg lines every harness server gets, standalone or not. */
function commonConfig(dataDir: string, tickTimeMs: number): Record<string, string | number | boolean> {
  return {
    tickTime: tickTimeMs,
    dataDir,
    '4lw.commands.whitelist': '*',
    // The admin server would take port 8080 and, with Debian's jars, fail without servlet-api.jar.
    'admin.enableServer': false,
    // Without it createTTL answers UNIMPLEMENTED; unknown keys become zookeeper.* system properties.
    extendedTypesEnabled: true,
    reconfigEnabled: true,
    maxClientCnxns: 0,
  };
}

/**
 * zoo.cfg text for a standalone server listening on 127.0.0.1:`clientPort`; with `tlsOnly` that
 * port is a secureClientPort (the Netty factory serves it) and no plain port is opened.
 */
export function standaloneConfig(options: {
  dataDir: string;
  clientPort: number;
  tlsOnly?: boolean;
  tickTimeMs?: number;
  extraConfig?: ServerOptions['extraConfig'];
}): string {
  const port: Record<string, string | number> = options.tlsOnly
    ? {
        secureClientPort: options.clientPort,
        secureClientPortAddress: '127.0.0.1',
        serverCnxnFactory: 'org.apache.zookeeper.server.NettyServerCnxnFactory',
      }
    : { clientPort: options.clientPort, clientPortAddress: '127.0.0.1' };
  return renderConfig({
    ...commonConfig(options.dataDir, options.tickTimeMs ?? DEFAULT_TICK_TIME_MS),
    ...port,
    ...options.extraConfig,
  });
}

/**
 * zoo.cfg text for one ensemble member. Client addresses ride on the `server.N=…;127.0.0.1:port`
 * lines (the dynamic-config form) instead of clientPort, so each lives in one place that reconfig
 * can change. With reconfigEnabled the server moves these lines into its own zoo.cfg.dynamic.*
 * file on first start and rewrites zoo.cfg; a restart reads the rewritten pair.
 */
export function ensembleMemberConfig(options: {
  dataDir: string;
  members: readonly MemberPorts[];
  tickTimeMs?: number;
  extraConfig?: ServerOptions['extraConfig'];
}): string {
  const servers: Record<string, string> = {};
  for (const m of options.members) {
    servers[`server.${m.id}`] = `127.0.0.1:${m.quorumPort}:${m.electionPort};127.0.0.1:${m.clientPort}`;
  }
  return renderConfig({
    ...commonConfig(options.dataDir, options.tickTimeMs ?? DEFAULT_TICK_TIME_MS),
    initLimit: 10,
    syncLimit: 5,
    // Even a one-member ensemble runs as a quorum peer (Mode: leader), so reconfig can grow it.
    standaloneEnabled: false,
    ...servers,
    ...options.extraConfig,
  });
}

function renderConfig(entries: Record<string, string | number | boolean>): string {
  return `${Object.entries(entries)
    .map(([key, value]) => `${key}=${value}`)
    .join('\n')}\n`;
}

/** JVM system properties every harness server gets (local JVM flags and Docker's JVMFLAGS alike). */
export function serverSystemProperties(options: {
  ensemble: boolean;
  containerCheckIntervalMs?: number;
  systemProperties?: ServerOptions['systemProperties'];
}): Record<string, string> {
  return {
    'zookeeper.admin.enableServer': 'false',
    'znode.container.checkIntervalMs': String(
      options.containerCheckIntervalMs ?? DEFAULT_CONTAINER_CHECK_INTERVAL_MS,
    ),
    'zookeeper.DigestAuthenticationProvider.superDigest': SUPER_DIGEST,
    // A member cut off from its quorum then serves reads instead of refusing every client.
    ...(options.ensemble ? { 'readonlymode.enabled': 'true' } : {}),
    ...options.systemProperties,
  };
}

/** slf4j-simple settings: log level and timestamps, so a log tail in an error can be read. */
export function loggingSystemProperties(level: ServerLogLevel = 'warn'): Record<string, string> {
  return {
    'org.slf4j.simpleLogger.defaultLogLevel': level,
    'org.slf4j.simpleLogger.showDateTime': 'true',
    'org.slf4j.simpleLogger.dateTimeFormat': 'HH:mm:ss.SSS',
  };
}

/** Turns system properties into `-Dkey=value` flags. */
export function toJvmFlags(properties: Readonly<Record<string, string>>): string[] {
  return Object.entries(properties).map(([key, value]) => `-D${key}=${value}`);
}

/**
 * The JVM command-line flags of a server: heap/GC/JIT flags, then the harness's -D properties
 * (with `jaasFile`, a SASL server's; `systemProperties` still win).
 */
export function jvmFlagsFor(options: ServerOptions, ensemble: boolean, jaasFile?: string): string[] {
  return [
    ...(options.jvmFlags ?? DEFAULT_JVM_FLAGS),
    ...toJvmFlags({
      ...loggingSystemProperties(options.logLevel),
      ...serverSystemProperties({
        ensemble,
        containerCheckIntervalMs: options.containerCheckIntervalMs,
        systemProperties: {
          ...(jaasFile !== undefined ? saslSystemProperties(jaasFile) : {}),
          ...options.systemProperties,
        },
      }),
    }),
  ];
}
