/**
 * Problems from JSONL datasets, in three conventions:
 * - 'plain':  `{ "question": …, "answer": … }` (strings or numbers), used as is;
 * - 'gsm8k':  `{ "question": …, "answer": "<reasoning> #### 42" }` (Cobbe et al. 2021, arXiv
 *   2110.14168): the answer is the text after the last `####`, commas removed; the full solution
 *   is kept in `meta.solution`;
 * - 'math':   `{ "problem": …, "solution": "… \boxed{\frac{1}{2}} …", "level": "Level 3", "type": … }`
 *   (Hendrycks et al. 2021, arXiv 2103.03874): the answer is the last `\boxed{…}` of the solution;
 *   `meta.difficulty` is the level's number, `meta.type` the subject.
 * `map` renames fields first (target ← source, as `readJsonl`), so any dataset whose fields differ
 * can be read: `readProblems(path, { format: 'math', map: { problem: 'question', solution: 'output' } })`.
 * A record without an extractable answer raises a DatasetError with file and line.
 */
import { checkOneOf, type Problem } from '@grpo-lab/core';
import { extractBoxed, extractGsm8k } from '../rewards/extract.js';
import { DatasetError, readJsonlLines, type JsonRecord, type ReadJsonlOptions } from './jsonl.js';

export type DatasetFormat = 'plain' | 'gsm8k' | 'math';

export interface ReadProblemsOptions extends ReadJsonlOptions {
  /** The dataset's convention ['plain']. */
  format?: DatasetFormat;
}

function text(path: string, line: number, r: JsonRecord, field: string): string {
  const v = r[field];
  if (typeof v === 'string') return v;
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  throw new DatasetError(
    path,
    line,
    `field "${field}" must be a string or a number, got ${v === undefined ? 'nothing' : JSON.stringify(v)}`,
  );
}

function toProblem(path: string, line: number, r: JsonRecord, format: DatasetFormat): Problem {
  if (format === 'plain')
    return { prompt: text(path, line, r, 'question'), answer: text(path, line, r, 'answer').trim() };
  if (format === 'gsm8k') {
    const solution = text(path, line, r, 'answer');
    const answer = extractGsm8k(solution);
    if (answer === null) throw new DatasetError(path, line, 'GSM8K answer has no "#### <answer>"');
    return { prompt: text(path, line, r, 'question'), answer: answer.replace(/,/g, ''), meta: { solution } };
  }
  const solution = text(path, line, r, 'solution');
  const answer = extractBoxed(solution);
  if (answer === null || answer.trim() === '')
    throw new DatasetError(path, line, 'MATH solution has no complete \\boxed{…}');
  const meta: Record<string, unknown> = { solution };
  const level = typeof r.level === 'string' ? /(\d+)/.exec(r.level) : null;
  if (level) meta.difficulty = Number(level[1]);
  else if (typeof r.level === 'number') meta.difficulty = r.level;
  if (typeof r.type === 'string') meta.type = r.type;
  return { prompt: text(path, line, r, 'problem'), answer: answer.trim(), meta };
}

/** Streams the problems of a JSONL dataset. */
export async function* readProblems(
  path: string,
  options: ReadProblemsOptions = {},
): AsyncGenerator<Problem> {
  const format = checkOneOf('readProblems.format', options.format ?? 'plain', [
    'plain',
    'gsm8k',
    'math',
  ] as const);
  for await (const { record, line } of readJsonlLines(path, options.map ? { map: options.map } : {}))
    yield toProblem(path, line, record, format);
}

/** GSM8K convention (`{ question, answer: "… #### 42" }`). */
export const readGsm8k = (path: string, options: ReadJsonlOptions = {}) =>
  readProblems(path, { ...options, format: 'gsm8k' });

/** MATH convention (`{ problem, solution: "… \boxed{…}", level, type }`). */
export const readMath = (path: string, options: ReadJsonlOptions = {}) =>
  readProblems(path, { ...options, format: 'math' });
