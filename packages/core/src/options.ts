/** Option checks shared by every factory: each names the option and the allowed values. */
import { ValidationError } from './errors.js';

export function checkNumber(
  field: string,
  v: unknown,
  { min = -Infinity, max = Infinity, integer = false, exclusiveMin = false } = {},
): number {
  const range = `${integer ? 'an integer' : 'a number'} in ${exclusiveMin ? '(' : '['}${min}, ${max}]`;
  if (typeof v !== 'number' || !Number.isFinite(v) || (integer && !Number.isInteger(v)))
    throw new ValidationError(field, range, JSON.stringify(v));
  if (v < min || v > max || (exclusiveMin && v === min)) throw new ValidationError(field, range, String(v));
  return v;
}

/** A boolean option: `dflt` when it is undefined and a default is given, else exactly true or false. */
export function checkBoolean(field: string, v: unknown, dflt?: boolean): boolean {
  if (v === undefined && dflt !== undefined) return dflt;
  if (typeof v !== 'boolean') throw new ValidationError(field, 'true or false', JSON.stringify(v));
  return v;
}

export function checkOneOf<T extends string>(field: string, v: unknown, allowed: readonly T[]): T {
  if (typeof v !== 'string' || !(allowed as readonly string[]).includes(v))
    throw new ValidationError(field, `one of ${allowed.map((a) => `"${a}"`).join(', ')}`, JSON.stringify(v));
  return v as T;
}

/** Rejects option keys the factory does not know (a typo never silently becomes a default). */
export function checkKeys(plugin: string, options: object, known: readonly string[]): void {
  for (const k of Object.keys(options)) {
    if (!known.includes(k))
      throw new ValidationError(
        `${plugin}.${k}`,
        `one of the options ${known.map((n) => `"${n}"`).join(', ')}`,
        'an unknown option',
      );
  }
}
