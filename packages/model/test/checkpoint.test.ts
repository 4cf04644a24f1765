import { mkdtemp, readdir, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_BACKENDS, useBackend } from '../../../testing/index.js';
import {
  CheckpointError,
  encodeSafetensors,
  f16ToF32,
  bf16ToF32,
  f32ToBf16,
  loadCheckpoint,
  openModelWeights,
  readSafetensors,
  saveCheckpoint,
  writeSafetensors,
} from '../src/checkpoint/index.js';

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'grpo-ckpt-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

/** A raw safetensors file, as torch would write it: header entries given verbatim. */
function rawFile(entries: Record<string, { dtype: string; shape: number[]; bytes: Uint8Array }>): Uint8Array {
  const header: Record<string, unknown> = { __metadata__: { format: 'pt' } };
  const blobs: Uint8Array[] = [];
  let off = 0;
  for (const [k, e] of Object.entries(entries)) {
    header[k] = { dtype: e.dtype, shape: e.shape, data_offsets: [off, off + e.bytes.length] };
    blobs.push(e.bytes);
    off += e.bytes.length;
  }
  const head = Buffer.from(JSON.stringify(header));
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(head.length));
  return Buffer.concat([len, head, ...blobs]);
}

const bits = (a: ArrayLike<number>) => Array.from(new Uint32Array(Float32Array.from(a).buffer));

describe('safetensors format', () => {
  it('writes the documented byte layout (hand-computed)', () => {
    const bytes = encodeSafetensors({
      w: { dtype: 'float32', shape: [2], values: new Float32Array([1, -2]) },
    });
    const n = Number(Buffer.from(bytes).readBigUInt64LE(0));
    expect(n % 8).toBe(0); // header padded to 8 bytes with spaces
    const header = Buffer.from(bytes.slice(8, 8 + n)).toString('utf8');
    expect(header.trimEnd()).toBe('{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}');
    expect(Array.from(new Float32Array(bytes.slice(8 + n).buffer))).toEqual([1, -2]);
  });

  it('converts F16, BF16, I64 and friends to float32 / int32 (hand-computed values)', async () => {
    const f16 = new Uint16Array([0x3c00, 0xc000, 0x7bff, 0x0001, 0x7c00, 0x8000]);
    const bf16 = new Uint16Array([0x3f80, 0x4049, 0xc2f7]);
    const i64 = new BigInt64Array([0n, -5n, 2147483647n]);
    const path = join(root, 'mixed.safetensors');
    await writeFile(
      path,
      rawFile({
        h: { dtype: 'F16', shape: [6], bytes: new Uint8Array(f16.buffer) },
        b: { dtype: 'BF16', shape: [3], bytes: new Uint8Array(bf16.buffer) },
        i: { dtype: 'I64', shape: [3], bytes: new Uint8Array(i64.buffer) },
        u: { dtype: 'U8', shape: [2], bytes: new Uint8Array([7, 255]) },
      }),
    );
    const { tensors, metadata } = await readSafetensors(path);
    expect(metadata).toEqual({ format: 'pt' });
    expect(Array.from(await tensors.h!.data())).toEqual([1, -2, 65504, 2 ** -24, Infinity, -0]);
    expect(Array.from(await tensors.b!.data())).toEqual([1, 3.140625, -123.5]);
    expect(tensors.i!.dtype).toBe('int32');
    expect(Array.from(await tensors.i!.data())).toEqual([0, -5, 2147483647]);
    expect(Array.from(await tensors.u!.data())).toEqual([7, 255]);
    Object.values(tensors).forEach((t) => t.dispose());
  });

  it('rejects an I64 value that does not fit int32, naming tensor and value', async () => {
    const path = join(root, 'big-i64.safetensors');
    const i64 = new BigInt64Array([1n, 1n << 40n]);
    await writeFile(path, rawFile({ ids: { dtype: 'I64', shape: [2], bytes: new Uint8Array(i64.buffer) } }));
    await expect(readSafetensors(path)).rejects.toThrow(
      /tensor "ids": I64 value 1099511627776 at index 1 does not fit int32/,
    );
  });

  it('f16/bf16 helpers agree with a brute-force loop; bf16 rounds to nearest even', () => {
    const all = new Uint16Array(65536).map((_, i) => i);
    const f = f16ToF32(all);
    for (const h of [0, 1, 0x3555, 0x7bff, 0x8400, 0xfbff]) {
      const e = (h >> 10) & 31;
      const m = h & 1023;
      const v = (h & 0x8000 ? -1 : 1) * (e === 0 ? m * 2 ** -24 : (1 + m / 1024) * 2 ** (e - 15));
      expect(f[h]).toBe(v);
    }
    const x = new Float32Array([1, 1 + 2 ** -8, 1 + 3 * 2 ** -8, -0.1, NaN]);
    const back = bf16ToF32(f32ToBf16(x));
    expect(Array.from(back.slice(0, 3))).toEqual([1, 1, 1 + 2 ** -6]); // ties to even
    expect(Math.abs(back[3]! + 0.1)).toBeLessThan(0.001);
    expect(Number.isNaN(back[4])).toBe(true);
  });
});

describe.each(TEST_BACKENDS)('safetensors round trip on %s', (backend) => {
  it('write → read is bit-exact (NaN, ±0, ±Inf, denormals, int32, bool) and leaks nothing', async () => {
    await useBackend(backend);
    const special = [NaN, -0, 0, Infinity, -Infinity, 1e-45, -3.4e38, Math.PI];
    const rnd = Array.from({ length: 40 }, (_, i) => Math.sin(i * 12.9898) * 43758.5453);
    const tensors = {
      'model.layers.0.w': tf.tensor([...special, ...rnd], [6, 8]),
      ids: tf.tensor([0, -1, 2147483647, -2147483648], [4], 'int32'),
      flags: tf.tensor([true, false, true], [3], 'bool'),
      scalar: tf.scalar(2.5),
    };
    const path = join(root, `rt-${backend}.safetensors`);
    await writeSafetensors(path, tensors, { note: 'hi' });
    const before = tf.memory().numTensors;
    const back = await readSafetensors(path);
    expect(back.metadata).toEqual({ note: 'hi' });
    expect(Object.keys(back.tensors).sort()).toEqual(Object.keys(tensors).sort());
    for (const [k, t] of Object.entries(tensors)) {
      const r = back.tensors[k]!;
      expect(r.shape).toEqual(t.shape);
      expect(r.dtype).toBe(t.dtype);
      const [a, b] = [await t.data(), await r.data()];
      if (t.dtype === 'float32') expect(bits(b)).toEqual(bits(a));
      else expect(Array.from(b)).toEqual(Array.from(a));
    }
    Object.values(back.tensors).forEach((t) => t.dispose());
    expect(tf.memory().numTensors).toBe(before);
    Object.values(tensors).forEach((t) => t.dispose());
  });
});

describe('checkpoints', () => {
  const make = (v: number) => ({
    weights: { 'wte.weight': tf.fill([4, 3], v), 'h.0.attn.qkv.weight': tf.fill([3, 9], -v) },
    config: { model_type: 'grpo-lab-transformer', vocab_size: 4, d_model: 3 },
    optimizer: { 'wte.weight/m': tf.fill([4, 3], v / 10), step: tf.scalar(7, 'int32') },
    state: { step: 7, rng: [1, 2, 3, 4] },
  });
  const dispose = (c: { weights: object; optimizer?: object }) =>
    [...Object.values(c.weights), ...Object.values(c.optimizer ?? {})].forEach((t: tf.Tensor) => t.dispose());

  it('save → load round-trips weights, config, optimizer and state bit-exactly', async () => {
    await useBackend('cpu');
    const dir = join(root, 'run', 'checkpoints', 'step-7');
    const c = make(0.1);
    await saveCheckpoint(dir, c);
    expect((await readdir(dir)).sort()).toEqual([
      'config.json',
      'model.safetensors',
      'optimizer.safetensors',
      'state.json',
    ]);
    const back = await loadCheckpoint(dir);
    expect(back.config).toEqual(c.config);
    expect(back.state).toEqual(c.state);
    for (const [k, t] of Object.entries(c.weights))
      expect(bits(await back.weights[k]!.data())).toEqual(bits(await t.data()));
    expect(Array.from(await back.optimizer!['wte.weight/m']!.data())).toEqual(
      Array.from(await c.optimizer['wte.weight/m'].data()),
    );
    expect(back.optimizer!.step!.dtype).toBe('int32');
    dispose(c);
    dispose(back);
  });

  it('writes and reads sharded weights with model.safetensors.index.json', async () => {
    await useBackend('cpu');
    const dir = join(root, 'sharded');
    const c = make(0.3);
    await saveCheckpoint(dir, { weights: c.weights, config: c.config }, { maxShardBytes: 60 });
    const files = (await readdir(dir)).sort();
    expect(files).toEqual([
      'config.json',
      'model-00001-of-00002.safetensors',
      'model-00002-of-00002.safetensors',
      'model.safetensors.index.json',
    ]);
    const src = await openModelWeights(dir);
    expect([...src.names].sort()).toEqual(Object.keys(c.weights).sort());
    await src.close();
    const back = await loadCheckpoint(dir);
    expect(Array.from(await back.weights['wte.weight']!.data())).toEqual(Array(12).fill(Math.fround(0.3)));
    expect(back.optimizer).toBeUndefined();
    dispose(c);
    dispose(back);
  });

  it('a failing save never touches the previous checkpoint and leaves no temp dir', async () => {
    await useBackend('cpu');
    const parent = join(root, 'atomic');
    const dir = join(parent, 'latest');
    const good = make(1);
    await saveCheckpoint(dir, good);
    const bad = make(2);
    const str = tf.tensor(['x']);
    await expect(saveCheckpoint(dir, { ...bad, optimizer: { ...bad.optimizer, s: str } })).rejects.toThrow(
      /dtype string/,
    );
    expect(await readdir(parent)).toEqual(['latest']);
    const back = await loadCheckpoint(dir);
    expect(Array.from(await back.weights['wte.weight']!.data())).toEqual(Array(12).fill(1));
    dispose(back);
    // a successful save replaces it completely, with no leftovers
    await saveCheckpoint(dir, { weights: bad.weights, config: bad.config });
    expect(await readdir(parent)).toEqual(['latest']);
    expect((await readdir(dir)).sort()).toEqual(['config.json', 'model.safetensors']);
    [good, bad].forEach(dispose);
    str.dispose();
  });

  it('rejects corrupt files with the file name and the defect', async () => {
    await useBackend('cpu');
    const dir = join(root, 'corrupt');
    const c = make(0.5);
    await saveCheckpoint(dir, c);
    const model = join(dir, 'model.safetensors');
    const full = await readFile(model);

    await truncate(model, full.length - 5);
    await expect(loadCheckpoint(dir)).rejects.toThrow(
      /model\.safetensors: tensor ".*": data_offsets end at byte \d+ .* \(truncated file\?\)/,
    );

    const huge = Buffer.from(full);
    huge.writeBigUInt64LE(1n << 40n);
    await writeFile(model, huge);
    await expect(loadCheckpoint(dir)).rejects.toThrow(
      /model\.safetensors: header length 1099511627776 exceeds/,
    );

    await writeFile(model, full.subarray(0, 5));
    await expect(loadCheckpoint(dir)).rejects.toThrow(/model\.safetensors: file is 5 bytes/);

    const badJson = Buffer.from(full);
    badJson[9] = 0x7d; // '}' where a '"' should be
    await writeFile(model, badJson);
    await expect(loadCheckpoint(dir)).rejects.toThrow(
      /model\.safetensors: the safetensors header is not valid JSON/,
    );

    await writeFile(model, full);
    await writeFile(join(dir, 'config.json'), '{"vocab_size": 4,');
    const err = await loadCheckpoint(dir).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CheckpointError);
    expect((err as Error).message).toMatch(/config\.json: is not valid JSON/);

    await rm(join(dir, 'config.json'));
    await expect(loadCheckpoint(dir)).rejects.toThrow(/config\.json: file not found/);
    await expect(loadCheckpoint(join(root, 'nope'))).rejects.toThrow(/nope: checkpoint directory not found/);
    dispose(c);
  });

  it('rejects a sharded index that points at a missing tensor', async () => {
    const dir = join(root, 'bad-index');
    const c = make(0.25);
    await saveCheckpoint(dir, { weights: c.weights, config: c.config }, { maxShardBytes: 60 });
    const idx = JSON.parse(await readFile(join(dir, 'model.safetensors.index.json'), 'utf8'));
    idx.weight_map['lm_head.weight'] = 'model-00001-of-00002.safetensors';
    await writeFile(join(dir, 'model.safetensors.index.json'), JSON.stringify(idx));
    await expect(loadCheckpoint(dir)).rejects.toThrow(
      /model-00001-of-00002\.safetensors: has no tensor "lm_head\.weight", which model\.safetensors\.index\.json places there/,
    );
    dispose(c);
  });
});
