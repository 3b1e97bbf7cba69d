// The soak's one statistical idea: is a series growing? A least-squares line through the samples
// gives the slope (per minute), and a 95% confidence interval says how sure that slope is. The
// soak fails a metric only when the whole interval lies above its threshold, so noise alone
// (a wide interval around zero) never fails a run, and a real leak cannot hide behind it.
//
// Samples a second apart are not independent: the heap after a collection, RSS and handle counts
// wander and come back, so each residual resembles the one before. Treating them as independent
// makes the interval too narrow and reports "growth" in a random walk. The interval is therefore
// widened by the residuals' lag-1 autocorrelation r: the effective number of samples is
// n(1 − r)/(1 + r) (Santer et al., J. Geophys. Res. 105 (2000) 7337, §3.2; Bence 1995), which also
// sets the t distribution's degrees of freedom. Pure functions, no I/O: trend.spec.ts checks them
// on synthetic series (a planted linear leak, white noise, autocorrelated noise).

/** A fitted line and how sure its slope is (per unit of x; per minute from fitTrend). */
export interface Trend {
  /** Samples fitted. */
  readonly n: number;
  /** Independent samples they are worth, after the autocorrelation adjustment (≤ n). */
  readonly nEffective: number;
  /** Lag-1 autocorrelation of the residuals (0 when they are constant). */
  readonly lag1: number;
  /** Least-squares slope, value units per unit of x. */
  readonly slope: number;
  /** Lower end of the slope's confidence interval (−Infinity when too few samples). */
  readonly low: number;
  /** Upper end of the slope's confidence interval (Infinity when too few samples). */
  readonly high: number;
  /** Mean of the values. */
  readonly mean: number;
}

const MS_PER_MINUTE = 60_000;

/**
 * The least-squares trend of `values` sampled at `timesMs` (milliseconds, any origin), its slope
 * per minute, with a two-sided `level` confidence interval. Fewer than 3 samples, or fewer than 3
 * effective ones, give an unbounded interval: nothing can be concluded from them.
 */
export function fitTrend(timesMs: readonly number[], values: readonly number[], level = 0.95): Trend {
  return fitLine(
    timesMs.map((t) => t / MS_PER_MINUTE),
    values,
    level,
  );
}

/** As fitTrend, against any x (e.g. a cycle number): the slope is per unit of x. */
export function fitLine(xs: readonly number[], values: readonly number[], level = 0.95): Trend {
  if (xs.length !== values.length) throw new RangeError('fitLine: x and values differ in length');
  if (!(level > 0 && level < 1)) throw new RangeError(`fitLine: level must be in (0, 1), got ${level}`);
  const n = values.length;
  const meanX = average(xs);
  const mean = average(values);
  let sxx = 0;
  let sxy = 0;
  for (let i = 0; i < n; i++) {
    const dt = xs[i]! - meanX;
    sxx += dt * dt;
    sxy += dt * (values[i]! - mean);
  }
  const slope = sxx > 0 ? sxy / sxx : 0;
  const unbounded: Trend = {
    n,
    nEffective: n,
    lag1: 0,
    slope,
    low: -Infinity,
    high: Infinity,
    mean: n > 0 ? mean : Number.NaN,
  };
  if (n < 3 || sxx === 0) return unbounded;

  const residuals = values.map((v, i) => v - mean - slope * (xs[i]! - meanX));
  const sse = residuals.reduce((sum, r) => sum + r * r, 0);
  const lag1 = lagOneAutocorrelation(residuals);
  // Negative autocorrelation would make the samples worth more than n: never credit that.
  const nEffective = lag1 > 0 ? (n * (1 - lag1)) / (1 + lag1) : n;
  if (nEffective < 3) return { ...unbounded, nEffective, lag1 };
  // The usual standard error of the slope, inflated as if only nEffective samples had been taken.
  const standardError = Math.sqrt(sse / (n - 2) / sxx) * Math.sqrt((n - 2) / (nEffective - 2));
  const t = studentTQuantile(1 - (1 - level) / 2, nEffective - 2);
  const half = t * standardError;
  return { n, nEffective, lag1, slope, low: slope - half, high: slope + half, mean };
}

/** Lag-1 autocorrelation of a series with mean ≈ 0 (residuals); 0 for a constant series. */
export function lagOneAutocorrelation(series: readonly number[]): number {
  const m = average(series);
  let numerator = 0;
  let denominator = 0;
  for (let i = 0; i < series.length; i++) {
    const d = series[i]! - m;
    denominator += d * d;
    if (i > 0) numerator += d * (series[i - 1]! - m);
  }
  return denominator > 0 ? numerator / denominator : 0;
}

/**
 * The `p` quantile of Student's t distribution with `dof` degrees of freedom (any real dof > 0),
 * by bisection on the distribution function. Accurate to about 1e-9.
 */
export function studentTQuantile(p: number, dof: number): number {
  if (!(p > 0 && p < 1)) throw new RangeError(`studentTQuantile: p must be in (0, 1), got ${p}`);
  if (!(dof > 0)) throw new RangeError(`studentTQuantile: dof must be > 0, got ${dof}`);
  if (p === 0.5) return 0;
  if (p < 0.5) return -studentTQuantile(1 - p, dof);
  let low = 0;
  let high = 1;
  while (studentTCdf(high, dof) < p) high *= 2;
  for (let i = 0; i < 200 && high - low > 1e-12 * high; i++) {
    const mid = (low + high) / 2;
    if (studentTCdf(mid, dof) < p) low = mid;
    else high = mid;
  }
  return (low + high) / 2;
}

/** P(T ≤ t) for Student's t with `dof` degrees of freedom: 1 − I_x(dof/2, 1/2)/2 with x = dof/(dof + t²). */
export function studentTCdf(t: number, dof: number): number {
  const tail = regularizedIncompleteBeta(dof / (dof + t * t), dof / 2, 0.5) / 2;
  return t >= 0 ? 1 - tail : tail;
}

/** I_x(a, b), by its continued fraction (Numerical Recipes, 3rd ed., §6.4). */
function regularizedIncompleteBeta(x: number, a: number, b: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const front = Math.exp(logGamma(a + b) - logGamma(a) - logGamma(b) + a * Math.log(x) + b * Math.log(1 - x));
  // The fraction converges fast for x below its mean; above it, use I_x(a, b) = 1 − I_{1−x}(b, a).
  if (x < (a + 1) / (a + b + 2)) return (front * betaContinuedFraction(x, a, b)) / a;
  return 1 - (front * betaContinuedFraction(1 - x, b, a)) / b;
}

function betaContinuedFraction(x: number, a: number, b: number): number {
  const tiny = 1e-300;
  let c = 1;
  let d = 1 - ((a + b) * x) / (a + 1);
  if (Math.abs(d) < tiny) d = tiny;
  d = 1 / d;
  let h = d;
  for (let m = 1; m <= 500; m++) {
    const m2 = 2 * m;
    let aa = (m * (b - m) * x) / ((a + m2 - 1) * (a + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    h *= d * c;
    aa = (-(a + m) * (a + b + m) * x) / ((a + m2) * (a + m2 + 1));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const step = d * c;
    h *= step;
    if (Math.abs(step - 1) < 1e-15) break;
  }
  return h;
}

/** ln Γ(x) for x > 0 (Lanczos, g = 7, 9 terms: about 15 significant digits). */
function logGamma(x: number): number {
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x);
  const c = [
    0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
    12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
  ];
  const z = x - 1;
  let sum = c[0]!;
  for (let i = 1; i < 9; i++) sum += c[i]! / (z + i);
  const t = z + 7.5;
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(sum);
}

function average(values: readonly number[]): number {
  let sum = 0;
  for (const v of values) sum += v;
  return values.length > 0 ? sum / values.length : 0;
}
