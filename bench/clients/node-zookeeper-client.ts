// node-zookeeper-client 1.1.3 (pure JavaScript), through its callback API.

import type * as Nzc from '../types/node-zookeeper-client.js';
import { type Done, loadPeer, SESSION_TIMEOUT_MS, type WatchingClient, withDeadline } from './client.js';

/** One shared watcher, as an application watching many nodes with one handler would pass. */
const ignoreEvent: Nzc.Watcher = () => {};

export class NodeZookeeperClient implements WatchingClient {
  private readonly nzc = loadPeer<typeof Nzc>('node-zookeeper-client');
  private zk: Nzc.Client | undefined;

  private get client(): Nzc.Client {
    if (this.zk === undefined) throw new Error('node-zookeeper-client: not connected');
    return this.zk;
  }

  async connect(connectString: string): Promise<void> {
    // spinDelay (default up to 1 s) is a random wait before reconnecting to a server it was just
    // on; 10 ms keeps it out of the re-registration figure, as zookit reconnects at once.
    const zk = this.nzc.createClient(connectString, { sessionTimeout: SESSION_TIMEOUT_MS, spinDelay: 10 });
    this.zk = zk;
    await withDeadline<void>('node-zookeeper-client connect', 20_000, (resolve) => {
      zk.once('connected', () => resolve());
      zk.connect();
    });
  }

  get(path: string, done: Done): void {
    this.client.getData(path, (error) => done(error));
  }

  set(path: string, value: Buffer, done: Done): void {
    this.client.setData(path, value, -1, (error) => done(error));
  }

  create(path: string, value: Buffer, done: Done): void {
    this.client.create(path, value, this.nzc.ACL.OPEN_ACL_UNSAFE, this.nzc.CreateMode.PERSISTENT, (error) =>
      done(error),
    );
  }

  delete(path: string, done: Done): void {
    this.client.remove(path, -1, (error) => done(error));
  }

  getChildren(path: string, done: Done): void {
    this.client.getChildren(path, (error) => done(error));
  }

  existsWatch(path: string, done: Done): void {
    this.client.exists(path, ignoreEvent, (error) => done(error));
  }

  getWatch(path: string, done: Done): void {
    this.client.getData(path, ignoreEvent, (error) => done(error));
  }

  probe(done: Done): void {
    // No sync() in this client; any request sent after "connected" follows the SetWatches frame.
    this.client.getData('/', (error) => done(error));
  }

  sessionId(): bigint {
    return this.client.getSessionId().readBigInt64BE(0);
  }

  nextReconnect(): Promise<void> {
    const zk = this.client;
    return new Promise((resolve) => {
      const onDisconnected = (): void => {
        zk.removeListener('disconnected', onDisconnected);
        zk.once('connected', () => resolve());
      };
      zk.on('disconnected', onDisconnected);
    });
  }

  async close(): Promise<void> {
    const zk = this.zk;
    if (zk === undefined) return;
    await withDeadline<void>('node-zookeeper-client close', 5000, (resolve) => {
      zk.once('disconnected', () => resolve());
      zk.close();
    }).catch(() => {});
  }
}
