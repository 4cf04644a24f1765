/**
 * A model's weights in a Hugging Face directory: one `model.safetensors`, or shards listed by
 * `model.safetensors.index.json` (`{ "metadata": {...}, "weight_map": { "<tensor>": "<shard file>" } }`,
 * the layout `transformers`' `save_pretrained` writes above its shard size).
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CheckpointError, type HostArray, type TensorInfo } from './format.js';
import { exists, openSafetensors, type SafetensorsFile } from './safetensors.js';

export const MODEL_FILE = 'model.safetensors';
export const MODEL_INDEX_FILE = 'model.safetensors.index.json';

/** Every tensor of a model directory, across shards. */
export interface WeightSource {
  readonly names: readonly string[];
  readonly metadata: Record<string, string>;
  info(name: string): TensorInfo;
  read(name: string): Promise<HostArray>;
  close(): Promise<void>;
}

/** Opens the weights of `dir` (sharded or not); every header is checked before anything is read. */
export async function openModelWeights(dir: string): Promise<WeightSource> {
  const indexPath = join(dir, MODEL_INDEX_FILE);
  if (!(await exists(indexPath))) {
    const single = join(dir, MODEL_FILE);
    if (!(await exists(single)))
      throw new CheckpointError(dir, `no ${MODEL_FILE} or ${MODEL_INDEX_FILE} in this directory`);
    const f = await openSafetensors(single);
    return sourceOf(new Map(Object.keys(f.header.tensors).map((n) => [n, f])), [f], f.header.metadata);
  }
  const index = await readJson(indexPath);
  const map = (index as { weight_map?: unknown }).weight_map;
  if (map === null || typeof map !== 'object' || Array.isArray(map))
    throw new CheckpointError(indexPath, 'has no "weight_map" object of tensor name → shard file');
  const shards = new Map<string, SafetensorsFile>();
  const byName = new Map<string, SafetensorsFile>();
  try {
    for (const [name, file] of Object.entries(map as Record<string, unknown>)) {
      if (typeof file !== 'string' || file.includes('/') || file.includes('\\'))
        throw new CheckpointError(
          indexPath,
          `weight_map["${name}"] is ${JSON.stringify(file)}, not a file name`,
        );
      let shard = shards.get(file);
      if (!shard) {
        shard = await openSafetensors(join(dir, file));
        shards.set(file, shard);
      }
      if (!shard.header.tensors[name])
        throw new CheckpointError(
          join(dir, file),
          `has no tensor "${name}", which ${MODEL_INDEX_FILE} places there`,
        );
      byName.set(name, shard);
    }
  } catch (e) {
    await Promise.all([...shards.values()].map((s) => s.close()));
    throw e;
  }
  const meta = (index as { metadata?: Record<string, unknown> }).metadata ?? {};
  const metadata = Object.fromEntries(Object.entries(meta).map(([k, v]) => [k, String(v)]));
  return sourceOf(byName, [...shards.values()], metadata);
}

function sourceOf(
  byName: Map<string, SafetensorsFile>,
  files: SafetensorsFile[],
  metadata: Record<string, string>,
): WeightSource {
  const get = (name: string) => {
    const f = byName.get(name);
    if (!f) throw new CheckpointError(files[0]?.path ?? '(model)', `no tensor named "${name}"`);
    return f;
  };
  return {
    names: [...byName.keys()],
    metadata,
    info: (name) => get(name).header.tensors[name]!,
    read: (name) => get(name).read(name),
    close: async () => {
      await Promise.all(files.map((f) => f.close()));
    },
  };
}

/** Reads and parses a JSON file; a missing file or bad JSON names the file. */
export async function readJson(path: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new CheckpointError(path, code === 'ENOENT' ? 'file not found' : (e as Error).message);
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new CheckpointError(path, `is not valid JSON (${(e as Error).message})`);
  }
}
