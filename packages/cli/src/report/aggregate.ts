/**
 * Turns runs into what a report shows: per-method curves with a 95 % band over seeds, the LLD Δ(x)
 * distributions, and final metrics (mean ± 95 % CI per method, paired by seed against the baseline
 * with a paired t-test and an exact Wilcoxon signed-rank test). Pure data; html.ts and markdown.ts
 * render it.
 */
import type { MetricLine, ReportInput, RunData } from './read.js';
import {
  confidenceInterval,
  type Interval,
  mean,
  median,
  pairedTTest,
  type TestResult,
  wilcoxonSignedRank,
} from './stats.js';

export interface Band {
  readonly steps: number[];
  readonly mean: number[];
  readonly lo: number[];
  readonly hi: number[];
  /** Number of seeds behind each point. */
  readonly n: number[];
}

export interface CurveChart {
  readonly type: 'curve';
  readonly id: string;
  readonly title: string;
  readonly yLabel: string;
  readonly note?: string;
  readonly series: { method: string; band: Band }[];
}

export interface Distribution {
  readonly method: string;
  readonly values: number[];
  readonly min: number;
  readonly q1: number;
  readonly median: number;
  readonly q3: number;
  readonly max: number;
  readonly fracNeg: number;
}

export interface FinalComparison {
  readonly nPairs: number;
  /** CI of the paired differences method − baseline. */
  readonly diff: Interval;
  readonly tTest: TestResult;
  readonly wilcoxon: TestResult;
}

export interface FinalMetric {
  readonly key: string;
  readonly label: string;
  readonly perMethod: {
    method: string;
    bySeed: Record<number, number>;
    ci: Interval;
    vsBaseline?: FinalComparison;
  }[];
}

export interface ReportModel {
  readonly name: string;
  readonly dir: string;
  readonly baseline: string;
  readonly methods: string[];
  readonly seeds: Record<string, number[]>;
  readonly runsFinished: number;
  readonly runsTotal: number;
  readonly curves: CurveChart[];
  /** Source of the Δ(x) distributions: per-question probe lines, or per-step means from training. */
  readonly lldSource: 'probe' | 'train' | 'none';
  readonly lld: Distribution[];
  readonly finals: FinalMetric[];
}

const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

/** (step, value) pairs of one metric of one run, smoothed by a trailing running mean of `window` points. */
function runSeries(lines: readonly MetricLine[], key: string, window: number): Map<number, number> {
  const pts: [number, number][] = [];
  for (const l of lines) {
    const v = num(l[key]);
    const s = num(l.step);
    if (v !== undefined && s !== undefined) pts.push([s, v]);
  }
  pts.sort((a, b) => a[0] - b[0]);
  const out = new Map<number, number>();
  let acc = 0;
  for (let i = 0; i < pts.length; i++) {
    acc += pts[i]![1];
    if (i >= window) acc -= pts[i - window]![1];
    out.set(pts[i]![0], acc / Math.min(i + 1, window));
  }
  return out;
}

/** Mean and 95 % CI over seeds at every step seen by any run (at most `maxPoints`, evenly thinned). */
export function band(
  runs: readonly RunData[],
  pick: (r: RunData) => MetricLine[],
  key: string,
  window = 1,
  maxPoints = 300,
): Band {
  const series = runs.map((r) => runSeries(pick(r), key, window));
  const all = [...new Set(series.flatMap((s) => [...s.keys()]))].sort((a, b) => a - b);
  const steps =
    all.length <= maxPoints
      ? all
      : Array.from(
          { length: maxPoints },
          (_, i) => all[Math.round((i * (all.length - 1)) / (maxPoints - 1))]!,
        );
  const b: Band = { steps: [], mean: [], lo: [], hi: [], n: [] };
  for (const step of steps) {
    const vals = series.map((s) => s.get(step)).filter((v): v is number => v !== undefined);
    if (vals.length === 0) continue;
    const ci = confidenceInterval(vals);
    b.steps.push(step);
    b.mean.push(ci.mean);
    b.lo.push(Number.isNaN(ci.half) ? ci.mean : ci.lo);
    b.hi.push(Number.isNaN(ci.half) ? ci.mean : ci.hi);
    b.n.push(vals.length);
  }
  return b;
}

function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return NaN;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

export function distribution(method: string, values: number[]): Distribution {
  const s = [...values].sort((a, b) => a - b);
  return {
    method,
    values,
    min: s[0] ?? NaN,
    q1: quantile(s, 0.25),
    median: median(s),
    q3: quantile(s, 0.75),
    max: s.at(-1) ?? NaN,
    fracNeg: s.length ? s.filter((v) => v < 0).length / s.length : NaN,
  };
}

/** Final-metric definitions: a number per run, or undefined when the run lacks it. */
const FINALS: { key: string; label: string; of: (r: RunData) => number | undefined }[] = [
  { key: 'eval_accuracy', label: 'eval accuracy (last eval)', of: (r) => num(r.eval.at(-1)?.accuracy) },
  {
    key: 'reward_final',
    label: 'train reward (last 10 % of steps)',
    of: (r) => tailMean(r.train, 'reward_mean'),
  },
  {
    key: 'accuracy_final',
    label: 'train accuracy (last 10 % of steps)',
    of: (r) => tailMean(r.train, 'accuracy'),
  },
  { key: 'lld_mean', label: 'LLD Δ(x) mean (all steps)', of: (r) => allMean(r.train, 'lld_mean') },
  {
    key: 'lld_frac_neg',
    label: 'fraction of groups with Δ(x) < 0',
    of: (r) => allMean(r.train, 'lld_frac_neg'),
  },
  {
    key: 'nthr_selected_frac',
    label: 'NTHR selected fraction',
    of: (r) => allMean(r.train, 'nthr_selected_frac'),
  },
  { key: 'tokens_per_s', label: 'tokens/s', of: (r) => allMean(r.train, 'tokens_per_s') },
];

function values(lines: readonly MetricLine[], key: string): number[] {
  return lines.map((l) => num(l[key])).filter((v): v is number => v !== undefined);
}
function allMean(lines: readonly MetricLine[], key: string): number | undefined {
  const v = values(lines, key);
  return v.length ? mean(v) : undefined;
}
function tailMean(lines: readonly MetricLine[], key: string): number | undefined {
  const v = values(lines, key);
  return v.length ? mean(v.slice(-Math.max(1, Math.round(v.length * 0.1)))) : undefined;
}

function finalMetric(input: ReportInput, def: (typeof FINALS)[number]): FinalMetric | undefined {
  const bySeedOf = (m: string) => {
    const out: Record<number, number> = {};
    for (const r of input.runs) {
      const v = r.method === m ? def.of(r) : undefined;
      if (v !== undefined) out[r.seed] = v;
    }
    return out;
  };
  const base = bySeedOf(input.baseline);
  const perMethod = input.methods.flatMap((method) => {
    const bySeed = bySeedOf(method);
    const ci = confidenceInterval(Object.values(bySeed));
    if (ci.n === 0) return [];
    const seeds = Object.keys(bySeed)
      .map(Number)
      .filter((s) => s in base)
      .sort((a, b) => a - b);
    if (method === input.baseline || seeds.length === 0) return [{ method, bySeed, ci }];
    const a = seeds.map((s) => bySeed[s]!);
    const b = seeds.map((s) => base[s]!);
    const vsBaseline: FinalComparison = {
      nPairs: seeds.length,
      diff: confidenceInterval(a.map((x, i) => x - b[i]!)),
      tTest: pairedTTest(a, b),
      wilcoxon: wilcoxonSignedRank(a, b),
    };
    return [{ method, bySeed, ci, vsBaseline }];
  });
  if (perMethod.length === 0) return undefined;
  return { key: def.key, label: def.label, perMethod };
}

const CURVES: {
  id: string;
  title: string;
  key: string;
  yLabel: string;
  src?: 'eval';
  smooth?: boolean;
  note?: string;
}[] = [
  { id: 'reward', title: 'Reward (train batches)', key: 'reward_mean', yLabel: 'mean reward', smooth: true },
  { id: 'accuracy', title: 'Accuracy (train batches)', key: 'accuracy', yLabel: 'accuracy', smooth: true },
  { id: 'eval-accuracy', title: 'Accuracy (eval split)', key: 'accuracy', yLabel: 'accuracy', src: 'eval' },
  {
    id: 'lld-mean',
    title: 'LLD: mean Δ(x) over mixed groups',
    key: 'lld_mean',
    yLabel: 'Δ(x) (nats)',
    smooth: true,
  },
  {
    id: 'lld-frac-neg',
    title: 'LLD: fraction of mixed groups with Δ(x) < 0',
    key: 'lld_frac_neg',
    yLabel: 'fraction',
    smooth: true,
  },
  {
    id: 'clip-upper',
    title: 'Clip fraction (upper, ratio > 1 + ε_high)',
    key: 'clip_frac_upper',
    yLabel: 'fraction',
    smooth: true,
  },
  {
    id: 'clip-lower',
    title: 'Clip fraction (lower, ratio < 1 − ε_low)',
    key: 'clip_frac_lower',
    yLabel: 'fraction',
    smooth: true,
  },
  { id: 'dual-clip', title: 'Dual-clip fraction', key: 'dual_clip_frac', yLabel: 'fraction', smooth: true },
  { id: 'kl', title: 'KL to the reference policy', key: 'kl', yLabel: 'KL', smooth: true },
  { id: 'approx-kl', title: 'Approx. KL(old ‖ θ) per update', key: 'approx_kl', yLabel: 'KL', smooth: true },
  {
    id: 'nthr-selected',
    title: 'NTHR: fraction of negative tokens selected',
    key: 'nthr_selected_frac',
    yLabel: 'fraction',
    smooth: true,
  },
  { id: 'nthr-eta', title: 'NTHR: mean η', key: 'nthr_mean_eta', yLabel: 'η', smooth: true },
];

export function buildReport(input: ReportInput, opts: { smoothing?: number } = {}): ReportModel {
  const steps = Math.max(0, ...input.runs.map((r) => r.train.length));
  const window = opts.smoothing ?? Math.max(1, Math.round(steps / 25));
  const byMethod = (m: string) => input.runs.filter((r) => r.method === m);
  const curves: CurveChart[] = [];
  for (const c of CURVES) {
    const pick = c.src === 'eval' ? (r: RunData) => r.eval : (r: RunData) => r.train;
    const series = input.methods
      .map((method) => ({ method, band: band(byMethod(method), pick, c.key, c.smooth ? window : 1) }))
      .filter((s) => s.band.steps.length > 0);
    if (series.length === 0) continue;
    const note =
      c.smooth && window > 1
        ? `running mean over ${window} steps; band = 95 % CI over seeds`
        : 'band = 95 % CI over seeds';
    curves.push({ type: 'curve', id: c.id, title: c.title, yLabel: c.yLabel, note, series });
  }
  const probes = input.runs.flatMap((r) => r.probe);
  let lldSource: ReportModel['lldSource'] = 'none';
  let lld: Distribution[] = [];
  if (probes.length > 0) {
    lldSource = 'probe';
    const names = [...new Set(probes.map((p) => String(p.method)))];
    lld = names.map((m) =>
      distribution(
        m,
        values(
          probes.filter((p) => String(p.method) === m),
          'delta_seq',
        ),
      ),
    );
  } else {
    lld = input.methods.map((m) =>
      distribution(
        m,
        byMethod(m).flatMap((r) => values(r.train, 'lld_mean')),
      ),
    );
    lld = lld.filter((d) => d.values.length > 0);
    if (lld.length) lldSource = 'train';
  }
  const seeds: Record<string, number[]> = {};
  for (const m of input.methods) seeds[m] = byMethod(m).map((r) => r.seed);
  return {
    name: input.name,
    dir: input.dir,
    baseline: input.baseline,
    methods: input.methods,
    seeds,
    runsFinished: input.runs.filter((r) => r.finished).length,
    runsTotal: input.runs.length,
    curves,
    lldSource,
    lld,
    finals: FINALS.map((d) => finalMetric(input, d)).filter((f): f is FinalMetric => f !== undefined),
  };
}
