/**
 * Every backend: aggregation, KL and TRL's loss variants reproduce golden/verl.json (and NGRPO's
 * asymmetric loss golden/ngrpo.json), with autodiff gradients; composeObjective on both of its
 * paths (the fused host kernel and the tensor path).
 */
import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import type { Aggregator, AggregateContext } from '@grpo-lab/core';
import { asymmetric, dualClip, ppoClip } from '@grpo-lab/clipping';
import { readMetrics } from '@grpo-lab/core';
import { TEST_BACKENDS, expectCloseTo, loadGolden, read, useBackend } from '../../../testing/index.js';
import {
  aggregator,
  composeObjective,
  klPlugins,
  seqMeanTokenMean,
  seqMeanTokenSumNorm,
  tokenMean,
  tokenSum,
} from '../src/index.js';
import { ngrpoCase, verlCase } from './helpers.js';

const verl = loadGolden('verl.json');
const ngrpo = loadGolden('ngrpo.json');

const MODES: Record<string, Aggregator> = {
  'token-mean': aggregator('token-mean'),
  'token-sum': aggregator('token-sum'),
  'seq-mean-token-mean': aggregator('seq-mean-token-mean'),
  'seq-mean-token-sum': aggregator('seq-mean-token-sum'),
  'seq-mean-token-sum-norm': aggregator('seq-mean-token-sum-norm'),
  'seq-mean-token-sum-norm@8': seqMeanTokenSumNorm({ normLength: 8 }),
  'seq-mean-token-sum-norm(legacy<#5417)': seqMeanTokenSumNorm({ legacy: true }),
};

describe.each(TEST_BACKENDS)('golden objectives on %s', (backend) => {
  it('agg_loss: every mode (incl. @8 and legacy), value and d loss / d logp by autodiff', async () => {
    await useBackend(backend);
    const pl = dualClip({ c: 3, low: 0.2, high: 0.28 });
    for (const c of verl.cases) {
      const x = verlCase(c);
      const golden = c.outputs.policy_loss.agg_loss;
      for (const [mode, agg] of Object.entries(MODES)) {
        const g = golden[mode];
        const f = (lp: tf.Tensor) => {
          const { loss, metrics } = pl.perToken({ ...x, logp: lp as tf.Tensor2D });
          Object.values(metrics).forEach((m) => typeof m !== 'number' && m.dispose());
          return agg.reduce(loss, x.mask);
        };
        const { value, grad } = tf.valueAndGrad(f)(x.logp);
        expectCloseTo(await read(value), g.loss, 1e-5, `${c.inputs.name} ${mode} loss`);
        if (g.grad_wrt_log_prob)
          expectCloseTo(await read(grad), g.grad_wrt_log_prob, 1e-5, `${c.inputs.name} ${mode} grad`);
        tf.dispose([value, grad]);
      }
      x.dispose();
    }
  });

  it('kl: k1, abs, k2, k3, k1+, k3+ per token, token mean, gradient of the masked sum', async () => {
    await useBackend(backend);
    for (const c of verl.cases) {
      const x = verlCase(c);
      for (const [name, g] of Object.entries<any>(c.outputs.kl)) {
        const kl = klPlugins[name as keyof typeof klPlugins]();
        const per = kl.perToken(x.logp, x.refLogp);
        expectCloseTo(await read(per), g.per_token, 1e-5, `${c.inputs.name} ${name} per_token`);
        const mean = tokenMean().reduce(per, x.mask);
        expectCloseTo(await read(mean), g.token_mean, 1e-5, `${c.inputs.name} ${name} token_mean`);
        const grad = tf.grad((lp) => tokenSum().reduce(kl.perToken(lp as tf.Tensor2D, x.refLogp), x.mask))(
          x.logp,
        );
        expectCloseTo(
          await read(grad),
          g.grad_wrt_log_prob_of_masked_sum,
          1e-5,
          `${c.inputs.name} ${name} grad`,
        );
        tf.dispose([per, mean, grad]);
      }
      x.dispose();
    }
  });

  it('trl_reimpl losses: grpo, bnpo, dr_grpo, dapo as aggregator + context', async () => {
    await useBackend(backend);
    for (const c of verl.cases) {
      const x = verlCase(c);
      const B = x.mask.shape[0];
      const { loss, metrics } = ppoClip({ low: 0.2, high: 0.28 }).perToken(x);
      Object.values(metrics).forEach((m) => typeof m !== 'number' && m.dispose());
      // TRL's grpo/dr_grpo divide by every row, empty ones included: globalRows = B.
      const all: AggregateContext = { globalRows: B };
      const variants: [string, Aggregator, AggregateContext][] = [
        ['grpo', seqMeanTokenMean(), all],
        ['bnpo', tokenMean(), {}],
        ['dr_grpo', seqMeanTokenSumNorm({ normLength: c.outputs.trl_reimpl.max_completion_length }), all],
        ['dapo', tokenMean(), {}],
      ];
      for (const [name, agg, ctx] of variants) {
        const v = agg.reduce(loss, x.mask, ctx);
        expectCloseTo(await read(v), c.outputs.trl_reimpl.loss[name], 1e-5, `${c.inputs.name} trl ${name}`);
        v.dispose();
      }
      loss.dispose();
      x.dispose();
    }
  });
});

/**
 * Value, d/d logp and the metrics of composeObjective's loss, read to numbers (values first: on the
 * tensor path without KL or entropy the loss is the pg_loss metric itself, which readMetrics disposes).
 */
async function objectiveAt(obj: ReturnType<typeof composeObjective>, x: any, ctx?: AggregateContext) {
  let metrics: Record<string, number | tf.Scalar> = {};
  const { value, grad } = tf.valueAndGrad((lp: tf.Tensor) => {
    const out = obj.loss({ ...x, logp: lp as tf.Tensor2D }, ctx);
    metrics = out.metrics;
    Object.values(metrics).forEach((m) => typeof m !== 'number' && tf.keep(m));
    return out.loss;
  })(x.logp);
  const types = Object.fromEntries(Object.entries(metrics).map(([k, v]) => [k, typeof v]));
  const out = {
    value: await read(value),
    grad: await read(grad),
    types,
    metrics: await readMetrics(metrics),
  };
  tf.dispose([value, grad]);
  return out;
}

const PATHS = ['host', 'tensor'] as const;

describe.each(TEST_BACKENDS.flatMap((b) => PATHS.map((p) => [b, p] as const)))(
  'golden composeObjective on %s, %s path',
  (backend, path) => {
    it('verl vanilla (dual clip 3, 0.2/0.28), every aggregation mode: loss, d loss / d logp, metrics', async () => {
      await useBackend(backend);
      for (const c of verl.cases) {
        const x = verlCase(c);
        const golden = c.outputs.policy_loss;
        for (const [mode, agg] of Object.entries(MODES)) {
          const obj = composeObjective({
            policyLoss: dualClip({ c: 3, low: 0.2, high: 0.28 }),
            aggregate: agg,
            path,
          });
          expect(obj.usesHostPath()).toBe(path === 'host');
          const g = golden.agg_loss[mode];
          const { value, grad, metrics: m, types } = await objectiveAt(obj, x);
          // the host path reports token means as numbers, the tensor path as scalars
          expect(types.clip_frac_upper, 'metric type').toBe(path === 'host' ? 'number' : 'object');
          const tag = `${c.inputs.name} ${mode}`;
          expectCloseTo(value, g.loss, 1e-5, `${tag} loss`);
          if (g.grad_wrt_log_prob) expectCloseTo(grad, g.grad_wrt_log_prob, 1e-5, `${tag} grad`);
          expectCloseTo(m.pg_clipfrac!, golden.metrics.pg_clipfrac, 1e-5, `${tag} pg_clipfrac`);
          expectCloseTo(m.approx_kl!, golden.metrics.ppo_kl, 1e-5, `${tag} ppo_kl`);
          expectCloseTo(
            m.dual_clip_frac!,
            golden.metrics.pg_clipfrac_lower,
            1e-5,
            `${tag} pg_clipfrac_lower`,
          );
          expectCloseTo(m.pg_loss!, g.loss, 1e-5, `${tag} pg_loss`);
        }
        x.dispose();
      }
    });

    it('with KL in the loss (each estimator, β = 1): kl metric = token mean, gradient = pg + kl masked sum', async () => {
      await useBackend(backend);
      for (const c of verl.cases) {
        const x = verlCase(c);
        const pg = c.outputs.policy_loss.agg_loss;
        for (const [name, g] of Object.entries<any>(c.outputs.kl)) {
          const make = (aggregate: 'token-mean' | 'token-sum') =>
            composeObjective({
              policyLoss: dualClip({ c: 3, low: 0.2, high: 0.28 }),
              aggregate,
              kl: { estimator: name as keyof typeof klPlugins, coef: 1 },
              path,
            });
          const tag = `${c.inputs.name} ${name}`;
          const mean = await objectiveAt(make('token-mean'), x);
          expectCloseTo(mean.metrics.kl!, g.token_mean, 1e-5, `${tag} kl`);
          expectCloseTo(mean.value, pg['token-mean'].loss + g.token_mean, 1e-5, `${tag} loss`);
          const sum = await objectiveAt(make('token-sum'), x);
          const want = (pg['token-sum'].grad_wrt_log_prob as (number | null)[][]).map((row, b) =>
            row.map((v, t) => (v === null ? null : v + g.grad_wrt_log_prob_of_masked_sum[b][t])),
          );
          expectCloseTo(sum.grad, want, 1e-5, `${tag} grad`);
        }
        x.dispose();
      }
    });

    it('trl_reimpl losses (ppoClip 0.2/0.28): grpo, bnpo, dr_grpo, dapo as aggregator + context', async () => {
      await useBackend(backend);
      for (const c of verl.cases) {
        const x = verlCase(c);
        const B = x.mask.shape[0];
        const all: AggregateContext = { globalRows: B };
        const variants: [string, Aggregator, AggregateContext][] = [
          ['grpo', seqMeanTokenMean(), all],
          ['bnpo', tokenMean(), {}],
          ['dr_grpo', seqMeanTokenSumNorm({ normLength: c.outputs.trl_reimpl.max_completion_length }), all],
          ['dapo', tokenMean(), {}],
        ];
        for (const [name, aggregate, ctx] of variants) {
          const obj = composeObjective({ policyLoss: ppoClip({ low: 0.2, high: 0.28 }), aggregate, path });
          const { value } = await objectiveAt(obj, x, ctx);
          expectCloseTo(value, c.outputs.trl_reimpl.loss[name], 1e-5, `${c.inputs.name} trl ${name}`);
        }
        x.dispose();
      }
    });

    it('ngrpo asymmetric (0.16/0.24), token-mean: loss, gradient, pg_clipfrac', async () => {
      await useBackend(backend);
      for (const c of ngrpo.loss_cases) {
        const x = ngrpoCase(c);
        const o = c.outputs;
        const obj = composeObjective({ policyLoss: asymmetric(), aggregate: 'token-mean', path });
        const { value, grad, metrics: m } = await objectiveAt(obj, x);
        expectCloseTo(value, o.token_mean_loss, 1e-5, `${c.name} loss`);
        expectCloseTo(grad, o.grad_wrt_log_prob, 1e-5, `${c.name} grad`);
        expectCloseTo(m.pg_clipfrac!, o.pg_clipfrac, 1e-5, `${c.name} pg_clipfrac`);
        expect(m.dual_clip_frac).toBe(0);
        tf.dispose([x.logp, x.oldLogp, x.advantages, x.mask]);
      }
    });
  },
);

describe.each(TEST_BACKENDS)('golden KL host forms on %s', (backend) => {
  it('k1, abs, k2, k3, k1+, k3+: per token and the gradient of the masked sum, one token at a time', async () => {
    await useBackend(backend);
    for (const c of verl.cases) {
      const i = c.inputs;
      const f32 = (m: (number | null)[][]) => Float32Array.from(m.flat().map((v) => v ?? 0));
      const [lp, ref, mask] = [f32(i.log_prob), f32(i.ref_log_prob), f32(i.response_mask)];
      for (const [name, g] of Object.entries<any>(c.outputs.kl)) {
        const host = klPlugins[name as keyof typeof klPlugins]().host!;
        const grad = new Float32Array(lp.length);
        const per = Array.from(mask, (m, k) => (m ? host.row(lp, ref, mask, k, k + 1, grad, 1) : null));
        const want = (g.per_token as (number | null)[][]).flat().map((v, k) => (mask[k] ? v : null));
        expectCloseTo(
          per.map((v) => v ?? 0),
          want,
          1e-5,
          `${i.name} ${name} per_token`,
        );
        expectCloseTo(Array.from(grad), g.grad_wrt_log_prob_of_masked_sum, 1e-5, `${i.name} ${name} grad`);
      }
    }
  });
});
