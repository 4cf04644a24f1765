/**
 * Loading and saving Llama/Qwen2 models in the Hugging Face directory layout:
 *   config.json, model.safetensors (or shards + model.safetensors.index.json; F32, F16 and BF16
 *   converted to float32 on load), tokenizer.json + tokenizer_config.json (chat template).
 * Before any weight is read, a memory estimate (memory.ts) goes to the injected logger and is checked
 * against the budget. Linear weights are stored [out, in] by PyTorch and transposed on load.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { GrpoLabError, checkKeys, checkOneOf, fmtShape, silentLogger, type Logger } from '@grpo-lab/core';
import { CheckpointError, type HostArray } from '../checkpoint/format.js';
import { exists } from '../checkpoint/safetensors.js';
import { openModelWeights, readJson } from '../checkpoint/sharded.js';
import { saveCheckpoint, type SaveOptions } from '../checkpoint/checkpoint.js';
import { loadHfTokenizer, type HfTokenizer } from '../tokenizer/hf.js';
import { isLinear, parseHfConfig, toHfConfig, weightShapes, type LlamaConfig } from './config.js';
import {
  WASM_HEAP_LIMIT,
  checkBudget,
  estimateMemory,
  type MemoryEstimate,
  type MemoryOptions,
} from './memory.js';
import { buildLlama, type LlamaPolicy } from './model.js';

export interface LoadPretrainedOptions {
  /** Compute dtype. tfjs computes in float32; F16/BF16 files are converted on load. ['float32'] */
  readonly dtype?: 'float32';
  /** Receives the memory estimate (info) before loading. [silent] */
  readonly logger?: Logger;
  /** What the estimate assumes, and the budget it must fit. */
  readonly memory?: MemoryOptions;
  /** Load tokenizer.json when the directory has one. [true] */
  readonly tokenizer?: boolean;
  /** Trainable variables (false: a frozen model, e.g. for evaluation). [true] */
  readonly trainable?: boolean;
}

export interface Pretrained {
  readonly model: LlamaPolicy;
  readonly tokenizer?: HfTokenizer;
  readonly config: LlamaConfig;
  readonly memory: MemoryEstimate;
}

/** Buffers some checkpoints carry that are not weights. */
const IGNORED = /(^|\.)rotary_emb\.inv_freq$/;

/** Loads a local Hugging Face Llama/Qwen2 directory onto the active backend. */
export async function loadPretrained(dir: string, opts: LoadPretrainedOptions = {}): Promise<Pretrained> {
  checkKeys('loadPretrained', opts, ['dtype', 'logger', 'memory', 'tokenizer', 'trainable']);
  checkOneOf('loadPretrained.dtype', opts.dtype ?? 'float32', ['float32']);
  const logger = opts.logger ?? silentLogger;
  if (!(await exists(dir))) throw new CheckpointError(dir, 'model directory not found');
  const configPath = join(dir, 'config.json');
  const raw = await readJson(configPath);
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw))
    throw new CheckpointError(configPath, 'is not a JSON object');
  const config = parseHfConfig(raw as Record<string, unknown>, configPath);

  const memory = estimateMemory(config, { ...opts.memory, budgetBytes: undefined });
  logger.info(`loadPretrained ${dir}: ${memory.summary}`, memory);
  const budget = opts.memory?.budgetBytes ?? (tf.getBackend() === 'wasm' ? WASM_HEAP_LIMIT : Infinity);
  checkBudget(memory, budget, `loadPretrained ${dir}`);

  const shapes = weightShapes(config);
  const src = await openModelWeights(dir);
  const named: Record<string, tf.Variable> = {};
  try {
    const present = new Set(src.names);
    const unexpected = src.names.filter(
      (n) => !(n in shapes) && !IGNORED.test(n) && !(n === 'lm_head.weight' && config.tieEmbeddings),
    );
    if (unexpected.length > 0)
      throw new CheckpointError(
        dir,
        `weights not in a ${config.modelType} model of this config: ${unexpected.slice(0, 5).join(', ')}${unexpected.length > 5 ? ', …' : ''}`,
      );
    for (const [name, shape] of Object.entries(shapes)) {
      if (!present.has(name))
        throw new CheckpointError(dir, `weight "${name}" ${fmtShape(shape)} is missing`);
      const info = src.info(name);
      if (info.shape.join() !== shape.join())
        throw new CheckpointError(
          dir,
          `weight "${name}" has shape ${fmtShape(info.shape)}, the config needs ${fmtShape(shape)}`,
        );
      const host: HostArray = await src.read(name);
      if (host.dtype !== 'float32')
        throw new CheckpointError(dir, `weight "${name}" is ${info.dtype}, not a float type`);
      const value = tf.tidy(() => {
        const t = tf.tensor(host.values, host.shape, 'float32');
        return isLinear(name) ? tf.transpose(t) : t; // [out, in] → [in, out]
      });
      named[name] = tf.variable(value, opts.trainable ?? true);
      value.dispose();
    }
  } catch (e) {
    Object.values(named).forEach((v) => v.dispose());
    throw e;
  } finally {
    await src.close();
  }
  const model = buildLlama(config, named, !(opts.trainable ?? true));
  const wantTokenizer = (opts.tokenizer ?? true) && (await exists(join(dir, 'tokenizer.json')));
  const tokenizer = wantTokenizer ? await loadHfTokenizer(dir) : undefined;
  if (tokenizer && tokenizer.vocabSize > config.vocabSize)
    throw new GrpoLabError(
      `${dir}: tokenizer has ${tokenizer.vocabSize} ids but the model only ${config.vocabSize} (vocab_size)`,
    );
  return { model, config, memory, ...(tokenizer ? { tokenizer } : {}) };
}

export interface SavePretrainedOptions extends SaveOptions {
  /** Copy the tokenizer files (tokenizer.json, tokenizer_config.json, ...) from this directory. */
  readonly tokenizerFrom?: string;
  /** Optimizer slots and trainer state, to make the directory a resumable checkpoint. */
  readonly optimizer?: Record<string, tf.Tensor>;
  readonly state?: unknown;
}

const TOKENIZER_FILES = [
  'tokenizer.json',
  'tokenizer_config.json',
  'chat_template.jinja',
  'special_tokens_map.json',
  'generation_config.json',
  'vocab.json',
  'merges.txt',
];

/** Saves `model` as a Hugging Face directory (atomic, see saveCheckpoint): weights in the HF layout. */
export async function savePretrained(
  model: LlamaPolicy,
  dir: string,
  opts: SavePretrainedOptions = {},
): Promise<void> {
  const { tokenizerFrom, optimizer, state, ...save } = opts;
  const extraFiles: Record<string, Uint8Array> = {};
  if (tokenizerFrom)
    for (const f of TOKENIZER_FILES)
      if (await exists(join(tokenizerFrom, f))) extraFiles[f] = await readFile(join(tokenizerFrom, f));
  const weights = model.hfWeights();
  try {
    await saveCheckpoint(
      dir,
      {
        weights,
        config: toHfConfig(model.config),
        ...(optimizer ? { optimizer } : {}),
        ...(state !== undefined ? { state } : {}),
      },
      { ...save, extraFiles: { ...save.extraFiles, ...extraFiles } },
    );
  } finally {
    Object.values(weights).forEach((t) => t.dispose());
  }
}
