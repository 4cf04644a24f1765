/** What both policy families (the small transformer and Llama/Qwen2) do with their named weights. */
import type * as tf from '@tensorflow/tfjs';
import { fmtShape, GrpoLabError, ValidationError } from '@grpo-lab/core';

/**
 * `copyFrom`: assigns every weight of `other` to the variable of the same name, after checking that
 * `other` is a model of `kind` with exactly these names and shapes (nothing is assigned otherwise).
 */
export function copyNamedWeights(
  kind: string,
  named: Record<string, tf.Variable>,
  other: { namedWeights?: () => Record<string, tf.Tensor> },
): void {
  const src = other.namedWeights?.();
  if (!src)
    throw new GrpoLabError(`${kind}.copyFrom: the other model has no namedWeights() (not a ${kind} model)`);
  const extra = Object.keys(src).find((k) => !(k in named));
  if (extra)
    throw new ValidationError(
      `copyFrom.${extra}`,
      'the same architecture (no weight of that name here)',
      'an extra weight',
    );
  for (const [name, v] of Object.entries(named)) {
    const s = src[name];
    if (!s || s.shape.join() !== v.shape.join())
      throw new ValidationError(
        `copyFrom.${name}`,
        `a weight ${fmtShape(v.shape)}`,
        s ? fmtShape(s.shape) : 'nothing',
      );
  }
  for (const [name, v] of Object.entries(named)) v.assign(src[name]!);
}
