/** Checkpoints: safetensors read/write, Hugging Face model directories, atomic save/load. */
export {
  CheckpointError,
  DTYPE_BYTES,
  bf16ToF32,
  decodeTensor,
  encodeSafetensors,
  encodeSafetensorsParts,
  f16ToF32,
  f32ToBf16,
  parseHeader,
} from './format.js';
export type { HostArray, SafetensorsDtype, SafetensorsHeader, TensorInfo } from './format.js';
export {
  atomicWrite,
  openSafetensors,
  readSafetensors,
  toHostArrays,
  toTensor,
  writeSafetensors,
  writeSafetensorsArrays,
} from './safetensors.js';
export type { SafetensorsFile, WriteOptions } from './safetensors.js';
export { MODEL_FILE, MODEL_INDEX_FILE, openModelWeights, readJson } from './sharded.js';
export type { WeightSource } from './sharded.js';
export { CONFIG_FILE, OPTIMIZER_FILE, STATE_FILE, loadCheckpoint, saveCheckpoint } from './checkpoint.js';
export type { CheckpointContents, SaveOptions } from './checkpoint.js';
