/** Every task generator: determinism by seed, answers verified by an independent check, the split. */
import { describe, expect, it } from 'vitest';
import { createRng, type Problem } from '@grpo-lab/core';
import {
  checkCountdown,
  evalExpression,
  isEvalPrompt,
  solveCountdown,
  taskPlugins,
  type VerifiableTask,
} from '@grpo-lab/tasks';

/** Independent answer checks: parse the prompt and recompute with BigInt / plain loops. */
const big = (s: string) => BigInt(s);
const mod = (v: bigint, m: bigint) => ((v % m) + m) % m;
const independent: Record<string, (p: Problem) => string> = {
  addition: (p) => {
    const [, a, b] = /^(\d+)\+(\d+)=$/.exec(p.prompt)!;
    return String(big(a!) + big(b!));
  },
  multiplication: (p) => {
    const [, a, b] = /^(\d+)\*(\d+)=$/.exec(p.prompt)!;
    return String(big(a!) * big(b!));
  },
  modular: (p) => {
    const [, a, op, b, m] = /^(\d+)([-+*])(\d+)%(\d+)=$/.exec(p.prompt)!;
    const v = op === '+' ? big(a!) + big(b!) : op === '-' ? big(a!) - big(b!) : big(a!) * big(b!);
    return String(mod(v, big(m!)));
  },
  sorting: (p) => {
    const counts = new Array(10).fill(0);
    for (const ch of /^s(\d+)=$/.exec(p.prompt)![1]!) counts[Number(ch)]++;
    return counts.map((c, d) => String(d).repeat(c)).join('');
  },
  reversal: (p) => {
    const s = /^r(\d+)=$/.exec(p.prompt)![1]!;
    let out = '';
    for (let i = s.length - 1; i >= 0; i--) out += s[i];
    return out;
  },
  countdown: (p) => /^[\d,]+>(\d+)=$/.exec(p.prompt)![1]!,
};

/** Countdown: the demonstration evaluated by JavaScript itself, numbers used exactly once. */
function checkCountdownDemo(p: Problem, demo: string): void {
  const expr = demo.slice(0, -1);
  expect(expr).toMatch(/^[\d+\-*()]+$/);
  expect(Function(`return (${expr})`)()).toBe(Number(independent.countdown!(p)));
  const used = (expr.match(/\d+/g) ?? []).map(Number).sort((a, b) => a - b);
  expect(used.join(',')).toBe(/^([\d,]+)>/.exec(p.prompt)![1]);
}

const names = Object.keys(taskPlugins) as (keyof typeof taskPlugins)[];

describe.each(names)('%s', (name) => {
  const make = (o: object = {}): VerifiableTask => (taskPlugins[name] as (o: object) => VerifiableTask)(o);
  const task = make({ difficulty: 3, minDifficulty: 1 });

  it('is deterministic by seed (training draws and eval set)', () => {
    const draw = (t: VerifiableTask, seed: number) => {
      const rng = createRng(seed);
      return Array.from({ length: 50 }, () => t.sample(rng));
    };
    expect(draw(task, 7)).toEqual(draw(make({ difficulty: 3, minDifficulty: 1 }), 7));
    expect(draw(task, 7)).not.toEqual(draw(task, 8));
    expect(task.evalSet(30)).toEqual(make({ difficulty: 3, minDifficulty: 1 }).evalSet(30));
    expect(task.evalSet(30)).not.toEqual(make({ difficulty: 3, minDifficulty: 1, seed: 1 }).evalSet(30));
    expect(task.evalSet(30).slice(0, 10)).toEqual(task.evalSet(10)); // prefix-stable
  });

  it('answers agree with an independent check; demonstrations score 1; formats and alphabet hold', async () => {
    const rng = createRng(3);
    const problems = [...Array.from({ length: 200 }, () => task.sample(rng)), ...task.evalSet(60)];
    const bad: string[] = [];
    for (const p of problems) {
      const demo = task.demonstration(p);
      const r = async (completion: string) => task.reward({ ...p, completion });
      if (p.answer !== independent[name]!(p)) bad.push(`answer ${p.prompt}${p.answer}`);
      if (name !== 'countdown' && demo !== `${p.answer}.`) bad.push(`demo ${p.prompt}${demo}`);
      if (!task.format.test(demo) || demo.length > task.maxCompletionLength) bad.push(`format ${demo}`);
      if ([...(p.prompt + demo)].some((ch) => !task.alphabet.includes(ch)))
        bad.push(`alphabet ${p.prompt}${demo}`);
      if ((await r(demo)) !== 1 || (await r(demo + '99+(')) !== 1)
        bad.push(`reward(demo) ${p.prompt}${demo}`);
      // never stopped / wrong / empty
      if ((await r(demo.slice(0, -1))) !== 0 || (await r(`9${demo}`)) !== 0 || (await r('')) !== 0)
        bad.push(`reward ${demo}`);
    }
    expect(bad).toEqual([]);
    if (name === 'countdown')
      for (const p of problems.slice(0, 40)) checkCountdownDemo(p, task.demonstration(p));
  });

  it('draws every level in [minDifficulty, difficulty] and the eval set is round-robin over levels', () => {
    const rng = createRng(5);
    const seen = new Set(Array.from({ length: 200 }, () => task.sample(rng).meta!.difficulty));
    expect([...seen].sort()).toEqual([1, 2, 3]);
    expect(task.levels).toEqual([1, 2, 3]);
    expect(task.evalSet(6).map((p) => p.meta!.difficulty)).toEqual([1, 2, 3, 1, 2, 3]);
    const longer = (d: number) =>
      Math.max(...Array.from({ length: 50 }, () => make({ difficulty: d }).sample(rng).prompt.length));
    expect(longer(3)).toBeGreaterThan(longer(1)); // the knob makes problems bigger
  });

  it('never trains on an eval problem (many draws, two seeds)', () => {
    const t = make({ difficulty: 2 });
    const evalPrompts = new Set(t.evalSet(300).map((p) => p.prompt));
    expect(evalPrompts.size).toBe(t.evalSet(300).length); // distinct
    expect([...evalPrompts].every(isEvalPrompt)).toBe(true);
    for (const seed of [0, 1]) {
      const rng = createRng(seed);
      const leaked: string[] = [];
      for (let i = 0; i < 5000; i++) {
        const p = t.sample(rng).prompt;
        if (isEvalPrompt(p) || evalPrompts.has(p)) leaked.push(p);
      }
      expect(leaked).toEqual([]);
    }
  });

  it('validates its options, naming them', () => {
    expect(() => make({ difficulty: 0 })).toThrow(/difficulty/);
    expect(() => make({ difficulty: 2.5 })).toThrow(/difficulty: expected an integer/);
    expect(() => make({ difficulty: 2, minDifficulty: 3 })).toThrow(/minDifficulty/);
    expect(() => make({ difficulty: 99 })).toThrow(/difficulty/);
    expect(() => make({ dificulty: 2 })).toThrow(/dificulty.*"difficulty"/);
    expect(() => make({ seed: -1 })).toThrow(/seed/);
    expect(make({ evalSize: 5 }).evalSet()).toHaveLength(5);
  });
});

describe('small problem spaces', () => {
  it('1-digit addition: the eval set is exactly the eval part of all 100 problems, no repeats', () => {
    const all = [];
    for (let a = 0; a < 10; a++) for (let b = 0; b < 10; b++) all.push(`${a}+${b}=`);
    const expected = all.filter(isEvalPrompt).sort();
    expect(expected.length).toBeGreaterThan(3);
    const got = taskPlugins
      .addition({ difficulty: 1 })
      .evalSet(200)
      .map((p) => p.prompt);
    expect([...got].sort()).toEqual(expected);
  });
});

describe('the hash split', () => {
  it('holds out about 1/10 of prompts, independently of the answer parity', () => {
    let total = 0;
    const evalBy = [0, 0];
    const countBy = [0, 0];
    for (let a = 0; a < 100; a++)
      for (let b = 0; b < 100; b++) {
        const e = isEvalPrompt(`${a}+${b}=`);
        total += Number(e);
        countBy[(a + b) % 2]!++;
        evalBy[(a + b) % 2]! += Number(e);
      }
    expect(total / 1e4).toBeGreaterThan(0.09);
    expect(total / 1e4).toBeLessThan(0.11);
    expect(Math.abs(evalBy[0]! / countBy[0]! - evalBy[1]! / countBy[1]!)).toBeLessThan(0.02);
  });
});

describe('task-specific options', () => {
  it('addition/multiplication reverse the answer digits', () => {
    for (const name of ['addition', 'multiplication'] as const) {
      const t = taskPlugins[name]({ difficulty: 3, reverse: true });
      const rng = createRng(1);
      for (let i = 0; i < 100; i++) {
        const p = t.sample(rng);
        expect([...p.answer].reverse().join('')).toBe(independent[name]!(p));
      }
      expect(() => taskPlugins[name]({ reverse: 'yes' as never })).toThrow(/reverse/);
    }
  });

  it('modular draws only the asked operators; countdown honours maxNumber', () => {
    const t = taskPlugins.modular({ ops: ['*'] });
    const rng = createRng(2);
    for (let i = 0; i < 100; i++) expect(t.sample(rng).prompt).toMatch(/^\d+\*\d+%\d+=$/);
    expect(() => taskPlugins.modular({ ops: ['/' as never] })).toThrow(/modular.ops/);
    const c = taskPlugins.countdown({ maxNumber: 3, difficulty: 4 });
    for (let i = 0; i < 100; i++)
      for (const n of /^([\d,]+)>/.exec(c.sample(rng).prompt)![1]!.split(','))
        expect(Number(n)).toBeLessThanOrEqual(3);
  });
});

describe('countdown checking', () => {
  it('accepts any correct expression, rejects reuse, missing numbers and malformed text', () => {
    const prompt = '3,5,7>56=';
    expect(checkCountdown(prompt, '(3+5)*7')).toBe(true);
    expect(checkCountdown(prompt, '7*(5+3)')).toBe(true);
    expect(checkCountdown(prompt, '(5+3)*7')).toBe(true);
    expect(checkCountdown(prompt, '8*7')).toBe(false); // 8 is not given
    expect(checkCountdown(prompt, '(3+5)*7+0')).toBe(false); // extra number
    expect(checkCountdown(prompt, '(3+5)*7*1')).toBe(false);
    expect(checkCountdown(prompt, '(3+5*7')).toBe(false); // unbalanced
    expect(checkCountdown(prompt, '(3+5)7')).toBe(false);
    expect(checkCountdown(prompt, '3+5*7')).toBe(false); // 38
    expect(checkCountdown(prompt, '-3+5*7')).toBe(false); // no unary minus
    expect(checkCountdown('3,3>6=', '3+3')).toBe(true);
    expect(checkCountdown('3,3>6=', '3*2')).toBe(false);
    expect(checkCountdown('not a prompt', '3+3')).toBe(false);
    expect(evalExpression('2+3*4-(1+1)')).toEqual({ value: 12, numbers: [2, 3, 4, 1, 1] });
  });

  it('the brute-force solver solves every generated problem and its solutions check out', () => {
    const t = taskPlugins.countdown({ difficulty: 3 });
    const rng = createRng(11);
    const bad: string[] = [];
    for (let i = 0; i < 60; i++) {
      const p = t.sample(rng);
      const { n: numbers, t: target } = /^(?<n>[\d,]+)>(?<t>\d+)=$/.exec(p.prompt)!.groups as {
        n: string;
        t: string;
      };
      const s = solveCountdown(numbers.split(',').map(Number), Number(target));
      if (s === null || !checkCountdown(p.prompt, s)) bad.push(`${p.prompt} ${s}`);
      // without meta, the demonstration falls back to the solver
      if (!checkCountdown(p.prompt, t.demonstration({ prompt: p.prompt, answer: p.answer }).slice(0, -1)))
        bad.push(p.prompt);
    }
    expect(bad).toEqual([]);
    expect(solveCountdown([2, 2], 7)).toBeNull();
  });
});
