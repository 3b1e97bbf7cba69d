// A watch event prints and serialises with the names of its type and state, not bare numbers, and
// still has exactly the three fields callbacks read. docs/values.md#printing

import { format, inspect } from 'node:util';
import { eventTypeName, keeperStateName, watchedEvent } from '../../../lib/watches/watched-event.js';
import { EventType, KeeperState } from '../../../protocol/constants.js';

describe('a WatchedEvent', () => {
  const event = watchedEvent(EventType.NodeDataChanged, KeeperState.SyncConnected, '/a');

  it('prints its type and state by name, with the number beside it', () => {
    expect(inspect(event)).toBe(
      "WatchedEvent { type: 'NodeDataChanged' (3), state: 'SyncConnected' (3), path: '/a' }",
    );
    expect(format('%o', event)).toContain("type: 'NodeDataChanged' (3)");
    expect(inspect({ events: [event] })).toContain("state: 'SyncConnected' (3)");
    expect(inspect(watchedEvent(EventType.None, KeeperState.Expired, '/b'))).toBe(
      "WatchedEvent { type: 'None' (-1), state: 'Expired' (-112), path: '/b' }",
    );
  });

  it('serialises with names that map back to the constants', () => {
    const json = JSON.parse(JSON.stringify(event));
    expect(json).toEqual({ type: 'NodeDataChanged', state: 'SyncConnected', path: '/a' });
    expect(EventType[json.type as keyof typeof EventType]).toBe(event.type);
    expect(KeeperState[json.state as keyof typeof KeeperState]).toBe(event.state);
  });

  it('keeps a number no constant names as the number', () => {
    const odd = watchedEvent(42 as EventType, 99, '/c');
    expect(JSON.parse(JSON.stringify(odd))).toEqual({ type: 42, state: 99, path: '/c' });
    expect(inspect(odd)).toBe("WatchedEvent { type: 42, state: 99, path: '/c' }");
    expect([eventTypeName(42), keeperStateName(99)]).toEqual(['42', '99']);
  });

  it('has the three fields callbacks read as its only own properties', () => {
    expect(Object.keys(event)).toEqual(['type', 'state', 'path']);
    expect(event).toEqual({ type: 3, state: 3, path: '/a' });
    expect({ ...event }).toEqual({ type: 3, state: 3, path: '/a' });
  });
});
