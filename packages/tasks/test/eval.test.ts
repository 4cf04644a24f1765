/** pass@k against its closed form; evaluate() with injected generate functions. */
import { describe, expect, it } from 'vitest';
import type { Problem } from '@grpo-lab/core';
import { evaluate, exactMatch, passAtK, taskPlugins, type GenerateFn } from '@grpo-lab/tasks';

/** Closed form with exact big-integer binomials: 1 − C(n−c, k)/C(n, k). */
function binom(n: number, k: number): bigint {
  if (k < 0 || k > n) return 0n;
  let r = 1n;
  for (let i = 1; i <= k; i++) r = (r * BigInt(n - k + i)) / BigInt(i);
  return r;
}
function closedForm(n: number, c: number, k: number): number {
  const num = binom(n - c, k);
  const den = binom(n, k);
  const scale = 10n ** 30n;
  return 1 - Number((num * scale) / den) / 1e30;
}

describe('passAtK', () => {
  it('matches hand-computed cases', () => {
    expect(passAtK(10, 3, 1)).toBeCloseTo(0.3, 14); // pass@1 = c/n
    expect(passAtK(4, 2, 2)).toBeCloseTo(1 - 1 / 6, 14); // 1 − C(2,2)/C(4,2)
    expect(passAtK(5, 0, 3)).toBe(0);
    expect(passAtK(5, 5, 5)).toBe(1);
    expect(passAtK(5, 3, 3)).toBe(1); // n − c < k
  });

  it('matches the closed form 1 − C(n−c,k)/C(n,k) over a grid, including n = 200', () => {
    for (const n of [1, 2, 5, 8, 16, 50, 200])
      for (let c = 0; c <= n; c += Math.max(1, Math.floor(n / 7)))
        for (let k = 1; k <= n; k += Math.max(1, Math.floor(n / 5))) {
          const e = closedForm(n, c, k);
          const a = passAtK(n, c, k);
          expect(Math.abs(a - e)).toBeLessThanOrEqual(1e-12 * Math.max(1, Math.abs(e)));
        }
  });

  it('is unbiased: the mean over subsets of size k equals the estimate', () => {
    // n = 6 samples, c = 2 correct: average over all C(6,3) subsets of "any correct".
    const correct = [1, 1, 0, 0, 0, 0];
    let hits = 0;
    let total = 0;
    for (let a = 0; a < 6; a++)
      for (let b = a + 1; b < 6; b++)
        for (let d = b + 1; d < 6; d++) {
          total++;
          hits += Number(correct[a]! + correct[b]! + correct[d]! > 0);
        }
    expect(passAtK(6, 2, 3)).toBeCloseTo(hits / total, 14);
  });

  it('validates n, c, k', () => {
    expect(() => passAtK(5, 6, 1)).toThrow(/passAtK.c/);
    expect(() => passAtK(5, 1, 6)).toThrow(/passAtK.k/);
    expect(() => passAtK(0, 0, 1)).toThrow(/passAtK.n/);
    expect(() => passAtK(5, 1.5, 1)).toThrow(/passAtK.c/);
  });
});

describe('evaluate', () => {
  const problems: Problem[] = [
    { prompt: 'a', answer: '1', meta: { difficulty: 1 } },
    { prompt: 'b', answer: '2', meta: { difficulty: 1 } },
    { prompt: 'c', answer: '3', meta: { difficulty: 2 } },
    { prompt: 'd', answer: '4', meta: { difficulty: 2 } },
  ];
  /** Greedy: right on a and c. Sampled (n = 4): a 4/4, b 1/4, c 2/4, d 0/4. */
  const sampled: Record<string, string[]> = {
    a: ['1', '1', '1', '1'],
    b: ['2', 'x', 'x', 'x'],
    c: ['3', '3', 'x', 'x'],
    d: ['x', 'x', 'x', 'x'],
  };
  const calls: { prompts: string[]; n: number; greedy: boolean }[] = [];
  const generate: GenerateFn = async (prompts, o) => {
    calls.push({ prompts, n: o.n, greedy: o.greedy });
    return prompts.map((p) =>
      o.greedy ? [{ a: '1', b: 'no', c: '3', d: 'no' }[p]!] : sampled[p]!.slice(0, o.n),
    );
  };

  it('greedy accuracy and pass@k, overall and per difficulty', async () => {
    const r = await evaluate(generate, problems, { reward: exactMatch, k: [1, 2], n: 4, batchSize: 3 });
    expect(r.count).toBe(4);
    expect(r.accuracy).toBe(0.5);
    const p1 = (1 + 0.25 + 0.5 + 0) / 4;
    const p2 = (1 + passAtK(4, 1, 2) + passAtK(4, 2, 2) + 0) / 4;
    expect(r.passAtK!['1']).toBeCloseTo(p1, 14);
    expect(r.passAtK!['2']).toBeCloseTo(p2, 14);
    expect(r.byDifficulty['1']).toEqual({
      count: 2,
      accuracy: 0.5,
      passAtK: { '1': 0.625, '2': (1 + 0.5) / 2 },
    });
    expect(r.byDifficulty['2']!.accuracy).toBe(0.5);
    expect(r.byDifficulty['2']!.passAtK!['1']).toBeCloseTo(0.25, 14);
    expect(r.rewardErrors).toEqual([]);
    // batches of 3 prompts; greedy asks for 1 completion, sampling for n
    expect(calls.map((c) => [c.prompts.length, c.n, c.greedy])).toEqual([
      [3, 1, true],
      [1, 1, true],
      [3, 4, false],
      [1, 4, false],
    ]);
  });

  it('counts failing rewards as wrong and reports them; works with a task end to end', async () => {
    const r = await evaluate(generate, problems, {
      reward: (s) => (s.prompt === 'c' ? NaN : exactMatch(s)),
      greedy: true,
    });
    expect(r.accuracy).toBe(0.25);
    expect(r.passAtK).toBeUndefined();
    expect(r.rewardErrors).toEqual([expect.objectContaining({ kind: 'nan', problem: 2, pass: 'greedy' })]);

    const task = taskPlugins.addition({ difficulty: 2, minDifficulty: 1 });
    const evalSet = task.evalSet(20);
    const oracle: GenerateFn = async (prompts, o) =>
      prompts.map((p) =>
        Array.from({ length: o.n }, (_, i) =>
          i % 2 ? '0.' : task.demonstration(evalSet.find((q) => q.prompt === p)!),
        ),
      );
    const t = await evaluate(oracle, evalSet, { reward: task.reward, k: 1, n: 2 });
    expect(t.accuracy).toBe(1);
    expect(t.passAtK).toEqual({ '1': 0.5 });
    expect(Object.keys(t.byDifficulty)).toEqual(['1', '2']);
  });

  it('validates options and the generate result', async () => {
    await expect(evaluate(generate, problems, {} as never)).rejects.toThrow(/evaluate.reward/);
    await expect(evaluate(generate, problems, { reward: exactMatch, k: 5, n: 4 })).rejects.toThrow(
      /evaluate.k/,
    );
    await expect(evaluate(generate, problems, { reward: exactMatch, samples: 3 } as never)).rejects.toThrow(
      /evaluate.samples/,
    );
    const bad: GenerateFn = async (prompts) => prompts.map(() => []);
    await expect(evaluate(bad, problems, { reward: exactMatch })).rejects.toThrow(/generate\(\) result/);
  });
});
