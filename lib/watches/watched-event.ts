// The WatchedEvent objects callbacks and streams receive. Their type and state are ZooKeeper's
// numbers (EventType, KeeperState), which a log line shows as `type: 3`; these objects print and
// serialise with the constants' names beside them instead (docs/values.md#printing), from one
// shared prototype, so an event still costs one small object. The fields callbacks see are
// unchanged: `type`, `state` and `path`, the only own properties. docs/watches.md#what-a-callback-receives

import { inspect } from 'node:util';
import { EventType, KeeperState } from '../../protocol/constants.js';
import type { WatchedEvent } from './watch-registry.js';

const typeNames = new Map<number, string>(Object.entries(EventType).map(([name, n]) => [n, name]));
const stateNames = new Map<number, string>(Object.entries(KeeperState).map(([name, n]) => [n, name]));

/** The EventType constant's name for `type` (`NodeDataChanged` for 3), or the number as text. */
export function eventTypeName(type: number): string {
  return typeNames.get(type) ?? String(type);
}

/** The KeeperState constant's name for `state` (`SyncConnected` for 3), or the number as text. */
export function keeperStateName(state: number): string {
  return stateNames.get(state) ?? String(state);
}

class Event implements WatchedEvent {
  constructor(
    readonly type: EventType,
    readonly state: number,
    readonly path: string,
  ) {}

  /** `{ type: 'NodeDataChanged', state: 'SyncConnected', path }`: names, which map back to the numbers one to one. */
  toJSON(): { type: string | number; state: string | number; path: string } {
    return {
      type: typeNames.get(this.type) ?? this.type,
      state: stateNames.get(this.state) ?? this.state,
      path: this.path,
    };
  }

  /** `WatchedEvent { type: 'NodeDataChanged' (3), state: 'SyncConnected' (3), path: '/a' }`. */
  [inspect.custom](_depth: number, options: { stylize: (text: string, style: string) => string }): string {
    const named = (name: string | undefined, n: number): string =>
      name === undefined
        ? options.stylize(String(n), 'number')
        : `${options.stylize(`'${name}'`, 'string')} (${n})`;
    return `WatchedEvent { type: ${named(typeNames.get(this.type), this.type)}, state: ${named(
      stateNames.get(this.state),
      this.state,
    )}, path: ${options.stylize(`'${this.path}'`, 'string')} }`;
  }
}

/** A watch event as callbacks receive it: the three fields, printed and serialised with names. */
export function watchedEvent(type: EventType, state: number, path: string): WatchedEvent {
  return new Event(type, state, path);
}
