// The clients a chaos run's scenarios opened, owned by the runner so its faults can reach them and
// it can close them whatever happens. A proxied client talks to one member through a FaultProxy of
// its own; which member is drawn from the seed and the client's name, so a replay puts every
// client where it was. Every client's state changes and errors go to the event log, and its
// session (with the scenarios' other session targets, e.g. kazoo processes) is what the
// expire-session fault picks from.

import { SequentialMicrotaskHandler, WorkerThreadsHandler, ZooKeeperClient } from '../../index.js';
import type { SessionCredentials } from '../expire-session.js';
import { FaultProxy } from '../fault-proxy.js';
import type { TestingCluster } from '../testing-cluster.js';
import type { ChaosClient, ChaosClientOptions, ChaosEventLog } from './scenario.js';
import type { SeededRandom } from './seeded-random.js';

/** A client as the runner keeps it: the scenario's view plus what the faults need. */
export interface RunnerClient extends ChaosClient {
  /** The member's myid behind its proxy; undefined for a direct client. */
  readonly member: number | undefined;
  /** Its handler when it runs on WorkerThreadsHandler (terminate-worker reaches its thread). */
  readonly workerHandler: WorkerThreadsHandler | undefined;
}

/** A session the expire-session fault may pick. */
export interface SessionTarget {
  readonly name: string;
  session(): SessionCredentials | undefined;
}

/** Where the clients come from and what they report to. */
export interface ChaosClientsOptions {
  cluster: TestingCluster;
  /** The run's stream: each client's member is drawn from its fork by the client's name. */
  random: SeededRandom;
  log: ChaosEventLog;
  /** The default session timeout of the clients, ms. */
  sessionTimeoutMs: number;
}

const byName = (a: { name: string }, b: { name: string }) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

/** The run's clients and session targets. */
export class ChaosClients {
  readonly #clients = new Map<string, RunnerClient>();
  readonly #targets = new Map<string, SessionTarget>();
  /** Proxies and handlers made for clients whose start failed, closed with the rest. */
  readonly #orphans: Array<() => Promise<void>> = [];

  constructor(private readonly options: ChaosClientsOptions) {}

  /** Opens and starts a client as a scenario asked (ChaosContext.openClient). */
  async open(request: ChaosClientOptions): Promise<ChaosClient> {
    const { name, handler: kind } = request;
    if (this.#clients.has(name) || this.#targets.has(name))
      throw new Error(`a chaos client or session target named '${name}' exists already`);
    const { cluster, log, sessionTimeoutMs } = this.options;
    let proxy: FaultProxy | undefined;
    let member: number | undefined;
    if (request.proxied ?? true) {
      const index = this.options.random.fork(`client:${name}`).int(0, cluster.servers.length - 1);
      const server = cluster.servers[index] as (typeof cluster.servers)[number];
      member = server.id;
      proxy = await FaultProxy.start({ host: server.host, port: server.port });
    }
    const workerHandler = kind === 'worker' ? new WorkerThreadsHandler() : undefined;
    const zk = new ZooKeeperClient({
      sessionTimeout: sessionTimeoutMs,
      connectionRetry: { maxDelay: 500 },
      ...request.client,
      hosts: proxy?.connectString ?? cluster.connectString,
      handler: workerHandler ?? new SequentialMicrotaskHandler(),
    });
    zk.on('state', (state) => {
      const id = zk.clientId?.sessionId;
      log.record(
        name,
        `state ${state}`,
        state === 'CONNECTED' && id !== undefined ? { session: `0x${id.toString(16)}` } : undefined,
      );
    });
    zk.on('error', (error) => {
      log.record(name, 'client error', {
        error: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
      });
    });
    const client: RunnerClient = { name, handler: kind, zk, proxy, member, workerHandler };
    try {
      await zk.start({ timeout: 30_000 });
    } catch (error) {
      this.#orphans.push(() => closeClient(client));
      throw error;
    }
    this.#clients.set(name, client);
    log.record(name, 'opened', { handler: kind, member: member ?? 'ensemble' });
    return client;
  }

  /** Registers a session that is not a client of this process (ChaosContext.addSessionTarget). */
  addSessionTarget(name: string, session: () => SessionCredentials | undefined): void {
    if (this.#clients.has(name) || this.#targets.has(name))
      throw new Error(`a chaos client or session target named '${name}' exists already`);
    this.#targets.set(name, { name, session });
  }

  /** Every client, sorted by name. */
  get clients(): RunnerClient[] {
    return [...this.#clients.values()].sort(byName);
  }

  /** Every session target (the clients' sessions and the added ones), sorted by name. */
  get sessions(): SessionTarget[] {
    const own = this.clients.map(
      (client): SessionTarget => ({
        name: client.name,
        session: () => {
          const id = client.zk.clientId;
          return id === undefined ? undefined : { sessionId: id.sessionId, passwd: id.password };
        },
      }),
    );
    return [...own, ...this.#targets.values()].sort(byName);
  }

  /** Heals every proxy: forwards at once, lets connections in. */
  passAll(): void {
    for (const client of this.#clients.values()) {
      client.proxy?.pass();
      client.proxy?.accept();
    }
  }

  /** Stops every client, its handler and its proxy. Never rejects. */
  async closeAll(): Promise<void> {
    const clients = [...this.#clients.values()];
    this.#clients.clear();
    await Promise.all([...clients.map(closeClient), ...this.#orphans.splice(0).map((close) => close())]);
  }
}

async function closeClient(client: RunnerClient): Promise<void> {
  await client.zk.stop().catch(() => undefined);
  await client.workerHandler?.stop().catch(() => undefined);
  await client.proxy?.close().catch(() => undefined);
}

/**
 * Terminates the worker thread under a client on WorkerThreadsHandler, as a crash would: the
 * client sees a disconnect and resumes its session on a new thread (spec/handlers/
 * busy-main-thread.spec.ts asserts that). The handler keeps its thread private — a user has no
 * business ending it — so the fault reaches it through its pool. With a shared pool that ends the
 * loops of every client on the thread, as a real crash would. False when no thread runs.
 */
export async function terminateWorkerThread(handler: WorkerThreadsHandler): Promise<boolean> {
  const worker = handler.pool.workerOf(handler);
  if (worker === undefined) return false;
  await worker.terminate();
  return true;
}
