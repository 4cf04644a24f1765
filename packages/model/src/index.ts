export * from './transformer.js';
export { resolveConfig, weightSpecs, type ResolvedConfig } from './transformer_config.js';
export * from './sampling.js';
export { generateWithCache, type IncrementalModel, type Cache } from './sampler.js';
export * from './checkpoint/index.js';
export * from './tokenizer/index.js';
export * from './llama/index.js';
