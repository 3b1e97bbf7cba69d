// The part of the `zookeeper` package 7.3.0 (the native binding over the C client) that the
// benchmark calls: the shape of the value `loadPeer('zookeeper')` returns. The package has types
// of its own, but they exist only once bench/node_modules is installed, which the root type check
// (CI) cannot assume; a plain module here reads the same either way.

export declare class ZooKeeper {
  constructor(config: ZooKeeper.Config);
  static readonly constants: ZooKeeper.Constants;
  /** The session id as a hex string. */
  readonly client_id: string;
  init(config: Partial<ZooKeeper.Config>): this;
  on(event: 'connect' | 'connecting' | 'close', listener: () => void): this;
  once(event: 'connect' | 'connecting' | 'close', listener: () => void): this;
  removeListener(event: 'connect' | 'connecting' | 'close', listener: () => void): this;
  close(): void;
  a_create(path: string, data: Buffer | string, flags: number, callback: ZooKeeper.PathCallback): void;
  a_delete_(path: string, version: number, callback: ZooKeeper.VoidCallback): void;
  a_get(path: string, watch: boolean, callback: ZooKeeper.DataCallback): void;
  a_set(path: string, data: Buffer | string, version: number, callback: ZooKeeper.StatCallback): void;
  a_get_children(path: string, watch: boolean, callback: ZooKeeper.ChildrenCallback): void;
  aw_exists(path: string, watch: ZooKeeper.WatchCallback, callback: ZooKeeper.StatCallback): void;
  aw_get(path: string, watch: ZooKeeper.WatchCallback, callback: ZooKeeper.DataCallback): void;
  a_sync(path: string, callback: ZooKeeper.PathCallback): void;
}

export namespace ZooKeeper {
  /** The node's Stat as the binding builds it. */
  export interface Stat {
    version: number;
    dataLength: number;
    numChildren: number;
  }

  /** Options of `new ZooKeeper(...)`; `timeout` in milliseconds. */
  export interface Config {
    connect: string;
    /** Requested session timeout, ms. */
    timeout?: number;
    /** The C client's log level (ZOO_LOG_LEVEL_*). */
    debug_level?: number;
    host_order_deterministic?: boolean;
    /**
     * The binding closes the handle (ZCLOSING, -116) once the C client's zookeeper_process has
     * returned "nothing yet" this many times in a row (default 10).
     */
    response_counter_limit?: number;
  }

  /** `rc` is the ZooKeeper result code (0 = ZOK); `error` its text. */
  export type VoidCallback = (rc: number, error: string) => void;
  export type StatCallback = (rc: number, error: string, stat: Stat) => void;
  export type DataCallback = (rc: number, error: string, stat: Stat, data: Buffer | null) => void;
  export type PathCallback = (rc: number, error: string, path: string) => void;
  export type ChildrenCallback = (rc: number, error: string, children: string[]) => void;
  export type WatchCallback = (type: number, state: number, path: string) => void;

  export interface Constants {
    ZOK: number;
    ZNONODE: number;
    ZOO_PERSISTENT: number;
    ZOO_LOG_LEVEL_ERROR: number;
    ZOO_LOG_LEVEL_WARN: number;
  }
}
