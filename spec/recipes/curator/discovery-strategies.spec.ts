// The provider's picking rules without a server: Curator's TestStrategies (round robin, random,
// sticky) and TestDownInstanceManager (the error threshold and the timeout), on a clock the test
// moves by hand.

import { DownInstances } from '../../../recipes/curator/discovery/down-instances.js';
import {
  RandomStrategy,
  RoundRobinStrategy,
  StickyStrategy,
} from '../../../recipes/curator/discovery/provider-strategies.js';
import {
  type ServiceInstance,
  serviceInstance,
} from '../../../recipes/curator/discovery/service-instance.js';

/** `count` instances of service foo with ids `from`, `from + 1`, ... */
function instances(count: number, from = 0): ServiceInstance[] {
  return Array.from({ length: count }, (_, i) =>
    serviceInstance({ name: 'foo', id: String(from + i), address: '127.0.0.1', registrationTimeUTC: 0 }),
  );
}

/** A seeded generator (mulberry32): the random strategy's chance, replayable. */
function seeded(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

describe("provider strategies (Curator's TestStrategies)", () => {
  it('round robin hands out each instance in turn, over and over', () => {
    const list = instances(10);
    const strategy = new RoundRobinStrategy();
    for (let i = 0; i < 10 * 1234; i++) expect(strategy.getInstance(list)?.id).toBe(String(i % 10));
    expect(strategy.getInstance([])).toBeUndefined();
  });

  it('random spreads picks evenly', () => {
    const list = instances(10);
    const strategy = new RandomStrategy(seeded(42));
    const counts = new Array<number>(10).fill(0);
    for (let i = 0; i < 1000; i++) counts[Number(strategy.getInstance(list)!.id)]!++;
    const mean = 100;
    const deviation = Math.sqrt(counts.reduce((sum, c) => sum + (c - mean) ** 2, 0) / counts.length);
    expect(deviation).toBeLessThanOrEqual(10 * 2); // Curator's "meager check for even distribution"
  });

  it('sticky keeps its instance while it is offered, and picks another once it is gone', () => {
    const strategy = new StickyStrategy(new RandomStrategy(seeded(7)));
    let list = instances(10);
    const first = strategy.getInstance(list);
    const number = strategy.instanceNumber;
    for (let i = 0; i < 1000; i++) expect(strategy.getInstance(list)).toBe(first);
    list = instances(10, 10); // every instance went down, others came up
    const second = strategy.getInstance(list);
    expect(second?.id).not.toBe(first?.id);
    expect(strategy.instanceNumber).not.toBe(number);
    for (let i = 0; i < 1000; i++) expect(strategy.getInstance(list)).toBe(second);
  });
});

describe("the down-instance policy (Curator's TestDownInstanceManager)", () => {
  let now = 0;
  const clock = { now: () => now };
  beforeEach(() => {
    now = 0;
  });

  it('leaves out an instance once it has failed `errorThreshold` times, only that one', () => {
    const [one, two] = instances(2, 1) as [ServiceInstance, ServiceInstance];
    const down = new DownInstances({ timeoutMs: 1000, errorThreshold: 1 }, clock);
    expect(down.isUp(one) && down.isUp(two)).toBe(true);
    down.noteError(one);
    expect(down.isUp(one)).toBe(false);
    expect(down.isUp(two)).toBe(true);
  });

  it('counts errors up to the threshold', () => {
    const [one, two] = instances(2, 1) as [ServiceInstance, ServiceInstance];
    const down = new DownInstances({ timeoutMs: 1000, errorThreshold: 2 }, clock);
    down.noteError(one);
    expect(down.isUp(one)).toBe(true);
    down.noteError({ ...one }); // the same instance, field by field
    expect(down.isUp(one)).toBe(false);
    expect(down.isUp(two)).toBe(true);
  });

  it('forgets the errors once the timeout has passed since the first', () => {
    const [one, two] = instances(2, 1) as [ServiceInstance, ServiceInstance];
    const down = new DownInstances({ timeoutMs: 1000, errorThreshold: 1 }, clock);
    down.noteError(one);
    now = 400;
    expect(down.isUp(one)).toBe(false);
    now = 1000;
    expect(down.isUp(one)).toBe(true);
    expect(down.isUp(two)).toBe(true);
  });

  it('has Curator defaults: 2 errors within 30 s', () => {
    const down = new DownInstances({}, clock);
    expect([down.timeoutMs, down.errorThreshold]).toEqual([30_000, 2]);
  });
});
