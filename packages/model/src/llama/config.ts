/**
 * Llama / Qwen2-family configuration, read from (and written as) a Hugging Face `config.json`.
 * Field names and defaults follow `transformers`' `LlamaConfig` / `Qwen2Config`:
 *   head_dim = hidden_size / num_attention_heads (unless given), num_key_value_heads [= heads],
 *   rms_norm_eps [1e-6], rope_theta [10000], attention_bias [false; Qwen2: q/k/v biases on],
 *   tie_word_embeddings [false], hidden_act "silu" (the only activation of the family).
 * `rope_scaling` variants (linear, dynamic, llama3, yarn) change the rotary angles and are not
 * implemented: a config that sets one is rejected rather than silently mis-computed.
 */
import { GrpoLabError, ValidationError, checkNumber } from '@grpo-lab/core';

export interface LlamaConfig {
  readonly modelType: 'llama' | 'qwen2';
  readonly vocabSize: number;
  readonly hiddenSize: number;
  readonly intermediateSize: number;
  readonly numLayers: number;
  readonly numHeads: number;
  readonly numKvHeads: number;
  readonly headDim: number;
  readonly rmsNormEps: number;
  readonly ropeTheta: number;
  readonly maxPositions: number;
  /** Biases on q_proj, k_proj, v_proj (Qwen2: true). */
  readonly qkvBias: boolean;
  readonly tieEmbeddings: boolean;
  /** Token ids from config.json, kept for save (may be absent). */
  readonly bosTokenId?: number;
  readonly eosTokenId?: number | number[];
}

/** Builds a config from camelCase options (random-init models, tests, benchmarks). */
export function llamaConfig(
  o: Partial<LlamaConfig> & Pick<LlamaConfig, 'vocabSize' | 'hiddenSize' | 'numLayers' | 'numHeads'>,
): LlamaConfig {
  const modelType = o.modelType ?? 'qwen2';
  const c: LlamaConfig = {
    modelType,
    vocabSize: o.vocabSize,
    hiddenSize: o.hiddenSize,
    intermediateSize: o.intermediateSize ?? 4 * o.hiddenSize,
    numLayers: o.numLayers,
    numHeads: o.numHeads,
    numKvHeads: o.numKvHeads ?? o.numHeads,
    headDim: o.headDim ?? o.hiddenSize / o.numHeads,
    rmsNormEps: o.rmsNormEps ?? 1e-6,
    ropeTheta: o.ropeTheta ?? 10000,
    maxPositions: o.maxPositions ?? 2048,
    qkvBias: o.qkvBias ?? modelType === 'qwen2',
    tieEmbeddings: o.tieEmbeddings ?? false,
    ...(o.bosTokenId !== undefined ? { bosTokenId: o.bosTokenId } : {}),
    ...(o.eosTokenId !== undefined ? { eosTokenId: o.eosTokenId } : {}),
  };
  checkConfig(c, 'llamaConfig');
  return c;
}

function checkConfig(c: LlamaConfig, where: string): void {
  const pos = (f: string, v: number) => checkNumber(`${where}.${f}`, v, { min: 1, integer: true });
  pos('vocab_size', c.vocabSize);
  pos('hidden_size', c.hiddenSize);
  pos('intermediate_size', c.intermediateSize);
  pos('num_hidden_layers', c.numLayers);
  pos('num_attention_heads', c.numHeads);
  pos('num_key_value_heads', c.numKvHeads);
  pos('max_position_embeddings', c.maxPositions);
  checkNumber(`${where}.rms_norm_eps`, c.rmsNormEps, { min: 0, exclusiveMin: true });
  checkNumber(`${where}.rope_theta`, c.ropeTheta, { min: 0, exclusiveMin: true });
  if (!Number.isInteger(c.headDim) || c.headDim < 2 || c.headDim % 2 !== 0)
    throw new ValidationError(
      `${where}.head_dim`,
      'an even integer ≥ 2 (hidden_size / num_attention_heads unless given)',
      String(c.headDim),
    );
  if (c.numHeads % c.numKvHeads !== 0)
    throw new ValidationError(
      `${where}.num_key_value_heads`,
      `a divisor of num_attention_heads (${c.numHeads})`,
      String(c.numKvHeads),
    );
}

const num = (raw: Record<string, unknown>, k: string, dflt?: number): number => {
  const v = raw[k] ?? dflt;
  if (typeof v !== 'number') throw new ValidationError(`config.json.${k}`, 'a number', JSON.stringify(v));
  return v;
};

/** Parses a Hugging Face config.json object (architectures LlamaForCausalLM / Qwen2ForCausalLM). */
export function parseHfConfig(raw: Record<string, unknown>, file = 'config.json'): LlamaConfig {
  const type = raw.model_type;
  if (type !== 'llama' && type !== 'qwen2')
    throw new GrpoLabError(
      `${file}: model_type ${JSON.stringify(type)} is not supported (supported: "llama", "qwen2")`,
    );
  if (raw.hidden_act !== undefined && raw.hidden_act !== 'silu')
    throw new GrpoLabError(
      `${file}: hidden_act ${JSON.stringify(raw.hidden_act)} is not supported (only "silu")`,
    );
  if (raw.rope_scaling !== undefined && raw.rope_scaling !== null)
    throw new GrpoLabError(
      `${file}: rope_scaling ${JSON.stringify(raw.rope_scaling)} is not supported (only plain rotary)`,
    );
  const hidden = num(raw, 'hidden_size');
  const heads = num(raw, 'num_attention_heads');
  const c: LlamaConfig = {
    modelType: type,
    vocabSize: num(raw, 'vocab_size'),
    hiddenSize: hidden,
    intermediateSize: num(raw, 'intermediate_size'),
    numLayers: num(raw, 'num_hidden_layers'),
    numHeads: heads,
    numKvHeads: num(raw, 'num_key_value_heads', heads),
    headDim: num(raw, 'head_dim', hidden / heads),
    rmsNormEps: num(raw, 'rms_norm_eps', 1e-6),
    ropeTheta: num(raw, 'rope_theta', 10000),
    maxPositions: num(raw, 'max_position_embeddings', 2048),
    qkvBias: type === 'qwen2' ? true : raw.attention_bias === true,
    tieEmbeddings: raw.tie_word_embeddings === true,
    ...(typeof raw.bos_token_id === 'number' ? { bosTokenId: raw.bos_token_id } : {}),
    ...(typeof raw.eos_token_id === 'number' || Array.isArray(raw.eos_token_id)
      ? { eosTokenId: raw.eos_token_id as number | number[] }
      : {}),
  };
  checkConfig(c, file);
  return c;
}

/** The config.json a Hugging Face loader expects for this config. */
export function toHfConfig(c: LlamaConfig): Record<string, unknown> {
  return {
    architectures: [c.modelType === 'qwen2' ? 'Qwen2ForCausalLM' : 'LlamaForCausalLM'],
    model_type: c.modelType,
    vocab_size: c.vocabSize,
    hidden_size: c.hiddenSize,
    intermediate_size: c.intermediateSize,
    num_hidden_layers: c.numLayers,
    num_attention_heads: c.numHeads,
    num_key_value_heads: c.numKvHeads,
    head_dim: c.headDim,
    hidden_act: 'silu',
    rms_norm_eps: c.rmsNormEps,
    rope_theta: c.ropeTheta,
    max_position_embeddings: c.maxPositions,
    tie_word_embeddings: c.tieEmbeddings,
    ...(c.modelType === 'llama' ? { attention_bias: c.qkvBias } : {}),
    ...(c.bosTokenId !== undefined ? { bos_token_id: c.bosTokenId } : {}),
    ...(c.eosTokenId !== undefined ? { eos_token_id: c.eosTokenId } : {}),
    torch_dtype: 'float32',
  };
}

/** The HF weight names and their HF shapes ([out, in] for Linear weights). */
export function weightShapes(c: LlamaConfig): Record<string, number[]> {
  const d = c.hiddenSize;
  const q = c.numHeads * c.headDim;
  const kv = c.numKvHeads * c.headDim;
  const s: Record<string, number[]> = { 'model.embed_tokens.weight': [c.vocabSize, d] };
  for (let i = 0; i < c.numLayers; i++) {
    const p = `model.layers.${i}`;
    s[`${p}.input_layernorm.weight`] = [d];
    s[`${p}.self_attn.q_proj.weight`] = [q, d];
    s[`${p}.self_attn.k_proj.weight`] = [kv, d];
    s[`${p}.self_attn.v_proj.weight`] = [kv, d];
    if (c.qkvBias) {
      s[`${p}.self_attn.q_proj.bias`] = [q];
      s[`${p}.self_attn.k_proj.bias`] = [kv];
      s[`${p}.self_attn.v_proj.bias`] = [kv];
    }
    s[`${p}.self_attn.o_proj.weight`] = [d, q];
    s[`${p}.post_attention_layernorm.weight`] = [d];
    s[`${p}.mlp.gate_proj.weight`] = [c.intermediateSize, d];
    s[`${p}.mlp.up_proj.weight`] = [c.intermediateSize, d];
    s[`${p}.mlp.down_proj.weight`] = [d, c.intermediateSize];
  }
  s['model.norm.weight'] = [d];
  if (!c.tieEmbeddings) s['lm_head.weight'] = [c.vocabSize, d];
  return s;
}

/** Linear weights are stored transposed ([in, out]) so the forward pass needs no transposed matMul. */
export const isLinear = (name: string) => name.endsWith('_proj.weight') || name === 'lm_head.weight';

export function countParams(c: LlamaConfig): number {
  return Object.values(weightShapes(c)).reduce((n, s) => n + s.reduce((a, b) => a * b, 1), 0);
}
