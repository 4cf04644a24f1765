/**
 * The safetensors format, as bytes: pure encode/decode with no file or tensor-backend access.
 *
 *   file = u64le n · header (n bytes of UTF-8 JSON, space-padded) · data
 *   header = { "<name>": { dtype, shape: int[], data_offsets: [begin, end] }, "__metadata__"?: {str: str} }
 *   offsets are relative to the start of the data block; end − begin = numel · bytes(dtype).
 *
 * Reference: huggingface/safetensors `safetensors/src/tensor.rs` (header layout, dtype names, the
 * 8-byte alignment padding of the header with spaces). Reading converts every float type to float32
 * and every integer type to int32 (I64/U32/U64 only when each value fits), as tfjs has no others.
 */
import { endianness } from 'node:os';
import { GrpoLabError } from '@grpo-lab/core';

/** A checkpoint or safetensors file that cannot be read: the message names the file and the defect. */
export class CheckpointError extends GrpoLabError {
  override name = 'CheckpointError';
  constructor(
    readonly file: string,
    readonly problem: string,
  ) {
    super(`${file}: ${problem}`);
  }
}

export const DTYPE_BYTES = {
  F64: 8,
  F32: 4,
  F16: 2,
  BF16: 2,
  I64: 8,
  I32: 4,
  I16: 2,
  I8: 1,
  U64: 8,
  U32: 4,
  U16: 2,
  U8: 1,
  BOOL: 1,
} as const;
export type SafetensorsDtype = keyof typeof DTYPE_BYTES;

export interface TensorInfo {
  readonly dtype: SafetensorsDtype;
  readonly shape: number[];
  /** [begin, end) in bytes, relative to the data block. */
  readonly dataOffsets: [number, number];
}

export interface SafetensorsHeader {
  readonly tensors: Record<string, TensorInfo>;
  readonly metadata: Record<string, string>;
  /** Absolute byte position of the data block (8 + header length). */
  readonly dataStart: number;
}

/** A host array as tfjs can hold it. */
export interface HostArray {
  readonly dtype: 'float32' | 'int32' | 'bool';
  readonly shape: number[];
  readonly values: Float32Array | Int32Array | Uint8Array;
}

if (endianness() !== 'LE') throw new GrpoLabError('safetensors support assumes a little-endian host');

const numel = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);
const isDim = (v: unknown) => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

/**
 * Parses and checks a header. `headerBytes` is the JSON block; `dataBytes` the size of the data
 * block (file size − 8 − n), so offsets that point past the end of the file are caught here.
 */
export function parseHeader(file: string, headerBytes: Uint8Array, dataBytes: number): SafetensorsHeader {
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(headerBytes));
  } catch (e) {
    throw new CheckpointError(file, `the safetensors header is not valid JSON (${(e as Error).message})`);
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json))
    throw new CheckpointError(file, 'the safetensors header is not a JSON object');
  const tensors: Record<string, TensorInfo> = {};
  let metadata: Record<string, string> = {};
  for (const [name, raw] of Object.entries(json as Record<string, unknown>)) {
    if (name === '__metadata__') {
      metadata = parseMetadata(file, raw);
      continue;
    }
    const e = raw as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    const where = `tensor "${name}"`;
    if (typeof e !== 'object' || e === null)
      throw new CheckpointError(file, `${where}: entry is not an object`);
    if (typeof e.dtype !== 'string' || !(e.dtype in DTYPE_BYTES))
      throw new CheckpointError(
        file,
        `${where}: dtype ${JSON.stringify(e.dtype)} is not one of ${Object.keys(DTYPE_BYTES).join(', ')}`,
      );
    if (!Array.isArray(e.shape) || !e.shape.every(isDim))
      throw new CheckpointError(file, `${where}: shape ${JSON.stringify(e.shape)} is not a list of sizes`);
    const off = e.data_offsets;
    if (!Array.isArray(off) || off.length !== 2 || !off.every(isDim) || off[0] > off[1])
      throw new CheckpointError(file, `${where}: data_offsets ${JSON.stringify(off)} is not [begin, end]`);
    const dtype = e.dtype as SafetensorsDtype;
    const want = numel(e.shape) * DTYPE_BYTES[dtype];
    if (off[1] - off[0] !== want)
      throw new CheckpointError(
        file,
        `${where}: data_offsets ${JSON.stringify(off)} span ${off[1] - off[0]} bytes, but ${dtype} ${JSON.stringify(e.shape)} needs ${want}`,
      );
    if (off[1] > dataBytes)
      throw new CheckpointError(
        file,
        `${where}: data_offsets end at byte ${off[1]} of the data block, but it holds only ${dataBytes} bytes (truncated file?)`,
      );
    tensors[name] = { dtype, shape: e.shape as number[], dataOffsets: [off[0], off[1]] };
  }
  return { tensors, metadata, dataStart: 8 + headerBytes.length };
}

function parseMetadata(file: string, raw: unknown): Record<string, string> {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw))
    throw new CheckpointError(file, '__metadata__ is not an object of strings');
  for (const [k, v] of Object.entries(raw))
    if (typeof v !== 'string') throw new CheckpointError(file, `__metadata__.${k} is not a string`);
  return raw as Record<string, string>;
}

/** Decodes one tensor's raw little-endian bytes (a fresh, aligned copy) into a tfjs-ready array. */
export function decodeTensor(file: string, name: string, info: TensorInfo, bytes: Uint8Array): HostArray {
  const buf = bytes.byteOffset % 8 === 0 ? bytes : bytes.slice();
  const { buffer, byteOffset } = buf;
  const n = numel(info.shape);
  const shape = info.shape;
  switch (info.dtype) {
    case 'F32':
      return { dtype: 'float32', shape, values: new Float32Array(buffer, byteOffset, n).slice() };
    case 'F64':
      return { dtype: 'float32', shape, values: Float32Array.from(new Float64Array(buffer, byteOffset, n)) };
    case 'F16':
      return { dtype: 'float32', shape, values: f16ToF32(new Uint16Array(buffer, byteOffset, n)) };
    case 'BF16':
      return { dtype: 'float32', shape, values: bf16ToF32(new Uint16Array(buffer, byteOffset, n)) };
    case 'I32':
      return { dtype: 'int32', shape, values: new Int32Array(buffer, byteOffset, n).slice() };
    case 'I16':
      return { dtype: 'int32', shape, values: Int32Array.from(new Int16Array(buffer, byteOffset, n)) };
    case 'U16':
      return { dtype: 'int32', shape, values: Int32Array.from(new Uint16Array(buffer, byteOffset, n)) };
    case 'I8':
      return { dtype: 'int32', shape, values: Int32Array.from(new Int8Array(buffer, byteOffset, n)) };
    case 'U8':
      return { dtype: 'int32', shape, values: Int32Array.from(new Uint8Array(buffer, byteOffset, n)) };
    case 'BOOL':
      return { dtype: 'bool', shape, values: new Uint8Array(buffer, byteOffset, n).slice() };
    case 'I64':
    case 'U64':
    case 'U32': {
      const src =
        info.dtype === 'U32'
          ? Array.from(new Uint32Array(buffer, byteOffset, n), BigInt)
          : info.dtype === 'I64'
            ? new BigInt64Array(buffer, byteOffset, n)
            : new BigUint64Array(buffer, byteOffset, n);
      const out = new Int32Array(n);
      for (let i = 0; i < n; i++) {
        const v = src[i]!;
        if (v > 2147483647n || v < -2147483648n)
          throw new CheckpointError(
            file,
            `tensor "${name}": ${info.dtype} value ${v} at index ${i} does not fit int32`,
          );
        out[i] = Number(v);
      }
      return { dtype: 'int32', shape, values: out };
    }
  }
}

let f16Table: Float32Array | undefined;

/** IEEE half → float32 through a 65,536-entry table (exact: every half is a float32). */
export function f16ToF32(src: Uint16Array): Float32Array {
  if (!f16Table) {
    f16Table = new Float32Array(65536);
    for (let h = 0; h < 65536; h++) {
      const s = h & 0x8000 ? -1 : 1;
      const e = (h >> 10) & 0x1f;
      const m = h & 0x3ff;
      f16Table[h] =
        e === 0 ? s * m * 2 ** -24 : e === 31 ? (m ? NaN : s * Infinity) : s * (1 + m / 1024) * 2 ** (e - 15);
    }
  }
  const out = new Float32Array(src.length);
  for (let i = 0; i < src.length; i++) out[i] = f16Table[src[i]!]!;
  return out;
}

/** bfloat16 → float32: the 16 bits are the high half of the float32 (exact). */
export function bf16ToF32(src: Uint16Array): Float32Array {
  const bits = new Uint32Array(src.length);
  for (let i = 0; i < src.length; i++) bits[i] = src[i]! << 16;
  return new Float32Array(bits.buffer);
}

/** float32 → bfloat16 with round-to-nearest-even (what torch's `.to(torch.bfloat16)` does). */
export function f32ToBf16(src: Float32Array): Uint16Array {
  const bits = new Uint32Array(src.buffer, src.byteOffset, src.length);
  const out = new Uint16Array(src.length);
  for (let i = 0; i < src.length; i++) {
    const b = bits[i]!;
    out[i] = (b & 0x7fffffff) > 0x7f800000 ? (b >>> 16) | 0x40 : (b + 0x7fff + ((b >>> 16) & 1)) >>> 16;
  }
  return out;
}

/**
 * Encodes arrays (float32 → F32 or BF16, int32 → I32, bool → BOOL) as a safetensors file, in parts
 * (`[prefix, ...tensor blobs]`) so a large file can be written without one contiguous copy.
 */
export function encodeSafetensorsParts(
  arrays: Record<string, HostArray>,
  metadata: Record<string, string> = {},
  opts: { floatDtype?: 'F32' | 'BF16' } = {},
): Uint8Array[] {
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length > 0) header.__metadata__ = metadata;
  const blobs: Uint8Array[] = [];
  let offset = 0;
  for (const name of Object.keys(arrays).sort()) {
    const a = arrays[name]!;
    let dtype: SafetensorsDtype;
    let blob: Uint8Array;
    if (a.dtype === 'float32' && opts.floatDtype === 'BF16') {
      dtype = 'BF16';
      blob = new Uint8Array(f32ToBf16(a.values as Float32Array).buffer);
    } else {
      dtype = a.dtype === 'float32' ? 'F32' : a.dtype === 'int32' ? 'I32' : 'BOOL';
      blob = new Uint8Array(a.values.buffer, a.values.byteOffset, a.values.byteLength);
    }
    header[name] = { dtype, shape: a.shape, data_offsets: [offset, offset + blob.byteLength] };
    blobs.push(blob);
    offset += blob.byteLength;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - (Buffer.byteLength(json) % 8)) % 8);
  const head = new TextEncoder().encode(json);
  const prefix = new Uint8Array(8 + head.length);
  new DataView(prefix.buffer).setBigUint64(0, BigInt(head.length), true);
  prefix.set(head, 8);
  return [prefix, ...blobs];
}

/** The whole file as one buffer (small tensors, tests). */
export function encodeSafetensors(
  arrays: Record<string, HostArray>,
  metadata: Record<string, string> = {},
  opts: { floatDtype?: 'F32' | 'BF16' } = {},
): Uint8Array {
  const parts = encodeSafetensorsParts(arrays, metadata, opts);
  const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
  let pos = 0;
  for (const p of parts) {
    out.set(p, pos);
    pos += p.byteLength;
  }
  return out;
}
