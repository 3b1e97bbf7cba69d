import { WatchRegistry } from '../../lib/watch-registry.js';
import { EventType } from '../../protocol/constants.js';

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
    expect(r.paths()).toEqual({ data: ['/d'], exist: ['/e'], child: ['/c'] });
    expect(r.drain()).toEqual([
      ['/d', a],
      ['/c', b],
    ]);
    expect(r.size).toBe(0);
  });
});
