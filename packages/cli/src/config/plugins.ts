/**
 * User plugins: a factory loaded from a file path (relative to the config file) or an installed
 * package name, registered under the name the config gives it, then named like any built-in.
 * The factory is found, in order: the `export` the config names; the entry `name` of a
 * `<kind>Plugins` record (the packages' convention, e.g. `reweighterPlugins`); `default`; an export
 * called `name`; the module's only function export.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { isAbsolute, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Factory, PluginKind, Registry, Task } from '@grpo-lab/core';
import type { UserPlugin } from './schema.js';
import { ConfigError } from './errors.js';

export type TaskFactory = (options?: Record<string, unknown>) => Task;

const isPath = (s: string) => s.startsWith('.') || isAbsolute(s) || /\.(m|c)?[jt]s$/.test(s);

async function importFrom(from: string, baseDir: string): Promise<Record<string, unknown>> {
  if (isPath(from)) {
    const file = resolve(baseDir, from);
    if (!existsSync(file)) throw new Error(`file not found: ${file}`);
    return (await import(pathToFileURL(file).href)) as Record<string, unknown>;
  }
  // A package name, resolved from the config's dir first (the user's project), then from here.
  try {
    const path = createRequire(join(baseDir, 'noop.js')).resolve(from);
    return (await import(pathToFileURL(path).href)) as Record<string, unknown>;
  } catch {
    return (await import(/* @vite-ignore */ from)) as Record<string, unknown>;
  }
}

function pickFactory(mod: Record<string, unknown>, p: UserPlugin): (options?: unknown) => unknown {
  const record = mod[`${p.kind}Plugins`] as Record<string, unknown> | undefined;
  const candidates: [string, unknown][] = p.export
    ? [[p.export, mod[p.export]]]
    : [
        [`${p.kind}Plugins.${p.name}`, record?.[p.name]],
        ['default', mod.default],
        [p.name, mod[p.name]],
      ];
  for (const [, f] of candidates) if (typeof f === 'function') return f as (o?: unknown) => unknown;
  if (!p.export) {
    const fns = Object.entries(mod).filter(([, v]) => typeof v === 'function');
    if (fns.length === 1) return fns[0]![1] as (o?: unknown) => unknown;
  }
  const exported = Object.keys(mod).join(', ') || '(nothing)';
  throw new Error(
    `no factory function found (looked for ${candidates.map(([k]) => `"${k}"`).join(', ')}; the module exports ${exported})`,
  );
}

export interface LoadedPlugins {
  /** User task factories by name (tasks are not in the core registry). */
  readonly tasks: Record<string, TaskFactory>;
}

/** Loads each user plugin and registers it; errors name `plugins[i]` and what was wrong. */
export async function loadUserPlugins(
  plugins: readonly UserPlugin[],
  registry: Registry,
  baseDir: string,
  where = 'plugins',
): Promise<LoadedPlugins> {
  const tasks: Record<string, TaskFactory> = {};
  for (const [i, p] of plugins.entries()) {
    const at = `${where}[${i}] (${p.kind} "${p.name}" from ${p.from})`;
    let factory: (options?: unknown) => unknown;
    try {
      factory = pickFactory(await importFrom(p.from, baseDir), p);
    } catch (e) {
      throw new ConfigError([`${at}: ${(e as Error).message}`]);
    }
    if (p.kind === 'task') {
      tasks[p.name] = factory as TaskFactory;
      continue;
    }
    try {
      // Registered through a wrapper that checks the factory's result names the declared kind.
      registry.register(p.kind as PluginKind, p.name, factory as Factory<never>);
    } catch (e) {
      throw new ConfigError([`${at}: ${(e as Error).message}`]);
    }
  }
  return { tasks };
}
