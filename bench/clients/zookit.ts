// zookit through its public promise API, under SequentialMicrotaskHandler (`zookit`) or with its
// connection loop in a worker thread (`zookit-worker`, WorkerThreadsHandler).

import type { Handler } from '../../handlers/handler.js';
import { SequentialMicrotaskHandler } from '../../handlers/sequential-microtask.js';
import { WorkerThreadsHandler } from '../../handlers/worker-threads.js';
import { ZooKeeperClient } from '../../lib/client/client.js';
import { ConnectionState } from '../../lib/states.js';
import type { WatchCallback } from '../../lib/watches/watch-registry.js';
import { type Done, SESSION_TIMEOUT_MS, type WatchingClient } from './client.js';

/** One shared watch callback, as an application watching many nodes with one handler would pass. */
const ignoreEvent: WatchCallback = () => {};

export class ZookitClient implements WatchingClient {
  private zk: ZooKeeperClient | undefined;
  private handler: Handler | undefined;

  constructor(private readonly handlerKind: 'sequential' | 'worker') {}

  private get client(): ZooKeeperClient {
    if (this.zk === undefined) throw new Error('zookit: not connected');
    return this.zk;
  }

  async connect(connectString: string): Promise<void> {
    this.handler =
      this.handlerKind === 'worker' ? new WorkerThreadsHandler() : new SequentialMicrotaskHandler();
    this.zk = new ZooKeeperClient({
      hosts: connectString,
      handler: this.handler,
      sessionTimeout: SESSION_TIMEOUT_MS,
    });
    await this.zk.start({ timeout: 20_000 });
  }

  get(path: string, done: Done): void {
    this.client.get(path).then(() => done(null), done);
  }

  set(path: string, value: Buffer, done: Done): void {
    this.client.set(path, value).then(() => done(null), done);
  }

  create(path: string, value: Buffer, done: Done): void {
    this.client.create(path, value).then(() => done(null), done);
  }

  delete(path: string, done: Done): void {
    this.client.delete(path).then(() => done(null), done);
  }

  getChildren(path: string, done: Done): void {
    this.client.getChildren(path).then(() => done(null), done);
  }

  existsWatch(path: string, done: Done): void {
    this.client.exists(path, ignoreEvent).then(() => done(null), done);
  }

  getWatch(path: string, done: Done): void {
    this.client.get(path, ignoreEvent).then(() => done(null), done);
  }

  probe(done: Done): void {
    this.client.sync('/').then(() => done(null), done);
  }

  sessionId(): bigint {
    const id = this.client.clientId;
    if (id === undefined) throw new Error('zookit: no session');
    return id.sessionId;
  }

  nextReconnect(): Promise<void> {
    const zk = this.client;
    return new Promise((resolve) => {
      let lost = false;
      const onState = (state: ConnectionState): void => {
        if (state !== ConnectionState.CONNECTED) lost = true;
        else if (lost) {
          zk.removeListener('connectionState', onState);
          resolve();
        }
      };
      zk.on('connectionState', onState);
    });
  }

  async close(): Promise<void> {
    await this.zk?.close();
    await this.handler?.stop();
  }
}
