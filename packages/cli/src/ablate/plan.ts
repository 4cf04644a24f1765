/**
 * An ablation plan: the grid file's methods (named settings, or the cartesian product of named
 * settings per axis) × seeds, each a complete train config with its own run dir
 * `<outDir>/<method>__seed<k>/`. A method's settings replace the base's top-level keys (no deep
 * merge: `kl: { coef: 0.01 }` in a method drops the base's `kl.estimator`). Everything is validated
 * before the first run starts.
 */
import { dirname, isAbsolute, join, resolve } from 'node:path';
import type { TrainConfig } from '@grpo-lab/trainer';
import { runDirName } from '../report/read.js';
import { ConfigError } from '../config/errors.js';
import { gridSchema, type Grid, type Overrides, type UserPlugin } from '../config/schema.js';
import {
  checkPlugins,
  parseWith,
  prepareRegistry,
  readConfigFile,
  type Prepared,
} from '../config/validate.js';

export interface PlannedRun {
  /** `<method>__seed<k>`: the run dir's name. */
  readonly id: string;
  readonly method: string;
  readonly seed: number;
  readonly dir: string;
  readonly config: TrainConfig;
}

export interface AblationPlan {
  readonly name: string;
  readonly gridFile: string;
  readonly outDir: string;
  readonly baseline: string;
  readonly methods: string[];
  readonly seeds: number[];
  readonly jobs: number;
  readonly report: boolean;
  /** User plugins with `from` made absolute (child processes load them too). */
  readonly plugins: UserPlugin[];
  readonly runs: PlannedRun[];
  readonly grid: Grid;
}

interface MethodSettings {
  readonly overrides: Overrides;
  /** Key path in the grid file of each overridden field (for error messages). */
  readonly origin: Record<string, string>;
}

function expandMethods(grid: Grid): Map<string, MethodSettings> {
  const out = new Map<string, MethodSettings>();
  for (const [name, o] of Object.entries(grid.methods ?? {})) {
    out.set(name, {
      overrides: o,
      origin: Object.fromEntries(Object.keys(o).map((k) => [k, `methods.${name}.${k}`])),
    });
  }
  let product: { names: string[]; overrides: Overrides; origin: Record<string, string> }[] = [
    { names: [], overrides: {}, origin: {} },
  ];
  const axes = Object.entries(grid.axes ?? {});
  for (const [axis, settings] of axes) {
    const next: typeof product = [];
    for (const p of product)
      for (const [setting, o] of Object.entries(settings)) {
        const origin = {
          ...p.origin,
          ...Object.fromEntries(Object.keys(o).map((k) => [k, `axes.${axis}.${setting}.${k}`])),
        };
        next.push({ names: [...p.names, setting], overrides: { ...p.overrides, ...o }, origin });
      }
    product = next;
  }
  if (axes.length > 0)
    for (const p of product) {
      const name = p.names.join('+');
      if (out.has(name))
        throw new ConfigError([`axes: the combination "${name}" is also defined under methods`]);
      out.set(name, { overrides: p.overrides, origin: p.origin });
    }
  return out;
}

const absPlugin = (p: UserPlugin, baseDir: string): UserPlugin =>
  p.from.startsWith('.') || isAbsolute(p.from) ? { ...p, from: resolve(baseDir, p.from) } : p;

/** Reads, expands and validates a grid file. `outDir`/`jobs` override the file's. */
export async function loadPlan(
  gridFile: string,
  opts: { outDir?: string; jobs?: number } = {},
): Promise<{ plan: AblationPlan } & Prepared> {
  const grid = parseWith(gridSchema, readConfigFile(gridFile), gridFile);
  const baseDir = dirname(resolve(gridFile));
  const methods = expandMethods(grid);
  if (methods.size === 0)
    throw new ConfigError(
      ['methods: define at least one method (or axes with at least one setting)'],
      gridFile,
    );
  const baseline = grid.baseline ?? [...methods.keys()][0]!;
  if (!methods.has(baseline))
    throw new ConfigError(
      [`baseline: expected one of ${[...methods.keys()].map((m) => `"${m}"`).join(', ')}, got "${baseline}"`],
      gridFile,
    );
  const seeds =
    typeof grid.seeds === 'number'
      ? Array.from({ length: grid.seeds }, (_, i) => i)
      : [...new Set(grid.seeds)];
  const name = grid.name ?? gridFile.replace(/^.*[\\/]/, '').replace(/\.(ya?ml|json)$/, '');
  const outDir = resolve(opts.outDir ?? grid.outDir ?? join('runs', name));
  const plugins = (grid.plugins ?? []).map((p) => absPlugin(p, baseDir));
  const prepared = await prepareRegistry(plugins, baseDir);
  const problems: string[] = [];
  const runs: PlannedRun[] = [];
  for (const [method, { overrides, origin }] of methods) {
    const merged = { ...(grid.base ?? {}), ...overrides } as TrainConfig;
    const where = (field: string) => {
      const top = field.split('.')[0]!;
      const rest = field.slice(top.length);
      return top === '' ? `methods.${method}` : origin[top] ? `${origin[top]}${rest}` : `base.${field}`;
    };
    for (const p of checkPlugins({ ...merged, outDir }, prepared.registry, prepared.tasks, where))
      problems.push(p.startsWith('base.') ? p : `[${method}] ${p}`);
    for (const seed of seeds) {
      const id = runDirName(method, seed);
      const dir = join(outDir, id);
      runs.push({ id, method, seed, dir, config: { ...merged, outDir: dir, seed } });
    }
  }
  if (problems.length) throw new ConfigError([...new Set(problems)], gridFile);
  return {
    plan: {
      name,
      gridFile: resolve(gridFile),
      outDir,
      baseline,
      methods: [...methods.keys()],
      seeds,
      jobs: opts.jobs ?? grid.jobs ?? 1,
      report: grid.report ?? true,
      plugins,
      runs,
      grid,
    },
    ...prepared,
  };
}
