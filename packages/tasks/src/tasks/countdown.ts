/**
 * Countdown: reach a target with the given numbers (as TinyZero's countdown task, Pan et al. 2025,
 * github.com/Jiayi-Pan/TinyZero, reward `countdown.py`: every number used exactly once).
 *   prompt  "3,5,7>56="    the numbers (ascending, so a problem has one prompt) and the target
 *   answer  "(3+5)*7."     an expression with + - * and parentheses using each number exactly once,
 *                          whose value is the target, then the stop mark '.'
 *   alphabet "0123456789+-*(),>=."
 * Level d = d + 1 numbers drawn from [1, maxNumber] (maxNumber [9]). Targets are built from a random
 * left-to-right expression over a shuffled order, so a solution always exists (negative targets are
 * redrawn); `problem.answer` is the target and `meta.solution` the generating expression. Any correct
 * expression scores 1, not only the generating one.
 */
import { checkNumber, GrpoLabError, type Problem, type RewardSample } from '@grpo-lab/core';
import { defineTask, type TaskOptions, type VerifiableTask } from './define.js';

export interface CountdownOptions extends TaskOptions {
  /** Numbers are drawn from [1, maxNumber] [9]. */
  maxNumber?: number;
}

/** Parses "3,5,7>56=" into its numbers and target (null when it is not a countdown prompt). */
export function parseCountdownPrompt(prompt: string): { numbers: number[]; target: number } | null {
  const m = /^(\d+(?:,\d+)*)>(\d+)=$/.exec(prompt);
  return m ? { numbers: m[1]!.split(',').map(Number), target: Number(m[2]) } : null;
}

/**
 * Evaluates an expression of non-negative integers, + - * and parentheses (usual precedence, no unary
 * minus, no spaces); returns its value and the numbers it uses, or null when it does not parse.
 */
export function evalExpression(expr: string): { value: number; numbers: number[] } | null {
  let i = 0;
  const numbers: number[] = [];
  const factor = (): number | null => {
    if (expr[i] === '(') {
      i++;
      const v = sum();
      if (v === null || expr[i] !== ')') return null;
      i++;
      return v;
    }
    const m = /^\d+/.exec(expr.slice(i));
    if (!m) return null;
    i += m[0].length;
    numbers.push(Number(m[0]));
    return Number(m[0]);
  };
  const product = (): number | null => {
    let v = factor();
    while (v !== null && expr[i] === '*') {
      i++;
      const r = factor();
      v = r === null ? null : v * r;
    }
    return v;
  };
  const sum = (): number | null => {
    let v = product();
    while (v !== null && (expr[i] === '+' || expr[i] === '-')) {
      const op = expr[i++];
      const r = product();
      v = r === null ? null : op === '+' ? v + r : v - r;
    }
    return v;
  };
  if (expr.length === 0 || expr.length > 256) return null;
  const value = sum();
  return value === null || i !== expr.length ? null : { value, numbers };
}

const sameMultiset = (a: number[], b: number[]) =>
  a.length === b.length && [...a].sort((x, y) => x - y).join() === [...b].sort((x, y) => x - y).join();

/** 1-or-0 check of a countdown answer text against the prompt (independent of meta). */
export function checkCountdown(prompt: string, text: string): boolean {
  const p = parseCountdownPrompt(prompt);
  const e = evalExpression(text);
  return p !== null && e !== null && e.value === p.target && sameMultiset(e.numbers, p.numbers);
}

/** Brute-force solver: an expression using every number once reaching target, or null. */
export function solveCountdown(numbers: number[], target: number): string | null {
  const go = (items: { v: number; s: string }[]): string | null => {
    if (items.length === 1) return items[0]!.v === target ? items[0]!.s : null;
    for (let i = 0; i < items.length; i++)
      for (let j = i + 1; j < items.length; j++) {
        const a = items[i]!;
        const b = items[j]!;
        const rest = items.filter((_, k) => k !== i && k !== j);
        for (const c of [
          { v: a.v + b.v, s: `(${a.s}+${b.s})` },
          { v: a.v - b.v, s: `(${a.s}-${b.s})` },
          { v: b.v - a.v, s: `(${b.s}-${a.s})` },
          { v: a.v * b.v, s: `(${a.s}*${b.s})` },
        ]) {
          const r = go([...rest, c]);
          if (r !== null) return r;
        }
      }
    return null;
  };
  const r = go(numbers.map((v) => ({ v, s: String(v) })));
  return r !== null && r.startsWith('(') && evalExpression(r.slice(1, -1)) ? r.slice(1, -1) : r;
}

export function countdown(options: CountdownOptions = {}): VerifiableTask {
  const { maxNumber: mx, ...base } = options;
  const maxNumber = checkNumber('countdown.maxNumber', mx ?? 9, { min: 1, max: 999, integer: true });
  const width = String(maxNumber).length;
  const task = defineTask(
    {
      name: 'countdown',
      alphabet: '0123456789+-*(),>=.',
      format: /^[\d+\-*()]+\.$/,
      defaultDifficulty: 2,
      maxDifficulty: 4,
      generate(rng, d) {
        for (;;) {
          const numbers = Array.from({ length: d + 1 }, () => 1 + rng.int(maxNumber));
          const order = rng.shuffle([...numbers]);
          let s = String(order[0]);
          let v = order[0]!;
          let prec = 3; // precedence of s's top-level operator: 3 atom, 2 '*', 1 '+'/'-'
          for (const n of order.slice(1)) {
            const op = '+-*'[rng.int(3)]!;
            if (op === '*') {
              s = prec < 2 ? `(${s})*${n}` : `${s}*${n}`;
              v *= n;
              prec = 2;
            } else {
              s = `${s}${op}${n}`;
              v = op === '+' ? v + n : v - n;
              prec = 1;
            }
          }
          if (v < 0) continue;
          const prompt = `${[...numbers].sort((a, b) => a - b).join(',')}>${v}=`;
          return { prompt, answer: String(v), meta: { difficulty: d, numbers, target: v, solution: s } };
        }
      },
      check: (text: string, s: RewardSample) => checkCountdown(s.prompt, text),
      solve(p: Problem): string {
        if (typeof p.meta?.solution === 'string') return p.meta.solution;
        const q = parseCountdownPrompt(p.prompt);
        const s = q && solveCountdown(q.numbers, q.target);
        if (!s) throw new GrpoLabError(`countdown: no solution for "${p.prompt}"`);
        return s;
      },
      maxAnswerLength: (d) => (d + 1) * width + d + 2 * Math.max(0, d - 1),
    },
    base,
    ['maxNumber'],
  );
  return { ...task, options: { ...task.options, maxNumber } };
}
