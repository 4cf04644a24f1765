/** Number formatting shared by the HTML page and the Markdown summary. */
import type { Interval, TestResult } from './stats.js';

export function fmt(x: number | undefined): string {
  if (x === undefined || Number.isNaN(x)) return '–';
  if (!Number.isFinite(x)) return x > 0 ? '∞' : '−∞';
  const a = Math.abs(x);
  if (a !== 0 && (a < 1e-3 || a >= 1e5)) return x.toExponential(2);
  if (a >= 100) return x.toFixed(0);
  if (a >= 10) return x.toFixed(1);
  return x.toFixed(3);
}

/** `0.512 ± 0.031` (the half width of the 95 % CI), or just the mean for one seed. */
export function fmtCi(ci: Interval): string {
  if (ci.n === 0) return '–';
  return Number.isNaN(ci.half) ? fmt(ci.mean) : `${fmt(ci.mean)} ± ${fmt(ci.half)}`;
}

export function fmtSigned(ci: Interval): string {
  if (ci.n === 0) return '–';
  const m = ci.mean > 0 ? `+${fmt(ci.mean)}` : fmt(ci.mean);
  return Number.isNaN(ci.half) ? m : `${m} ± ${fmt(ci.half)}`;
}

export function fmtP(t: TestResult): string {
  if (Number.isNaN(t.p)) return '–';
  if (t.p < 0.001) return '<0.001';
  return t.p.toFixed(3);
}
