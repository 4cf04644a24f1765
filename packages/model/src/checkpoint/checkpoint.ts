/**
 * Training checkpoints in the Hugging Face layout, written atomically:
 *
 *   <dir>/model.safetensors        weights (or model-0000k-of-0000n.safetensors + index when sharded)
 *   <dir>/config.json              the model config
 *   <dir>/optimizer.safetensors    optimizer slots (Adam m, v, ...), when given
 *   <dir>/state.json               trainer state (step, RNG state, ...), when given
 *
 * Everything is written into a sibling `<dir>.tmp-<pid>-<rand>`, each file fsynced, and only then
 * renamed to `<dir>`. An existing `<dir>` is moved aside only after the new one is complete and is
 * deleted after the rename, so a crash or an error at any point leaves the last good checkpoint
 * readable (at worst beside a stray `.tmp-` directory, which loading ignores).
 */
import { mkdir, open, rename, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type * as tf from '@tensorflow/tfjs';
import { CheckpointError, type HostArray } from './format.js';
import {
  atomicWrite,
  exists,
  readSafetensors,
  toHostArrays,
  toTensor,
  writeSafetensorsArrays,
} from './safetensors.js';
import { MODEL_FILE, MODEL_INDEX_FILE, openModelWeights, readJson } from './sharded.js';

export const CONFIG_FILE = 'config.json';
export const OPTIMIZER_FILE = 'optimizer.safetensors';
export const STATE_FILE = 'state.json';

export interface CheckpointContents {
  readonly weights: Record<string, tf.Tensor>;
  /** The model config, saved as config.json (a JSON object). */
  readonly config: object;
  readonly optimizer?: Record<string, tf.Tensor>;
  /** Any JSON value (trainer step, RNG state, ...). */
  readonly state?: unknown;
}

export interface SaveOptions {
  /** Store float32 weights as BF16 (optimizer state stays F32). [F32] */
  readonly floatDtype?: 'F32' | 'BF16';
  /** Split the weights into shards of at most this many bytes (with model.safetensors.index.json). [no sharding] */
  readonly maxShardBytes?: number;
  /** More files to place in the checkpoint (e.g. tokenizer.json), by file name. */
  readonly extraFiles?: Record<string, string | Uint8Array>;
}

/** Saves a checkpoint into `dir` atomically (see the file comment). Tensors are read, not disposed. */
export async function saveCheckpoint(
  dir: string,
  contents: CheckpointContents,
  opts: SaveOptions = {},
): Promise<void> {
  await mkdir(dirname(dir), { recursive: true });
  const tmp = `${dir}.tmp-${process.pid}-${Math.random().toString(36).slice(2, 10)}`;
  try {
    await mkdir(tmp);
    if (contents.config === null || typeof contents.config !== 'object' || Array.isArray(contents.config))
      throw new CheckpointError(CONFIG_FILE, 'the config to save must be a JSON object');
    const configText = JSON.stringify(contents.config, null, 2);
    await writeWeights(tmp, await toHostArrays(contents.weights), opts);
    await atomicWrite(join(tmp, CONFIG_FILE), [configText + '\n']);
    if (contents.optimizer)
      await writeSafetensorsArrays(join(tmp, OPTIMIZER_FILE), await toHostArrays(contents.optimizer), {
        format: 'pt',
      });
    if (contents.state !== undefined)
      await atomicWrite(join(tmp, STATE_FILE), [JSON.stringify(contents.state) + '\n']);
    for (const [name, data] of Object.entries(opts.extraFiles ?? {})) {
      if (name.includes('/') || name.includes('\\') || name.startsWith('.'))
        throw new CheckpointError(name, 'extraFiles takes plain file names');
      await atomicWrite(join(tmp, name), [data]);
    }
    await fsyncDir(tmp);
    await swapInto(tmp, dir);
  } catch (e) {
    await rm(tmp, { recursive: true, force: true });
    throw e;
  }
}

async function writeWeights(
  dir: string,
  arrays: Record<string, HostArray>,
  opts: SaveOptions,
): Promise<void> {
  const meta = { format: 'pt' };
  const max = opts.maxShardBytes ?? Infinity;
  const bytesPer = opts.floatDtype === 'BF16' ? 2 : 4;
  const shards: Record<string, HostArray>[] = [{}];
  let size = 0;
  let total = 0;
  for (const name of Object.keys(arrays).sort()) {
    const a = arrays[name]!;
    const n = a.values.length * (a.dtype === 'float32' ? bytesPer : a.values.BYTES_PER_ELEMENT);
    if (size > 0 && size + n > max) {
      shards.push({});
      size = 0;
    }
    shards[shards.length - 1]![name] = a;
    size += n;
    total += n;
  }
  if (shards.length === 1) return writeSafetensorsArrays(join(dir, MODEL_FILE), arrays, meta, opts);
  const pad = (k: number) => String(k).padStart(5, '0');
  const weightMap: Record<string, string> = {};
  for (const [k, shard] of shards.entries()) {
    const file = `model-${pad(k + 1)}-of-${pad(shards.length)}.safetensors`;
    await writeSafetensorsArrays(join(dir, file), shard, meta, opts);
    for (const name of Object.keys(shard)) weightMap[name] = file;
  }
  const index = { metadata: { total_size: total }, weight_map: weightMap };
  await atomicWrite(join(dir, MODEL_INDEX_FILE), [JSON.stringify(index, null, 2) + '\n']);
}

/** Renames the complete `tmp` to `dir`; an existing `dir` is moved aside first and removed last. */
async function swapInto(tmp: string, dir: string): Promise<void> {
  if (!(await exists(dir))) {
    await rename(tmp, dir);
  } else {
    const old = `${dir}.old-${process.pid}-${Math.random().toString(36).slice(2, 10)}`;
    await rename(dir, old);
    try {
      await rename(tmp, dir);
    } catch (e) {
      await rename(old, dir);
      throw e;
    }
    await rm(old, { recursive: true, force: true });
  }
  await fsyncDir(dirname(dir));
}

async function fsyncDir(path: string): Promise<void> {
  const fh = await open(path, 'r');
  try {
    await fh.sync();
  } catch {
    // some filesystems refuse fsync on a directory; the file fsyncs already happened
  } finally {
    await fh.close();
  }
}

/**
 * Loads a checkpoint saved by saveCheckpoint (or a Hugging Face model directory: config.json +
 * model.safetensors or its shards). Tensors land on the active backend; the caller owns them.
 */
export async function loadCheckpoint(dir: string): Promise<{
  weights: Record<string, tf.Tensor>;
  config: Record<string, unknown>;
  optimizer?: Record<string, tf.Tensor>;
  state?: unknown;
}> {
  if (!(await exists(dir))) throw new CheckpointError(dir, 'checkpoint directory not found');
  const config = await readJson(join(dir, CONFIG_FILE));
  if (config === null || typeof config !== 'object' || Array.isArray(config))
    throw new CheckpointError(join(dir, CONFIG_FILE), 'is not a JSON object');
  const state = (await exists(join(dir, STATE_FILE))) ? await readJson(join(dir, STATE_FILE)) : undefined;
  const src = await openModelWeights(dir);
  const weights: Record<string, tf.Tensor> = {};
  try {
    for (const name of src.names) weights[name] = toTensor(await src.read(name));
    const optimizer = (await exists(join(dir, OPTIMIZER_FILE)))
      ? (await readSafetensors(join(dir, OPTIMIZER_FILE))).tensors
      : undefined;
    return {
      weights,
      config: config as Record<string, unknown>,
      ...(optimizer ? { optimizer } : {}),
      ...(state !== undefined ? { state } : {}),
    };
  } catch (e) {
    Object.values(weights).forEach((t) => t.dispose());
    throw e;
  } finally {
    await src.close();
  }
}
