/**
 * Adam / AdamW (and plain SGD, for probes) with global gradient-norm clipping and a learning-rate schedule.
 *
 *   g ← g · min(1, c / ‖g‖₂)                     (global norm over all variables, c = maxGradNorm)
 *   m ← β₁m + (1−β₁)g,  v ← β₂v + (1−β₂)g²
 *   θ ← θ − lr_t · wd · θ                         (AdamW only: decoupled decay, arXiv 1711.05101)
 *   θ ← θ − lr_t · (m / (1−β₁ᵗ)) / (√(v / (1−β₂ᵗ)) + ε)   (Adam, arXiv 1412.6980; as torch.optim.AdamW)
 *   θ ← θ − lr_t · g                               (sgd)
 *
 * The update is tf.train.adam's, written out so that its whole state (m, v and the step t, with the
 * bias corrections computed from t in float64) round-trips a checkpoint bit for bit: tfjs's own
 * `setWeights` rebuilds β^t with `pow` where training multiplied it step by step, and its learning
 * rate is fixed at construction, so a resumed run would drift from an uninterrupted one.
 */
import * as tf from '@tensorflow/tfjs';
import { safeAddN } from '@grpo-lab/core';
import type { ResolvedConfig } from './config.js';

/** Learning rate at optimizer update `t` (0-based) of `total`. */
export function learningRate(
  t: number,
  total: number,
  lr: number,
  s: { name: 'constant' | 'linear' | 'cosine'; warmupSteps: number; minLrRatio: number },
): number {
  if (s.warmupSteps > 0 && t < s.warmupSteps) return (lr * (t + 1)) / s.warmupSteps;
  if (s.name === 'constant') return lr;
  const span = Math.max(1, total - s.warmupSteps);
  const p = Math.min(1, Math.max(0, (t - s.warmupSteps) / span));
  const floor = lr * s.minLrRatio;
  const f = s.name === 'linear' ? 1 - p : 0.5 * (1 + Math.cos(Math.PI * p));
  return floor + (lr - floor) * f;
}

export interface AdamState {
  step: number;
  slots: Record<string, tf.Tensor>;
}

export interface Adam {
  readonly step: number;
  /** Clips, then applies one update with learning rate `lr`. Returns the global norm before clipping. */
  apply(grads: tf.Tensor[], lr: number): Promise<number>;
  /** m and v per variable, named `<name>.m` / `<name>.v` (views; do not dispose). */
  state(): AdamState;
  /** Restores slots and step (copies the tensors). */
  load(state: AdamState): void;
  dispose(): void;
}

const sgdOnly = (o: ResolvedConfig['optimizer']) => o.name === 'sgd';

export function adam(vars: tf.Variable[], names: string[], o: ResolvedConfig['optimizer']): Adam {
  const zeros = (v: tf.Variable) => {
    const z = tf.zerosLike(v);
    const slot = tf.variable(z, false); // shares z's data; z itself must go
    z.dispose();
    return slot;
  };
  const m = sgdOnly(o) ? [] : vars.map(zeros);
  const s = sgdOnly(o) ? [] : vars.map(zeros);
  let step = 0;
  return {
    get step() {
      return step;
    },
    async apply(grads, lr) {
      const sq = tf.tidy(() => safeAddN(grads.map((g) => tf.sum(tf.square(g))))); // scalar (webgpu addN ≥ 8 is wrong)
      const norm = Math.sqrt((await sq.data())[0]!); // host sync: one per update
      sq.dispose();
      step += 1;
      const scale = o.maxGradNorm > 0 && norm > o.maxGradNorm ? o.maxGradNorm / (norm + 1e-6) : 1;
      const bc1 = 1 - Math.pow(o.beta1, step);
      const bc2 = 1 - Math.pow(o.beta2, step);
      tf.tidy(() => {
        vars.forEach((v, i) => {
          const g = scale === 1 ? grads[i]! : tf.mul(grads[i]!, scale);
          if (o.name === 'sgd') {
            v.assign(tf.sub(v, tf.mul(g, lr)));
            return;
          }
          const mi = tf.add(tf.mul(m[i]!, o.beta1), tf.mul(g, 1 - o.beta1));
          const si = tf.add(tf.mul(s[i]!, o.beta2), tf.mul(tf.square(g), 1 - o.beta2));
          m[i]!.assign(mi);
          s[i]!.assign(si);
          let w: tf.Tensor = v;
          if (o.name === 'adamw' && o.weightDecay > 0) w = tf.mul(w, 1 - lr * o.weightDecay);
          const upd = tf.div(tf.div(mi, bc1), tf.add(tf.sqrt(tf.div(si, bc2)), o.eps));
          v.assign(tf.sub(w, tf.mul(upd, lr)));
        });
      });
      return norm;
    },
    state() {
      const slots: Record<string, tf.Tensor> = {};
      if (m.length > 0)
        names.forEach((n, i) => {
          slots[`${n}.m`] = m[i]!;
          slots[`${n}.v`] = s[i]!;
        });
      return { step, slots };
    },
    load(st) {
      if (m.length > 0)
        names.forEach((n, i) => {
          const a = st.slots[`${n}.m`];
          const b = st.slots[`${n}.v`];
          if (!a || !b) throw new Error(`optimizer state: missing slots for "${n}"`);
          m[i]!.assign(a);
          s[i]!.assign(b);
        });
      step = st.step;
    },
    dispose() {
      m.forEach((x) => x.dispose());
      s.forEach((x) => x.dispose());
    },
  };
}
