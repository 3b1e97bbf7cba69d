// Client-side watches. The server keeps one watch per (connection, path, table) and sends one
// event for it; fanning it out to every local callback is ours. As in the Java client's
// ZKWatchManager, one-shot data, exist and child watches are kept apart, and so are persistent and
// persistent-recursive ones, each keyed by client path (chroot removed).

import { EventType } from '../../protocol/constants.js';

/** A watch event as callbacks receive it. `path` is the client path (chroot removed). */
export interface WatchedEvent {
  type: EventType;
  /**
   * KeeperState number: 3 (SyncConnected) for server events and for the "re-registered after a
   * reconnect" event of persistent watches; -112 (Expired), 4 (AuthFailed) or 7 (Closed) when
   * the session ends; 0 (Disconnected) on a watch removed locally without the server.
   */
  state: number;
  path: string;
}

/** A watch callback. */
export type WatchCallback = (event: WatchedEvent) => unknown;

/** The one-shot tables: a registration goes into one of them by the call and its result. */
export type OneShotKind = 'data' | 'exist' | 'child';

/** The modes of addWatch: every event of one node, or of a whole subtree. */
export type PersistentMode = 'persistent' | 'persistentRecursive';

/** Which table a registration goes into. */
export type WatchKind = OneShotKind | PersistentMode;

/** Every table, in the order SetWatches2 lists them. */
export const WATCH_KINDS: readonly WatchKind[] = [
  'data',
  'exist',
  'child',
  'persistent',
  'persistentRecursive',
];

/**
 * The callbacks of one path: nearly always one, stored bare; a Set only from the second on (a
 * Set per path would double the memory of 100,000 watches).
 */
type Entry = WatchCallback | Set<WatchCallback>;

/** The watch tables of one session. */
export class WatchRegistry {
  private readonly tables: Record<WatchKind, Map<string, Entry>> = {
    data: new Map(),
    exist: new Map(),
    child: new Map(),
    persistent: new Map(),
    persistentRecursive: new Map(),
  };
  /** Whether the node at a persistent watch's path exists, as last learned; absent while unknown. */
  private readonly rootExists = new Map<string, boolean>();

  /** Adds a callback; the same callback twice on one path and kind is one registration. Returns whether it was new. */
  add(kind: WatchKind, path: string, callback: WatchCallback): boolean {
    const table = this.tables[kind];
    const entry = table.get(path);
    if (entry === undefined) table.set(path, callback);
    else if (typeof entry === 'function') {
      if (entry === callback) return false;
      table.set(path, new Set([entry, callback]));
    } else {
      if (entry.has(callback)) return false;
      entry.add(callback);
    }
    return true;
  }

  /** Removes one callback; returns whether it was there. */
  remove(kind: WatchKind, path: string, callback: WatchCallback): boolean {
    const table = this.tables[kind];
    const entry = table.get(path);
    if (entry === undefined) return false;
    if (typeof entry === 'function') {
      if (entry !== callback) return false;
      table.delete(path);
    } else {
      if (!entry.delete(callback)) return false;
      if (entry.size === 1) table.set(path, entry.values().next().value as WatchCallback);
    }
    if ((kind === 'persistent' || kind === 'persistentRecursive') && !this.isRoot(path)) {
      this.rootExists.delete(path);
    }
    return true;
  }

  /** The callbacks of one path and kind. */
  callbacks(kind: WatchKind, path: string): WatchCallback[] {
    const entry = this.tables[kind].get(path);
    if (entry === undefined) return [];
    return typeof entry === 'function' ? [entry] : [...entry];
  }

  /** Whether `path` has a watch of `kind` (that very callback, when one is given). */
  has(kind: WatchKind, path: string, callback?: WatchCallback): boolean {
    const entry = this.tables[kind].get(path);
    if (entry === undefined) return false;
    if (callback === undefined) return true;
    return typeof entry === 'function' ? entry === callback : entry.has(callback);
  }

  /** Whether a persistent or recursive watch is set on exactly `path`. */
  isRoot(path: string): boolean {
    return this.tables.persistent.has(path) || this.tables.persistentRecursive.has(path);
  }

  /**
   * Whether a one-shot watch of `kind` on `path` must stay client-side, fed by the persistent
   * watch on the same path. A 3.8 server keeps one mode per (connection, path, table), so a
   * standard watch sent there would turn the persistent one into a one-shot (ZOOKEEPER-4466). A
   * recursive watch never delivers child events, so a child watch beside it goes to the server.
   */
  servedByPersistent(kind: OneShotKind, path: string): boolean {
    const recursive = this.tables.persistentRecursive.has(path);
    if (kind === 'child') return !recursive && this.tables.persistent.has(path);
    return recursive || this.tables.persistent.has(path);
  }

  /**
   * Returns the callbacks an event reaches, removing the one-shot ones it consumes (docs/protocol.md#watch-tables): created and changed fire data and exist watches, children-changed fires child watches,
   * deleted fires all three. Persistent watches on the path get every event; recursive ones on
   * the path or an ancestor get all but NodeChildrenChanged, which a 3.8 server still sends when
   * a child watch shares the connection (ZOOKEEPER-4475). `ancestors` false (a path outside the
   * chroot) matches recursive watches on the path itself only; `persistent` false leaves
   * persistent and recursive watches out. A callback registered several times is called once.
   */
  take(type: EventType, path: string, ancestors = true, persistent = true): WatchCallback[] {
    const out = new Set<WatchCallback>();
    const children = type === EventType.NodeChildrenChanged;
    const deleted = type === EventType.NodeDeleted;
    if (!children) this.takeInto(out, 'data', path);
    if (!children) this.takeInto(out, 'exist', path);
    if (children || deleted) this.takeInto(out, 'child', path);
    if (persistent && this.persistentCount > 0) {
      addEntry(out, this.tables.persistent.get(path));
      const recursive = this.tables.persistentRecursive;
      if (!children && recursive.size > 0) {
        addEntry(out, recursive.get(path));
        for (let p = path; ancestors && p !== '/'; ) {
          p = p.slice(0, Math.max(1, p.lastIndexOf('/')));
          addEntry(out, recursive.get(p));
        }
      }
    }
    return [...out];
  }

  /** The paths of one table, in registration order. */
  paths(kind: WatchKind): string[] {
    return [...this.tables[kind].keys()];
  }

  /** How many (path, kind) registrations exist. */
  get size(): number {
    let n = 0;
    for (const kind of WATCH_KINDS) n += this.tables[kind].size;
    return n;
  }

  /** How many paths have a persistent or recursive watch. */
  get persistentCount(): number {
    return this.tables.persistent.size + this.tables.persistentRecursive.size;
  }

  /** Records whether the node at a persistent watch's path exists (ignored for other paths). */
  noteExists(path: string, exists: boolean): void {
    if (this.isRoot(path)) this.rootExists.set(path, exists);
  }

  /** Whether the node at a persistent watch's path exists, or undefined while unknown. */
  believedExists(path: string): boolean | undefined {
    return this.rootExists.get(path);
  }

  /** Every (path, callback) of the persistent and recursive tables, each callback once. */
  persistentCallbacks(): Array<[string, WatchCallback]> {
    return this.collect(['persistent', 'persistentRecursive']);
  }

  /** Removes everything and returns each (path, callback) once, for a final loss event. */
  drain(): Array<[string, WatchCallback]> {
    const out = this.collect(WATCH_KINDS);
    for (const kind of WATCH_KINDS) this.tables[kind].clear();
    this.rootExists.clear();
    return out;
  }

  private collect(kinds: readonly WatchKind[]): Array<[string, WatchCallback]> {
    const out: Array<[string, WatchCallback]> = [];
    const seen = new Set<WatchCallback>();
    for (const kind of kinds) {
      for (const [path, entry] of this.tables[kind]) {
        for (const cb of typeof entry === 'function' ? [entry] : entry) {
          if (seen.has(cb)) continue;
          seen.add(cb);
          out.push([path, cb]);
        }
      }
    }
    return out;
  }

  private takeInto(out: Set<WatchCallback>, kind: OneShotKind, path: string): void {
    const table = this.tables[kind];
    const entry = table.get(path);
    if (entry === undefined) return;
    table.delete(path);
    addEntry(out, entry);
  }
}

function addEntry(out: Set<WatchCallback>, entry: Entry | undefined): void {
  if (entry === undefined) return;
  if (typeof entry === 'function') out.add(entry);
  else for (const cb of entry) out.add(cb);
}
