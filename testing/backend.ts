import { existsSync, readdirSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import type { Backend, BackendKind, LocalBackend } from './backend-kinds.js';
import { loadTestcontainers } from './docker-server.js';
import { HarnessOperationUnsupportedError } from './server-handle.js';

/** Docker image used when `ZOOKIT_ZK_IMAGE` is unset; the version the project is verified against. */
export const DEFAULT_ZOOKEEPER_IMAGE = 'zookeeper:3.8.0';

/** Where Debian's `zookeeper` package puts its jars. */
export const DEBIAN_JAVA_DIR = '/usr/share/java';

// zookeeper.jar's manifest Class-Path names its other runtime jars, so this short list is enough;
// the netty jars are for the Netty connection factory that TLS tests select.
const DEBIAN_JARS = [
  'zookeeper.jar',
  'zookeeper-jute.jar',
  'slf4j-api.jar',
  'slf4j-simple.jar',
  'netty-codec.jar',
  'netty-resolver.jar',
  'netty-transport-native-unix-common.jar',
];

const BACKEND_KINDS: readonly BackendKind[] = ['external', 'local', 'docker'];

/** Options for `resolveBackend`. */
export interface ResolveBackendOptions {
  /** An ensemble cannot use `ZK_CONNECT`, which names one server the harness cannot multiply. */
  ensemble?: boolean;
  /** Forces a backend; wins over `ZOOKIT_TEST_BACKEND`. */
  backend?: BackendKind;
  /** Environment to read (default `process.env`), so tests of the choice need not mutate it. */
  env?: NodeJS.ProcessEnv;
}

/**
 * Picks where servers come from. Unforced order: `ZK_CONNECT` (standalone only), then a local
 * install (`ZOOKEEPER_HOME`, else Debian's jars), then Docker if an engine answers. Force one with
 * `ZOOKIT_TEST_BACKEND=external|local|docker`. Throws an Error naming everything it looked for.
 */
export async function resolveBackend(options: ResolveBackendOptions = {}): Promise<Backend> {
  const env = options.env ?? process.env;
  const ensemble = options.ensemble ?? false;
  const forced = options.backend ?? parseForcedBackend(env['ZOOKIT_TEST_BACKEND']);
  const image = env['ZOOKIT_ZK_IMAGE'] || DEFAULT_ZOOKEEPER_IMAGE;

  if (forced === 'external') {
    if (ensemble) {
      throw new HarnessOperationUnsupportedError(
        'startTestingCluster',
        'external',
        'it serves one standalone server; unset ZOOKIT_TEST_BACKEND to start ensembles locally or in Docker',
      );
    }
    const connectString = env['ZK_CONNECT'];
    if (!connectString)
      throw new Error('ZOOKIT_TEST_BACKEND=external needs ZK_CONNECT=host:port[,host:port…]');
    return { kind: 'external', connectString };
  }
  if (forced === 'local') {
    const local = findLocalInstall(env);
    if ('missing' in local) throw new Error(`ZOOKIT_TEST_BACKEND=local, but ${local.missing}`);
    return local;
  }
  if (forced === 'docker') return { kind: 'docker', image };

  if (!ensemble && env['ZK_CONNECT']) return { kind: 'external', connectString: env['ZK_CONNECT'] };
  const local = findLocalInstall(env);
  if (!('missing' in local)) return local;
  const docker = await probeDocker();
  if (docker === true) return { kind: 'docker', image };

  throw new Error(
    [
      'zookit/testing found no ZooKeeper server to run. It looked for:',
      ensemble
        ? '  - (ZK_CONNECT is ignored: it names one server and this is an ensemble)'
        : '  - ZK_CONNECT: unset',
      `  - a local install: ${local.missing}`,
      `  - a Docker engine for image ${image}: ${docker}`,
      "Fix: `make test` installs Debian's zookeeper package (apt-get install -y zookeeper default-jre-headless),",
      'or set ZOOKEEPER_HOME to an unpacked ZooKeeper release, or start Docker, or set ZK_CONNECT.',
    ].join('\n'),
  );
}

function parseForcedBackend(value: string | undefined): BackendKind | undefined {
  if (value === undefined || value === '') return undefined;
  if ((BACKEND_KINDS as readonly string[]).includes(value)) return value as BackendKind;
  throw new Error(
    `ZOOKIT_TEST_BACKEND must be one of ${BACKEND_KINDS.join(', ')}; got ${JSON.stringify(value)}`,
  );
}

/** Finds java and the ZooKeeper jars, or says in one sentence what is missing. */
function findLocalInstall(env: NodeJS.ProcessEnv): LocalBackend | { missing: string } {
  let classPath: string[];
  let source: string;
  const home = env['ZOOKEEPER_HOME'];
  if (home) {
    // A release tarball keeps its dependencies in lib/ and the server jar at the top; conf/ holds
    // the logback configuration that keeps its logging at INFO instead of DEBUG.
    const jars = [...jarsIn(join(home, 'lib')), ...jarsIn(home)];
    if (!jars.some((jar) => /zookeeper-\d[^/]*\.jar$/.test(jar) || jar.endsWith('/zookeeper.jar'))) {
      return { missing: `ZOOKEEPER_HOME=${home} has no zookeeper-*.jar in it or in its lib/` };
    }
    const conf = join(home, 'conf');
    classPath = existsSync(conf) ? [...jars, conf] : jars;
    source = `ZOOKEEPER_HOME=${home}`;
  } else if (existsSync(join(DEBIAN_JAVA_DIR, 'zookeeper.jar'))) {
    classPath = DEBIAN_JARS.map((jar) => join(DEBIAN_JAVA_DIR, jar)).filter((jar) => existsSync(jar));
    source = `Debian's zookeeper package (${DEBIAN_JAVA_DIR})`;
  } else {
    return {
      missing: `ZOOKEEPER_HOME is unset and ${join(DEBIAN_JAVA_DIR, 'zookeeper.jar')} does not exist`,
    };
  }
  const java = findJava(env);
  if (java === undefined) {
    return {
      missing: `${source} was found, but no java: JAVA_HOME is ${env['JAVA_HOME'] ? `${env['JAVA_HOME']} without bin/java` : 'unset'} and PATH has no java`,
    };
  }
  return { kind: 'local', java, classPath, source };
}

function jarsIn(dir: string): string[] {
  try {
    return readdirSync(dir)
      .filter((name) => name.endsWith('.jar'))
      .sort()
      .map((name) => join(dir, name));
  } catch {
    return [];
  }
}

/** `$JAVA_HOME/bin/java`, else the first `java` on PATH; undefined when neither exists. */
export function findJava(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const javaHome = env['JAVA_HOME'];
  if (javaHome) {
    const java = join(javaHome, 'bin', 'java');
    if (existsSync(java)) return java;
  }
  for (const dir of (env['PATH'] ?? '').split(delimiter)) {
    if (dir && existsSync(join(dir, 'java'))) return join(dir, 'java');
  }
  return undefined;
}

/** True when testcontainers loads and a container runtime answers; otherwise why not. */
async function probeDocker(): Promise<true | string> {
  let testcontainers: typeof import('testcontainers');
  try {
    testcontainers = await loadTestcontainers();
  } catch (error) {
    return `the optional peer dependency testcontainers could not be loaded (${describe(error)})`;
  }
  try {
    await testcontainers.getContainerRuntimeClient();
    return true;
  } catch (error) {
    return `testcontainers found no container runtime (${describe(error)})`;
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message.split('\n')[0]! : String(error);
}
