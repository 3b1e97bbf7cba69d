// `zookeeper` 7.3.0: the native binding over ZooKeeper's C client, through its callback API
// (a_get, a_set, ...), which its promise API wraps.

import type { ZooKeeper } from '../types/zookeeper.js';
import { type Done, loadPeer, SESSION_TIMEOUT_MS, type WatchingClient, withDeadline } from './client.js';

/** Raised from the binding's default of 10 (see `connect`); documented among its options. */
export const RESPONSE_COUNTER_LIMIT = 1_000_000;

/** One shared watcher, as an application watching many nodes with one handler would pass. */
const ignoreEvent: ZooKeeper.WatchCallback = () => {};

export class NativeZookeeperClient implements WatchingClient {
  private readonly ZooKeeper = loadPeer<typeof ZooKeeper>('zookeeper');
  private readonly ok = this.ZooKeeper.constants.ZOK;
  private readonly noNode = this.ZooKeeper.constants.ZNONODE;
  private zk: ZooKeeper | undefined;

  private get client(): ZooKeeper {
    if (this.zk === undefined) throw new Error('zookeeper: not connected');
    return this.zk;
  }

  async connect(connectString: string): Promise<void> {
    const zk = new this.ZooKeeper({
      connect: connectString,
      timeout: SESSION_TIMEOUT_MS,
      debug_level: this.ZooKeeper.constants.ZOO_LOG_LEVEL_ERROR,
      host_order_deterministic: true,
      // A 1 MB reply arrives over many socket reads, each a "nothing yet" from zookeeper_process;
      // with the default limit of 10 the binding closes its own handle halfway through one.
      response_counter_limit: RESPONSE_COUNTER_LIMIT,
    });
    this.zk = zk;
    await withDeadline<void>('zookeeper (native) connect', 20_000, (resolve) => {
      zk.once('connect', () => resolve());
      zk.init({});
    });
  }

  private result(done: Done): (rc: number, error: string) => void {
    return (rc, error) => done(rc === this.ok ? null : new Error(`zookeeper (native): ${rc} ${error}`));
  }

  get(path: string, done: Done): void {
    this.client.a_get(path, false, this.result(done));
  }

  set(path: string, value: Buffer, done: Done): void {
    this.client.a_set(path, value, -1, this.result(done));
  }

  create(path: string, value: Buffer, done: Done): void {
    this.client.a_create(path, value, this.ZooKeeper.constants.ZOO_PERSISTENT, this.result(done));
  }

  delete(path: string, done: Done): void {
    this.client.a_delete_(path, -1, this.result(done));
  }

  getChildren(path: string, done: Done): void {
    this.client.a_get_children(path, false, this.result(done));
  }

  existsWatch(path: string, done: Done): void {
    this.client.aw_exists(path, ignoreEvent, (rc, error) =>
      done(rc === this.ok || rc === this.noNode ? null : new Error(`zookeeper (native): ${rc} ${error}`)),
    );
  }

  getWatch(path: string, done: Done): void {
    this.client.aw_get(path, ignoreEvent, this.result(done));
  }

  probe(done: Done): void {
    this.client.a_sync('/', this.result(done));
  }

  sessionId(): bigint {
    return BigInt.asIntN(64, BigInt(`0x${this.client.client_id}`));
  }

  nextReconnect(): Promise<void> {
    const zk = this.client;
    return new Promise((resolve) => {
      const onConnecting = (): void => {
        zk.removeListener('connecting', onConnecting);
        zk.once('connect', () => resolve());
      };
      zk.on('connecting', onConnecting);
    });
  }

  async close(): Promise<void> {
    this.zk?.close();
  }
}
