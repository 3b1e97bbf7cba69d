// Client-side one-shot watches. The server keeps one watch per (connection, path, kind) and sends
// one event for it; fanning it out to every local callback is ours. Data, exist and child watches
// are kept apart as the Java client keeps them, keyed by client path (chroot removed).

import { EventType } from '../protocol/constants.js';

/** A watch event as callbacks receive it. `path` is the client path (chroot removed). */
export interface WatchedEvent {
  type: EventType;
  /** KeeperState number: 3 (SyncConnected) for server events, -112 (Expired) or 7 (Closed) on loss. */
  state: number;
  path: string;
}

/** A one-shot watch callback. */
export type WatchCallback = (event: WatchedEvent) => unknown;

/** Which table a registration goes into. */
export type WatchKind = 'data' | 'exist' | 'child';

/**
 * The callbacks of one path: nearly always one, stored bare; a Set only from the second on (a
 * Set per path would double the memory of 100,000 watches).
 */
type Entry = WatchCallback | Set<WatchCallback>;

/** The three watch tables of one session. */
export class WatchRegistry {
  private readonly tables: Record<WatchKind, Map<string, Entry>> = {
    data: new Map(),
    exist: new Map(),
    child: new Map(),
  };

  /** Adds a callback; the same callback twice on one path and kind is one registration. */
  add(kind: WatchKind, path: string, callback: WatchCallback): void {
    const table = this.tables[kind];
    const entry = table.get(path);
    if (entry === undefined) table.set(path, callback);
    else if (typeof entry === 'function') {
      if (entry !== callback) table.set(path, new Set([entry, callback]));
    } else entry.add(callback);
  }

  /**
   * Removes and returns the callbacks an event consumes (PROTOCOL.md §1.8): created and changed
   * fire data and exist watches, children-changed fires child watches, deleted fires all three.
   * A callback registered in several tables is called once.
   */
  take(type: EventType, path: string): WatchCallback[] {
    const kinds: WatchKind[] =
      type === EventType.NodeChildrenChanged
        ? ['child']
        : type === EventType.NodeDeleted
          ? ['data', 'exist', 'child']
          : ['data', 'exist'];
    const out = new Set<WatchCallback>();
    for (const kind of kinds) {
      const entry = this.tables[kind].get(path);
      if (entry === undefined) continue;
      this.tables[kind].delete(path);
      if (typeof entry === 'function') out.add(entry);
      else for (const cb of entry) out.add(cb);
    }
    return [...out];
  }

  /** Paths per table, for SetWatches after a reconnect. */
  paths(): Record<WatchKind, string[]> {
    return {
      data: [...this.tables.data.keys()],
      exist: [...this.tables.exist.keys()],
      child: [...this.tables.child.keys()],
    };
  }

  /** Whether any watch is registered. */
  get size(): number {
    return this.tables.data.size + this.tables.exist.size + this.tables.child.size;
  }

  /** Removes everything and returns each (path, callback) once, for a final loss event. */
  drain(): Array<[string, WatchCallback]> {
    const out: Array<[string, WatchCallback]> = [];
    const seen = new Set<WatchCallback>();
    for (const table of Object.values(this.tables)) {
      for (const [path, entry] of table) {
        for (const cb of typeof entry === 'function' ? [entry] : entry) {
          if (seen.has(cb)) continue;
          seen.add(cb);
          out.push([path, cb]);
        }
      }
      table.clear();
    }
    return out;
  }
}
