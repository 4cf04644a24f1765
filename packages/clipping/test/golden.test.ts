/** Every backend: the clipping policies reproduce golden/verl.json and golden/ngrpo.json. */
import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { maskedMean, readMetrics, type PolicyLoss } from '@grpo-lab/core';
import { TEST_BACKENDS, expectCloseTo, loadGolden, read, useBackend } from '../../../testing/index.js';
import { asymmetric, cispo, dualClip, gspo, importanceRatio, ppoClip, sapo } from '../src/index.js';
import { ngrpoCase, verlCase } from './helpers.js';

const verl = loadGolden('verl.json');
const ngrpo = loadGolden('ngrpo.json');

/** Σ l·m / Σ m and Σ_i (Σ_t l·m / n_i) / B′, inline (the real aggregators live in @grpo-lab/objectives). */
const tokenMean = (l: tf.Tensor, m: tf.Tensor) => tf.div(tf.sum(tf.mul(l, m)), tf.sum(m)) as tf.Scalar;
const seqMeanTokenMean = (l: tf.Tensor, m: tf.Tensor) =>
  tf.tidy(() => {
    const rows = maskedMean(l, m, 1);
    const nonEmpty = tf.sum(tf.cast(tf.greater(tf.sum(m, 1), 0), 'float32'));
    return tf.div(tf.sum(rows), nonEmpty) as tf.Scalar;
  });

/** Counts of each clipping region from the ratio (brute force over valid tokens). */
function regions(ratio: number[], adv: number[], mask: number[], low: number, high: number, c?: number) {
  const n: Record<string, number> = {};
  const add = (k: string) => (n[k] = (n[k] ?? 0) + 1);
  ratio.forEach((r, k) => {
    if (!mask[k]) return;
    const A = adv[k]!;
    if (A === 0) add('zero_advantage');
    else if (A > 0)
      add(
        r > 1 + high
          ? 'pos_adv_clipped_high'
          : r < 1 - low
            ? 'pos_adv_below_low_unclipped'
            : 'inside_trust_region',
      );
    else if (r < 1 - low) add('neg_adv_clipped_low');
    else if (c !== undefined && r > c) add('neg_adv_dual_clipped');
    else if (r > 1 + high)
      add(c !== undefined ? 'neg_adv_between_1+eh_and_c' : 'neg_adv_above_high_unclipped');
    else add('inside_trust_region');
  });
  return n;
}

describe.each(TEST_BACKENDS)('golden clipping on %s', (backend) => {
  it('verl vanilla (dual clip c=3, 0.2/0.28): ratio, pg_losses, metrics, regions, token-mean gradient', async () => {
    await useBackend(backend);
    for (const c of verl.cases) {
      const g = c.outputs.policy_loss;
      const x = verlCase(c);
      const plugin = dualClip({ c: 3, low: 0.2, high: 0.28 });
      const { loss, metrics } = plugin.perToken(x);
      const ratio = importanceRatio(x.logp, x.oldLogp).ratio;
      expectCloseTo(await read(ratio), g.ratio, 1e-5, `${c.inputs.name} ratio`);
      expectCloseTo(await read(loss), g.pg_losses, 1e-5, `${c.inputs.name} pg_losses`);
      const m = await readMetrics(metrics);
      expectCloseTo(m.pg_clipfrac!, g.metrics.pg_clipfrac, 1e-5, 'pg_clipfrac');
      expectCloseTo(m.approx_kl!, g.metrics.ppo_kl, 1e-5, 'ppo_kl');
      expectCloseTo(m.dual_clip_frac!, g.metrics.pg_clipfrac_lower, 1e-5, 'pg_clipfrac_lower');
      const N = g.aggregation_intermediates.num_valid_tokens;
      const counts = g.token_region_counts;
      expect(Math.round(m.clip_frac_upper! * N)).toBe(counts.pos_adv_clipped_high);
      expect(Math.round(m.clip_frac_lower! * N)).toBe(counts.neg_adv_clipped_low);
      expect(Math.round(m.dual_clip_frac! * N)).toBe(counts.neg_adv_dual_clipped);
      const r = regions(await read(ratio), await read(x.advantages), await read(x.mask), 0.2, 0.28, 3);
      for (const [k, v] of Object.entries(counts)) expect(r[k] ?? 0, k).toBe(v);
      const grad = tf.grad((lp) =>
        tokenMean(plugin.perToken({ ...x, logp: lp as tf.Tensor2D }).loss, x.mask),
      )(x.logp);
      expectCloseTo(await read(grad), g.agg_loss['token-mean'].grad_wrt_log_prob, 1e-5, 'grad');
      tf.dispose([loss, ratio, grad]);
      x.dispose();
    }
  });

  it('ngrpo asymmetric (0.16/0.24): ratio, per-token loss, token-mean loss, gradient, pg_clipfrac, regions', async () => {
    await useBackend(backend);
    for (const c of ngrpo.loss_cases) {
      const x = ngrpoCase(c);
      const o = c.outputs;
      const plugin = asymmetric();
      const ratio = importanceRatio(x.logp, x.oldLogp).ratio;
      expectCloseTo(await read(ratio), o.ratio, 1e-5, `${c.name} ratio`);
      const { loss, metrics } = plugin.perToken(x);
      expectCloseTo(await read(loss), o.per_token_loss, 1e-5, `${c.name} per_token_loss`);
      const total = tokenMean(loss, x.mask);
      expectCloseTo(await read(total), o.token_mean_loss, 1e-5, `${c.name} token_mean_loss`);
      const m = await readMetrics(metrics);
      expectCloseTo(m.pg_clipfrac!, o.pg_clipfrac, 1e-5, 'pg_clipfrac');
      expect(m.dual_clip_frac).toBe(0);
      const r = regions(await read(ratio), await read(x.advantages), await read(x.mask), 0.16, 0.24);
      for (const [k, v] of Object.entries(o.token_region_counts)) expect(r[k] ?? 0, k).toBe(v);
      const grad = tf.grad((lp) =>
        tokenMean(plugin.perToken({ ...x, logp: lp as tf.Tensor2D }).loss, x.mask),
      )(x.logp);
      expectCloseTo(await read(grad), o.grad_wrt_log_prob, 1e-5, `${c.name} grad`);
      tf.dispose([ratio, loss, total, grad, ...Object.values(x)]);
    }
  });

  it('extras: gspo, cispo, sapo per-token losses and aggregated losses', async () => {
    await useBackend(backend);
    const cases: [string, PolicyLoss, (l: tf.Tensor, m: tf.Tensor) => tf.Scalar][] = [
      ['gspo', gspo({ low: 0.2, high: 0.28 }), seqMeanTokenMean],
      ['cispo', cispo({ low: 0.2, high: 0.28 }), tokenMean],
      ['sapo', sapo(), seqMeanTokenMean],
    ];
    for (const c of verl.cases) {
      const x = verlCase(c);
      for (const [name, plugin, agg] of cases) {
        const e = c.outputs.extras[name];
        expect(plugin.preferredAggregation ?? 'token-mean').toBe(e.aggregation);
        const { loss, metrics } = plugin.perToken(x);
        expectCloseTo(await read(loss), e.per_token_loss, 1e-5, `${c.inputs.name} ${name} per_token_loss`);
        const total = agg(loss, x.mask);
        expectCloseTo(await read(total), e.loss, 1e-5, `${c.inputs.name} ${name} loss`);
        await readMetrics(metrics);
        tf.dispose([loss, total]);
      }
      x.dispose();
    }
  });

  it('trl_reimpl per-token loss = ppoClip 0.2/0.28 without dual clip', async () => {
    await useBackend(backend);
    for (const c of verl.cases) {
      const x = verlCase(c);
      const { loss, metrics } = ppoClip({ low: 0.2, high: 0.28 }).perToken(x);
      expectCloseTo(
        await read(loss),
        c.outputs.trl_reimpl.per_token_loss,
        1e-5,
        `${c.inputs.name} trl per_token_loss`,
      );
      await readMetrics(metrics);
      loss.dispose();
      x.dispose();
    }
  });

  it('gspo gradient (straight-through): −A·s_i/(n_i·B′) per unclipped token, 0 when clipped', async () => {
    await useBackend(backend);
    const c = verl.cases[0];
    const x = verlCase(c);
    const plugin = gspo({ low: 0.2, high: 0.28 });
    const f = (lp: tf.Tensor) =>
      seqMeanTokenMean(plugin.perToken({ ...x, logp: lp as tf.Tensor2D }).loss, x.mask);
    const grad = tf.grad(f)(x.logp);
    const lens = c.inputs.response_lengths as number[];
    const Bp = lens.filter((n) => n > 0).length;
    const expected = lens.map((n, b) => {
      const A = c.outputs.advantages.grpo[b][0] as number;
      let sum = 0;
      for (let t = 0; t < n; t++) sum += c.inputs.log_prob[b][t] - c.inputs.old_log_prob[b][t];
      const s = Math.exp(Math.min(sum / n, 10));
      const clipped = (A > 0 && s > 1.28) || (A < 0 && s < 0.8);
      return (c.inputs.response_mask[b] as number[]).map((m) => (m && !clipped ? (-A * s) / n / Bp : 0));
    });
    expectCloseTo(await read(grad), expected, 1e-5, 'gspo grad');
    grad.dispose();
    x.dispose();
  });
});
