import { describe, expect, it } from 'vitest';
import {
  confidenceInterval,
  logGamma,
  mean,
  median,
  normalCdf,
  pairedTTest,
  ranks,
  sampleStd,
  tCdf,
  tQuantile,
  wilcoxonSignedRank,
} from '../src/report/stats.js';

const close = (a: number, e: number, tol = 1e-9) =>
  expect(Math.abs(a - e)).toBeLessThanOrEqual(tol * Math.max(1, Math.abs(e)));

// Student's sleep data (R `sleep`, paired): extra hours of sleep with drug 1 and drug 2.
const drug1 = [0.7, -1.6, -0.2, -1.2, -0.1, 3.4, 3.7, 0.8, 0.0, 2.0];
const drug2 = [1.9, 0.8, 1.1, 0.1, -0.1, 4.4, 5.5, 1.6, 4.6, 3.4];

describe('descriptive statistics', () => {
  it('mean, sample std, median by hand', () => {
    expect(mean([1, 2, 3, 4])).toBe(2.5);
    close(sampleStd([1, 2, 3, 4]), Math.sqrt(5 / 3));
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(mean([])).toBeNaN();
    expect(sampleStd([1])).toBeNaN();
  });
  it('logGamma matches factorials and Γ(½) = √π', () => {
    close(logGamma(1), 0, 1e-13);
    close(logGamma(5), Math.log(24), 1e-13);
    close(logGamma(0.5), 0.5 * Math.log(Math.PI), 1e-13);
    close(logGamma(20.5), 40.8315009745308, 1e-12); // ln Γ(½) + Σ_{k<20} ln(k + ½)
  });
  it('ranks average ties', () => {
    expect(ranks([10, 20, 20, 5])).toEqual([2, 3.5, 3.5, 1]);
  });
});

describe('Student t distribution', () => {
  it('CDF matches the closed forms for ν = 1, 2, 3, 4', () => {
    for (const t of [-7.5, -2, -0.3, 0, 0.4, 1, 2.5, 12]) {
      close(tCdf(t, 1), 0.5 + Math.atan(t) / Math.PI, 1e-12);
      close(tCdf(t, 2), 0.5 + t / (2 * Math.sqrt(2 + t * t)), 1e-12);
      const u = t / Math.sqrt(3);
      close(tCdf(t, 3), 0.5 + (u / (1 + u * u) + Math.atan(u)) / Math.PI, 1e-12);
      const x = (t * t) / 4;
      close(tCdf(t, 4), 0.5 + (3 / 8) * (t / Math.sqrt(1 + x)) * (1 - x / (3 * (1 + x))), 1e-12);
    }
  });
  it('quantiles match the published table (t_{0.975, ν})', () => {
    const table: [number, number][] = [
      [1, 12.706204736174707],
      [2, 4.302652729749464],
      [4, 2.7764451051977934],
      [9, 2.2621571628540993],
      [29, 2.045229642132703],
      [100, 1.9839715184496334],
      [Infinity, 1.959963984540054],
    ];
    for (const [df, q] of table) close(tQuantile(0.975, df), q, 1e-8);
    close(tQuantile(0.995, 5), 4.032142983557536, 1e-8);
    close(tQuantile(0.025, 9), -2.2621571628540993, 1e-8);
    expect(tQuantile(0.5, 3)).toBe(0);
    expect(tQuantile(1, 3)).toBeNaN();
  });
  it('normal CDF', () => {
    close(normalCdf(1.96), 0.9750021048517795, 1e-10);
    close(normalCdf(-1), 0.15865525393145707, 1e-10);
    close(normalCdf(0), 0.5, 1e-12);
  });
});

describe('confidence interval and paired tests', () => {
  it('95 % CI of the sleep differences (R: -2.4598858 to -0.7001142)', () => {
    const d = drug1.map((x, i) => x - drug2[i]!);
    const ci = confidenceInterval(d);
    close(ci.mean, -1.58, 1e-12);
    close(ci.lo, -2.4598858, 1e-7);
    close(ci.hi, -0.7001142, 1e-7);
    expect(confidenceInterval([3]).half).toBeNaN();
  });
  it('paired t-test on the sleep data (R: t = -4.0621, df = 9, p = 0.002833)', () => {
    const r = pairedTTest(drug1, drug2);
    close(r.statistic, -4.062127683, 1e-8);
    close(r.p, 0.00283289, 1e-4);
    expect(r.n).toBe(10);
  });
  it('paired t-test edge cases', () => {
    expect(pairedTTest([1, 2], [1, 2]).p).toBe(1);
    expect(pairedTTest([2, 3], [1, 2]).p).toBe(0);
    expect(pairedTTest([1], [0]).p).toBeNaN();
    expect(() => pairedTTest([1, 2], [1])).toThrow(/differ in length/);
  });
  it('Wilcoxon exact p matches scipy.stats.wilcoxon (n = 15: p = 0.041259765625)', () => {
    const d = [6, 8, 14, 16, 23, 24, 28, 29, 41, -48, 49, 56, 60, -67, 75];
    const r = wilcoxonSignedRank(
      d,
      d.map(() => 0),
    );
    expect(r.statistic).toBe(96);
    close(r.p, 0.041259765625, 1e-12);
  });
  it('Wilcoxon on the sleep data: one zero dropped, all negative → p = 2/2⁹', () => {
    const r = wilcoxonSignedRank(drug1, drug2);
    expect(r.n).toBe(9);
    expect(r.statistic).toBe(0);
    close(r.p, 2 / 512, 1e-12);
  });
  it('Wilcoxon exact p equals brute-force enumeration of sign flips, with ties', () => {
    let seed = 7;
    const rnd = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    for (let trial = 0; trial < 20; trial++) {
      const n = 3 + (trial % 8);
      const d = Array.from({ length: n }, () => Math.round((rnd() - 0.4) * 8) || 1);
      const r = ranks(d.map(Math.abs));
      const wObs = d.reduce((s, x, i) => s + (x > 0 ? r[i]! : 0), 0);
      const centre = (n * (n + 1)) / 4;
      let extreme = 0;
      for (let m = 0; m < 2 ** n; m++) {
        let w = 0;
        for (let i = 0; i < n; i++) if (m & (1 << i)) w += r[i]!;
        if (Math.abs(w - centre) >= Math.abs(wObs - centre) - 1e-9) extreme++;
      }
      const res = wilcoxonSignedRank(
        d,
        d.map(() => 0),
      );
      close(res.p, extreme / 2 ** n, 1e-12);
    }
  });
  it('Wilcoxon with all differences zero, and the normal approximation for large n', () => {
    expect(wilcoxonSignedRank([1, 2], [1, 2]).p).toBe(1);
    const a = Array.from({ length: 60 }, (_, i) => i + 1);
    const r = wilcoxonSignedRank(
      a,
      a.map(() => 0),
    );
    // All 60 positive: W⁺ = 1830, z = 915 / sqrt(60·61·121/24) ≈ 6.736 → p ≈ 1.6e-11.
    expect(r.p).toBeGreaterThan(0);
    expect(r.p).toBeLessThan(1e-10);
  });
});
