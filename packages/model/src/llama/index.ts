/** Llama / Qwen2-family decoders: random init, Hugging Face directories, memory estimates. */
export { countParams, llamaConfig, parseHfConfig, toHfConfig, weightShapes } from './config.js';
export type { LlamaConfig } from './config.js';
export { estimateMemory, fmtBytes, WASM_HEAP_LIMIT } from './memory.js';
export type { MemoryEstimate, MemoryOptions } from './memory.js';
export { buildLlama, llama } from './model.js';
export type { LlamaPolicy } from './model.js';
export { loadPretrained, savePretrained } from './pretrained.js';
export type { LoadPretrainedOptions, Pretrained, SavePretrainedOptions } from './pretrained.js';
