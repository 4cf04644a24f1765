/** Tokenizers behind core's Tokenizer interface: character-level, and Hugging Face tokenizer.json. */
export { BOS_ID, EOS_ID, PAD_ID, charTokenizer } from './char.js';
export type { CharTokenizer, CharTokenizerOptions } from './char.js';
export { loadHfTokenizer } from './hf.js';
export type { ChatMessage, ChatTemplateOptions, HfTokenizer, HfTokenizerOptions } from './hf.js';
