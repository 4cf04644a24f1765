/**
 * Name → factory registries, so a JSON/YAML config can say `advantage: { name: ngrpo, rMax: 1 }`.
 * Packages export their factories as plain maps (no registration on import); whoever composes a
 * pipeline (the trainer, the CLI, a user) puts them in a registry. Duplicate names are rejected and an
 * unknown name lists the supported ones.
 */
import { GrpoLabError, ValidationError } from './errors.js';
import type {
  AdvantageEstimator,
  Aggregator,
  GroupFilter,
  KlEstimator,
  PluginKind,
  PolicyLoss,
  TokenReweighter,
} from './plugins.js';

export interface PluginByKind {
  advantage: AdvantageEstimator;
  reweighter: TokenReweighter;
  policyLoss: PolicyLoss;
  aggregator: Aggregator;
  kl: KlEstimator;
  groupFilter: GroupFilter;
}

export type Factory<P> = (options?: any) => P;

/** A plugin named in a config: a bare name, or `{ name, ...options }`. */
export type PluginSpec = string | ({ name: string } & Record<string, unknown>);

export interface Registry {
  register<K extends PluginKind>(kind: K, name: string, factory: Factory<PluginByKind[K]>): void;
  registerAll<K extends PluginKind>(kind: K, factories: Record<string, Factory<PluginByKind[K]>>): void;
  has(kind: PluginKind, name: string): boolean;
  names(kind: PluginKind): string[];
  create<K extends PluginKind>(kind: K, spec: PluginSpec): PluginByKind[K];
}

const NAME_RE = /^[A-Za-z][A-Za-z0-9_\-.:/@+]*$/;

export function createRegistry(): Registry {
  const maps = new Map<PluginKind, Map<string, Factory<unknown>>>();
  const mapOf = (kind: PluginKind) => {
    let m = maps.get(kind);
    if (!m) maps.set(kind, (m = new Map()));
    return m;
  };
  const reg: Registry = {
    register(kind, name, factory) {
      if (typeof name !== 'string' || !NAME_RE.test(name))
        throw new ValidationError(
          `${kind} plugin name`,
          'a name like "grpo" or "my-plugin"',
          JSON.stringify(name),
        );
      if (typeof factory !== 'function')
        throw new ValidationError(
          `${kind} "${name}"`,
          'a factory function (options) => plugin',
          typeof factory,
        );
      const m = mapOf(kind);
      if (m.has(name))
        throw new GrpoLabError(`${kind} plugin "${name}" is already registered; pick another name`);
      m.set(name, factory);
    },
    registerAll(kind, factories) {
      for (const [name, f] of Object.entries(factories)) reg.register(kind, name, f);
    },
    has: (kind, name) => mapOf(kind).has(name),
    names: (kind) => [...mapOf(kind).keys()].sort(),
    create(kind, spec) {
      const { name, ...options } = typeof spec === 'string' ? { name: spec } : spec;
      const f = mapOf(kind).get(name);
      if (!f)
        throw new ValidationError(
          `${kind}.name`,
          `one of ${
            reg
              .names(kind)
              .map((n) => `"${n}"`)
              .join(', ') || '(none registered)'
          }`,
          JSON.stringify(name),
        );
      const plugin = f(options) as PluginByKind[typeof kind];
      if (!plugin || plugin.kind !== kind)
        throw new GrpoLabError(
          `factory "${name}" registered as ${kind} returned a ${String((plugin as any)?.kind)} plugin`,
        );
      return plugin;
    },
  };
  return reg;
}
