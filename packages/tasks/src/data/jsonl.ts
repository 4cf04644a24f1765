/**
 * Streaming JSONL: one JSON object per line, read line by line (node:readline over a file stream), so
 * a file larger than memory can be scanned; breaking out of the `for await` closes the file.
 * Blank lines are skipped. A line that is not valid JSON, not an object, or lacks a mapped field
 * raises a DatasetError naming the file and the 1-based line number.
 *
 *   for await (const r of readJsonl('math.jsonl', { map: { question: 'problem', answer: 'solution' } }))
 *     r.question; // = the record's "problem"
 *
 * `map` is target ← source: the output record has every original field plus each target field set
 * to the value of its source field.
 */
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { GrpoLabError } from '@grpo-lab/core';

export class DatasetError extends GrpoLabError {
  override name = 'DatasetError';
  constructor(
    readonly file: string,
    readonly line: number,
    readonly reason: string,
  ) {
    super(`${file}:${line}: ${reason}`);
  }
}

export interface ReadJsonlOptions {
  /** Target field ← source field, e.g. `{ question: 'problem', answer: 'solution' }`. */
  map?: Readonly<Record<string, string>>;
}

export type JsonRecord = Record<string, unknown>;

/** Streams the records of a JSONL file; `line` is the 1-based line number of each record. */
export async function* readJsonlLines(
  path: string,
  options: ReadJsonlOptions = {},
): AsyncGenerator<{ record: JsonRecord; line: number }> {
  const map = Object.entries(options.map ?? {});
  const stream = createReadStream(path, { encoding: 'utf8' });
  const lines = createInterface({ input: stream, crlfDelay: Infinity });
  let line = 0;
  try {
    for await (const text of lines) {
      line++;
      if (text.trim() === '') continue;
      let v: unknown;
      try {
        v = JSON.parse(text);
      } catch (e) {
        throw new DatasetError(path, line, `malformed JSON (${e instanceof Error ? e.message : String(e)})`);
      }
      if (v === null || typeof v !== 'object' || Array.isArray(v))
        throw new DatasetError(
          path,
          line,
          `expected a JSON object, got ${v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v}`,
        );
      const record = { ...(v as JsonRecord) };
      for (const [target, source] of map) {
        if (!(source in record))
          throw new DatasetError(path, line, `missing field "${source}" (mapped to "${target}")`);
        record[target] = record[source];
      }
      yield { record, line };
    }
  } finally {
    lines.close();
    stream.destroy();
  }
}

/** Streams the records of a JSONL file (see `readJsonlLines` for line numbers). */
export async function* readJsonl(path: string, options: ReadJsonlOptions = {}): AsyncGenerator<JsonRecord> {
  for await (const { record } of readJsonlLines(path, options)) yield record;
}

/** Collects up to `limit` items of an async iterable into an array. */
export async function collect<T>(items: AsyncIterable<T>, limit = Infinity): Promise<T[]> {
  const out: T[] = [];
  if (limit <= 0) return out;
  for await (const x of items) {
    out.push(x);
    if (out.length >= limit) break;
  }
  return out;
}
