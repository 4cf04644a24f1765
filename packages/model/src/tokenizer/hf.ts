/**
 * Hugging Face tokenizers behind the core Tokenizer interface: `tokenizer.json` (+ the optional
 * `tokenizer_config.json`) through `@huggingface/tokenizers` (the maintained pure-JS port used by
 * transformers.js), and the model's chat template rendered with `@huggingface/jinja`, as
 * `transformers`' `apply_chat_template` does (template from `tokenizer_config.json`'s
 * `chat_template`, or a `chat_template.jinja` file beside it).
 */
import { readFile, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { Template } from '@huggingface/jinja';
import { Tokenizer as HfTokenizerImpl } from '@huggingface/tokenizers';
import { GrpoLabError, checkKeys, type Tokenizer } from '@grpo-lab/core';

export interface ChatMessage {
  readonly role: string;
  readonly content: string;
  readonly [key: string]: unknown;
}

export interface ChatTemplateOptions {
  /** Append the assistant header so the model continues as the assistant. [false] */
  readonly addGenerationPrompt?: boolean;
  /** Extra template variables (e.g. `tools`, `enable_thinking`). */
  readonly extra?: Record<string, unknown>;
}

export interface HfTokenizerOptions {
  /** Let `encode` add the tokenizer's special tokens (e.g. Llama's <s>). [false: chat templates add them] */
  readonly addSpecialTokens?: boolean;
  /** Let `decode` drop special tokens (eos, im_end, ...). [true] */
  readonly skipSpecialTokens?: boolean;
  /** Override the eos / pad / bos token strings of tokenizer_config.json. */
  readonly eosToken?: string;
  readonly padToken?: string;
  readonly bosToken?: string;
}

export interface HfTokenizer extends Tokenizer {
  readonly kind: 'hf';
  /** The chat template source, when the model has one. */
  readonly chatTemplate?: string;
  /** Renders chat messages to the prompt string (present when the model has a chat template). */
  applyChatTemplate?(messages: readonly ChatMessage[], opts?: ChatTemplateOptions): string;
  tokenToId(token: string): number | undefined;
  /** The underlying @huggingface/tokenizers instance. */
  readonly inner: HfTokenizerImpl;
}

const EOS_FALLBACKS = ['<|endoftext|>', '</s>', '<eos>', '<|end_of_text|>', '[SEP]'];

/** tokenizer_config.json stores special tokens as a string or as `{ content, ... }`. */
function tokenString(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (v && typeof v === 'object' && typeof (v as { content?: unknown }).content === 'string')
    return (v as { content: string }).content;
  return undefined;
}

async function readJsonFile(path: string, optional: boolean): Promise<Record<string, unknown> | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    if (optional && (e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new GrpoLabError(
      `${path}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'file not found' : (e as Error).message}`,
    );
  }
  try {
    const v = JSON.parse(text) as unknown;
    if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new Error('not a JSON object');
    return v as Record<string, unknown>;
  } catch (e) {
    throw new GrpoLabError(`${path}: is not valid JSON (${(e as Error).message})`);
  }
}

/** Loads `tokenizer.json` from a directory (or the file itself) and its config beside it. */
export async function loadHfTokenizer(
  pathOrDir: string,
  options: HfTokenizerOptions = {},
): Promise<HfTokenizer> {
  checkKeys('loadHfTokenizer', options, [
    'addSpecialTokens',
    'skipSpecialTokens',
    'eosToken',
    'padToken',
    'bosToken',
  ]);
  const isDir = (await stat(pathOrDir).catch(() => undefined))?.isDirectory() ?? false;
  const dir = isDir ? pathOrDir : dirname(pathOrDir);
  const file = isDir ? join(dir, 'tokenizer.json') : pathOrDir;
  const json = (await readJsonFile(file, false))!;
  const config = (await readJsonFile(join(dir, 'tokenizer_config.json'), true)) ?? {};
  let inner: HfTokenizerImpl;
  try {
    inner = new HfTokenizerImpl(json, config);
  } catch (e) {
    throw new GrpoLabError(
      `${file}: @huggingface/tokenizers cannot build this tokenizer (${(e as Error).message})`,
    );
  }
  const idOf = (field: string, tok: string | undefined, required: boolean): number | undefined => {
    if (tok === undefined) return undefined;
    const id = inner.token_to_id(tok);
    if (id === undefined && required)
      throw new GrpoLabError(`${basename(file)}: ${field} ${JSON.stringify(tok)} is not in the vocabulary`);
    return id;
  };
  const eosTok =
    options.eosToken ??
    tokenString(config.eos_token) ??
    EOS_FALLBACKS.find((t) => inner.token_to_id(t) !== undefined);
  const eosId = idOf('eos_token', eosTok, true);
  if (eosId === undefined)
    throw new GrpoLabError(
      `${dir}: no eos token (set "eos_token" in tokenizer_config.json or pass { eosToken })`,
    );
  const padTok = options.padToken ?? tokenString(config.pad_token);
  const bosTok = options.bosToken ?? tokenString(config.bos_token);
  const padId = idOf('pad_token', padTok, true) ?? eosId; // no pad token: pad with eos, as TRL does
  const bosId = idOf('bos_token', bosTok, true);
  const vocabSize = Math.max(...inner.get_vocab(true).values()) + 1;
  const addSpecial = options.addSpecialTokens ?? false;
  const skipSpecial = options.skipSpecialTokens ?? true;
  const chatTemplate = await findChatTemplate(dir, config);
  const template = chatTemplate !== undefined ? new Template(chatTemplate) : undefined;
  const specials = { bos_token: bosTok ?? '', eos_token: eosTok ?? '', pad_token: padTok ?? eosTok ?? '' };

  return {
    kind: 'hf',
    vocabSize,
    padId,
    eosId,
    ...(bosId !== undefined ? { bosId } : {}),
    inner,
    tokenToId: (t) => inner.token_to_id(t),
    encode: (text) => inner.encode(text, { add_special_tokens: addSpecial }).ids,
    decode: (ids) => (ids.length === 0 ? '' : inner.decode([...ids], { skip_special_tokens: skipSpecial })),
    ...(template
      ? {
          chatTemplate,
          applyChatTemplate: (messages: readonly ChatMessage[], opts: ChatTemplateOptions = {}) => {
            checkKeys('applyChatTemplate', opts, ['addGenerationPrompt', 'extra']);
            return template.render({
              ...specials,
              ...opts.extra,
              messages,
              add_generation_prompt: opts.addGenerationPrompt ?? false, // raise_exception is built in
            });
          },
        }
      : {}),
  };
}

/** chat_template from tokenizer_config.json (a string, or a list of named templates: "default"), else chat_template.jinja. */
async function findChatTemplate(dir: string, config: Record<string, unknown>): Promise<string | undefined> {
  const t = config.chat_template;
  if (typeof t === 'string') return t;
  if (Array.isArray(t)) {
    const named = t as { name?: string; template?: string }[];
    return (named.find((x) => x.name === 'default') ?? named[0])?.template;
  }
  return readFile(join(dir, 'chat_template.jinja'), 'utf8').catch(() => undefined);
}
