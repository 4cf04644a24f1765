/**
 * Reads a train config or an ablation grid (YAML, or JSON by extension), checks its shape (schema.ts),
 * loads the user plugins it names, and checks every plugin name and option against the registry
 * (the grpo-lab packages' `*Plugins` records + user plugins) and the trainer's own validation — so a
 * typo fails in a second, before any run starts, with the key path and the allowed values.
 */
import { readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { PluginKind, PluginSpec, Registry, Task } from '@grpo-lab/core';
import { taskPlugins } from '@grpo-lab/tasks';
import { defaultRegistry, resolveConfig, type TrainConfig } from '@grpo-lab/trainer';
import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';
import { ConfigError, formatIssues } from './errors.js';
import { loadUserPlugins, type TaskFactory } from './plugins.js';
import { trainFileSchema, type TrainFile, type UserPlugin } from './schema.js';

/** Parses a YAML or JSON file (`.json` as JSON, anything else as YAML, a superset of JSON). */
export function readConfigFile(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new ConfigError([`cannot read: ${(e as Error).message}`], file);
  }
  try {
    return file.endsWith('.json') ? JSON.parse(text) : parseYaml(text);
  } catch (e) {
    throw new ConfigError(
      [`not valid ${file.endsWith('.json') ? 'JSON' : 'YAML'}: ${(e as Error).message.split('\n')[0]}`],
      file,
    );
  }
}

export function parseWith<S extends z.ZodType>(
  schema: S,
  raw: unknown,
  file?: string,
  prefix = '',
): z.infer<S> {
  const r = schema.safeParse(raw ?? {});
  if (!r.success) throw new ConfigError(formatIssues(r.error.issues, prefix), file);
  return r.data;
}

/** Config fields that name a registry plugin, and the kind each names. */
const PLUGIN_FIELDS: [string, PluginKind, (c: TrainConfig) => PluginSpec | null | undefined][] = [
  ['advantage', 'advantage', (c) => c.advantage],
  ['reweighter', 'reweighter', (c) => c.reweighter],
  ['policyLoss', 'policyLoss', (c) => c.policyLoss],
  ['aggregation', 'aggregator', (c) => c.aggregation],
  ['kl.estimator', 'kl', (c) => c.kl?.estimator],
  ['groupFilter', 'groupFilter', (c) => c.groupFilter],
];

const specName = (s: PluginSpec) => (typeof s === 'string' ? s : s.name);
const quoteAll = (xs: readonly string[]) => xs.map((x) => `"${x}"`).join(', ');

/** Every problem with the plugins a (shape-checked) config names; `where(field)` gives the key path shown. */
export function checkPlugins(
  c: TrainConfig,
  registry: Registry,
  tasks: Record<string, TaskFactory>,
  where: (field: string) => string = (f) => f,
): string[] {
  const problems: string[] = [];
  for (const [field, kind, get] of PLUGIN_FIELDS) {
    const spec = get(c);
    if (spec === undefined || spec === null) continue;
    const name = specName(spec);
    if (!registry.has(kind, name)) {
      problems.push(
        `${where(field)}: unknown ${kind} plugin "${name}"; expected one of ${quoteAll(registry.names(kind))}`,
      );
      continue;
    }
    try {
      registry.create(kind, spec);
    } catch (e) {
      problems.push(`${where(field)}: ${(e as Error).message}`);
    }
  }
  if (c.task !== undefined) {
    const { name, ...options } = typeof c.task === 'string' ? { name: c.task } : c.task;
    const all: Record<string, TaskFactory> = {
      ...(taskPlugins as unknown as Record<string, TaskFactory>),
      ...tasks,
    };
    const f = all[name];
    if (!f)
      problems.push(
        `${where('task')}: unknown task "${name}"; expected one of ${quoteAll(Object.keys(all))}`,
      );
    else {
      try {
        f(options);
      } catch (e) {
        problems.push(`${where('task')}: ${(e as Error).message}`);
      }
    }
  }
  if (problems.length === 0) {
    try {
      resolveConfig({ ...c, outDir: c.outDir ?? '.' });
    } catch (e) {
      problems.push(`${where('')}${(e as Error).message}`.replace(/^: /, ''));
    }
  }
  return problems;
}

export interface Prepared {
  readonly registry: Registry;
  /** User task factories by name. */
  readonly tasks: Record<string, TaskFactory>;
}

/** The default registry plus the user plugins (paths resolved from `baseDir`). */
export async function prepareRegistry(
  plugins: readonly UserPlugin[] | undefined,
  baseDir: string,
): Promise<Prepared> {
  const registry = defaultRegistry();
  const { tasks } = await loadUserPlugins(plugins ?? [], registry, baseDir);
  return { registry, tasks };
}

/** Makes the task a config names, when it is a user task (built-ins are made by the trainer). */
export function userTask(c: TrainConfig, tasks: Record<string, TaskFactory>): Task | undefined {
  if (c.task === undefined) return undefined;
  const { name, ...options } = typeof c.task === 'string' ? { name: c.task } : c.task;
  return tasks[name]?.(options);
}

export interface LoadedTrainConfig extends Prepared {
  readonly file: string;
  readonly config: TrainConfig;
  readonly source: TrainFile;
}

/** Reads and fully validates a train config file; `outDir` overrides the file's (required one way or the other). */
export async function loadTrainConfig(
  file: string,
  overrides: Partial<TrainConfig> = {},
): Promise<LoadedTrainConfig> {
  const source = parseWith(trainFileSchema, readConfigFile(file), file);
  const prepared = await prepareRegistry(source.plugins, dirname(file));
  const { plugins: _plugins, ...rest } = source;
  const config = { ...rest, ...overrides } as TrainConfig;
  const problems = checkPlugins(config, prepared.registry, prepared.tasks);
  if (!config.outDir) problems.push('outDir: required (set it in the file or pass --out <dir>)');
  if (problems.length) throw new ConfigError(problems, file);
  return { file, config, source, ...prepared };
}
