/** Every reward function, with malformed completions and malformed samples. */
import { describe, expect, it } from 'vitest';
import {
  boxedMatch,
  combineRewards,
  createReward,
  cutAtStop,
  exactMatch,
  extractBoxed,
  extractGsm8k,
  formatReward,
  gsm8kMatch,
  lastNumber,
  normalizeMath,
  numericMatch,
  parseNumber,
} from '@grpo-lab/tasks';
import type { RewardSample } from '@grpo-lab/core';

const s = (completion: string, answer: string, meta?: Record<string, unknown>): RewardSample => ({
  prompt: 'q',
  completion,
  answer,
  ...(meta ? { meta } : {}),
});

describe('extraction', () => {
  it('cuts at the stop mark', () => {
    expect(cutAtStop('46.junk', '.')).toBe('46');
    expect(cutAtStop('46', '.')).toBeNull();
    expect(cutAtStop('.', '.')).toBe('');
  });

  it('extracts the last \\boxed{} with nested braces', () => {
    expect(extractBoxed('so \\boxed{1} then \\boxed{\\frac{1}{2}}.')).toBe('\\frac{1}{2}');
    expect(extractBoxed('\\boxed{{a}{b{c}}}')).toBe('{a}{b{c}}');
    expect(extractBoxed('$\\boxed 5$')).toBe('5');
    expect(extractBoxed('\\fbox{x+1}')).toBe('x+1');
    expect(extractBoxed('\\boxed{unbalanced')).toBeNull();
    expect(extractBoxed('\\boxed')).toBeNull();
    expect(extractBoxed('no box')).toBeNull();
  });

  it('extracts the text after the last ####', () => {
    expect(extractGsm8k('a #### 1\nb #### 1,234 \nmore')).toBe('1,234');
    expect(extractGsm8k('#### ')).toBeNull();
    expect(extractGsm8k('none')).toBeNull();
  });

  it('parses numbers the way answers are written', () => {
    expect(parseNumber('1,234')).toBe(1234);
    expect(parseNumber(' -3.5. ')).toBe(-3.5);
    expect(parseNumber('$12')).toBe(12);
    expect(parseNumber('3/4')).toBe(0.75);
    expect(parseNumber('50%')).toBe(50);
    expect(parseNumber('2e3')).toBe(2000);
    expect(parseNumber('.5')).toBe(0.5);
    expect(parseNumber('1/0')).toBeNull();
    expect(parseNumber('12a')).toBeNull();
    expect(parseNumber('1,23')).toBeNull();
    expect(parseNumber('')).toBeNull();
    expect(lastNumber('he had 3 apples, then 1,200.5 pears.')).toBe(1200.5);
    expect(lastNumber('ratio 3/4')).toBe(0.75);
    expect(lastNumber('nothing')).toBeNull();
  });
});

describe('exactMatch', () => {
  it('compares trimmed text, cutting at meta.stop when given', () => {
    expect(exactMatch(s(' 46 ', '46'))).toBe(1);
    expect(exactMatch(s('47', '46'))).toBe(0);
    expect(exactMatch(s('46.x', '46', { stop: '.' }))).toBe(1);
    expect(exactMatch(s('46', '46', { stop: '.' }))).toBe(0); // never stopped
    expect(exactMatch(s('', '46'))).toBe(0);
  });

  it('throws a ValidationError naming the field on a malformed sample', () => {
    expect(() => exactMatch({ prompt: 'q', answer: '1' } as never)).toThrow(/sample.completion/);
    expect(() => exactMatch({ prompt: 'q', completion: '1', answer: 1 } as never)).toThrow(/sample.answer/);
    expect(() => exactMatch(null as never)).toThrow(/sample/);
  });
});

describe('numericMatch', () => {
  it('reads the last number and compares with a tolerance', () => {
    const r = numericMatch({ tol: 0.01 });
    expect(r(s('the answer is 3.14159', '3.14'))).toBe(1);
    expect(r(s('the answer is 3.2', '3.14'))).toBe(0);
    expect(r(s('1,000 then 42', '42'))).toBe(1);
    expect(r(s('no number', '42'))).toBe(0);
    expect(numericMatch()(s('42.0000001', '42'))).toBe(1);
    expect(numericMatch()(s('42.001', '42'))).toBe(0);
    expect(numericMatch({ relTol: 0.01 })(s('1005', '1000'))).toBe(1);
    expect(numericMatch({ relTol: 0.01 })(s('1011', '1000'))).toBe(0);
  });

  it('reads from \\boxed{}, #### or the whole text', () => {
    expect(numericMatch({ from: 'boxed' })(s('3 \\boxed{7} 9', '\\boxed{7}'))).toBe(1);
    expect(numericMatch({ from: 'boxed' })(s('7', '7'))).toBe(0);
    expect(numericMatch({ from: 'gsm8k' })(s('x #### 1,200', 'y #### 1200'))).toBe(1);
    expect(numericMatch({ from: 'whole' })(s(' 7 ', '7'))).toBe(1);
    expect(numericMatch({ from: 'whole' })(s('x = 7', '7'))).toBe(0);
  });

  it('throws on a non-numeric answer and validates options', () => {
    expect(() => numericMatch()(s('1', 'seven'))).toThrow(/sample.answer: expected a number/);
    expect(() => numericMatch({ tol: -1 })).toThrow(/numericMatch.tol/);
    expect(() => numericMatch({ from: 'first' as never })).toThrow(
      /numericMatch.from: expected one of "last"/,
    );
    expect(() => numericMatch({ tolerance: 1 } as never)).toThrow(/numericMatch.tolerance/);
  });
});

describe('boxedMatch', () => {
  it('matches after LaTeX normalisation or numerically', () => {
    expect(boxedMatch(s('thus \\boxed{\\dfrac{1}{2}}', '\\frac12'))).toBe(1);
    expect(boxedMatch(s('\\boxed{0.5}', '\\frac{1}{2}'))).toBe(1);
    expect(boxedMatch(s('\\boxed{\\left( 1, 2 \\right)}', 'see \\boxed{(1,2)}'))).toBe(1);
    expect(boxedMatch(s('\\boxed{90^\\circ}', '90'))).toBe(1);
    expect(boxedMatch(s('\\boxed{\\text{(B)}}', '(B)'))).toBe(1);
    expect(boxedMatch(s('\\boxed{3}', '4'))).toBe(0);
    expect(boxedMatch(s('3', '3'))).toBe(0); // no box, no reward
    expect(boxedMatch(s('\\boxed{3', '3'))).toBe(0); // unbalanced
    expect(() => boxedMatch(s('\\boxed{3}', '  '))).toThrow(/sample.answer/);
    expect(normalizeMath(' \\tfrac{3}{4}. ')).toBe('\\frac{3}{4}');
  });
});

describe('gsm8kMatch', () => {
  it('needs #### in the completion and compares numbers', () => {
    const gold = 'Natalia sold 48/2 = 24 clips in May.\n#### 72';
    expect(gsm8kMatch(s('48 + 24 = 72\n#### 72', gold))).toBe(1);
    expect(gsm8kMatch(s('#### 72.0', '72'))).toBe(1);
    expect(gsm8kMatch(s('#### $1,200', '1200'))).toBe(1);
    expect(gsm8kMatch(s('the answer is 72', gold))).toBe(0); // strict: no ####
    expect(gsm8kMatch(s('#### 71', gold))).toBe(0);
    expect(gsm8kMatch(s('#### seventy-two', gold))).toBe(0);
    expect(() => gsm8kMatch(s('#### 72', 'no number here'))).toThrow(/sample.answer/);
  });
});

describe('formatReward', () => {
  it('checks presets and regular expressions (without lastIndex state)', () => {
    expect(formatReward('boxed')(s('x \\boxed{1}', ''))).toBe(1);
    expect(formatReward('boxed')(s('x \\boxed{1', ''))).toBe(0);
    expect(formatReward('gsm8k')(s('#### 5', ''))).toBe(1);
    expect(formatReward('gsm8k')(s('#### five', ''))).toBe(0);
    expect(formatReward('think')(s('<think>hm</think> <answer>5</answer>', ''))).toBe(1);
    expect(formatReward('think')(s('<answer>5</answer>', ''))).toBe(0);
    const r = formatReward(/^\d+\.$/g);
    expect([r(s('46.', '')), r(s('46.', '')), r(s('46', ''))]).toEqual([1, 1, 0]);
    expect(() => formatReward('xml' as never)).toThrow(/formatReward.format/);
  });
});

describe('combineRewards', () => {
  it('is the weighted sum, sync when every part is sync, async otherwise', async () => {
    const r = combineRewards([
      { fn: exactMatch, weight: 1 },
      { fn: formatReward(/^\d+$/), weight: 0.1 },
    ]);
    expect(r(s('46', '46'))).toBeCloseTo(1.1, 12);
    expect(r(s('47', '46'))).toBeCloseTo(0.1, 12);
    expect(r(s('x', '46'))).toBe(0);
    const a = combineRewards([
      { fn: async () => 0.5, weight: 2 },
      { fn: () => 1, weight: -1 },
    ]);
    const v = a(s('', ''));
    expect(v).toBeInstanceOf(Promise);
    expect(await v).toBe(0);
  });

  it('validates its parts', () => {
    expect(() => combineRewards([])).toThrow(/combineRewards/);
    expect(() => combineRewards([{ fn: exactMatch, weight: NaN }])).toThrow(/combineRewards\[0\].weight/);
    expect(() => combineRewards([{ fn: 'exactMatch' as never, weight: 1 }])).toThrow(
      /combineRewards\[0\].fn/,
    );
  });
});

describe('createReward', () => {
  it('builds rewards from config specs and lists names on a typo', () => {
    expect(createReward('exactMatch')(s('1', '1'))).toBe(1);
    expect(createReward({ name: 'numericMatch', tol: 0.5 })(s('1.4', '1'))).toBe(1);
    const c = createReward({
      name: 'combineRewards',
      parts: [
        { reward: 'boxedMatch', weight: 1 },
        { reward: { name: 'formatReward', format: 'boxed' }, weight: 0.5 },
      ],
    });
    expect(c(s('\\boxed{2}', '2'))).toBe(1.5);
    expect(() => createReward('exactmatch')).toThrow(/reward.name: expected one of "exactMatch"/);
    expect(() => createReward({ name: 'exactMatch', tol: 1 })).toThrow(/exactMatch.tol/);
  });
});
