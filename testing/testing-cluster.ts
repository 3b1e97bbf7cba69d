import { resolveBackend } from './backend.js';
import type { BackendKind } from './backend-kinds.js';
import { startDockerServers } from './docker-server.js';
import { startLocalEnsemble } from './local-server.js';
import { ensemblePortChoice } from './ports.js';
import { registerOpen, unregisterOpen } from './process-registry.js';
import { pollUntil } from './readiness.js';
import { DEFAULT_START_TIMEOUT_MS, type ServerOptions } from './server-config.js';
import type { ServerHandle } from './server-handle.js';

/** Options for `startTestingCluster`. */
export interface TestingClusterOptions extends ServerOptions {
  /** Number of members (default 3). */
  size?: number;
  /**
   * Fixed ports, kazoo style: member N (myid, from 1) listens for clients on basePort + 3(N-1),
   * for its quorum on the next port and for elections on the one after, so a 3-member ensemble
   * takes basePort … basePort+8. PortUnavailableError if one is taken. Not with `portRange`
   * (docs/testing.md#ports).
   */
  basePort?: number;
}

/** Options for waits on a cluster. */
export interface ClusterWaitOptions {
  /** Deadline in milliseconds (default 60000). */
  timeoutMs?: number;
}

/**
 * A ZooKeeper ensemble for tests (like Curator's TestingCluster): one process per member on
 * 127.0.0.1, each with its own ports and data. Get one from `startTestingCluster`.
 */
export class TestingCluster {
  /** Which backend runs the members. */
  readonly backend: BackendKind;
  /** The members, in myid order (`servers[0].id === 1`). */
  readonly servers: readonly ServerHandle[];
  readonly #dispose: () => Promise<void>;
  #closing: Promise<void> | undefined;

  /** Wraps members that already form a quorum; `dispose` stops them all and frees what they hold. */
  constructor(backend: BackendKind, servers: readonly ServerHandle[], dispose: () => Promise<void>) {
    this.backend = backend;
    this.servers = [...servers].sort((a, b) => a.id - b.id);
    this.#dispose = dispose;
    registerOpen(this);
  }

  /** `host:port` of every member, comma-separated, in myid order. */
  get connectString(): string {
    return this.servers.map((server) => server.connectString).join(',');
  }

  /** The connect string without the members whose myids are given. */
  connectStringWithout(...ids: number[]): string {
    return this.servers
      .filter((server) => !ids.includes(server.id))
      .map((server) => server.connectString)
      .join(',');
  }

  /** The member with this myid (1-based); throws a RangeError if there is none. */
  server(id: number): ServerHandle {
    const server = this.servers.find((candidate) => candidate.id === id);
    if (!server)
      throw new RangeError(
        `no member with myid ${id} (members: ${this.servers.map((s) => s.id).join(', ')})`,
      );
    return server;
  }

  /**
   * The member listening on a client port, given as a number or as `host:port` (e.g. the address
   * a client reports it is connected to). Throws an Error if no member matches.
   */
  serverFor(address: string | number): ServerHandle {
    const port = typeof address === 'number' ? address : Number(/:(\d+)$/.exec(address.trim())?.[1]);
    const server = this.servers.find((candidate) => candidate.port === port);
    if (!server) throw new Error(`no member listens on ${address} (cluster: ${this.connectString})`);
    return server;
  }

  /**
   * Resolves once every running member reports leader or follower and exactly one is the leader,
   * e.g. after a restart. A stopped or killed member is not waited for.
   */
  async waitForQuorum(options: ClusterWaitOptions = {}): Promise<void> {
    const timeoutMs = options.timeoutMs ?? DEFAULT_START_TIMEOUT_MS;
    let last: string[] = [];
    await pollUntil(
      async () => {
        const running = this.servers.filter((server) => server.running);
        const modes = await Promise.all(running.map((server) => server.mode()));
        last = running.map((server, i) => `${server.id}: ${modes[i] ?? 'not serving'}`);
        return (
          running.length > 0 &&
          modes.every((mode) => mode === 'leader' || mode === 'follower') &&
          modes.filter((mode) => mode === 'leader').length === 1
        );
      },
      { timeoutMs, onTimeout: () => new Error(`no quorum within ${timeoutMs} ms (${last.join(', ')})`) },
    );
  }

  /** Waits for a quorum and resolves with the member that is its leader. */
  async leader(options: ClusterWaitOptions = {}): Promise<ServerHandle> {
    await this.waitForQuorum(options);
    for (const server of this.servers) {
      if (server.running && (await server.mode()) === 'leader') return server;
    }
    throw new Error('the leader changed while it was being looked up; call leader() again');
  }

  /** Stops every member and deletes their data; later calls return the same promise. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      unregisterOpen(this);
      await this.#dispose();
    })();
    return this.#closing;
  }

  /** `await using server = await startTesting...()` closes it (as `close()`) when the scope exits. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

/**
 * Starts an ensemble of `size` members (default 3) on free ports of 127.0.0.1 and resolves once
 * every member is a leader or follower. ZK_CONNECT is ignored: it names one server.
 */
export async function startTestingCluster(options: TestingClusterOptions = {}): Promise<TestingCluster> {
  const size = options.size ?? 3;
  if (!Number.isInteger(size) || size < 1)
    throw new RangeError(`cluster size must be a positive integer, got ${size}`);
  ensemblePortChoice(options, 3 * size); // bad port options fail before anything starts
  const backend = await resolveBackend({ ensemble: true, backend: options.backend });
  if (options.sasl !== undefined && backend.kind !== 'local') {
    throw new Error(
      `SASL servers run on the local backend only (their JAAS file is on this machine), not on ${backend.kind}`,
    );
  }
  switch (backend.kind) {
    case 'local': {
      const servers = await startLocalEnsemble(backend, size, options);
      return new TestingCluster('local', servers, async () => {
        await Promise.all(servers.map((server) => server.dispose()));
      });
    }
    case 'docker': {
      const { servers, dispose } = await startDockerServers(backend, size, options, true);
      return new TestingCluster('docker', servers, dispose);
    }
    case 'external':
      // resolveBackend never picks external for an ensemble; this keeps the switch exhaustive.
      throw new Error('unreachable: the external backend cannot run an ensemble');
  }
}
