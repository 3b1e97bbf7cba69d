// An already-aborted signal is honoured the same way by sleep, event.wait and lock.acquire, and
// the virtual clock refuses steps that would break it.

import { SequentialMicrotaskHandler } from '../../handlers/sequential-microtask.js';
import { VirtualClockHandler } from '../../handlers/virtual-clock.js';

describe.each([
  ['VirtualClockHandler', () => new VirtualClockHandler()],
  ['SequentialMicrotaskHandler', () => new SequentialMicrotaskHandler()],
])('%s with an already-aborted signal', (_name, make) => {
  const reason = new Error('cancelled');
  const aborted = (): AbortSignal => AbortSignal.abort(reason);

  it('rejects sleep, event.wait on a set event and acquire of a free lock alike', async () => {
    const handler = make();
    await expect(handler.sleep(1, aborted())).rejects.toBe(reason);
    const event = handler.eventObject();
    event.set();
    await expect(event.wait(undefined, aborted())).rejects.toBe(reason);
    const lock = handler.lockObject();
    await expect(lock.acquire({ signal: aborted() })).rejects.toBe(reason);
    expect(lock.locked).toBe(false);
  });
});

describe('VirtualClockHandler steps', () => {
  it('refuses NaN, negative and infinite advances and keeps its clock', async () => {
    const handler = new VirtualClockHandler({ startTime: 5 });
    for (const bad of [Number.NaN, -1, Number.POSITIVE_INFINITY]) {
      await expect(handler.advance(bad)).rejects.toThrow(RangeError);
    }
    await expect(handler.runUntilIdle(Number.NaN)).rejects.toThrow(RangeError);
    expect(handler.now()).toBe(5);
    await handler.advance(10);
    expect(handler.now()).toBe(15);
  });
});
