/**
 * Unbiased pass@k from n samples of which c are correct (Chen et al., "Evaluating Large Language
 * Models Trained on Code", arXiv 2107.03374, §2.1 and its numpy reference):
 *   pass@k = 1 − C(n − c, k) / C(n, k) = 1 − Π_{i = n−c+1}^{n} (1 − k / i)
 * The product form never forms a binomial coefficient, so it is exact enough for any n (C(200, 100)
 * overflows nothing). 1 when n − c < k (every k-subset holds a correct sample).
 */
import { checkNumber, ValidationError } from '@grpo-lab/core';

export function passAtK(n: number, c: number, k: number): number {
  checkNumber('passAtK.n', n, { min: 1, integer: true });
  checkNumber('passAtK.c', c, { min: 0, max: n, integer: true });
  checkNumber('passAtK.k', k, { min: 1, integer: true });
  if (k > n) throw new ValidationError('passAtK.k', `an integer in [1, n = ${n}]`, String(k));
  if (n - c < k) return 1;
  if (k === 1) return c / n; // the same value, without rounding
  let prod = 1;
  for (let i = n - c + 1; i <= n; i++) prod *= 1 - k / i;
  return 1 - prod;
}
