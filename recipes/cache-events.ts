// The events of a cache of znodes, shared by TreeCache (one-shot watches) and any other cache
// (a CuratorCache on persistent recursive watches): what a cached node looks like, the event names
// with their arguments, the same events as one tagged union, and the emitter that delivers them.

import { EventEmitter } from 'eventemitter3';
import type { RecipeClient } from '../lib/recipe-client.js';
import type { Stat } from '../protocol/index.js';
import { reportFault } from './faults.js';

/** One node as a cache holds it (kazoo's NodeData, Curator's ChildData). Never mutated: a change is a new object. */
export interface CachedNode {
  /** Client path (the chroot is not part of it). */
  readonly path: string;
  /** The node's data; null for a node created with null data. */
  readonly data: Buffer | null;
  readonly stat: Stat;
}

/** A cache's events by name, with their listener arguments. */
export interface CacheEvents {
  /** A node entered the cache: at the initial build, or created later. */
  nodeAdded: [node: CachedNode];
  /** A node's data changed (its mzxid grew); `previous` is what the cache held before. */
  nodeUpdated: [node: CachedNode, previous: CachedNode];
  /** A node left the cache (deleted); `node` is its last cached state. */
  nodeRemoved: [node: CachedNode];
  /** The cache matches the server for the first time (and again after each rebuild that follows a session loss). */
  initialized: [];
  /** The client lost its connection; the cache may be behind until it reconnects. */
  connectionSuspended: [];
  /** The client is connected again; changes made meanwhile are being applied. */
  connectionReconnected: [];
  /** The session was lost; the cache is rebuilt on the next session. */
  connectionLost: [];
  /** A read failed for a reason other than the connection (e.g. NoAuth). Without a listener it goes to the client's 'error'. */
  error: [error: unknown];
}

/** The name of a cache event. */
export type CacheEventName = keyof CacheEvents;

/** One cache event as a value: what a `listen()` listener receives (kazoo's TreeEvent). */
export type CacheEvent =
  | { type: 'nodeAdded'; node: CachedNode }
  | { type: 'nodeUpdated'; node: CachedNode; previous: CachedNode }
  | { type: 'nodeRemoved'; node: CachedNode }
  | { type: 'initialized' | 'connectionSuspended' | 'connectionReconnected' | 'connectionLost' }
  | { type: 'error'; error: unknown };

/** A listener of every cache event, in order (kazoo's `listen`). */
export type CacheListener = (event: CacheEvent) => unknown;

/**
 * Delivers cache events through the client's callback dispatch: one listener at a time, in the
 * order the cache produced the events, after the client's earlier callbacks; a listener that
 * throws is reported as a client 'error' and the others still run.
 */
export class CacheEventEmitter extends EventEmitter<CacheEvents> {
  private readonly streamListeners = new Set<CacheListener>();

  constructor(protected readonly client: RecipeClient) {
    super();
  }

  /** Adds a listener of every event as one stream; returns the function that removes it. */
  listen(listener: CacheListener): () => void {
    this.streamListeners.add(listener);
    return () => {
      this.streamListeners.delete(listener);
    };
  }

  /** Delivers one event to the named listeners and the stream listeners. */
  protected publish(event: CacheEvent): void {
    const args = argumentsOf(event);
    if (event.type === 'error' && this.listenerCount('error') === 0 && this.streamListeners.size === 0) {
      reportFault(this.client, event.error);
      return;
    }
    for (const listener of this.listeners(event.type)) {
      // once() listeners go now, as emit() would remove them before calling.
      this.removeListener(event.type, listener as () => void, undefined, true);
      this.client.handler.dispatchCallback(() => (listener as (...a: unknown[]) => unknown)(...args));
    }
    for (const listener of this.streamListeners) this.client.handler.dispatchCallback(() => listener(event));
  }
}

function argumentsOf(event: CacheEvent): unknown[] {
  switch (event.type) {
    case 'nodeAdded':
    case 'nodeRemoved':
      return [event.node];
    case 'nodeUpdated':
      return [event.node, event.previous];
    case 'error':
      return [event.error];
    default:
      return [];
  }
}
