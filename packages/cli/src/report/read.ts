/**
 * Reads what the trainer writes (contracts: run dir = config.json, metrics.jsonl, checkpoints/,
 * summary.json) and what `grpo-lab ablate` writes (an ablation dir: `<method>__seed<k>/` run dirs
 * plus ablation.json). A single run dir reads as an ablation with one method and one seed.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';

/** One metrics.jsonl line; numeric fields are absent or null when not applicable. */
export interface MetricLine {
  readonly type: 'train' | 'eval' | 'probe' | string;
  readonly step?: number;
  readonly [key: string]: unknown;
}

export interface RunData {
  readonly dir: string;
  readonly method: string;
  readonly seed: number;
  readonly train: MetricLine[];
  readonly eval: MetricLine[];
  readonly probe: MetricLine[];
  /** summary.json, when the run finished. */
  readonly summary?: Record<string, unknown>;
  readonly finished: boolean;
  /** Lines of metrics.jsonl that did not parse (a run killed mid-write leaves one). */
  readonly badLines: number;
}

/** ablation.json as written by `grpo-lab ablate`. */
export interface AblationManifest {
  readonly name?: string;
  readonly baseline: string;
  readonly methods: readonly string[];
  readonly seeds: readonly number[];
  readonly [key: string]: unknown;
}

export interface ReportInput {
  readonly dir: string;
  readonly name: string;
  readonly baseline: string;
  readonly methods: string[];
  readonly runs: RunData[];
  readonly manifest?: AblationManifest;
}

export const RUN_DIR_RE = /^(.+)__seed(-?\d+)$/;

export function runDirName(method: string, seed: number): string {
  return `${method}__seed${seed}`;
}

function readJson(path: string): Record<string, unknown> | undefined {
  if (!existsSync(path)) return undefined;
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
  } catch (e) {
    throw new Error(`${path}: not valid JSON (${(e as Error).message})`);
  }
}

/** Parses metrics.jsonl; an unparsable line (e.g. the torn last line of a killed run) is counted, not fatal. */
export function readMetrics(path: string): { lines: MetricLine[]; badLines: number } {
  if (!existsSync(path)) return { lines: [], badLines: 0 };
  const lines: MetricLine[] = [];
  let badLines = 0;
  for (const raw of readFileSync(path, 'utf8').split('\n')) {
    if (raw.trim() === '') continue;
    try {
      const v = JSON.parse(raw) as MetricLine;
      if (v && typeof v === 'object' && typeof v.type === 'string') lines.push(v);
      else badLines++;
    } catch {
      badLines++;
    }
  }
  return { lines, badLines };
}

export function readRun(dir: string, method?: string, seed?: number): RunData {
  const { lines, badLines } = readMetrics(join(dir, 'metrics.jsonl'));
  const config = readJson(join(dir, 'config.json'));
  const summary = readJson(join(dir, 'summary.json'));
  const m = RUN_DIR_RE.exec(basename(dir));
  const cfgSeed = typeof config?.seed === 'number' ? config.seed : undefined;
  const cfgName = typeof config?.name === 'string' ? config.name : undefined;
  return {
    dir,
    method: method ?? m?.[1] ?? cfgName ?? basename(dir),
    seed: seed ?? (m ? Number(m[2]) : (cfgSeed ?? 0)),
    train: lines.filter((l) => l.type === 'train'),
    eval: lines.filter((l) => l.type === 'eval'),
    probe: lines.filter((l) => l.type === 'probe'),
    ...(summary ? { summary } : {}),
    finished: summary !== undefined,
    badLines,
  };
}

const isRunDir = (d: string) => existsSync(join(d, 'metrics.jsonl')) || existsSync(join(d, 'config.json'));

/**
 * Reads an ablation dir (with or without ablation.json: `<method>__seed<k>` sub-dirs are found
 * either way) or a single run dir. Throws when `dir` holds neither.
 */
export function readReportInput(dir: string): ReportInput {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new Error(`${dir}: no such directory`);
  const manifest = readJson(join(dir, 'ablation.json')) as AblationManifest | undefined;
  if (!manifest && isRunDir(dir)) {
    const run = readRun(dir);
    return { dir, name: run.method, baseline: run.method, methods: [run.method], runs: [run] };
  }
  const runs: RunData[] = [];
  for (const entry of readdirSync(dir).sort()) {
    const sub = join(dir, entry);
    const m = RUN_DIR_RE.exec(entry);
    if (!m || !statSync(sub).isDirectory() || !isRunDir(sub)) continue;
    runs.push(readRun(sub, m[1], Number(m[2])));
  }
  if (runs.length === 0)
    throw new Error(
      `${dir}: neither a run dir (metrics.jsonl) nor an ablation dir (<method>__seed<k>/ run dirs)`,
    );
  const found = [...new Set(runs.map((r) => r.method))];
  const methods = manifest?.methods ? manifest.methods.filter((m) => found.includes(m)) : found;
  for (const m of found) if (!methods.includes(m)) methods.push(m);
  const baseline =
    manifest?.baseline && methods.includes(manifest.baseline) ? manifest.baseline : methods[0]!;
  return {
    dir,
    name: manifest?.name ?? basename(dir),
    baseline,
    methods,
    runs: runs.sort((a, b) => methods.indexOf(a.method) - methods.indexOf(b.method) || a.seed - b.seed),
    ...(manifest ? { manifest } : {}),
  };
}
