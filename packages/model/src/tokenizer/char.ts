/**
 * Character-level tokenizer for the built-in tasks: one id per character of a fixed alphabet.
 *
 *   ids: 0 = <pad>, 1 = <bos>, 2 = <eos>, 3 .. 3+|alphabet|−1 = the alphabet in order,
 *        then the `extra` tokens (multi-character words such as "<sep>"), matched longest first.
 *
 * A character outside the alphabet is an error naming it and its position (never a silent <unk>:
 * a task whose prompts the tokenizer cannot spell is a configuration bug).
 */
import { GrpoLabError, ValidationError, checkKeys, type Tokenizer } from '@grpo-lab/core';

export interface CharTokenizerOptions {
  /** Extra whole tokens (ids after the alphabet), e.g. ["<sep>", "<think>"]. [[]] */
  readonly extra?: readonly string[];
}

export interface CharTokenizer extends Tokenizer {
  readonly kind: 'char';
  readonly bosId: number;
  /** Every token string by id ("<pad>", "<bos>", "<eos>", the alphabet, the extras). */
  readonly tokens: readonly string[];
  /** The id of a token string, or undefined. */
  tokenToId(token: string): number | undefined;
}

export const PAD_ID = 0;
export const BOS_ID = 1;
export const EOS_ID = 2;
const SPECIALS = ['<pad>', '<bos>', '<eos>'];

export function charTokenizer(alphabet: string, options: CharTokenizerOptions = {}): CharTokenizer {
  checkKeys('charTokenizer', options, ['extra']);
  const chars = Array.from(alphabet); // code points, so non-BMP characters are one token each
  if (chars.length === 0) throw new ValidationError('charTokenizer.alphabet', 'a non-empty string', '""');
  const extra = options.extra ?? [];
  if (!Array.isArray(extra) || extra.some((w) => typeof w !== 'string' || w.length === 0))
    throw new ValidationError('charTokenizer.extra', 'a list of non-empty strings', JSON.stringify(extra));
  const tokens = [...SPECIALS, ...chars, ...extra];
  const ids = new Map<string, number>();
  tokens.forEach((t, i) => {
    if (ids.has(t))
      throw new ValidationError(
        i < SPECIALS.length + chars.length ? 'charTokenizer.alphabet' : 'charTokenizer.extra',
        'distinct tokens',
        `${JSON.stringify(t)} twice`,
      );
    ids.set(t, i);
  });
  const words = [...extra].sort((a, b) => b.length - a.length); // longest match first

  const encode = (text: string): number[] => {
    const out: number[] = [];
    let i = 0;
    outer: while (i < text.length) {
      for (const w of words) {
        if (text.startsWith(w, i)) {
          out.push(ids.get(w)!);
          i += w.length;
          continue outer;
        }
      }
      const ch = String.fromCodePoint(text.codePointAt(i)!);
      const id = ids.get(ch);
      if (id === undefined || id < SPECIALS.length)
        throw new GrpoLabError(
          `charTokenizer.encode: character ${JSON.stringify(ch)} at position ${i} of ${JSON.stringify(text)} is not in the alphabet ${JSON.stringify(alphabet)}`,
        );
      out.push(id);
      i += ch.length;
    }
    return out;
  };

  const decode = (seq: readonly number[]): string => {
    let s = '';
    for (const id of seq) {
      if (!Number.isInteger(id) || id < 0 || id >= tokens.length)
        throw new GrpoLabError(
          `charTokenizer.decode: id ${id} is outside the vocabulary [0, ${tokens.length})`,
        );
      if (id >= SPECIALS.length) s += tokens[id]; // pad, bos and eos decode to nothing
    }
    return s;
  };

  return {
    kind: 'char',
    vocabSize: tokens.length,
    padId: PAD_ID,
    bosId: BOS_ID,
    eosId: EOS_ID,
    tokens,
    tokenToId: (t) => ids.get(t),
    encode,
    decode,
  };
}
