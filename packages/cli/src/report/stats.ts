/**
 * Statistics for ablation reports: mean, 95 % confidence interval (Student t), a paired t-test and
 * an exact Wilcoxon signed-rank test against the baseline, paired by seed.
 *
 * Student t CDF: F(t; ν) = 1 − ½·I_{ν/(ν+t²)}(ν/2, ½) for t ≥ 0, with I the regularised incomplete
 * beta function (continued fraction, Numerical Recipes §6.4); the quantile inverts F by bisection
 * refined with Newton steps. Wilcoxon: W⁺ = Σ ranks of positive differences (zeros dropped, ties
 * given average ranks), two-sided p = P(|W⁺ − n(n+1)/4| ≥ observed) under all 2ⁿ sign flips, exact
 * (dynamic programming over doubled ranks) for n ≤ 50, normal approximation with tie correction above.
 * Checked against published t tables and scipy.stats.{t, ttest_rel, wilcoxon} values (test/stats.test.ts).
 */

export function mean(xs: readonly number[]): number {
  if (xs.length === 0) return NaN;
  let s = 0;
  for (const x of xs) s += x;
  return s / xs.length;
}

/** Sample standard deviation (n − 1); NaN for fewer than two values. */
export function sampleStd(xs: readonly number[]): number {
  if (xs.length < 2) return NaN;
  const m = mean(xs);
  let s = 0;
  for (const x of xs) s += (x - m) ** 2;
  return Math.sqrt(s / (xs.length - 1));
}

export function median(xs: readonly number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const h = s.length >> 1;
  return s.length % 2 ? s[h]! : (s[h - 1]! + s[h]!) / 2;
}

/** log Γ(x) for x > 0 (Lanczos, g = 7, 9 terms; relative error < 1e-14). */
export function logGamma(x: number): number {
  const c = [
    0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
    12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
  ];
  if (x < 0.5) return Math.log(Math.PI / Math.abs(Math.sin(Math.PI * x))) - logGamma(1 - x);
  x -= 1;
  let a = c[0]!;
  const t = x + 7.5;
  for (let i = 1; i < 9; i++) a += c[i]! / (x + i);
  return 0.5 * Math.log(2 * Math.PI) + (x + 0.5) * Math.log(t) - t + Math.log(a);
}

/** Continued fraction for the incomplete beta function (modified Lentz). */
function betaCf(a: number, b: number, x: number): number {
  const tiny = 1e-300;
  let c = 1;
  let d = 1 - ((a + b) * x) / (a + 1);
  if (Math.abs(d) < tiny) d = tiny;
  d = 1 / d;
  let h = d;
  for (let m = 1; m <= 300; m++) {
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
    const del = d * c;
    h *= del;
    if (Math.abs(del - 1) < 1e-15) break;
  }
  return h;
}

/** Regularised incomplete beta I_x(a, b). */
export function incompleteBeta(x: number, a: number, b: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const lnFront = logGamma(a + b) - logGamma(a) - logGamma(b) + a * Math.log(x) + b * Math.log(1 - x);
  if (x < (a + 1) / (a + b + 2)) return (Math.exp(lnFront) * betaCf(a, b, x)) / a;
  return 1 - (Math.exp(lnFront) * betaCf(b, a, 1 - x)) / b;
}

/** Student t cumulative distribution function with ν = df degrees of freedom (df = Infinity: normal). */
export function tCdf(t: number, df: number): number {
  if (Number.isNaN(t) || !(df > 0)) return NaN;
  if (!Number.isFinite(df)) return normalCdf(t);
  if (t === Infinity) return 1;
  if (t === -Infinity) return 0;
  const tail = 0.5 * incompleteBeta(df / (df + t * t), df / 2, 0.5); // P(T > |t|)
  return t >= 0 ? 1 - tail : tail;
}

/** Student t density. */
function tPdf(t: number, df: number): number {
  const ln = logGamma((df + 1) / 2) - logGamma(df / 2) - 0.5 * Math.log(df * Math.PI);
  return Math.exp(ln - ((df + 1) / 2) * Math.log(1 + (t * t) / df));
}

/** Standard normal CDF Φ(z) = ½·erfc(−z/√2), with erfc(x) = Q(½, x²) (regularised upper incomplete gamma). */
export function normalCdf(z: number): number {
  const x = -z / Math.SQRT2;
  const e = x >= 0 ? gammaQHalf(x * x) : 2 - gammaQHalf(x * x);
  return 0.5 * e;
}

/** Q(½, y) = erfc(√y) for y ≥ 0 (series for small y, continued fraction for large). */
function gammaQHalf(y: number): number {
  const a = 0.5;
  const gln = logGamma(a);
  if (y === 0) return 1;
  if (y < a + 1) {
    let sum = 1 / a;
    let del = sum;
    for (let n = 1; n < 500; n++) {
      del *= y / (a + n);
      sum += del;
      if (Math.abs(del) < Math.abs(sum) * 1e-16) break;
    }
    return 1 - sum * Math.exp(-y + a * Math.log(y) - gln);
  }
  let b = y + 1 - a;
  let c = 1 / 1e-300;
  let d = 1 / b;
  let h = d;
  for (let i = 1; i < 500; i++) {
    const an = -i * (i - a);
    b += 2;
    d = an * d + b;
    if (Math.abs(d) < 1e-300) d = 1e-300;
    c = b + an / c;
    if (Math.abs(c) < 1e-300) c = 1e-300;
    d = 1 / d;
    const del = d * c;
    h *= del;
    if (Math.abs(del - 1) < 1e-16) break;
  }
  return Math.exp(-y + a * Math.log(y) - gln) * h;
}

/** Quantile of the Student t distribution: the t with tCdf(t, df) = p. */
export function tQuantile(p: number, df: number): number {
  if (!(p > 0 && p < 1) || !(df > 0)) return NaN;
  if (p === 0.5) return 0;
  if (p < 0.5) return -tQuantile(1 - p, df);
  let lo = 0;
  let hi = 1;
  while (tCdf(hi, df) < p) hi *= 2;
  for (let i = 0; i < 200 && hi - lo > 1e-12 * hi; i++) {
    const mid = (lo + hi) / 2;
    if (tCdf(mid, df) < p) lo = mid;
    else hi = mid;
  }
  let t = (lo + hi) / 2;
  if (Number.isFinite(df)) for (let i = 0; i < 3; i++) t -= (tCdf(t, df) - p) / tPdf(t, df);
  return t;
}

export interface Interval {
  readonly n: number;
  readonly mean: number;
  /** Half width of the confidence interval (NaN when n < 2). */
  readonly half: number;
  readonly lo: number;
  readonly hi: number;
}

/** Mean ± t_{(1+level)/2, n−1} · s/√n. */
export function confidenceInterval(xs: readonly number[], level = 0.95): Interval {
  const n = xs.length;
  const m = mean(xs);
  const half = n < 2 ? NaN : (tQuantile((1 + level) / 2, n - 1) * sampleStd(xs)) / Math.sqrt(n);
  return { n, mean: m, half, lo: m - half, hi: m + half };
}

export interface TestResult {
  readonly n: number;
  readonly statistic: number;
  /** Two-sided p-value (NaN when the test is undefined, e.g. n < 2). */
  readonly p: number;
}

function pairedDiffs(a: readonly number[], b: readonly number[]): number[] {
  if (a.length !== b.length)
    throw new Error(`paired test: samples differ in length (${a.length} vs ${b.length})`);
  return a.map((x, i) => x - b[i]!);
}

/** Paired two-sided t-test of mean(a − b) = 0 (scipy.stats.ttest_rel). */
export function pairedTTest(a: readonly number[], b: readonly number[]): TestResult {
  const d = pairedDiffs(a, b);
  const n = d.length;
  if (n < 2) return { n, statistic: NaN, p: NaN };
  const m = mean(d);
  const s = sampleStd(d);
  if (s === 0) return { n, statistic: m === 0 ? NaN : Math.sign(m) * Infinity, p: m === 0 ? 1 : 0 };
  const t = m / (s / Math.sqrt(n));
  return { n, statistic: t, p: Math.min(1, 2 * (1 - tCdf(Math.abs(t), n - 1))) };
}

/** Average ranks (1-based) of values, ties sharing the mean of their positions. */
export function ranks(xs: readonly number[]): number[] {
  const idx = xs.map((_, i) => i).sort((i, j) => xs[i]! - xs[j]!);
  const r = new Array<number>(xs.length);
  for (let i = 0; i < idx.length;) {
    let j = i;
    while (j + 1 < idx.length && xs[idx[j + 1]!] === xs[idx[i]!]) j++;
    for (let k = i; k <= j; k++) r[idx[k]!] = (i + j) / 2 + 1;
    i = j + 1;
  }
  return r;
}

/**
 * Wilcoxon signed-rank test of a − b (zero differences dropped, as scipy's zero_method 'wilcox').
 * Statistic: W⁺, the sum of the ranks of the positive differences.
 */
export function wilcoxonSignedRank(a: readonly number[], b: readonly number[]): TestResult {
  const d = pairedDiffs(a, b).filter((x) => x !== 0);
  const n = d.length;
  if (n === 0) return { n, statistic: 0, p: 1 };
  const r = ranks(d.map(Math.abs));
  const wPlus = d.reduce((s, x, i) => s + (x > 0 ? r[i]! : 0), 0);
  const centre = (n * (n + 1)) / 4;
  const dev = Math.abs(wPlus - centre);
  if (n <= 50) {
    // Ranks are multiples of ½: count sign assignments by doubled W⁺.
    const r2 = r.map((x) => Math.round(2 * x));
    const total = r2.reduce((s, x) => s + x, 0);
    let counts = new Float64Array(total + 1);
    counts[0] = 1;
    for (const x of r2) {
      const next = new Float64Array(total + 1);
      for (let w = 0; w <= total; w++) {
        const c = counts[w]!;
        if (c === 0) continue;
        next[w] = next[w]! + c;
        next[w + x] = next[w + x]! + c;
      }
      counts = next;
    }
    let extreme = 0;
    for (let w = 0; w <= total; w++) if (Math.abs(w / 2 - centre) >= dev - 1e-9) extreme += counts[w]!;
    return { n, statistic: wPlus, p: Math.min(1, extreme / 2 ** n) };
  }
  const tieCorr = countTies(r).reduce((s, t) => s + (t ** 3 - t), 0) / 48;
  const sd = Math.sqrt((n * (n + 1) * (2 * n + 1)) / 24 - tieCorr);
  return { n, statistic: wPlus, p: Math.min(1, 2 * (1 - normalCdf(dev / sd))) };
}

function countTies(r: readonly number[]): number[] {
  const m = new Map<number, number>();
  for (const x of r) m.set(x, (m.get(x) ?? 0) + 1);
  return [...m.values()];
}
