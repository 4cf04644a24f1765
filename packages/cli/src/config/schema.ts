/**
 * Zod schemas for what a user writes: a train config (the trainer's TrainConfig plus `plugins`)
 * and an ablation grid. Objects are strict: an unknown key is an error listing the allowed keys, a
 * bad value an error naming its key path and the allowed values. Defaults are the trainer's
 * (`resolveConfig`); this layer only checks shapes. Plugin names and options are checked against
 * the registry in validate.ts.
 */
import { BACKENDS } from '@grpo-lab/core';
import { z } from 'zod';

/** A strict object whose unknown-key error lists the keys it allows. */
function strict<S extends z.ZodRawShape>(shape: S) {
  const allowed = Object.keys(shape).join(', ');
  return z.strictObject(shape, {
    error: (iss) =>
      iss.code === 'unrecognized_keys'
        ? `unknown key${iss.keys.length > 1 ? 's' : ''} ${iss.keys.map((k) => `"${k}"`).join(', ')}; allowed keys: ${allowed}`
        : undefined,
  });
}

const int = (min = 0) => z.number().int().min(min);
const nonNeg = () => z.number().min(0);

/** `'grpo'` or `{ name: 'ngrpo', rMax: 1 }`; the options are checked by the plugin's factory. */
export const pluginSpec = z.union([z.string().min(1), z.looseObject({ name: z.string().min(1) })], {
  error: 'expected a plugin name or { name, ...options }',
});

export const PLUGIN_KINDS = [
  'advantage',
  'reweighter',
  'policyLoss',
  'aggregator',
  'kl',
  'groupFilter',
  'task',
] as const;
export type UserPluginKind = (typeof PLUGIN_KINDS)[number];

/** A user's own plugin: `{ kind: reweighter, name: my-nthr, from: ./my-plugin.mjs }`. */
export const userPlugin = strict({
  kind: z.enum(PLUGIN_KINDS),
  name: z.string().regex(/^[A-Za-z][A-Za-z0-9_\-.:/@]*$/, 'expected a name like "my-plugin"'),
  /** A file path (relative to the config file) or an installed package name. */
  from: z.string().min(1),
  /** The export holding the factory [a `<kind>Plugins` record entry, then `default`, then an export named like `name`]. */
  export: z.string().min(1).optional(),
});
export type UserPlugin = z.infer<typeof userPlugin>;

/** The trainer's TrainConfig, field by field (see @grpo-lab/trainer config.ts for defaults). */
export const trainShape = {
  outDir: z.string().min(1).optional(),
  seed: int().optional(),
  backend: z.enum(BACKENDS).optional(),
  task: pluginSpec.optional(),
  model: z
    .looseObject({
      dModel: int(1).optional(),
      nLayers: int(1).optional(),
      nHeads: int(1).optional(),
      maxContext: int(1).optional(),
      positions: z.enum(['learned', 'rotary']).optional(),
      mlpRatio: z.number().positive().optional(),
      seed: int().optional(),
      tieEmbeddings: z.boolean().optional(),
    })
    .optional(),
  steps: int().optional(),
  promptsPerStep: int(1).optional(),
  numGenerations: int(1).optional(),
  numIterations: int(1).optional(),
  miniBatchSize: int().optional(),
  microBatchSize: int().optional(),
  maxCompletionLength: int(1).optional(),
  temperature: nonNeg().optional(),
  topP: z.number().gt(0).max(1).optional(),
  topK: int().optional(),
  advantage: pluginSpec.optional(),
  reweighter: pluginSpec.nullable().optional(),
  policyLoss: pluginSpec.optional(),
  aggregation: pluginSpec.optional(),
  kl: strict({ coef: nonNeg().optional(), estimator: pluginSpec.optional() }).optional(),
  entropyCoef: z.number().optional(),
  groupFilter: pluginSpec.nullable().optional(),
  maxRefill: int().optional(),
  maskTruncated: z.boolean().optional(),
  correctThreshold: z.number().optional(),
  reward: strict({ timeoutMs: z.number().positive().optional(), onError: z.number().optional() }).optional(),
  optimizer: strict({
    name: z.enum(['adam', 'adamw']).optional(),
    lr: nonNeg().optional(),
    beta1: z.number().min(0).max(1).optional(),
    beta2: z.number().min(0).max(1).optional(),
    eps: z.number().positive().optional(),
    weightDecay: nonNeg().optional(),
    maxGradNorm: nonNeg().optional(),
  }).optional(),
  schedule: strict({
    name: z.enum(['constant', 'linear', 'cosine']).optional(),
    warmupSteps: int().optional(),
    minLrRatio: z.number().min(0).max(1).optional(),
  }).optional(),
  sft: strict({ steps: int().optional(), batchSize: int(1).optional(), lr: nonNeg().optional() }).optional(),
  eval: strict({ every: int().optional(), size: int(1).optional() }).optional(),
  checkpoint: strict({ every: int().optional() }).optional(),
  lld: strict({ enabled: z.boolean().optional(), epsilon: z.number().optional() }).optional(),
  resume: z.boolean().optional(),
};

/** A train config file: TrainConfig + the user plugins it loads. */
export const trainFileSchema = strict({ ...trainShape, plugins: z.array(userPlugin).optional() });
export type TrainFile = z.infer<typeof trainFileSchema>;

/** Per-method overrides: any train field but outDir/seed/resume (set per run by `ablate`). Top-level keys replace the base's (no deep merge). */
const overridable = Object.fromEntries(
  Object.entries(trainShape).filter(([k]) => k !== 'outDir' && k !== 'seed' && k !== 'resume'),
) as Omit<typeof trainShape, 'outDir' | 'seed' | 'resume'>;
export const overridesSchema = strict(overridable);
export type Overrides = z.infer<typeof overridesSchema>;

const METHOD_NAME = /^[A-Za-z0-9][A-Za-z0-9_.+-]*$/;
const methodName = z
  .string()
  .regex(METHOD_NAME, 'expected letters, digits and _ . + - (it names the run dirs)')
  .refine((s) => !s.includes('__'), 'must not contain "__" (it separates method and seed in run dir names)');

/**
 * An ablation grid: runs = methods × seeds. Methods are named settings (`methods`), or the
 * cartesian product of named settings per axis (`axes`; method names join the setting names with '+').
 */
export const gridSchema = strict({
  name: z.string().min(1).optional(),
  /** Where the run dirs go [runs/<name>], relative to the current directory (like a train config's outDir). */
  outDir: z.string().min(1).optional(),
  /** The method the others are compared with [the first method]. */
  baseline: z.string().optional(),
  seeds: z.union([z.array(int()).min(1), int(1)], {
    error: 'expected a list of seeds or a count (seeds 0..n−1)',
  }),
  /** Parallel child processes [1]. */
  jobs: int(1).optional(),
  plugins: z.array(userPlugin).optional(),
  base: strict(overridable).optional(),
  methods: z.record(methodName, overridesSchema).optional(),
  axes: z.record(z.string().regex(/^[A-Za-z0-9_-]+$/), z.record(methodName, overridesSchema)).optional(),
  /** Write report.html / report.md when every run has finished [true]. */
  report: z.boolean().optional(),
});
export type Grid = z.infer<typeof gridSchema>;
