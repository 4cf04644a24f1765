/**
 * Answer extraction shared by the reward functions and the dataset loaders:
 * - `cutAtStop`: the completion up to its first stop mark (null when it never stopped);
 * - `extractBoxed`: the content of the last `\boxed{…}` (nested braces; also `\boxed 5` and
 *   `\fbox{…}`), the MATH convention (Hendrycks et al. 2021, arXiv 2103.03874; as `last_boxed_only_string`
 *   in its reference code and verl `reward_score/math.py`);
 * - `extractGsm8k`: the text after the last `####`, the GSM8K convention (Cobbe et al. 2021,
 *   arXiv 2110.14168; as verl `reward_score/gsm8k.py`, strict method);
 * - `parseNumber` / `lastNumber`: numbers written as `-1,234.5`, `3e-2`, `$12`, `3/4`, `50%`.
 */

/** The text before the first `stop` (null when `stop` does not occur). */
export function cutAtStop(completion: string, stop: string): string | null {
  const i = completion.indexOf(stop);
  return i < 0 ? null : completion.slice(0, i);
}

/** The content of the last `\boxed{…}` / `\fbox{…}` / `\boxed x` in `text`, or null. */
export function extractBoxed(text: string): string | null {
  const i = Math.max(text.lastIndexOf('\\boxed'), text.lastIndexOf('\\fbox'));
  if (i < 0) return null;
  let j = i + (text.startsWith('\\boxed', i) ? 6 : 5);
  if (text[j] === ' ') {
    // `\boxed 5`: up to the next space or `$`.
    const m = /^ +([^\s$]+)/.exec(text.slice(j));
    return m ? m[1]! : null;
  }
  while (text[j] === ' ') j++;
  if (text[j] !== '{') return null;
  let depth = 0;
  for (let k = j; k < text.length; k++) {
    if (text[k] === '{') depth++;
    else if (text[k] === '}' && --depth === 0) return text.slice(j + 1, k);
  }
  return null; // unbalanced braces
}

/** The trimmed text after the last `####` (up to the end of that line), or null. */
export function extractGsm8k(text: string): string | null {
  const i = text.lastIndexOf('####');
  if (i < 0) return null;
  const rest = text
    .slice(i + 4)
    .split('\n')[0]!
    .trim();
  return rest === '' ? null : rest;
}

const NUM = String.raw`[-+]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?:[eE][-+]?\d+)?|[-+]?\.\d+(?:[eE][-+]?\d+)?`;
const NUM_RE = new RegExp(`^(?:${NUM})$`);
const NUMS_RE = new RegExp(`(?:${NUM})(?:\\s*/\\s*(?:${NUM}))?`, 'g');

/**
 * Parses a number written the way answers are: surrounding `$`, spaces and a trailing `.` are ignored,
 * thousands commas are removed, `a/b` is a fraction, a trailing `%` is kept as the number (50% → 50).
 * Returns null when `text` is not a number.
 */
export function parseNumber(text: string): number | null {
  let t = text
    .trim()
    .replace(/^\$+|\$+$/g, '')
    .trim();
  t = t.replace(/\.$/, '').replace(/%$/, '').replace(/^\\\$/, '').trim();
  const frac = /^(.+?)\s*\/\s*(.+)$/.exec(t);
  if (frac) {
    const a = parseNumber(frac[1]!);
    const b = parseNumber(frac[2]!);
    return a === null || b === null || b === 0 ? null : a / b;
  }
  if (!NUM_RE.test(t)) return null;
  const v = Number(t.replace(/,/g, ''));
  return Number.isFinite(v) ? v : null;
}

/** The last number (or `a/b` fraction) written in `text`, or null. */
export function lastNumber(text: string): number | null {
  const all = text.match(NUMS_RE);
  return all ? parseNumber(all[all.length - 1]!) : null;
}
