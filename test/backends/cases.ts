/**
 * The backend-equivalence suite: one function that runs the training path's pieces on the active
 * backend and returns every result as host numbers, so that two backends can be compared figure by
 * figure (and plugin math against ../shared/golden as well).
 *
 *   objective   composeObjective(dualClip 0.2/0.28/c=3, token-mean, k3 β=0.001): loss, d loss/d logp
 *               on both verl.json cases (the edge case has the +25 log-ratio clamp)
 *   advantages  grpo, drGrpo, rloo, opo, reinforce++-baseline, gpg, wReinforce with a host predicate
 *               (reads rewardsHost) on both verl.json cases
 *   nthr        weights and scores on nthr.json 'main' (β of its first by_beta entry, η = 2|0.5 − p|)
 *   model       a tiny transformer: score() logp / entropy / hidden / lse, the gradient of a clipped
 *               objective with respect to every named weight, and greedy generate() tokens
 *
 * Everything reads the host with `await t.data()` (dataSync throws on webgpu in Node).
 */
import * as tf from '@tensorflow/tfjs';
import {
  denseLogits,
  disposeBatch,
  type AdvantageEstimator,
  type Batch,
  type SequenceBatch,
} from '@grpo-lab/core';
import { drGrpo, gpg, grpo, opo, reinforcePlusPlusBaseline, rloo, wReinforce } from '@grpo-lab/advantages';
import { dualClip } from '@grpo-lab/clipping';
import { composeObjective } from '@grpo-lab/objectives';
import { nthr } from '@grpo-lab/reweighters';
import { transformer } from '@grpo-lab/model';
import { loadGolden, read } from '../../testing/index.js';

export const verl = loadGolden('verl.json');
export const nthrGolden = loadGolden('nthr.json');

/** One figure: its values, the golden values when there are any, and the tolerance it is held to. */
export interface Figure {
  readonly values: number[];
  readonly golden?: unknown;
  /** 'plugin' figures compare to 1e-5, 'model' figures to 1e-4 (relative, max(1, |e|)). */
  readonly tier: 'plugin' | 'model' | 'exact';
}

export type Figures = Record<string, Figure>;

const t2 = (m: (number | null)[][]) =>
  tf.tensor2d(
    m.map((r) => r.map((x) => x ?? 0)),
    undefined,
    'float32',
  );

function intIds(ids: (string | number)[]): number[] {
  const seen = new Map<string | number, number>();
  return ids.map((u) => seen.get(u) ?? (seen.set(u, seen.size), seen.size - 1));
}

async function objectiveFigures(out: Figures): Promise<void> {
  const objective = composeObjective({
    policyLoss: dualClip({ c: 3, low: 0.2, high: 0.28 }),
    aggregate: 'token-mean',
    kl: { estimator: 'k3', coef: 0.001 },
  });
  for (const c of verl.cases) {
    const i = c.inputs;
    const x = {
      logp: t2(i.log_prob),
      oldLogp: t2(i.old_log_prob),
      refLogp: t2(i.ref_log_prob),
      mask: t2(i.response_mask),
      advantages: t2(c.outputs.advantages.grpo),
    };
    let pg: tf.Scalar | undefined;
    const { value, grad } = tf.valueAndGrad((lp: tf.Tensor) => {
      const { loss, metrics } = objective.loss({ ...x, logp: lp as tf.Tensor2D });
      for (const [k, m] of Object.entries(metrics))
        if (typeof m === 'number') continue;
        else if (k === 'pg_loss') pg = tf.keep(m);
        else m.dispose();
      return loss;
    })(x.logp);
    const g = c.outputs.policy_loss.agg_loss['token-mean'];
    out[`objective.${i.name}.loss`] = { values: await read(value), tier: 'plugin' };
    out[`objective.${i.name}.grad`] = { values: await read(grad), tier: 'plugin' };
    out[`objective.${i.name}.pg_loss`] = { values: await read(pg!), golden: g.loss, tier: 'plugin' };
    tf.dispose([value, grad, pg!, ...Object.values(x)]);
  }
}

async function advantageFigures(out: Figures): Promise<void> {
  const estimators: [string, AdvantageEstimator][] = [
    ['grpo', grpo()],
    ['grpo_no_std', drGrpo()],
    ['rloo', rloo()],
    ['opo', opo()],
    ['reinforce_plus_plus_baseline', reinforcePlusPlusBaseline()],
    ['gpg', gpg()],
    // a host predicate: reads rewardsHost, never a synchronous read (webgpu has none in Node)
    ['w_reinforce_predicate', wReinforce({ correct: (r) => r > 0.5 && r < 1 })],
  ];
  for (const c of verl.cases) {
    const i = c.inputs;
    const batch: Batch = {
      groupIds: tf.tensor1d(intIds(i.uid), 'int32'),
      rewards: tf.tensor1d(i.scores, 'float32'),
      rewardsHost: Float32Array.from(i.scores),
      mask: t2(i.response_mask),
    };
    for (const [key, est] of estimators) {
      const a = est.compute(batch);
      out[`advantages.${i.name}.${key}`] = {
        values: await read(a),
        golden: c.outputs.advantages[key],
        tier: 'plugin',
      };
      a.dispose();
    }
    disposeBatch(batch);
  }
}

async function nthrFigures(out: Figures): Promise<void> {
  const c = nthrGolden.cases.find((x: any) => x.name === 'main');
  const x = c.inputs;
  const dense = tf.tensor3d(x.logits, undefined, 'float32');
  const logits = denseLogits(dense);
  const batch: Batch = {
    groupIds: tf.tensor1d(x.group_ids, 'int32'),
    rewards: tf.tensor1d(x.rewards, 'float32'),
    mask: t2(x.mask),
    tokenIds: tf.tensor2d(x.token_ids, undefined, 'int32'),
    hidden: tf.tensor3d(x.hidden, undefined, 'float32'),
    logits,
  };
  const bb = c.outputs.by_beta[0];
  const adv = tf.zeros(batch.mask.shape) as tf.Tensor2D;
  const r = await nthr({ beta: bb.beta, eta: 'two_abs_half_minus_p' }).weights(batch, adv);
  const expScores = c.outputs.scores.flatMap((row: (number | null)[], i: number) =>
    row.map((v, t) => v ?? c.outputs.anchor_token_scores[i][t]),
  );
  out['nthr.main.weights'] = {
    values: await read(r.weights),
    golden: bb.weights.two_abs_half_minus_p,
    tier: 'plugin',
  };
  // NaN (undefined score) → compared as "both NaN"; golden null there.
  out['nthr.main.scores'] = { values: await read(r.scores), golden: expScores, tier: 'plugin' };
  out['nthr.main.num_selected'] = { values: [r.metrics.num_selected as number], tier: 'exact' };
  tf.dispose([r.weights, r.scores, adv, dense]);
  disposeBatch(batch);
}

/** Left-padded prompts, right-padded responses (pad 0), verl layout. */
function sequences(prompts: number[][], responses: number[][], P: number, T: number): SequenceBatch {
  const ids: number[] = [];
  const att: number[] = [];
  prompts.forEach((pr, i) => {
    for (let j = 0; j < P; j++) {
      const k = j - (P - pr.length);
      ids.push(k >= 0 ? pr[k]! : 0);
      att.push(k >= 0 ? 1 : 0);
    }
    for (let k = 0; k < T; k++) {
      ids.push(k < responses[i]!.length ? responses[i]![k]! : 0);
      att.push(k < responses[i]!.length ? 1 : 0);
    }
  });
  const B = prompts.length;
  return {
    tokens: tf.tensor2d(ids, [B, P + T], 'int32'),
    attention: tf.tensor2d(att, [B, P + T], 'float32'),
    promptLength: P,
  };
}

export const TINY = { vocabSize: 13, dModel: 16, nLayers: 2, nHeads: 2, maxContext: 24, seed: 5 };

async function modelFigures(out: Figures): Promise<void> {
  const m = transformer(TINY);
  const prompts = [[1, 4, 7, 2], [3, 5], [9, 1, 1], [12]];
  const responses = [[2, 8, 11, 6, 2], [7, 7, 3], [10, 0, 4, 4, 9, 1], [5]];
  const P = 4;
  const T = 6;
  const seq = sequences(prompts, responses, P, T);
  const s = m.score(seq, { hidden: true, entropy: true, logits: true });
  out['model.score.logp'] = { values: await read(s.logp), tier: 'model' };
  out['model.score.entropy'] = { values: await read(s.entropy!), tier: 'model' };
  out['model.score.hidden'] = { values: await read(s.hidden!), tier: 'model' };
  out['model.score.lse'] = { values: await read(s.logits!.lse), tier: 'model' };
  const oldLogp = tf.add(s.logp, 0.05) as tf.Tensor2D; // a ratio away from 1: clipping is exercised
  const mask = tf.slice(seq.attention, [0, P], [prompts.length, T]) as tf.Tensor2D; // [B, T]
  const advantages = tf.tidy(() => tf.mul(mask, tf.tensor2d([[1], [-1], [0.5], [-2]]))) as tf.Tensor2D; // [B, T]
  const objective = composeObjective({ policyLoss: dualClip({ c: 3, low: 0.2, high: 0.28 }) });
  const named = m.namedWeights();
  const { value, grads } = tf.variableGrads(() => {
    const { logp } = m.score(seq);
    const r = objective.loss({ logp, oldLogp, advantages, mask });
    // pg_loss is the loss itself here (no KL, no entropy term): keep that one.
    Object.values(r.metrics).forEach((x) => typeof x !== 'number' && x !== r.loss && x.dispose());
    return r.loss;
  }, Object.values(named));
  out['model.loss'] = { values: await read(value), tier: 'model' };
  for (const [name, v] of Object.entries(named)) {
    const g = grads[v.name]!;
    // Gradients are compared relative to the largest element of the tensor (tiny entries carry noise).
    out[`model.grad.${name}`] = { values: await read(g), tier: 'model' };
  }
  tf.dispose([value, ...Object.values(grads), oldLogp, mask, advantages, s.logp, s.entropy!, s.hidden!]);
  s.logits!.dispose();
  seq.tokens.dispose();
  seq.attention.dispose();
  const gens = await m.generate({ prompts, numSamples: 1, maxNewTokens: 8, temperature: 0, seed: 1 });
  out['model.generate.greedy'] = { values: gens.flatMap((g) => [...g.tokens, -1]), tier: 'exact' };
  m.dispose();
}

/** Runs the whole suite on the active backend. */
export async function runSuite(): Promise<Figures> {
  const out: Figures = {};
  await objectiveFigures(out);
  await advantageFigures(out);
  await nthrFigures(out);
  await modelFigures(out);
  return out;
}

/**
 * Compares `got` (one backend) with `ref` (another) figure by figure: exact figures must be equal;
 * plugin figures to 1e-5·max(1, |e|), model figures to 1e-4·max(1, |e|, max|ref|/10) (a gradient's
 * scale sets its float32 noise floor); NaN must meet NaN. Returns the failures (empty = equal).
 */
export function compareFigures(got: Figures, ref: Figures, tol = { plugin: 1e-5, model: 1e-4 }): string[] {
  const bad: string[] = [];
  for (const [key, r] of Object.entries(ref)) {
    const g = got[key];
    if (!g) {
      bad.push(`${key}: missing`);
      continue;
    }
    if (g.values.length !== r.values.length) {
      bad.push(`${key}: length ${g.values.length} ≠ ${r.values.length}`);
      continue;
    }
    if (r.tier === 'exact') {
      if (g.values.join() !== r.values.join()) bad.push(`${key}: ${g.values.join()} ≠ ${r.values.join()}`);
      continue;
    }
    const scale = r.tier === 'model' ? Math.max(...r.values.map(Math.abs).filter(Number.isFinite)) / 10 : 0;
    const t = tol[r.tier];
    let worst = -1;
    let worstErr = 0;
    r.values.forEach((e, k) => {
      const a = g.values[k]!;
      const err = Number.isNaN(e)
        ? Number.isNaN(a)
          ? 0
          : Infinity
        : Math.abs(a - e) / Math.max(1, Math.abs(e), scale);
      if (!(err <= t) && !(worstErr >= err)) [worst, worstErr] = [k, err];
    });
    if (worst >= 0)
      bad.push(
        `${key}[${worst}]: ${g.values[worst]} vs ${r.values[worst]} (rel err ${worstErr.toExponential(2)} > ${t})`,
      );
  }
  return bad;
}

/** Figures that carry golden values, checked against them (1e-5; NaN where the golden is null). */
export function compareGolden(got: Figures, tol = 1e-5): string[] {
  const bad: string[] = [];
  for (const [key, f] of Object.entries(got)) {
    if (f.golden === undefined) continue;
    const e = (Array.isArray(f.golden) ? (f.golden as unknown[]).flat(Infinity) : [f.golden]) as (
      number | null
    )[];
    if (e.length !== f.values.length) {
      bad.push(`${key}: length ${f.values.length} ≠ golden ${e.length}`);
      continue;
    }
    e.forEach((ev, k) => {
      const a = f.values[k]!;
      if (ev === null) {
        if (key.endsWith('scores') && !Number.isNaN(a)) bad.push(`${key}[${k}]: ${a}, expected NaN`);
        return;
      }
      const err = Math.abs(a - ev) / Math.max(1, Math.abs(ev));
      if (!(err <= tol)) bad.push(`${key}[${k}]: ${a} vs golden ${ev} (rel err ${err.toExponential(2)})`);
    });
  }
  return bad;
}
