// What removeWatches puts on the wire for each registry state: a 3.8 server keeps one entry per
// (connection, path) in its data and child tables, shared by standard and persistent watches.

import { WatchRegistry } from '../../../lib/watches/watch-registry.js';
import { planRemoval } from '../../../lib/watches/watch-removal.js';
import { AddWatchMode, OpCode, WatcherType } from '../../../protocol/constants.js';

const a = (): void => {};
const b = (): void => {};

function registry(...entries: Array<[Parameters<WatchRegistry['add']>[0], () => void]>): WatchRegistry {
  const r = new WatchRegistry();
  for (const [kind, cb] of entries) r.add(kind, '/p', cb);
  return r;
}

describe('planRemoval', () => {
  it('finds nothing to remove locally first (NOWATCHER)', () => {
    expect(planRemoval(registry(['data', a]), '/p', '/p', 'children', undefined)).toBeUndefined();
    expect(planRemoval(registry(['data', a]), '/p', '/p', 'data', b)).toBeUndefined();
  });

  it('removes the server watch with the last one-shot callback of a type, and only checks before that', () => {
    const two = registry(['data', a], ['data', b]);
    expect(planRemoval(two, '/p', '/app/p', 'data', a)?.request).toEqual({
      op: OpCode.checkWatches,
      body: { path: '/app/p', type: WatcherType.Data },
    });
    expect(planRemoval(two, '/p', '/p', 'data', undefined)).toMatchObject({
      request: { op: OpCode.removeWatches, body: { type: WatcherType.Data } },
      targets: [
        ['data', a],
        ['data', b],
      ],
      rearm: false,
    });
    const both = registry(['exist', a], ['child', b]);
    expect(planRemoval(both, '/p', '/p', 'any', undefined)?.request.body).toEqual({
      path: '/p',
      type: WatcherType.Any,
    });
    expect(planRemoval(both, '/p', '/p', 'children', undefined)?.request.body).toEqual({
      path: '/p',
      type: WatcherType.Children,
    });
  });

  it('removes a persistent watch with Any (3.8 refuses types 4 and 5) and re-arms the one-shot watches left', () => {
    const r = registry(['persistent', a], ['data', b]);
    expect(planRemoval(r, '/p', '/p', 'persistent', undefined)).toMatchObject({
      request: { op: OpCode.removeWatches, body: { type: WatcherType.Any } },
      targets: [['persistent', a]],
      rearm: true,
    });
    const twoPersistent = registry(['persistent', a], ['persistent', b]);
    expect(planRemoval(twoPersistent, '/p', '/p', 'persistent', a)?.request).toEqual({
      op: OpCode.checkWatches,
      body: { path: '/p', type: WatcherType.Any },
    });
  });

  it('turns the server watch back to persistent when the last recursive one goes and a persistent one stays', () => {
    const r = registry(['persistent', a], ['persistentRecursive', b]);
    expect(planRemoval(r, '/p', '/p', 'persistentRecursive', undefined)?.request).toEqual({
      op: OpCode.addWatch,
      body: { path: '/p', mode: AddWatchMode.PERSISTENT },
    });
  });

  it('never removes a table a persistent watch still holds', () => {
    // Removing Data here would take the persistent watch with it.
    const r = registry(['persistent', a], ['data', b], ['child', b]);
    expect(planRemoval(r, '/p', '/p', 'data', undefined)?.request.op).toBe(OpCode.checkWatches);
    expect(planRemoval(r, '/p', '/p', 'children', undefined)?.request.op).toBe(OpCode.checkWatches);
    // A recursive watch lives in the data table only as far as events go: its child entry may go.
    const recursive = registry(['persistentRecursive', a], ['child', b]);
    expect(planRemoval(recursive, '/p', '/p', 'children', undefined)?.request.body).toEqual({
      path: '/p',
      type: WatcherType.Children,
    });
    expect(planRemoval(recursive, '/p', '/p', 'any', undefined)).toMatchObject({
      request: { op: OpCode.removeWatches, body: { type: WatcherType.Any } },
      rearm: true,
    });
  });
});
