import type { FourLetterWordOptions } from '../index.js';
import { resolveBackend } from './backend.js';
import type { BackendKind } from './backend-kinds.js';
import { startDockerServers } from './docker-server.js';
import { ExternalServer } from './external-server.js';
import { startLocalStandalone } from './local-server.js';
import { standalonePortChoice } from './ports.js';
import { registerOpen, unregisterOpen } from './process-registry.js';
import type { StandaloneServerOptions } from './server-config.js';
import {
  HarnessOperationUnsupportedError,
  type RestartOptions,
  type ServerHandle,
  type ServerMode,
} from './server-handle.js';

/**
 * A standalone ZooKeeper server for tests (like Curator's TestingServer): the server's handle plus
 * `close()`, which stops it and deletes its data. Get one from `startTestingServer`.
 */
export class TestingServer implements ServerHandle {
  /** The underlying server; TestingServer forwards every ServerHandle member to it. */
  readonly server: ServerHandle;
  readonly #dispose: () => Promise<void>;
  #closing: Promise<void> | undefined;

  /** Wraps an already serving server; `dispose` stops it and frees what it holds. */
  constructor(server: ServerHandle, dispose: () => Promise<void>) {
    this.server = server;
    this.#dispose = dispose;
    registerOpen(this);
  }

  get backend(): BackendKind {
    return this.server.backend;
  }
  get host(): string {
    return this.server.host;
  }
  get port(): number {
    return this.server.port;
  }
  get connectString(): string {
    return this.server.connectString;
  }
  get id(): number {
    return this.server.id;
  }
  get pid(): number | undefined {
    return this.server.pid;
  }
  get running(): boolean {
    return this.server.running;
  }
  get dataDir(): string | undefined {
    return this.server.dataDir;
  }
  get logFile(): string | undefined {
    return this.server.logFile;
  }

  kill(): Promise<void> {
    return this.server.kill();
  }
  stop(): Promise<void> {
    return this.server.stop();
  }
  restart(options?: RestartOptions): Promise<void> {
    return this.server.restart(options);
  }
  pause(): Promise<void> {
    return this.server.pause();
  }
  resume(): Promise<void> {
    return this.server.resume();
  }
  fourLetterWord(command: string, options?: FourLetterWordOptions): Promise<string> {
    return this.server.fourLetterWord(command, options);
  }
  mode(options?: FourLetterWordOptions): Promise<ServerMode | undefined> {
    return this.server.mode(options);
  }

  /** Stops the server and deletes its data directory; later calls return the same promise. */
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
 * Starts a standalone server on a free port of 127.0.0.1 and resolves once it serves. With
 * ZK_CONNECT set it starts nothing and wraps that server instead (process operations then throw).
 */
export async function startTestingServer(options: StandaloneServerOptions = {}): Promise<TestingServer> {
  const ports = standalonePortChoice(options);
  const backend = await resolveBackend({ backend: options.backend });
  if (backend.kind === 'external' && (ports.fixed ?? ports.range) !== undefined) {
    throw new HarnessOperationUnsupportedError(
      'startTestingServer({ port, portRange })',
      'external',
      'the server and its port are the ones ZK_CONNECT names',
    );
  }
  if (options.sasl !== undefined && backend.kind !== 'local') {
    throw new Error(
      `SASL servers run on the local backend only (their JAAS file is on this machine), not on ${backend.kind}`,
    );
  }
  if (options.tlsOnly !== undefined && backend.kind !== 'local') {
    throw new Error(
      `tlsOnly servers run on the local backend only (their key stores are files on this machine), not on ${backend.kind}`,
    );
  }
  switch (backend.kind) {
    case 'external':
      return new TestingServer(new ExternalServer(backend.connectString), async () => {});
    case 'local': {
      const server = await startLocalStandalone(backend, options);
      return new TestingServer(server, () => server.dispose());
    }
    case 'docker': {
      const { servers, dispose } = await startDockerServers(backend, 1, options, false);
      return new TestingServer(servers[0]!, dispose);
    }
  }
}
