/** Registry (name → factory) and the option helpers every factory validates with. */
import { describe, expect, it } from 'vitest';
import {
  GrpoLabError,
  ValidationError,
  checkKeys,
  checkNumber,
  checkBoolean,
  checkOneOf,
  createRegistry,
  type AdvantageEstimator,
} from '@grpo-lab/core';

const fakeAdvantage = (options: { scale?: number } = {}): AdvantageEstimator<{ scale: number }> => ({
  kind: 'advantage',
  name: 'fake',
  options: { scale: options.scale ?? 1 },
  compute: () => {
    throw new Error('not used');
  },
});

describe('registry', () => {
  it('registers, lists sorted names, creates by bare name or { name, ...options }', () => {
    const reg = createRegistry();
    reg.register('advantage', 'zeta', fakeAdvantage);
    reg.registerAll('advantage', { alpha: fakeAdvantage, 'my-plugin': fakeAdvantage });
    expect(reg.names('advantage')).toEqual(['alpha', 'my-plugin', 'zeta']);
    expect(reg.names('kl')).toEqual([]);
    expect(reg.has('advantage', 'alpha')).toBe(true);
    expect(reg.has('kl', 'alpha')).toBe(false);
    expect(reg.create('advantage', 'zeta').options).toEqual({ scale: 1 });
    expect(reg.create('advantage', { name: 'alpha', scale: 3 }).options).toEqual({ scale: 3 });
  });

  it('rejects a duplicate name (per kind) and keeps the first', () => {
    const reg = createRegistry();
    reg.register('advantage', 'grpo', fakeAdvantage);
    expect(() => reg.register('advantage', 'grpo', () => fakeAdvantage({ scale: 9 }))).toThrow(
      /advantage plugin "grpo" is already registered/,
    );
    expect(() => reg.registerAll('advantage', { grpo: fakeAdvantage })).toThrow(GrpoLabError);
    expect(reg.create('advantage', 'grpo').options).toEqual({ scale: 1 });
    // the same name under another kind is a different plugin
    expect(() => reg.register('kl', 'grpo', (() => ({ kind: 'kl' })) as any)).not.toThrow();
  });

  it('an unknown name lists the supported ones', () => {
    const reg = createRegistry();
    reg.registerAll('advantage', { grpo: fakeAdvantage, ngrpo: fakeAdvantage, rloo: fakeAdvantage });
    expect(() => reg.create('advantage', 'gpro')).toThrow(
      /advantage\.name: expected one of "grpo", "ngrpo", "rloo", got "gpro"/,
    );
    expect(() => reg.create('kl', 'k3')).toThrow(/kl\.name: expected one of \(none registered\)/);
    try {
      reg.create('advantage', { name: 'nope' });
    } catch (e) {
      expect(e).toBeInstanceOf(ValidationError);
      expect((e as ValidationError).field).toBe('advantage.name');
    }
  });

  it('rejects bad names, non-function factories, and a factory of the wrong kind', () => {
    const reg = createRegistry();
    expect(() => reg.register('advantage', '1bad', fakeAdvantage)).toThrow(/advantage plugin name/);
    expect(() => reg.register('advantage', '', fakeAdvantage)).toThrow(/plugin name/);
    expect(() => reg.register('advantage', 'x', 42 as any)).toThrow(/a factory function/);
    reg.register('kl', 'liar', fakeAdvantage as any);
    expect(() => reg.create('kl', 'liar')).toThrow(/registered as kl returned a advantage plugin/);
  });
});

describe('option helpers', () => {
  it('checkNumber: type, finiteness, range, integer, exclusive minimum', () => {
    expect(checkNumber('x.eps', 0.5, { min: 0, max: 1 })).toBe(0.5);
    expect(() => checkNumber('x.eps', '1')).toThrow(
      /x\.eps: expected a number in \[-Infinity, Infinity\], got "1"/,
    );
    expect(() => checkNumber('x.eps', NaN)).toThrow(/x\.eps/);
    expect(() => checkNumber('x.eps', Infinity)).toThrow(/x\.eps/);
    expect(() => checkNumber('x.eps', -1, { min: 0 })).toThrow(
      /x\.eps: expected a number in \[0, Infinity\], got -1/,
    );
    expect(() => checkNumber('x.eps', 2, { max: 1 })).toThrow(/got 2/);
    expect(() => checkNumber('x.n', 1.5, { integer: true })).toThrow(/x\.n: expected an integer/);
    expect(checkNumber('x.n', 3, { integer: true, min: 1 })).toBe(3);
    expect(() => checkNumber('x.c', 0, { min: 0, exclusiveMin: true })).toThrow(
      /x\.c: expected a number in \(0, Infinity\]/,
    );
  });

  it('checkBoolean takes true or false, or the default for undefined', () => {
    expect(checkBoolean('x.b', false)).toBe(false);
    expect(checkBoolean('x.b', undefined, true)).toBe(true);
    expect(() => checkBoolean('x.b', undefined)).toThrow(/x\.b: expected true or false, got undefined/);
    expect(() => checkBoolean('x.b', 'yes', true)).toThrow(/x\.b: expected true or false, got "yes"/);
  });

  it('checkOneOf names the allowed values', () => {
    expect(checkOneOf('grpo.std', 'none', ['unbiased', 'biased', 'none'])).toBe('none');
    expect(() => checkOneOf('grpo.std', 'sample', ['unbiased', 'biased'])).toThrow(
      /grpo\.std: expected one of "unbiased", "biased", got "sample"/,
    );
    expect(() => checkOneOf('grpo.std', 1, ['unbiased'])).toThrow(/got 1/);
  });

  it('checkKeys rejects unknown option keys and names the known ones', () => {
    expect(() => checkKeys('grpo', { std: 'none', eps: 1 }, ['std', 'eps'])).not.toThrow();
    expect(() => checkKeys('grpo', { epsilon: 1 }, ['std', 'eps'])).toThrow(
      /grpo\.epsilon: expected one of the options "std", "eps", got an unknown option/,
    );
  });
});
