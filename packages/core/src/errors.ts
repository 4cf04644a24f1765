/**
 * Errors that name what is wrong. Every validation failure in grpo-lab says which field, which
 * shape or values it expected, and what it got, so a bad batch never turns into a NaN that travels.
 */
export class GrpoLabError extends Error {
  override name = 'GrpoLabError';
}

/** A batch field (or plugin option) that does not satisfy the contract. */
export class ValidationError extends GrpoLabError {
  override name = 'ValidationError';
  constructor(
    readonly field: string,
    readonly expected: string,
    readonly got: string,
  ) {
    super(`${field}: expected ${expected}, got ${got}`);
  }
}

/** Formats a shape as `[20, 6]`. */
export function fmtShape(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}
