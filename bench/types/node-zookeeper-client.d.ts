// The part of node-zookeeper-client 1.1.3 (it ships no types) that the benchmark calls: the shape
// of the value `loadPeer('node-zookeeper-client')` returns. A plain module rather than
// `declare module 'node-zookeeper-client'`, so the type check reads the same declarations whether
// or not bench/node_modules is installed.

/** A ZooKeeper error as the package reports it. */
export interface Exception extends Error {
  getCode(): number;
  getName(): string;
}

/** The node's Stat; 64-bit fields are 8-byte Buffers. */
export interface Stat {
  version: number;
  dataLength: number;
  numChildren: number;
}

/** An access control entry (the package's ACL class). */
export interface ACL {
  permission: number;
}

/** A watch event. */
export interface Event {
  getType(): number;
  getPath(): string;
}

export type Watcher = (event: Event) => void;

/** Constructor options; times in milliseconds. */
export interface ClientOptions {
  /** Requested session timeout, ms (default 30000). */
  sessionTimeout?: number;
  /** Longest random wait before reconnecting after a pass over every server, ms (default 1000). */
  spinDelay?: number;
  /** Retries of a failed request (default 0). */
  retries?: number;
}

export interface Client {
  connect(): void;
  close(): void;
  on(event: 'connected' | 'disconnected' | 'expired', listener: () => void): this;
  once(event: 'connected' | 'disconnected' | 'expired', listener: () => void): this;
  removeListener(event: 'connected' | 'disconnected' | 'expired', listener: () => void): this;
  /** The session id, 8 bytes big-endian. */
  getSessionId(): Buffer;
  create(
    path: string,
    data: Buffer | null,
    acls: ACL[],
    mode: number,
    callback: (error: Exception | null, path: string) => void,
  ): void;
  remove(path: string, version: number, callback: (error: Exception | null) => void): void;
  getData(path: string, callback: (error: Exception | null, data: Buffer, stat: Stat) => void): void;
  getData(
    path: string,
    watcher: Watcher,
    callback: (error: Exception | null, data: Buffer, stat: Stat) => void,
  ): void;
  setData(
    path: string,
    data: Buffer | null,
    version: number,
    callback: (error: Exception | null, stat: Stat) => void,
  ): void;
  getChildren(
    path: string,
    callback: (error: Exception | null, children: string[], stat: Stat) => void,
  ): void;
  exists(
    path: string,
    watcher: Watcher,
    callback: (error: Exception | null, stat: Stat | null) => void,
  ): void;
}

export function createClient(connectionString: string, options?: ClientOptions): Client;

export const ACL: { OPEN_ACL_UNSAFE: ACL[] };
export const CreateMode: { PERSISTENT: number };
