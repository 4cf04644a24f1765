import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { charTokenizer, loadHfTokenizer } from '../src/tokenizer/index.js';
import { SPECIAL_TOKENS, tinyVocab, writeTinyTokenizer } from './fixtures/tiny-tokenizer.js';

describe('charTokenizer', () => {
  it('maps 0/1/2 to pad/bos/eos, then the alphabet, then the extras (hand-computed)', () => {
    const tok = charTokenizer('0123456789+=', { extra: ['<sep>'] });
    expect([tok.padId, tok.bosId, tok.eosId, tok.vocabSize]).toEqual([0, 1, 2, 3 + 12 + 1]);
    expect(tok.encode('12+3=')).toEqual([4, 5, 13, 6, 14]);
    expect(tok.encode('1<sep>2')).toEqual([4, 15, 5]);
    expect(tok.decode([1, 4, 5, 13, 6, 15, 2, 0, 0])).toBe('12+3<sep>');
    expect(tok.tokens.slice(0, 4)).toEqual(['<pad>', '<bos>', '<eos>', '0']);
    expect(tok.tokenToId('=')).toBe(14);
  });

  it('round-trips every string over its alphabet (brute force) and handles non-BMP characters', () => {
    const tok = charTokenizer('ab c🙂');
    for (let n = 0; n < 200; n++) {
      const s = Array.from({ length: n % 9 }, (_, i) => ['a', 'b', ' ', 'c', '🙂'][(n * 7 + i * 3) % 5]).join(
        '',
      );
      const ids = tok.encode(s);
      expect(ids.length).toBe(Array.from(s).length);
      expect(tok.decode(ids)).toBe(s);
    }
  });

  it('rejects unknown characters, bad ids and bad options with clear messages', () => {
    const tok = charTokenizer('abc');
    expect(() => tok.encode('abx')).toThrow(
      /character "x" at position 2 of "abx" is not in the alphabet "abc"/,
    );
    expect(() => tok.decode([99])).toThrow(/id 99 is outside the vocabulary \[0, 6\)/);
    expect(() => charTokenizer('')).toThrow(/charTokenizer\.alphabet: expected a non-empty string/);
    expect(() => charTokenizer('aba')).toThrow(
      /charTokenizer\.alphabet: expected distinct tokens, got "a" twice/,
    );
    expect(() => charTokenizer('ab', { extra: ['a'] })).toThrow(
      /charTokenizer\.extra: expected distinct tokens/,
    );
    expect(() => charTokenizer('ab', { extras: [] } as never)).toThrow(/charTokenizer\.extras/);
  });
});

describe('loadHfTokenizer (tiny byte-level BPE written by the test)', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'grpo-tok-'));
    await writeTinyTokenizer(dir);
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('encodes with merges, decodes back, and reads the special tokens from tokenizer_config.json', async () => {
    const tok = await loadHfTokenizer(dir);
    const v = tinyVocab();
    const base = Object.keys(v).length;
    expect(tok.vocabSize).toBe(base + SPECIAL_TOKENS.length);
    expect(tok.eosId).toBe(base + 2); // <|im_end|>
    expect(tok.padId).toBe(base); // <|endoftext|>
    expect(tok.bosId).toBeUndefined();
    expect(tok.encode('hello world')).toEqual([v.hello, v['Ġworld']]);
    expect(tok.encode('12+1')).toEqual([v['12'], v['+'], v['1']]);
    expect(tok.decode(tok.encode('hello world, 12!'))).toBe('hello world, 12!');
    const withSpecial = tok.encode('<|im_start|>hello<|im_end|>');
    expect(withSpecial).toEqual([base + 1, v.hello, base + 2]);
    expect(tok.decode(withSpecial)).toBe('hello'); // special tokens skipped by default
    expect(tok.decode([])).toBe('');
    // the file path works as well as the directory
    const again = await loadHfTokenizer(join(dir, 'tokenizer.json'), { skipSpecialTokens: false });
    expect(again.decode(withSpecial)).toBe('<|im_start|>hello<|im_end|>');
  });

  it('applies the chat template like transformers apply_chat_template (hand-written expectation)', async () => {
    const tok = await loadHfTokenizer(dir);
    const text = tok.applyChatTemplate!([{ role: 'user', content: 'add 1 and 2' }], {
      addGenerationPrompt: true,
    });
    expect(text).toBe(
      '<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n' +
        '<|im_start|>user\nadd 1 and 2<|im_end|>\n' +
        '<|im_start|>assistant\n',
    );
    const noGen = tok.applyChatTemplate!([
      { role: 'system', content: 'S' },
      { role: 'user', content: 'U' },
    ]);
    expect(noGen).toBe('<|im_start|>system\nS<|im_end|>\n<|im_start|>user\nU<|im_end|>\n');
    expect(tok.encode(text).slice(0, 1)).toEqual([tok.tokenToId('<|im_start|>')]);
  });

  it('has no applyChatTemplate without a template; clear errors for missing or bad files', async () => {
    const d2 = await mkdtemp(join(tmpdir(), 'grpo-tok2-'));
    try {
      await writeTinyTokenizer(d2, { chat_template: undefined, eos_token: undefined });
      const tok = await loadHfTokenizer(d2);
      expect(tok.applyChatTemplate).toBeUndefined();
      expect(tok.eosId).toBe(tok.tokenToId('<|endoftext|>')); // fallback eos
      await writeTinyTokenizer(d2, { eos_token: '<nope>' });
      await expect(loadHfTokenizer(d2)).rejects.toThrow(/eos_token "<nope>" is not in the vocabulary/);
      await writeFile(join(d2, 'tokenizer_config.json'), '{');
      await expect(loadHfTokenizer(d2)).rejects.toThrow(/tokenizer_config\.json: is not valid JSON/);
      await expect(loadHfTokenizer(join(d2, 'missing'))).rejects.toThrow(
        /tokenizer\.json: file not found|missing: file not found/,
      );
      await expect(loadHfTokenizer(dir, { addSpecial: true } as never)).rejects.toThrow(
        /loadHfTokenizer\.addSpecial/,
      );
    } finally {
      await rm(d2, { recursive: true, force: true });
    }
  });
});
