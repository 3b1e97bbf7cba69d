// A throw-away MIT Kerberos KDC for tests (Debian's krb5-kdc and krb5-admin-server): a fresh
// realm in a temporary directory (kdb5_util create -s), krb5kdc on a free port of 127.0.0.1,
// principals and keytabs made with kadmin.local. Started and cleaned like the ZooKeeper servers:
// the krb5kdc process is tracked by the process registry and `stopAllServers` closes the KDC.
// Nothing here touches /etc/krb5.conf or the default credential cache: everything a Kerberos
// program needs is named by the environment `env()` returns (KRB5_CONFIG, KRB5_CLIENT_KTNAME,
// KRB5CCNAME) or, for a Java server, by `-Djava.security.krb5.conf` (docs/testing.md#kerberos).

import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, openSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { freePort, LOOPBACK } from './ports.js';
import { HARNESS_RUN_DIR_ENV, registerOpen, trackProcess, unregisterOpen } from './process-registry.js';
import type { ServerOptions } from './server-config.js';

/** Default realm of a testing KDC. */
export const DEFAULT_TEST_REALM = 'ZOOKIT.TEST';

/** Start attempts in all: a port taken between the choice and krb5kdc's bind gets fresh ports. */
const START_ATTEMPTS = 3;

/** A KDC that did not come up, or a Kerberos tool that failed; the message quotes its output. */
export class KdcStartError extends Error {
  /** Stable code (docs/errors.md#codes). */
  readonly code = 'ERR_ZOOKIT_KDC_START';

  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'KdcStartError';
  }
}

/** Options of `startTestingKdc`. */
export interface TestingKdcOptions {
  /** The realm (default 'ZOOKIT.TEST'). */
  realm?: string;
  /** Deadline for krb5kdc to accept connections, in milliseconds (default 10000). */
  startTimeoutMs?: number;
}

/** What `serverOptions` makes: a ZooKeeper server's Kerberos identity and the options to start it with. */
export interface KerberizedServer {
  /** The server's principal, `zookeeper/localhost@REALM` by default. */
  readonly principal: string;
  /** Its keytab file. */
  readonly keytab: string;
  /** The JAAS `Server` section logging in from that keytab. */
  readonly jaas: string;
  /**
   * Options for `startTestingServer` (or `startTestingCluster`): `sasl` with the JAAS section (the
   * harness adds ZooKeeper's SASL provider and, unless `require: false`, enforce.auth for sasl)
   * and this realm's krb5.conf as `java.security.krb5.conf`.
   */
  readonly options: Required<Pick<ServerOptions, 'sasl' | 'systemProperties'>>;
}

/**
 * A running MIT Kerberos KDC with its own realm. Get one from `startTestingKdc`; `close()` stops
 * krb5kdc and deletes the realm's database, keytabs and caches.
 */
export class TestingKdc {
  /** The realm, e.g. 'ZOOKIT.TEST'. */
  readonly realm: string;
  /** Always 127.0.0.1. */
  readonly host = LOOPBACK;
  /** The KDC's port (TCP and UDP). */
  readonly port: number;
  /** The directory holding the database, the configuration, keytabs and caches. */
  readonly dir: string;
  /** The krb5.conf clients use (KRB5_CONFIG; `-Djava.security.krb5.conf` for Java). */
  readonly krb5Conf: string;
  readonly #child: ChildProcess;
  readonly #exited: Promise<void>;
  readonly #tools = findKerberosTools();
  #closing: Promise<void> | undefined;

  /** Wraps a started krb5kdc; use `startTestingKdc`. */
  constructor(init: {
    realm: string;
    port: number;
    dir: string;
    child: ChildProcess;
    exited: Promise<void>;
  }) {
    this.realm = init.realm;
    this.port = init.port;
    this.dir = init.dir;
    this.krb5Conf = join(init.dir, 'krb5.conf');
    this.#child = init.child;
    this.#exited = init.exited;
    registerOpen(this);
  }

  /** The krb5kdc process id while it runs. */
  get pid(): number | undefined {
    return this.#child.exitCode === null && this.#child.signalCode === null ? this.#child.pid : undefined;
  }

  /** `name@REALM`, or `name` unchanged when it already names a realm. */
  principal(name: string): string {
    return name.includes('@') ? name : `${name}@${this.realm}`;
  }

  /**
   * Adds a principal with a random key and writes its keytab (`<dir>/<name>.keytab`); resolves
   * with the keytab's path. A principal that exists already only gets its keytab written.
   */
  async addPrincipal(name: string): Promise<string> {
    const principal = this.principal(name);
    const keytab = join(this.dir, `${principal.replace(/[^A-Za-z0-9.-]/g, '_')}.keytab`);
    const existing = (await this.#kadmin(`getprinc ${principal}`, { allowFailure: true })).includes(
      `Principal: ${principal}`,
    );
    if (!existing) await this.#kadmin(`addprinc -randkey ${principal}`);
    // -norandkey: the key stays, so keytabs written earlier stay valid.
    await this.#kadmin(`ktadd -k ${keytab} -norandkey ${principal}`);
    return keytab;
  }

  /** Deletes a principal: its keytabs no longer get tickets. */
  async deletePrincipal(name: string): Promise<void> {
    await this.#kadmin(`delprinc -force ${this.principal(name)}`);
  }

  /**
   * The environment a Kerberos client of this realm needs (MIT krb5 reads it): KRB5_CONFIG, and
   * with `keytab` KRB5_CLIENT_KTNAME (the library gets tickets from it by itself) and a private
   * credential cache, KRB5CCNAME (`ccache`, default a fresh file in the KDC's directory), so the
   * user's own cache is never read or written.
   */
  env(options: { keytab?: string; ccache?: string } = {}): Record<string, string> {
    const env: Record<string, string> = { KRB5_CONFIG: this.krb5Conf };
    if (options.keytab !== undefined) env.KRB5_CLIENT_KTNAME = options.keytab;
    env.KRB5CCNAME = options.ccache ?? `FILE:${join(this.dir, `cc-${randomBytes(6).toString('hex')}`)}`;
    return env;
  }

  /**
   * Runs `kinit -k -t keytab principal` into `ccache` (a KRB5CCNAME value); resolves with what
   * `klist` then prints. Rejects with a KdcStartError quoting kinit's output when no ticket came.
   */
  async kinit(principal: string, keytab: string, ccache: string): Promise<string> {
    const env = { ...process.env, KRB5_CONFIG: this.krb5Conf, KRB5CCNAME: ccache };
    await run(this.#tools.kinit, ['-k', '-t', keytab, this.principal(principal)], env);
    return run(this.#tools.klist, [], env);
  }

  /**
   * A ZooKeeper server's Kerberos identity: adds `principal` (default `zookeeper/localhost`, the
   * name a client derives from 127.0.0.1 and localhost), writes its keytab and a JAAS file with a
   * `Server` section logging in from that keytab, and returns the options that make
   * `startTestingServer` require Kerberos (`require: false` serves SASL without enforcing it).
   */
  async serverOptions(options: { principal?: string; require?: boolean } = {}): Promise<KerberizedServer> {
    const principal = this.principal(options.principal ?? 'zookeeper/localhost');
    const keytab = await this.addPrincipal(principal);
    const jaas = jaasServerSection(principal, keytab);
    return {
      principal,
      keytab,
      jaas,
      options: {
        sasl: { jaas, ...(options.require !== undefined ? { require: options.require } : {}) },
        systemProperties: { 'java.security.krb5.conf': this.krb5Conf },
      },
    };
  }

  /** The KDC's log, for failing tests. */
  async log(): Promise<string> {
    return readFile(join(this.dir, 'kdc.log'), 'utf8').catch(() => '');
  }

  /** Stops krb5kdc and deletes the realm's directory; later calls return the same promise. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      unregisterOpen(this);
      if (this.pid !== undefined) this.#child.kill('SIGKILL');
      await this.#exited;
      await rm(this.dir, { recursive: true, force: true });
    })();
    return this.#closing;
  }

  /** `await using kdc = await startTestingKdc()` closes it when the scope exits. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  /**
   * Runs one kadmin.local query. kadmin.local exits 0 even when the query fails, so a failure is
   * read off stderr: `<command>: <reason> while <doing what>`.
   */
  async #kadmin(query: string, options: { allowFailure?: boolean } = {}): Promise<string> {
    const { stdout, stderr } = await runWithStderr(
      this.#tools.kadminLocal,
      ['-r', this.realm, '-q', query],
      this.#tools.env(this.dir),
    );
    if (!options.allowFailure && /^\w+: .* while /m.test(stderr)) {
      throw new KdcStartError(`kadmin.local -q "${query}" failed: ${stderr.trim()}`);
    }
    return stdout;
  }
}

/**
 * The JAAS `Server` section of a ZooKeeper server that logs in with a keytab (Java's
 * Krb5LoginModule), as ZooKeeper's Kerberos guide writes it.
 */
export function jaasServerSection(principal: string, keytab: string): string {
  return [
    'Server {',
    '  com.sun.security.auth.module.Krb5LoginModule required',
    '  useKeyTab=true',
    `  keyTab="${keytab}"`,
    '  storeKey=true',
    '  useTicketCache=false',
    `  principal="${principal}";`,
    '};',
    '',
  ].join('\n');
}

/**
 * Starts an MIT Kerberos KDC on a free port of 127.0.0.1 with a new realm and resolves once it
 * accepts connections. Needs Debian's krb5-kdc and krb5-admin-server (krb5kdc, kdb5_util,
 * kadmin.local) and krb5-user (kinit); scripts/ensure-kerberos.sh installs them.
 */
export async function startTestingKdc(options: TestingKdcOptions = {}): Promise<TestingKdc> {
  const realm = options.realm ?? DEFAULT_TEST_REALM;
  const timeoutMs = options.startTimeoutMs ?? 10_000;
  const tools = findKerberosTools();
  let lastError: unknown;
  for (let attempt = 1; attempt <= START_ATTEMPTS; attempt++) {
    const dir = await makeKdcDir();
    try {
      const port = await freePort();
      await writeFile(join(dir, 'krb5.conf'), krb5Conf(realm, port));
      await writeFile(join(dir, 'kdc.conf'), kdcConf(realm, port, dir));
      // A random master password: the stash file (-s) holds it for krb5kdc.
      await run(
        tools.kdb5Util,
        ['create', '-s', '-r', realm, '-P', randomBytes(18).toString('base64')],
        tools.env(dir),
      );
      const log = openSync(join(dir, 'kdc.out'), 'a');
      let child: ChildProcess;
      try {
        child = spawn(tools.krb5kdc, ['-n', '-r', realm], {
          stdio: ['ignore', log, log],
          env: tools.env(dir),
        });
      } finally {
        closeSync(log);
      }
      await new Promise<void>((resolve, reject) => {
        child.once('spawn', resolve);
        child.once('error', reject);
      });
      child.on('error', () => {});
      const untrack = trackProcess(child.pid!);
      const exited = new Promise<void>((resolve) =>
        child.once('exit', () => {
          untrack();
          resolve();
        }),
      );
      if (!(await acceptsConnections(port, child, timeoutMs))) {
        child.kill('SIGKILL');
        await exited;
        const out = await readFile(join(dir, 'kdc.out'), 'utf8').catch(() => '');
        const kdcLog = await readFile(join(dir, 'kdc.log'), 'utf8').catch(() => '');
        throw new KdcStartError(
          `krb5kdc on ${LOOPBACK}:${port} did not accept connections within ${timeoutMs} ms\n${out}${kdcLog}`,
        );
      }
      return new TestingKdc({ realm, port, dir, child, exited });
    } catch (error) {
      lastError = error;
      await rm(dir, { recursive: true, force: true });
    }
  }
  const message = lastError instanceof Error ? lastError.message : String(lastError);
  throw new KdcStartError(`could not start a testing KDC (${START_ATTEMPTS} attempts): ${message}`, {
    cause: lastError,
  });
}

/** The MIT Kerberos programs the KDC needs, with their absolute paths. */
interface KerberosTools {
  readonly krb5kdc: string;
  readonly kdb5Util: string;
  readonly kadminLocal: string;
  readonly kinit: string;
  readonly klist: string;
  /** The environment of the admin tools and krb5kdc for the realm in `dir`. */
  env(dir: string): NodeJS.ProcessEnv;
}

/** Looks the programs up on PATH and in the sbin directories (not on a normal user's PATH). */
function findKerberosTools(): KerberosTools {
  const dirs = [
    ...(process.env.PATH ?? '').split(delimiter).filter(Boolean),
    '/usr/sbin',
    '/usr/local/sbin',
    '/sbin',
  ];
  const find = (name: string, pkg: string): string => {
    for (const dir of dirs) {
      const candidate = join(dir, name);
      if (existsSync(candidate)) return candidate;
    }
    throw new KdcStartError(
      `${name} was not found (on PATH or in /usr/sbin): install Debian's ${pkg} (scripts/ensure-kerberos.sh)`,
    );
  };
  return {
    krb5kdc: find('krb5kdc', 'krb5-kdc'),
    kdb5Util: find('kdb5_util', 'krb5-kdc'),
    kadminLocal: find('kadmin.local', 'krb5-admin-server'),
    kinit: find('kinit', 'krb5-user'),
    klist: find('klist', 'krb5-user'),
    env: (dir) => ({
      ...process.env,
      KRB5_CONFIG: join(dir, 'krb5.conf'),
      KRB5_KDC_PROFILE: join(dir, 'kdc.conf'),
    }),
  };
}

/**
 * The clients' krb5.conf: this KDC only, over TCP (udp_preference_limit=1), no DNS and no reverse
 * lookups, so `zookeeper/localhost` stays `localhost`.
 */
function krb5Conf(realm: string, port: number): string {
  return `[libdefaults]
 default_realm = ${realm}
 dns_lookup_realm = false
 dns_lookup_kdc = false
 dns_canonicalize_hostname = false
 rdns = false
 udp_preference_limit = 1
 ticket_lifetime = 1h
 forwardable = false

[realms]
 ${realm} = {
  kdc = ${LOOPBACK}:${port}
 }

[domain_realm]
 localhost = ${realm}
 ${LOOPBACK} = ${realm}
`;
}

/** The KDC's own profile: database, stash and log in `dir`, listening on 127.0.0.1:port. */
function kdcConf(realm: string, port: number, dir: string): string {
  return `[kdcdefaults]
 kdc_listen = ${LOOPBACK}:${port}
 kdc_tcp_listen = ${LOOPBACK}:${port}

[realms]
 ${realm} = {
  database_name = ${join(dir, 'principal')}
  key_stash_file = ${join(dir, 'stash')}
  acl_file = ${join(dir, 'kadm5.acl')}
  kdc_listen = ${LOOPBACK}:${port}
  kdc_tcp_listen = ${LOOPBACK}:${port}
  max_life = 1h
 }

[logging]
 kdc = FILE:${join(dir, 'kdc.log')}
 admin_server = FILE:${join(dir, 'kadmin.log')}
 default = FILE:${join(dir, 'krb5.log')}
`;
}

/** Polls a TCP connect to the KDC until it succeeds, the process exits, or the deadline passes. */
async function acceptsConnections(port: number, child: ChildProcess, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) return false;
    const ok = await new Promise<boolean>((resolve) => {
      const socket = net.connect({ host: LOOPBACK, port });
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (ok) return true;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return false;
}

/** Runs a Kerberos tool; resolves with its stdout, rejects with a KdcStartError quoting its output. */
async function run(file: string, args: readonly string[], env: NodeJS.ProcessEnv): Promise<string> {
  return (await runWithStderr(file, args, env)).stdout;
}

function runWithStderr(
  file: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv,
): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { env, timeout: 30_000 }, (error, stdout, stderr) => {
      if (error) {
        // The master password (kdb5_util -P) is never quoted.
        const shown = args.map((arg, i) => (args[i - 1] === '-P' ? '***' : arg)).join(' ');
        reject(new KdcStartError(`${file} ${shown} failed: ${stderr || stdout || error.message}`.trim()));
      } else {
        resolve({ stdout, stderr });
      }
    });
  });
}

/** A fresh directory, inside jest's run directory when there is one (its teardown removes it). */
async function makeKdcDir(): Promise<string> {
  const runDir = process.env[HARNESS_RUN_DIR_ENV];
  const base = runDir && existsSync(runDir) ? runDir : tmpdir();
  return mkdtemp(join(base, 'zookit-kdc-'));
}
