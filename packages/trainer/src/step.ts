/**
 * One GRPO-family step on a rollout (shared by `train` and `lldProbe`):
 *   host rows → core batch → advantages A [B, T] → old-policy forward only when something needs it
 *   (μ > 1, a re-weighter's `needs`, temperature ≠ 1; otherwise the sampler's log-probs are oldLogp)
 *   → reference forward only when β > 0 → re-weighter weights w [B, T] → optimise on A·w
 *   → LLD: re-score the mixed groups' correct responses with θ′ and report Δ(x) per group.
 */
import * as tf from '@tensorflow/tfjs';
import { maskedMean, readMetrics } from '@grpo-lab/core';
import type {
  AdvantageEstimator,
  Batch,
  GenerativePolicy,
  PolicyModel,
  Rng,
  ScoreOutput,
  TokenReweighter,
} from '@grpo-lab/core';
import { groupDeltas, mixedCorrectRows, selectRows, sequenceLogLik, type GroupDelta } from './lld.js';
import type { Adam } from './optimizer.js';
import type { Rollout } from './rollout.js';
import { buildSequences, disposeStep } from './sequences.js';
import type { Objective } from '@grpo-lab/objectives';
import { metricKey, optimise, type UpdatePlan } from './update.js';

export interface Composition {
  readonly advantage: AdvantageEstimator;
  readonly reweighter: TokenReweighter | null;
  readonly objective: Objective;
}

export interface StepSettings {
  readonly temperature: number;
  readonly maskTruncated: boolean;
  readonly correctThreshold: number;
  readonly lld: boolean;
  readonly padId: number;
}

export interface StepResult {
  readonly metrics: Record<string, number | null>;
  readonly deltas: GroupDelta[];
}

/** Runs one step on `ro`; every tensor it makes is disposed before it returns. */
export async function trainOnRollout(
  policy: GenerativePolicy,
  reference: PolicyModel | null,
  vars: tf.Variable[],
  adam: Adam,
  comp: Composition,
  plan: UpdatePlan,
  s: StepSettings,
  ro: Rollout,
  rng: Rng,
): Promise<StepResult> {
  const B = ro.rows.length;
  const correct = ro.rows.map((r) => r.reward >= s.correctThreshold);
  const groupIds = ro.rows.map((r) => r.group);
  const masked = ro.rows.map((r) => s.maskTruncated && r.truncated);
  const rowTokens = ro.rows.map((r, i) => (masked[i] ? 0 : r.tokens.length));
  const st = buildSequences(
    {
      prompts: ro.rows.map((r) => ro.prompts[r.group]!),
      responses: ro.rows.map((r) => r.tokens),
      logp: ro.rows.map((r) => r.logp),
      maskedRows: masked,
    },
    s.padId,
  );
  const batch: Batch & { tokenIds: tf.Tensor2D } = {
    groupIds: tf.tensor1d(groupIds, 'int32'),
    rewards: tf.tensor1d(ro.rows.map((r) => r.reward)),
    rewardsHost: Float32Array.from(ro.rows, (r) => r.reward), // the tensor's float32 values, on the host
    mask: st.mask,
    tokenIds: st.tokenIds,
  };
  const owned: tf.Tensor[] = [batch.groupIds, batch.rewards];
  const needs = comp.reweighter?.needs ?? {};
  const oldForward =
    plan.numIterations > 1 || !!needs.hidden || !!needs.logits || !!needs.entropy || s.temperature !== 1;
  let old: ScoreOutput | null = null;
  if (oldForward) {
    const req = { hidden: !!needs.hidden, logits: !!needs.logits, entropy: !!needs.entropy };
    old = policy.score(st.seq, req); // no gradient (not inside variableGrads); score() cleans up after itself
  }
  const oldLogp = old ? old.logp : st.samplerLogp!; // [B, T]
  const refLogp =
    reference && (comp.objective.kl?.coef ?? 0) > 0
      ? (tf.tidy(() => reference.score(st.seq).logp) as tf.Tensor2D)
      : undefined;
  if (refLogp) owned.push(refLogp);

  // LLD: log π_θ(y⁺|x) of the mixed groups' correct responses, from the same scorer as θ′ below
  const sel = s.lld ? mixedCorrectRows(groupIds, correct) : { rows: [], groups: [] };
  let before: number[] = [];
  if (sel.rows.length > 0) {
    const sub = selectRows(st.seq, st.mask, sel.rows);
    if (old) {
      const ll = tf.tidy(() =>
        tf.sum(tf.mul(tf.gather(old!.logp, tf.tensor1d(sel.rows, 'int32')), sub.mask), 1),
      );
      before = Array.from(await ll.data());
      ll.dispose();
    } else before = (await sequenceLogLik(policy, sub.seq, sub.mask)).logLik;
    tf.dispose([sub.seq.tokens, sub.seq.attention, sub.mask]);
  }

  const full: Batch = {
    ...batch,
    oldLogp,
    refLogp,
    hidden: old?.hidden,
    entropy: old?.entropy,
    logits: old?.logits,
  };
  const adv = comp.advantage.compute(full); // [B, T]
  owned.push(adv);
  let eff = adv;
  let rwMetrics: Record<string, number> = {};
  if (comp.reweighter) {
    const rw = await comp.reweighter.weights(full, adv);
    eff = tf.tidy(() => tf.mul(adv, rw.weights)); // [B, T]
    owned.push(eff, rw.weights);
    rw.scores?.dispose();
    rwMetrics = await readMetrics(rw.metrics);
  }
  // entropy of the old policy when computed, else its sample estimate −E[log π(y)] (free)
  const [advAbs, entEst] = tf.tidy(() => [
    maskedMean(tf.abs(adv), st.mask), // scalar
    old?.entropy ? maskedMean(old.entropy, st.mask) : maskedMean(tf.neg(oldLogp), st.mask), // scalar
  ]);
  const [advAbsMean, entropyOld] = [(await advAbs!.data())[0]!, (await entEst!.data())[0]!];
  tf.dispose([advAbs!, entEst!]);

  const um = await optimise(
    policy,
    vars,
    adam,
    comp.objective,
    { seq: st.seq, mask: st.mask, advantages: eff, oldLogp, refLogp, rowTokens },
    plan,
    rng,
  );

  let deltas: GroupDelta[] = [];
  if (sel.rows.length > 0) {
    const sub = selectRows(st.seq, st.mask, sel.rows);
    const after = await sequenceLogLik(policy, sub.seq, sub.mask);
    tf.dispose([sub.seq.tokens, sub.seq.attention, sub.mask]);
    deltas = groupDeltas(sel, before, after.logLik, after.length);
  }

  if (old) {
    old.logp.dispose();
    old.entropy?.dispose();
    old.hidden?.dispose();
    old.logits?.dispose();
  }
  tf.dispose(owned);
  disposeStep(st);

  const groups = new Map<number, boolean[]>();
  ro.rows.forEach((r, i) => groups.set(r.group, [...(groups.get(r.group) ?? []), correct[i]!]));
  const mixed = [...groups.values()].filter((c) => c.some((x) => x) && c.some((x) => !x)).length;
  const prefix = comp.reweighter ? `${comp.reweighter.name}_` : '';
  const rw: Record<string, number> = {};
  for (const [k, v] of Object.entries(rwMetrics)) {
    const key = metricKey(k);
    rw[key.startsWith(prefix) ? key : prefix + key] = v;
  }
  return {
    metrics: {
      reward_mean: ro.rows.reduce((a, r) => a + r.reward, 0) / Math.max(1, B),
      accuracy: correct.filter((c) => c).length / Math.max(1, B),
      loss: um.loss ?? null,
      pg_loss: um.pg_loss ?? null,
      kl: um.kl ?? null,
      entropy: um.entropy ?? entropyOld,
      clip_frac_upper: um.clip_frac_upper ?? null,
      clip_frac_lower: um.clip_frac_lower ?? null,
      dual_clip_frac: um.dual_clip_frac ?? null,
      approx_kl: um.approx_kl ?? null,
      adv_abs_mean: advAbsMean,
      mixed_groups: mixed,
      groups: groups.size,
      truncated_frac: ro.rows.filter((r) => r.truncated).length / Math.max(1, B),
      grad_norm: um.grad_norm ?? null,
      ...rw,
    },
    deltas,
  };
}
