// The soak's trend test on series whose truth is known: t quantiles against the published table, a
// planted linear leak (found, and its slope inside the interval), pure noise (the interval covers
// zero about 95% of the time, as it claims), and noise that remembers its last value (the
// autocorrelation adjustment keeps the claim honest where the plain interval would not).

import { SeededRandom } from '../../testing/chaos/seeded-random.js';
import { fitTrend, lagOneAutocorrelation, studentTCdf, studentTQuantile } from './trend.js';

/** A standard normal draw (Box–Muller) from a seeded stream. */
function normal(random: SeededRandom): number {
  const u = 1 - random.next();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random.next());
}

/** One sample a second for `n` seconds. */
function seconds(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i * 1000);
}

/** AR(1) noise: each value is `rho` times the last plus fresh noise, scaled to standard deviation `sd`. */
function ar1(random: SeededRandom, n: number, rho: number, sd: number): number[] {
  const innovation = sd * Math.sqrt(1 - rho * rho);
  const out: number[] = [];
  let x = sd * normal(random);
  for (let i = 0; i < n; i++) {
    out.push(x);
    x = rho * x + innovation * normal(random);
  }
  return out;
}

/** Share of `trials` series from `make` whose slope interval contains `truth`. */
function coverage(trials: number, truth: number, make: (random: SeededRandom) => number[]): number {
  const random = new SeededRandom(18);
  let covered = 0;
  for (let i = 0; i < trials; i++) {
    const values = make(random);
    const trend = fitTrend(seconds(values.length), values);
    if (trend.low <= truth && truth <= trend.high) covered++;
  }
  return covered / trials;
}

describe("Student's t", () => {
  it.each([
    [1, 12.7062],
    [2, 4.3027],
    [5, 2.5706],
    [10, 2.2281],
    [30, 2.0423],
    [120, 1.9799],
  ])('has the tabled 97.5%% quantile for %i degrees of freedom', (dof, table) => {
    expect(studentTQuantile(0.975, dof)).toBeCloseTo(table, 3);
  });

  it('approaches the normal quantile as the degrees of freedom grow', () => {
    expect(studentTQuantile(0.975, 1e7)).toBeCloseTo(1.959964, 4);
  });

  it('takes fractional degrees of freedom, between the neighbouring whole ones', () => {
    const q = studentTQuantile(0.975, 2.5);
    expect(q).toBeLessThan(studentTQuantile(0.975, 2));
    expect(q).toBeGreaterThan(studentTQuantile(0.975, 3));
  });

  it('is symmetric about zero and inverts its distribution function', () => {
    expect(studentTCdf(0, 7)).toBeCloseTo(0.5, 12);
    expect(studentTQuantile(0.025, 7)).toBeCloseTo(-studentTQuantile(0.975, 7), 9);
    expect(studentTCdf(studentTQuantile(0.9, 4.2), 4.2)).toBeCloseTo(0.9, 9);
  });
});

describe('fitTrend', () => {
  it('finds a planted linear leak in noise, with the true slope inside the interval', () => {
    const random = new SeededRandom(1);
    const mib = 1024 * 1024;
    // 2 MiB a minute on top of 40 MiB, with 1 MiB of noise per sample: two minutes of samples.
    const values = seconds(120).map((t) => 40 * mib + (2 * mib * t) / 60_000 + mib * normal(random));
    const trend = fitTrend(seconds(120), values);
    expect(trend.low).toBeGreaterThan(0);
    expect(trend.low).toBeLessThanOrEqual(2 * mib);
    expect(trend.high).toBeGreaterThanOrEqual(2 * mib);
    expect(trend.slope / mib).toBeCloseTo(2, 0);
  });

  it('gives an exact line its slope with an interval of zero width', () => {
    const trend = fitTrend(
      seconds(60),
      seconds(60).map((t) => 5 + t / 1000),
    );
    expect(trend.slope).toBeCloseTo(60, 9);
    expect(trend.high - trend.low).toBeCloseTo(0, 9);
  });

  it('reports a flat series as flat', () => {
    const trend = fitTrend(
      seconds(30),
      seconds(30).map(() => 7),
    );
    expect(trend).toMatchObject({ slope: 0, low: 0, high: 0, mean: 7 });
  });

  it('covers a zero slope about 95% of the time in pure noise', () => {
    const share = coverage(600, 0, (random) => seconds(120).map(() => normal(random)));
    expect(share).toBeGreaterThan(0.92);
    expect(share).toBeLessThan(0.98);
  });

  it('keeps its coverage on noise that remembers its last value (lag-1 autocorrelation 0.8)', () => {
    const random = new SeededRandom(7);
    const series = ar1(random, 2000, 0.8, 1);
    const trend = fitTrend(seconds(series.length), series);
    expect(trend.lag1).toBeGreaterThan(0.7);
    expect(trend.nEffective).toBeLessThan(series.length / 5);
    // The plain interval, with every sample counted as independent, covers zero only about half
    // of the time on such noise; the widened one close to its 95%.
    const share = coverage(600, 0, (r) => ar1(r, 120, 0.8, 1));
    expect(share).toBeGreaterThan(0.88);
  });

  it('rarely calls a random walk growth', () => {
    const random = new SeededRandom(3);
    let grew = 0;
    const trials = 300;
    for (let i = 0; i < trials; i++) {
      let x = 0;
      const walk = seconds(120).map(() => (x += normal(random)));
      if (fitTrend(seconds(120), walk).low > 0) grew++;
    }
    expect(grew / trials).toBeLessThan(0.2);
  });

  it('concludes nothing from fewer than 3 samples', () => {
    expect(fitTrend([0, 1000], [1, 2])).toMatchObject({ low: -Infinity, high: Infinity });
    expect(fitTrend([], []).n).toBe(0);
  });

  it('refuses times and values of different lengths', () => {
    expect(() => fitTrend([0, 1], [1])).toThrow(RangeError);
  });
});

describe('lagOneAutocorrelation', () => {
  it('is near 1 for a smooth series, near -1 for an alternating one, 0 for a constant one', () => {
    expect(lagOneAutocorrelation(seconds(100).map((t) => Math.sin(t / 20_000)))).toBeGreaterThan(0.9);
    expect(lagOneAutocorrelation(seconds(100).map((_, i) => (i % 2 === 0 ? 1 : -1)))).toBeLessThan(-0.9);
    expect(lagOneAutocorrelation([3, 3, 3])).toBe(0);
  });
});
