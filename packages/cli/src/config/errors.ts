/** A config that does not validate: every problem, each naming its key path. */
import type { z } from 'zod';

export class ConfigError extends Error {
  override name = 'ConfigError';
  constructor(
    readonly problems: string[],
    readonly file?: string,
  ) {
    super(`${file ? `${file}: ` : ''}invalid config\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

export function keyPath(path: readonly PropertyKey[], prefix = ''): string {
  let out = prefix;
  for (const k of path) {
    if (typeof k === 'number') out += `[${k}]`;
    else out += out === '' ? String(k) : `.${String(k)}`;
  }
  return out || '(top level)';
}

/** One line per zod issue: `key.path: message (allowed values …)`. */
export function formatIssues(issues: readonly z.core.$ZodIssue[], prefix = ''): string[] {
  return issues.map((iss) => {
    const at = keyPath(iss.path, prefix);
    if (iss.code === 'invalid_value')
      return `${at}: expected one of ${iss.values.map((v) => JSON.stringify(v)).join(', ')}`;
    if (iss.code === 'invalid_key')
      return `${at}: invalid name: ${iss.issues.map((i) => i.message).join('; ')}`;
    if (iss.code === 'invalid_union' && iss.message === 'Invalid input') return `${at}: invalid value`;
    return `${at}: ${iss.message}`;
  });
}
