// The recipe benchmark's arithmetic over the drivers' event logs (bench/recipes/figures.ts): events
// of several processes merged on one clock, and the correctness checks that must catch an overlap,
// a lost update or an item consumed twice.
import type { DriverResult } from '../../../bench/recipes/contract.js';
import { measure, median, percentile } from '../../../bench/recipes/figures.js';

const base: DriverResult = { cpuNs: 0, rttNs: [100_000, 200_000, 300_000] };

describe('recipe benchmark figures', () => {
  it('takes the hand-off as the next grant minus the previous release, across processes', () => {
    const a = {
      ...base,
      grants: [
        [0, 1_000_000],
        [4_000_000, 5_000_000],
      ] as [number, number][],
      overlaps: 0,
    };
    const b = { ...base, grants: [[1_500_000, 3_000_000]] as [number, number][], overlaps: 0 };
    const figure = measure('lock', [a, b], 1, { value: 3 });
    expect(figure.count).toBe(3);
    expect(figure.samples).toBe(2);
    expect(figure.p50Ms).toBeCloseTo(0.5);
    expect(figure.p99Ms).toBeCloseTo(1);
    expect(figure.rttP50Ms).toBeCloseTo(0.2);
    expect(figure.problem).toBeNull();
  });

  it('reports a grant before the previous release, and a counter that does not match the grants', () => {
    const a = { ...base, grants: [[0, 2_000_000]] as [number, number][], overlaps: 0 };
    const b = { ...base, grants: [[1_000_000, 3_000_000]] as [number, number][], overlaps: 1 };
    const problem = measure('lock', [a, b], 1, { value: 1 }).problem;
    expect(problem).toContain('1 grants before');
    expect(problem).toContain('1 counter writes lost');
    expect(problem).toContain('counter 1 ≠ 2 grants');
  });

  it('takes a fail-over from a resign to the next election, and reports two leaders at once', () => {
    const a = { ...base, elected: [0, 5_000_000], resigned: [2_000_000] };
    const b = { ...base, elected: [3_000_000], resigned: [4_000_000] };
    const figure = measure('election-resign', [a, b], 1, {});
    expect(figure.samples).toBe(2);
    expect(figure.p50Ms).toBeCloseTo(1);
    expect(figure.problem).toBeNull();
    const overlapping = measure('election-close', [{ ...base, elected: [0, 1], resigned: [] }], 1, {});
    expect(overlapping.problem).toContain('1 elections while another leader');
  });

  it('counts increments, retries per increment and fairness, and catches a lost update', () => {
    const a = { ...base, increments: [10, 30], retries: [5, 15] };
    const figure = measure('counter', [a], 2, { value: 40 });
    expect(figure.rate).toBe(20);
    expect(figure.retriesPerOp).toBeCloseTo(0.5);
    expect(figure.fairness).toEqual([10, 30]);
    expect(figure.problem).toBeNull();
    expect(measure('counter', [a], 2, { value: 39 }).problem).toContain('counter 39 ≠ 40');
  });

  it('checks every queue item consumed once: duplicates, unknown items and what is left', () => {
    const producer = { ...base, produced: { '0': 3 } };
    const consumer = { ...base, consumed: ['0-0', '0-1'] };
    expect(measure('queue', [producer, consumer], 1, { remaining: 1 }).problem).toBeNull();
    const twice = { ...base, consumed: ['0-0', '0-0', '0-7'] };
    const problem = measure('queue', [producer, twice], 1, { remaining: 2 }).problem;
    expect(problem).toContain('1 items consumed twice');
    expect(problem).toContain('1 consumed items never put');
  });

  it('takes nearest-rank percentiles and medians', () => {
    expect(percentile([1, 2, 3, 4], 50)).toBe(2);
    expect(percentile([1, 2, 3, 4], 99)).toBe(4);
    expect(median([3, 1, 2, Number.NaN])).toBe(2);
    expect(median([1, 2, 3, 4])).toBe(2.5);
  });
});
