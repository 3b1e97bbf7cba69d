import { WatchRegistry } from '../../../lib/watches/watch-registry.js';
import { EventType } from '../../../protocol/constants.js';

describe('WatchRegistry', () => {
  const a = (): void => {};
  const b = (): void => {};

  it('fans one event out to every callback of the path, each once', () => {
    const r = new WatchRegistry();
    r.add('data', '/p', a);
    r.add('data', '/p', a);
    r.add('data', '/p', b);
    r.add('exist', '/p', a);
    expect(r.take(EventType.NodeDataChanged, '/p')).toEqual([a, b]);
    expect(r.size).toBe(0);
  });

  it('fires child watches only for children events, and everything on delete', () => {
    const r = new WatchRegistry();
    r.add('child', '/p', a);
    r.add('data', '/p', b);
    expect(r.take(EventType.NodeDataChanged, '/p')).toEqual([b]);
    expect(r.take(EventType.NodeCreated, '/p')).toEqual([]);
    r.add('data', '/p', b);
    expect(new Set(r.take(EventType.NodeDeleted, '/p'))).toEqual(new Set([a, b]));
    expect(r.size).toBe(0);
  });

  it('lists paths per table for SetWatches and drains every callback once on loss', () => {
    const r = new WatchRegistry();
    r.add('data', '/d', a);
    r.add('exist', '/e', a);
    r.add('child', '/c', b);
    r.add('child', '/c', a);
    expect([r.paths('data'), r.paths('exist'), r.paths('child')]).toEqual([['/d'], ['/e'], ['/c']]);
    expect(r.drain()).toEqual([
      ['/d', a],
      ['/c', b],
    ]);
    expect(r.size).toBe(0);
  });
});

describe('WatchRegistry with persistent watches', () => {
  const a = (): void => {};
  const b = (): void => {};
  const c = (): void => {};

  it('keeps persistent callbacks after every event and fires them alongside one-shots, each once', () => {
    const r = new WatchRegistry();
    r.add('persistent', '/p', a);
    r.add('data', '/p', a);
    r.add('data', '/p', b);
    expect(r.take(EventType.NodeDataChanged, '/p')).toEqual([a, b]);
    expect(r.take(EventType.NodeDataChanged, '/p')).toEqual([a]);
    expect(r.take(EventType.NodeChildrenChanged, '/p')).toEqual([a]);
    expect(r.take(EventType.NodeDeleted, '/p')).toEqual([a]);
    expect(r.take(EventType.NodeDataChanged, '/p/child')).toEqual([]);
    expect(r.size).toBe(1);
  });

  it('routes subtree events to recursive watches on the path and every ancestor, but never NodeChildrenChanged (ZOOKEEPER-4475)', () => {
    const r = new WatchRegistry();
    r.add('persistentRecursive', '/', a);
    r.add('persistentRecursive', '/x', b);
    r.add('persistentRecursive', '/x/y/z', c);
    r.add('child', '/x/y', c);
    expect(r.take(EventType.NodeCreated, '/x/y')).toEqual([b, a]);
    expect(r.take(EventType.NodeDeleted, '/x/y/z/w')).toEqual([c, b, a]);
    expect(r.take(EventType.NodeDataChanged, '/x')).toEqual([b, a]);
    expect(r.take(EventType.NodeDataChanged, '/xy')).toEqual([a]);
    // The child watch's event reaches only the child watch.
    expect(r.take(EventType.NodeChildrenChanged, '/x/y')).toEqual([c]);
    expect(r.take(EventType.NodeChildrenChanged, '/x/y')).toEqual([]);
  });

  it('matches a path outside the chroot only to watches on that very path, and can leave persistent watches out', () => {
    const r = new WatchRegistry();
    r.add('persistentRecursive', '/', a);
    r.add('persistent', '/zookeeper/config', b);
    r.add('data', '/zookeeper/config', c);
    expect(r.take(EventType.NodeDataChanged, '/zookeeper/config', false)).toEqual([c, b]);
    r.add('data', '/q', c);
    expect(r.take(EventType.NodeDeleted, '/q', true, false)).toEqual([c]);
  });

  it('says which one-shot watches a persistent watch on the same path must feed (ZOOKEEPER-4466)', () => {
    const r = new WatchRegistry();
    r.add('persistent', '/p', a);
    r.add('persistentRecursive', '/r', a);
    expect(['data', 'exist', 'child'].map((k) => r.servedByPersistent(k as 'data', '/p'))).toEqual([
      true,
      true,
      true,
    ]);
    // A recursive watch never delivers child events: a child watch beside it is the server's.
    expect(['data', 'exist', 'child'].map((k) => r.servedByPersistent(k as 'data', '/r'))).toEqual([
      true,
      true,
      false,
    ]);
    // A watch on an ancestor is a different server entry: no conflict, so nothing is fed.
    expect(r.servedByPersistent('data', '/r/below')).toBe(false);
    r.add('persistent', '/r', b);
    expect(r.servedByPersistent('child', '/r')).toBe(false);
  });

  it('removes single callbacks and remembers whether a watched node exists only while a persistent watch is there', () => {
    const r = new WatchRegistry();
    r.add('persistent', '/p', a);
    expect(r.add('persistent', '/p', a)).toBe(false);
    expect(r.add('persistent', '/p', b)).toBe(true);
    r.noteExists('/p', true);
    r.noteExists('/elsewhere', true);
    expect(r.believedExists('/p')).toBe(true);
    expect(r.believedExists('/elsewhere')).toBeUndefined();
    expect(r.remove('persistent', '/p', c)).toBe(false);
    expect(r.remove('persistent', '/p', a)).toBe(true);
    expect(r.callbacks('persistent', '/p')).toEqual([b]);
    expect(r.believedExists('/p')).toBe(true);
    expect(r.remove('persistent', '/p', b)).toBe(true);
    expect(r.has('persistent', '/p')).toBe(false);
    expect(r.believedExists('/p')).toBeUndefined();
    expect(r.persistentCount).toBe(0);
  });

  it('lists persistent callbacks once each and drains every table', () => {
    const r = new WatchRegistry();
    r.add('persistent', '/p', a);
    r.add('persistentRecursive', '/r', a);
    r.add('persistentRecursive', '/r', b);
    r.add('child', '/c', c);
    expect(r.persistentCallbacks()).toEqual([
      ['/p', a],
      ['/r', b],
    ]);
    expect(r.drain()).toEqual([
      ['/c', c],
      ['/p', a],
      ['/r', b],
    ]);
    expect(r.size).toBe(0);
  });
});
