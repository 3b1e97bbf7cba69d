// The one small interface every measured client is driven through, and how a client is made from
// its name. Calls take a completion callback rather than returning a promise, so a callback-based
// peer is used the way its users use it, with no promise layered on top by the benchmark.

import { createRequire } from 'node:module';
import { join } from 'node:path';
import { REPO_ROOT } from '../repo-root.js';

/** Called once per request: null on success, else the error. */
export type Done = (error: Error | null) => void;

/** A client under test, connected to one server. */
export interface BenchClient {
  /** Connects and resolves once requests can be sent (the session is established). */
  connect(connectString: string): Promise<void>;
  get(path: string, done: Done): void;
  set(path: string, value: Buffer, done: Done): void;
  /** Creates a persistent node with the open ACL. */
  create(path: string, value: Buffer, done: Done): void;
  delete(path: string, done: Done): void;
  getChildren(path: string, done: Done): void;
  /** Ends the session (closeSession) and frees the connection. */
  close(): Promise<void>;
}

/** What the watch figure needs on top: watches, the session id, and noticing a reconnect. */
export interface WatchingClient extends BenchClient {
  /** exists() with a watch; a missing node is a success (the server still sets the watch). */
  existsWatch(path: string, done: Done): void;
  /** getData() with a watch on an existing node. */
  getWatch(path: string, done: Done): void;
  /** A request whose reply follows every re-registration reply on a new connection (sync, or exists). */
  probe(done: Done): void;
  /** The session id, as the server and the ConnectRequest know it (signed 64-bit). */
  sessionId(): bigint;
  /** Resolves at the next "connected" after the connection was lost; armed before the cut. */
  nextReconnect(): Promise<void>;
}

/**
 * Clients the suite knows, in table order; `raw` is the ceiling and has its own driver, `java` (the
 * ZooKeeper Java client) runs in a JVM of its own (bench/java-peer.ts).
 */
export const CLIENT_NAMES = [
  'raw',
  'zookit',
  'zookit-worker',
  'node-zookeeper-client',
  'zookeeper',
  'java',
] as const;
export type ClientName = (typeof CLIENT_NAMES)[number];

/** The table label of each client. */
export const CLIENT_LABELS: Record<ClientName, string> = {
  raw: 'raw ceiling',
  zookit: 'zookit (sequential)',
  'zookit-worker': 'zookit (worker threads)',
  'node-zookeeper-client': 'node-zookeeper-client 1.1.3',
  zookeeper: 'zookeeper 7.3.0 (native)',
  java: 'ZooKeeper Java client 3.8.0',
};

/** Session timeout every client asks for, ms: long enough that no ping matters in a run. */
export const SESSION_TIMEOUT_MS = 30_000;

/**
 * Loads a bench-only peer from bench/node_modules (installed by `npm run bench`, never by the
 * root `npm ci`). Compiled code runs from .build/bench, whose own lookup would never reach it.
 */
export function loadPeer<T>(name: 'node-zookeeper-client' | 'zookeeper'): T {
  const benchDir = join(REPO_ROOT, 'bench');
  return createRequire(join(benchDir, 'package.json'))(name) as T;
}

/** Makes an unconnected client; throws when a peer cannot be loaded (not installed, native build failed). */
export async function createClient(name: Exclude<ClientName, 'raw'>): Promise<WatchingClient> {
  if (name === 'java') throw new Error('the Java client runs in a JVM of its own (bench/java-peer.ts)');
  switch (name) {
    case 'zookit':
      return new (await import('./zookit.js')).ZookitClient('sequential');
    case 'zookit-worker':
      return new (await import('./zookit.js')).ZookitClient('worker');
    case 'node-zookeeper-client':
      return new (await import('./node-zookeeper-client.js')).NodeZookeeperClient();
    case 'zookeeper':
      return new (await import('./zookeeper-native.js')).NativeZookeeperClient();
  }
}

/** Turns a callback into a promise, with a deadline (ms) after which it rejects. */
export function withDeadline<T>(
  what: string,
  ms: number,
  start: (resolve: (v: T) => void) => void,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms);
    start((value) => {
      clearTimeout(timer);
      resolve(value);
    });
  });
}
