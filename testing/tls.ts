// Throw-away TLS material for tests: a CA, a server certificate for localhost / 127.0.0.1 and a
// client certificate, made with the `openssl` and `keytool` command-line tools in a fresh temporary
// directory. TEST-ONLY: the keys are unencrypted, the passwords are random but written to disk (and
// appear on the tools' command lines), and the certificates live two days. Never use it elsewhere.

import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, realpathSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { findJava } from './backend.js';

/** Subject of the client certificate, as given to openssl. */
export const CLIENT_SUBJECT = '/O=zookit/CN=zookit-client';

/**
 * The client certificate's subject as ZooKeeper reports it (RFC 2253, most specific first): the id
 * of the `x509` scheme in whoAmI and in ACLs.
 */
export const CLIENT_SUBJECT_RFC2253 = 'CN=zookit-client,O=zookit';

/** Host names and addresses in the server certificate's subjectAltName. */
export const SERVER_ALT_NAMES = { dns: ['localhost'], ip: ['127.0.0.1'] } as const;

/** Type of the server's key store and trust store files (ZooKeeper also infers it from `.p12`). */
export type StoreType = 'PKCS12';

/** A Java key store or trust store file for the server. */
export interface JavaStore {
  /** Absolute path of the file. */
  readonly path: string;
  /** Its store password (random, test-only). */
  readonly password: string;
  readonly type: StoreType;
}

/** What `createTlsMaterial` made. Test-only material; call `cleanup()` when done. */
export interface TlsMaterial {
  /** The fresh directory holding every file; `cleanup()` deletes it. */
  readonly dir: string;
  /** The CA certificate, PEM: give it to Node as `ca` to trust the server. */
  readonly ca: string;
  /** Server certificate (CN=localhost, SAN DNS:localhost and IP:127.0.0.1), PEM, signed by the CA. */
  readonly serverCert: string;
  /** The server certificate's private key, PEM (unencrypted). */
  readonly serverKey: string;
  /** Client certificate (`CLIENT_SUBJECT`, extendedKeyUsage clientAuth), PEM, signed by the CA. */
  readonly clientCert: string;
  /** The client certificate's private key, PEM (unencrypted). */
  readonly clientKey: string;
  /** The server's key store: its certificate, key and the CA. */
  readonly keyStore: JavaStore;
  /** The server's trust store: the CA only, so client certificates the CA signed are accepted. */
  readonly trustStore: JavaStore;
  /** Deletes `dir`; later calls do nothing. */
  cleanup(): Promise<void>;
}

/** The server's `ssl.clientAuth`: whether it asks clients for a certificate and requires one. */
export type ClientAuth = 'none' | 'want' | 'need';

/**
 * The zoo.cfg `ssl.*` lines that make a server use `material`'s stores; combine them with
 * `secureClientPort` and the Netty `serverCnxnFactory` in `ServerOptions.extraConfig`.
 */
export function serverSslConfig(
  material: TlsMaterial,
  clientAuth: ClientAuth = 'want',
): Record<string, string> {
  return {
    'ssl.keyStore.location': material.keyStore.path,
    'ssl.keyStore.password': material.keyStore.password,
    'ssl.keyStore.type': material.keyStore.type,
    'ssl.trustStore.location': material.trustStore.path,
    'ssl.trustStore.password': material.trustStore.password,
    'ssl.trustStore.type': material.trustStore.type,
    'ssl.clientAuth': clientAuth,
  };
}

/** `$JAVA_HOME/bin/keytool`, else `keytool` on PATH, else next to the java binary; undefined if none. */
export function findKeytool(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const javaHome = env['JAVA_HOME'];
  if (javaHome && existsSync(join(javaHome, 'bin', 'keytool'))) return join(javaHome, 'bin', 'keytool');
  for (const dir of (env['PATH'] ?? '').split(delimiter)) {
    if (dir && existsSync(join(dir, 'keytool'))) return join(dir, 'keytool');
  }
  const java = findJava(env);
  if (java !== undefined) {
    try {
      const beside = join(dirname(realpathSync(java)), 'keytool');
      if (existsSync(beside)) return beside;
    } catch {
      // A dangling java link: no keytool either.
    }
  }
  return undefined;
}

/** `openssl` on PATH, or undefined. */
export function findOpenssl(env: NodeJS.ProcessEnv = process.env): string | undefined {
  for (const dir of (env['PATH'] ?? '').split(delimiter)) {
    if (dir && existsSync(join(dir, 'openssl'))) return join(dir, 'openssl');
  }
  return undefined;
}

/** Why `createTlsMaterial` cannot run here (a missing tool), or undefined when it can. */
export function tlsToolsMissing(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const missing: string[] = [];
  if (findOpenssl(env) === undefined) missing.push('openssl is not on PATH');
  if (findKeytool(env) === undefined) {
    missing.push('keytool was found neither in $JAVA_HOME/bin, nor on PATH, nor beside java');
  }
  return missing.length === 0 ? undefined : missing.join('; ');
}

// One configuration file for every openssl call, so the system's openssl.cnf (whose defaults
// differ between distributions) adds no extensions of its own.
const OPENSSL_CONFIG = `[req]
distinguished_name = dn
[dn]
[ca_ext]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
[server_ext]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = ${[...SERVER_ALT_NAMES.dns.map((d) => `DNS:${d}`), ...SERVER_ALT_NAMES.ip.map((i) => `IP:${i}`)].join(', ')}
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[client_ext]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = clientAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
`;

const DAYS = '2';

/**
 * Makes a throw-away CA, a server certificate for `localhost`/127.0.0.1 and a client certificate
 * (`CLIENT_SUBJECT`), all P-256 keys, in a fresh directory under `parentDir` (default the OS temp
 * directory): PEM strings for Node and PKCS12 key/trust stores for the server. Takes about a
 * second (one keytool JVM). Throws naming the missing tool, or the tool's stderr when it fails.
 */
export async function createTlsMaterial(parentDir: string = tmpdir()): Promise<TlsMaterial> {
  const missing = tlsToolsMissing();
  if (missing !== undefined) throw new Error(`createTlsMaterial needs openssl and keytool: ${missing}`);
  const openssl = findOpenssl()!;
  const keytool = findKeytool()!;

  const dir = await mkdtemp(join(parentDir, 'zookit-tls-'));
  let cleaned = false;
  const cleanup = async (): Promise<void> => {
    if (cleaned) return;
    cleaned = true;
    await rm(dir, { recursive: true, force: true });
  };
  try {
    const file = (name: string): string => join(dir, name);
    const config = file('openssl.cnf');
    await writeFile(config, OPENSSL_CONFIG);

    await run(openssl, [
      'req',
      '-x509',
      ...NEW_KEY,
      '-config',
      config,
      '-extensions',
      'ca_ext',
      '-subj',
      '/O=zookit/CN=zookit test CA (throw-away)',
      '-days',
      DAYS,
      '-keyout',
      file('ca.key'),
      '-out',
      file('ca.pem'),
    ]);

    const leaf = (name: string, subject: string, extensions: string): Promise<void> =>
      signLeaf(openssl, dir, name, subject, extensions);

    const keyStore: JavaStore = { path: file('keystore.p12'), password: secret(), type: 'PKCS12' };
    const trustStore: JavaStore = { path: file('truststore.p12'), password: secret(), type: 'PKCS12' };
    await Promise.all([
      (async () => {
        await leaf('server', '/CN=localhost', 'server_ext');
        await run(openssl, [
          'pkcs12',
          '-export',
          '-name',
          'server',
          '-inkey',
          file('server.key'),
          '-in',
          file('server.pem'),
          '-certfile',
          file('ca.pem'),
          '-passout',
          `pass:${keyStore.password}`,
          '-out',
          keyStore.path,
        ]);
      })(),
      leaf('client', CLIENT_SUBJECT, 'client_ext'),
      // A PKCS12 trust store needs Java's trusted-certificate attribute, which openssl 3.0 cannot
      // write; keytool can.
      run(keytool, [
        '-importcert',
        '-noprompt',
        '-alias',
        'zookit-test-ca',
        '-file',
        file('ca.pem'),
        '-keystore',
        trustStore.path,
        '-storetype',
        trustStore.type,
        '-storepass',
        trustStore.password,
      ]),
    ]);

    const [ca, serverCert, serverKey, clientCert, clientKey] = await Promise.all(
      ['ca.pem', 'server.pem', 'server.key', 'client.pem', 'client.key'].map((name) =>
        readFile(file(name), 'utf8'),
      ),
    );
    return {
      dir,
      ca: ca!,
      serverCert: serverCert!,
      serverKey: serverKey!,
      clientCert: clientCert!,
      clientKey: clientKey!,
      keyStore,
      trustStore,
      cleanup,
    };
  } catch (error) {
    await cleanup();
    throw error;
  }
}

/** A P-256 key, unencrypted, for `openssl req -newkey`. */
const NEW_KEY = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

/** Makes `<name>.key` and `<name>.pem` in `dir`, signed by the CA there (`ca.pem`, `ca.key`, `openssl.cnf`). */
async function signLeaf(
  openssl: string,
  dir: string,
  name: string,
  subject: string,
  extensions: string,
): Promise<void> {
  const file = (n: string): string => join(dir, n);
  await run(openssl, [
    'req',
    '-new',
    ...NEW_KEY,
    '-config',
    file('openssl.cnf'),
    '-subj',
    subject,
    '-keyout',
    file(`${name}.key`),
    '-out',
    file(`${name}.csr`),
  ]);
  await run(openssl, [
    'x509',
    '-req',
    '-in',
    file(`${name}.csr`),
    '-CA',
    file('ca.pem'),
    '-CAkey',
    file('ca.key'),
    '-set_serial',
    `0x${randomBytes(8).toString('hex')}`,
    '-days',
    DAYS,
    '-extfile',
    file('openssl.cnf'),
    '-extensions',
    extensions,
    '-out',
    file(`${name}.pem`),
  ]);
}

/** A client certificate and its key, PEM, from `issueClientCertificate`. */
export interface ClientCertificate {
  /** The certificate (extendedKeyUsage clientAuth), PEM, signed by the material's CA. */
  readonly cert: string;
  /** Its private key, PEM (unencrypted). */
  readonly key: string;
}

/**
 * Signs one more client certificate with `material`'s CA, for `subject` in openssl's form
 * (`/O=zookit/CN=renewed`; ZooKeeper's x509 id is its RFC 2253 form, `CN=renewed,O=zookit`): a
 * renewed certificate for rotation tests. `name` is its file stem in `material.dir` (letters,
 * digits, '-'). TEST-ONLY, like the rest of this file.
 */
export async function issueClientCertificate(
  material: TlsMaterial,
  subject: string,
  name = `client-${randomBytes(4).toString('hex')}`,
): Promise<ClientCertificate> {
  if (!/^[A-Za-z0-9-]+$/.test(name))
    throw new Error(`issueClientCertificate: bad file stem ${JSON.stringify(name)}`);
  const openssl = findOpenssl();
  if (openssl === undefined) throw new Error('issueClientCertificate needs openssl on PATH');
  await signLeaf(openssl, material.dir, name, subject, 'client_ext');
  const [cert, key] = await Promise.all(
    [`${name}.pem`, `${name}.key`].map((n) => readFile(join(material.dir, n), 'utf8')),
  );
  return { cert: cert!, key: key! };
}

function secret(): string {
  return randomBytes(12).toString('hex');
}

/** Runs a tool; rejects with its command and stderr when it fails. */
function run(command: string, args: readonly string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(command, args, { timeout: 30_000 }, (error, _stdout, stderr) => {
      if (error) {
        const tool = command.split('/').pop();
        reject(new Error(`${tool} ${args[0]} failed: ${error.message}\n${String(stderr).trim()}`));
      } else {
        resolve();
      }
    });
  });
}
