/** Every backend: aggregation, KL and TRL's loss variants reproduce golden/verl.json, with autodiff gradients. */
import { describe, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import type { Aggregator, AggregateContext } from '@grpo-lab/core';
import { dualClip, ppoClip } from '@grpo-lab/clipping';
import { TEST_BACKENDS, expectCloseTo, loadGolden, read, useBackend } from '../../../testing/index.js';
import {
  aggregator,
  klPlugins,
  seqMeanTokenMean,
  seqMeanTokenSumNorm,
  tokenMean,
  tokenSum,
} from '../src/index.js';
import { verlCase } from './helpers.js';

const verl = loadGolden('verl.json');

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
