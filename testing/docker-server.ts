// The Docker path: only used when no local install exists and a Docker engine answers. It has
// not been exercised on the machines this harness was written on (no Docker engine there).
import type { ContainerRuntimeClient, StartedNetwork, StartedTestContainer } from 'testcontainers';
import { type FourLetterWordOptions, fourLetterWord } from '../index.js';
import type { DockerBackend } from './backend-kinds.js';
import { choosePorts, ensemblePortChoice, type PortChoice, standalonePortChoice } from './ports.js';
import { answersRuok, isServing, pollUntil, serverMode } from './readiness.js';
import {
  DEFAULT_START_TIMEOUT_MS,
  DEFAULT_TICK_TIME_MS,
  jvmFlagsFor,
  type ServerOptions,
} from './server-config.js';
import type { RestartOptions, RestartWaitFor, ServerHandle, ServerMode } from './server-handle.js';

type DockerodeContainer = ReturnType<ContainerRuntimeClient['container']['getById']>;

/**
 * Loads the optional peer dependency testcontainers, only when the Docker path is taken. CommonJS
 * (the cjs build, and jest, whose vm cannot run a native `import()` without
 * --experimental-vm-modules) uses require; the ESM build has no require and uses import().
 */
export async function loadTestcontainers(): Promise<typeof import('testcontainers')> {
  if (typeof require === 'function') return require('testcontainers') as typeof import('testcontainers');
  return import('testcontainers');
}

/** Client port inside the official image. */
const CONTAINER_CLIENT_PORT = 2181;

/** Grace period `stop()` gives the container before Docker kills it, in seconds (Docker's unit). */
const STOP_GRACE_SECONDS = 10;

/**
 * One ZooKeeper server in a container started through testcontainers. Not exported, so no
 * testcontainers type reaches the published declarations (it is an optional peer dependency).
 */
class DockerServer implements ServerHandle {
  readonly backend = 'docker' as const;
  readonly host: string;
  readonly port: number;
  readonly id: number;
  readonly pid = undefined;
  readonly dataDir = undefined;
  readonly logFile = undefined;
  readonly #started: StartedTestContainer;
  readonly #container: DockerodeContainer;
  readonly #role: 'standalone' | 'member';
  readonly #startTimeoutMs: number;
  #running = true;
  #paused = false;

  constructor(
    started: StartedTestContainer,
    client: ContainerRuntimeClient,
    details: { id: number; port: number; role: 'standalone' | 'member'; startTimeoutMs: number },
  ) {
    this.#started = started;
    this.#container = client.container.getById(started.getId());
    this.host = started.getHost();
    this.port = details.port;
    this.id = details.id;
    this.#role = details.role;
    this.#startTimeoutMs = details.startTimeoutMs;
  }

  get connectString(): string {
    return `${this.host}:${this.port}`;
  }

  get running(): boolean {
    return this.#running;
  }

  /** Resolves once the server serves ('serving') or answers `ruok` ('process'). */
  async waitUntil(waitFor: RestartWaitFor, timeoutMs: number): Promise<void> {
    await pollUntil(
      () =>
        waitFor === 'process'
          ? answersRuok(this.host, this.port)
          : isServing(this.host, this.port, this.#role),
      {
        timeoutMs,
        onTimeout: () =>
          new Error(
            `container ${this.#started.getName()} (server ${this.id}, ${this.connectString}) did not serve within ${timeoutMs} ms`,
          ),
      },
    );
  }

  async kill(): Promise<void> {
    if (!this.#running) return;
    await this.#unpauseIfPaused();
    await this.#container.kill({ signal: 'SIGKILL' });
    await this.#container.wait();
    this.#running = false;
  }

  async stop(): Promise<void> {
    if (!this.#running) return;
    await this.#unpauseIfPaused();
    await this.#container.stop({ t: STOP_GRACE_SECONDS });
    this.#running = false;
  }

  /** Starts the same container again; the fixed host port binding keeps `port` unchanged. */
  async restart(options: RestartOptions = {}): Promise<void> {
    await this.stop();
    await this.#container.start();
    this.#running = true;
    await this.waitUntil(options.waitFor ?? 'serving', options.timeoutMs ?? this.#startTimeoutMs);
  }

  async pause(): Promise<void> {
    await this.#container.pause();
    this.#paused = true;
  }

  async resume(): Promise<void> {
    await this.#container.unpause();
    this.#paused = false;
  }

  fourLetterWord(command: string, options?: FourLetterWordOptions): Promise<string> {
    return fourLetterWord(this.host, this.port, command, options);
  }

  mode(options?: FourLetterWordOptions): Promise<ServerMode | undefined> {
    return serverMode(this.host, this.port, options);
  }

  /** Removes the container and its volumes. */
  async dispose(): Promise<void> {
    await this.#unpauseIfPaused().catch(() => {});
    await this.#started.stop({ timeout: 0, remove: true, removeVolumes: true });
    this.#running = false;
  }

  async #unpauseIfPaused(): Promise<void> {
    // Docker refuses to stop or kill a paused container.
    if (!this.#paused) return;
    await this.#container.unpause();
    this.#paused = false;
  }
}

/** Containers of one standalone server or ensemble, and how to remove them all. */
export interface DockerServers {
  readonly servers: ServerHandle[];
  dispose(): Promise<void>;
}

/** Starts `size` containers (1: standalone; more: an ensemble on its own network) and waits until all serve. */
export async function startDockerServers(
  backend: DockerBackend,
  size: number,
  options: ServerOptions & { port?: number; basePort?: number } = {},
  ensemble = size > 1,
): Promise<DockerServers> {
  // Only client ports are published, so a basePort's quorum and election ports go unused here.
  let choice: PortChoice = ensemble ? ensemblePortChoice(options, 3 * size) : standalonePortChoice(options);
  if (choice.fixed !== undefined && ensemble) choice = { fixed: choice.fixed.filter((_, i) => i % 3 === 0) };
  const testcontainers = await loadTestcontainers();
  const client = await testcontainers.getContainerRuntimeClient();
  const timeoutMs = options.startTimeoutMs ?? DEFAULT_START_TIMEOUT_MS;
  const hostPorts = await choosePorts(size, choice);
  const network: StartedNetwork | undefined = ensemble
    ? await new testcontainers.Network().start()
    : undefined;
  const alias = (id: number) => `zk${id}`;

  const jvmFlags = jvmFlagsFor(options, ensemble);
  // The image's entrypoint appends each whitespace-separated ZOO_CFG_EXTRA word to zoo.cfg.
  const cfgExtra = Object.entries({
    extendedTypesEnabled: true,
    reconfigEnabled: true,
    ...options.extraConfig,
  })
    .map(([key, value]) => `${key}=${value}`)
    .join(' ');
  const ids = Array.from({ length: size }, (_, i) => i + 1);

  const settled = await Promise.allSettled(
    ids.map(async (id) => {
      const environment: Record<string, string> = {
        ZOO_TICK_TIME: String(options.tickTimeMs ?? DEFAULT_TICK_TIME_MS),
        ZOO_4LW_COMMANDS_WHITELIST: '*',
        ZOO_ADMINSERVER_ENABLED: 'false',
        ZOO_MAX_CLIENT_CNXNS: '0',
        ZOO_CFG_EXTRA: cfgExtra,
        JVMFLAGS: jvmFlags.join(' '),
      };
      let container = new testcontainers.GenericContainer(backend.image)
        .withExposedPorts({ container: CONTAINER_CLIENT_PORT, host: hostPorts[id - 1]! })
        .withStartupTimeout(timeoutMs);
      if (network) {
        Object.assign(environment, {
          ZOO_MY_ID: String(id),
          ZOO_SERVERS: ids.map((n) => `server.${n}=${alias(n)}:2888:3888;${CONTAINER_CLIENT_PORT}`).join(' '),
          ZOO_STANDALONE_ENABLED: 'false',
          ZOO_INIT_LIMIT: '10',
          ZOO_SYNC_LIMIT: '5',
        });
        container = container.withNetwork(network).withNetworkAliases(alias(id));
      }
      const started = await container.withEnvironment(environment).start();
      return new DockerServer(started, client, {
        id,
        port: hostPorts[id - 1]!,
        role: ensemble ? 'member' : 'standalone',
        startTimeoutMs: timeoutMs,
      });
    }),
  );
  const servers = settled.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
  const dispose = async () => {
    await Promise.allSettled(servers.map((server) => server.dispose()));
    await network?.stop();
  };
  try {
    for (const result of settled) if (result.status === 'rejected') throw result.reason;
    await Promise.all(servers.map((server) => server.waitUntil('serving', timeoutMs)));
    return { servers, dispose };
  } catch (error) {
    await dispose();
    throw error;
  }
}
