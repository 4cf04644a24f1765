/**
 * TransformerConfig: the typed configuration of the decoder-only transformer, its validation, and
 * the initial weights (GPT-2 init: N(0, 0.02), residual projections N(0, 0.02/√(2L)), LayerNorm
 * γ = 1, β = 0, biases 0) under stable Hugging-Face-style dotted names.
 *
 * Layout: every linear weight is stored [in, out] (GPT-2's Conv1D layout), so x·W needs no
 * transpose — transposed matMuls are the slow path on tfjs-wasm (SPEC §6). `lm_head.weight` is
 * therefore [d, V] (the transpose of a PyTorch nn.Linear weight); with `tieEmbeddings` there is no
 * `lm_head.weight` and the head is `wte.weightᵀ`.
 */
import * as tf from '@tensorflow/tfjs';
import { checkKeys, checkNumber, checkOneOf, createRng, ValidationError } from '@grpo-lab/core';

export interface TransformerConfig {
  readonly vocabSize: number;
  /** Hidden size d; must be a multiple of nHeads. */
  readonly dModel: number;
  readonly nLayers: number;
  readonly nHeads: number;
  /** Most positions one sequence may use (prompt + generated tokens fed to the model). */
  readonly maxContext: number;
  /** 'learned' (GPT-2 wpe table) or 'rotary' (RoPE, half-split as Llama/Qwen2, base 10000). ['learned'] */
  readonly positions?: 'learned' | 'rotary';
  /** MLP width = mlpRatio · dModel. [4] */
  readonly mlpRatio?: number;
  /** Seed of the initial weights. [0] */
  readonly seed?: number;
  /** Share the token embedding with the LM head (GPT-2 does; the bench model does not). [false] */
  readonly tieEmbeddings?: boolean;
}

export type ResolvedConfig = Required<TransformerConfig>;

const KEYS = [
  'vocabSize',
  'dModel',
  'nLayers',
  'nHeads',
  'maxContext',
  'positions',
  'mlpRatio',
  'seed',
  'tieEmbeddings',
];

export function resolveConfig(config: TransformerConfig): ResolvedConfig {
  if (config === null || typeof config !== 'object')
    throw new ValidationError('transformer', 'a config object', String(config));
  checkKeys('transformer', config, KEYS);
  const int = (k: keyof TransformerConfig, min: number) =>
    checkNumber(`transformer.${k}`, config[k], { min, integer: true });
  const r: ResolvedConfig = {
    vocabSize: int('vocabSize', 2),
    dModel: int('dModel', 1),
    nLayers: int('nLayers', 1),
    nHeads: int('nHeads', 1),
    maxContext: int('maxContext', 1),
    positions: checkOneOf('transformer.positions', config.positions ?? 'learned', [
      'learned',
      'rotary',
    ] as const),
    mlpRatio: checkNumber('transformer.mlpRatio', config.mlpRatio ?? 4, { min: 0, exclusiveMin: true }),
    seed: checkNumber('transformer.seed', config.seed ?? 0, { integer: true }),
    tieEmbeddings: config.tieEmbeddings ?? false,
  };
  if (typeof r.tieEmbeddings !== 'boolean')
    throw new ValidationError('transformer.tieEmbeddings', 'a boolean', JSON.stringify(config.tieEmbeddings));
  if (r.dModel % r.nHeads !== 0)
    throw new ValidationError('transformer.dModel', `a multiple of nHeads (${r.nHeads})`, String(r.dModel));
  if (r.positions === 'rotary' && (r.dModel / r.nHeads) % 2 !== 0)
    throw new ValidationError(
      'transformer.dModel',
      'an even head size (dModel / nHeads) for rotary positions',
      String(r.dModel),
    );
  if (!Number.isInteger(r.dModel * r.mlpRatio))
    throw new ValidationError(
      'transformer.mlpRatio',
      'a ratio with an integer dModel · mlpRatio',
      String(r.mlpRatio),
    );
  return r;
}

/** Name → [shape, init std (0 = zeros, NaN = ones)], in a stable order. */
export function weightSpecs(c: ResolvedConfig): [string, number[], number][] {
  const d = c.dModel;
  const f = d * c.mlpRatio;
  const std = 0.02;
  const resid = 0.02 / Math.sqrt(2 * c.nLayers);
  const specs: [string, number[], number][] = [['wte.weight', [c.vocabSize, d], std]];
  if (c.positions === 'learned') specs.push(['wpe.weight', [c.maxContext, d], std]);
  for (let i = 0; i < c.nLayers; i++) {
    const p = `h.${i}.`;
    specs.push(
      [`${p}ln_1.weight`, [d], NaN],
      [`${p}ln_1.bias`, [d], 0],
      [`${p}attn.qkv.weight`, [d, 3 * d], std],
      [`${p}attn.qkv.bias`, [3 * d], 0],
      [`${p}attn.proj.weight`, [d, d], resid],
      [`${p}attn.proj.bias`, [d], 0],
      [`${p}ln_2.weight`, [d], NaN],
      [`${p}ln_2.bias`, [d], 0],
      [`${p}mlp.fc.weight`, [d, f], std],
      [`${p}mlp.fc.bias`, [f], 0],
      [`${p}mlp.proj.weight`, [f, d], resid],
      [`${p}mlp.proj.bias`, [d], 0],
    );
  }
  specs.push(['ln_f.weight', [d], NaN], ['ln_f.bias', [d], 0]);
  if (!c.tieEmbeddings) specs.push(['lm_head.weight', [d, c.vocabSize], std]);
  return specs;
}

/** Fresh initial weights (seeded: the same config gives the same weights on every backend). */
export function initWeights(c: ResolvedConfig, trainable = true): Record<string, tf.Variable> {
  const rng = createRng(c.seed);
  const out: Record<string, tf.Variable> = {};
  for (const [name, shape, std] of weightSpecs(c)) {
    const size = shape.reduce((a, b) => a * b, 1);
    const vals = new Float32Array(size);
    if (Number.isNaN(std)) vals.fill(1);
    else if (std > 0) for (let i = 0; i < size; i++) vals[i] = std * rng.normal();
    const init = tf.tensor(vals, shape, 'float32');
    out[name] = tf.variable(init, trainable, uniqueName(name));
    init.dispose();
  }
  return out;
}

let counter = 0;
/** tfjs variable names are global; make ours unique per model instance. */
export function uniqueName(name: string): string {
  return `grpo_lab_model_${++counter}/${name}`;
}
