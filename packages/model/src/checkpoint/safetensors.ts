/**
 * safetensors files on disk, read tensor by tensor (a multi-GB model never has to sit in memory
 * twice) and written atomically (temp file, fsync, rename). Byte layout and checks: format.ts.
 */
import { open, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import {
  CheckpointError,
  decodeTensor,
  encodeSafetensorsParts,
  parseHeader,
  type HostArray,
  type SafetensorsHeader,
  type TensorInfo,
} from './format.js';

/** An open safetensors file: the checked header, and reads of single tensors. */
export interface SafetensorsFile {
  readonly path: string;
  readonly header: SafetensorsHeader;
  /** Reads one tensor, converted to float32 / int32 / bool. */
  read(name: string): Promise<HostArray>;
  close(): Promise<void>;
}

/** Opens `path` and checks its header against the file size (a truncated file fails here). */
export async function openSafetensors(path: string): Promise<SafetensorsFile> {
  const fh = await open(path, 'r').catch((e: NodeJS.ErrnoException) => {
    throw new CheckpointError(path, e.code === 'ENOENT' ? 'file not found' : e.message);
  });
  try {
    const size = (await fh.stat()).size;
    if (size < 8)
      throw new CheckpointError(path, `file is ${size} bytes, shorter than the 8-byte header length`);
    const lenBuf = new Uint8Array(8);
    await fh.read(lenBuf, 0, 8, 0);
    const n = new DataView(lenBuf.buffer).getBigUint64(0, true);
    if (n > BigInt(size - 8))
      throw new CheckpointError(
        path,
        `header length ${n} exceeds the ${size - 8} bytes after it (truncated or not safetensors)`,
      );
    const headerBytes = new Uint8Array(Number(n));
    await fh.read(headerBytes, 0, headerBytes.length, 8);
    const header = parseHeader(path, headerBytes, size - 8 - headerBytes.length);
    return {
      path,
      header,
      async read(name) {
        const info: TensorInfo | undefined = header.tensors[name];
        if (!info) throw new CheckpointError(path, `no tensor named "${name}"`);
        const [b, e] = info.dataOffsets;
        const bytes = new Uint8Array(e - b);
        const { bytesRead } = await fh.read(bytes, 0, bytes.length, header.dataStart + b);
        if (bytesRead !== bytes.length)
          throw new CheckpointError(path, `tensor "${name}": short read (file changed?)`);
        return decodeTensor(path, name, info, bytes);
      },
      close: () => fh.close(),
    };
  } catch (e) {
    await fh.close();
    throw e;
  }
}

/** A tf tensor from a host array (the caller owns it). */
export function toTensor(a: HostArray): tf.Tensor {
  return tf.tensor(a.values, a.shape, a.dtype);
}

/** Reads every tensor of a safetensors file onto the active backend (the caller owns them). */
export async function readSafetensors(
  path: string,
): Promise<{ tensors: Record<string, tf.Tensor>; metadata: Record<string, string> }> {
  const f = await openSafetensors(path);
  const tensors: Record<string, tf.Tensor> = {};
  try {
    for (const name of Object.keys(f.header.tensors)) tensors[name] = toTensor(await f.read(name));
  } catch (e) {
    Object.values(tensors).forEach((t) => t.dispose());
    throw e;
  } finally {
    await f.close();
  }
  return { tensors, metadata: f.header.metadata };
}

/** Host copies of tensors (one `await t.data()` each; works on every backend). */
export async function toHostArrays(tensors: Record<string, tf.Tensor>): Promise<Record<string, HostArray>> {
  const out: Record<string, HostArray> = {};
  for (const [name, t] of Object.entries(tensors)) {
    if (t.dtype !== 'float32' && t.dtype !== 'int32' && t.dtype !== 'bool')
      throw new CheckpointError(name, `dtype ${t.dtype} cannot be saved (float32, int32 or bool)`);
    const values = (await t.data()) as Float32Array | Int32Array | Uint8Array;
    out[name] = { dtype: t.dtype, shape: t.shape.slice(), values };
  }
  return out;
}

export interface WriteOptions {
  /** Store float32 tensors as BF16 (half the size, as HF releases are; lossy). [F32] */
  readonly floatDtype?: 'F32' | 'BF16';
}

/**
 * Writes tensors as a safetensors file: float32 → F32, int32 → I32, bool → BOOL. Atomic: the bytes
 * go to a temp file beside `path`, are fsynced, then renamed over it, so a crash or an error never
 * leaves a half-written `path`.
 */
export async function writeSafetensors(
  path: string,
  tensors: Record<string, tf.Tensor>,
  metadata: Record<string, string> = {},
  opts: WriteOptions = {},
): Promise<void> {
  await writeSafetensorsArrays(path, await toHostArrays(tensors), metadata, opts);
}

/** writeSafetensors for host arrays. */
export async function writeSafetensorsArrays(
  path: string,
  arrays: Record<string, HostArray>,
  metadata: Record<string, string> = {},
  opts: WriteOptions = {},
): Promise<void> {
  await atomicWrite(path, encodeSafetensorsParts(arrays, metadata, opts));
}

/** Writes `parts` to a temp file beside `path`, fsyncs it, and renames it into place. */
export async function atomicWrite(path: string, parts: readonly (Uint8Array | string)[]): Promise<void> {
  const tmp = join(
    dirname(path),
    `.${basename(path)}.tmp-${process.pid}-${Math.random().toString(36).slice(2)}`,
  );
  const fh = await open(tmp, 'w');
  try {
    for (const p of parts) await fh.writeFile(p); // writeFile loops until every byte is written
    await fh.sync();
    await fh.close();
    await rename(tmp, path);
  } catch (e) {
    await fh.close().catch(() => {});
    await rm(tmp, { force: true });
    throw e;
  }
}

/** True when `path` exists. */
export async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}
