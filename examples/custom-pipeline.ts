/**
 * Your own GRPO loop, without @grpo-lab/trainer: plugins from the individual packages composed by
 * hand — NGRPO advantages (@grpo-lab/advantages), NTHR token re-weighting (@grpo-lab/reweighters),
 * NGRPO's asymmetric clipping (@grpo-lab/clipping), token-mean aggregation (@grpo-lab/objectives),
 * a tiny transformer (@grpo-lab/model) on 1-digit addition (@grpo-lab/tasks).
 *
 *   npx tsx --conditions=@grpo-lab/source examples/custom-pipeline.ts      (in this repo)
 *   npx tsx custom-pipeline.ts                                              (with the packages installed)
 *
 * A short supervised warm start first (so some answers are right and groups are mixed), then
 * one step = sample G completions per prompt → rewards → batch (verl layout) → old-policy forward
 * with what NTHR asks for (hidden states, restricted logits) → advantages × weights → clipped loss →
 * Adam. The trainer does the same plus mini-batches, KL, LLD measurement, checkpoints and metrics.
 */
import * as tf from '@tensorflow/tfjs';
import { createRng, readMetrics, selectBackend, type Batch, type SequenceBatch } from '@grpo-lab/core';
import { ngrpo } from '@grpo-lab/advantages';
import { nthr } from '@grpo-lab/reweighters';
import { asymmetric } from '@grpo-lab/clipping';
import { tokenMean } from '@grpo-lab/objectives';
import { charTokenizer, transformer } from '@grpo-lab/model';
import { addition } from '@grpo-lab/tasks';

const G = 8; // completions per prompt
const PROMPTS = 8;
const STEPS = 10;
const SFT_STEPS = 150; // supervised warm start, so groups are mixed (NTHR acts on mixed groups only)

await selectBackend('auto');
const task = addition({ difficulty: 1 });
const tok = charTokenizer(task.alphabet);
const policy = transformer({
  vocabSize: tok.vocabSize,
  dModel: 32,
  nLayers: 1,
  nHeads: 2,
  maxContext: 24,
  seed: 0,
});
const advantage = ngrpo({ rMax: 1 });
const reweighter = nthr();
const policyLoss = asymmetric(); // ε_low 0.16, ε_high 0.24
const aggregate = tokenMean();
const optimizer = tf.train.adam(3e-3);
const rng = createRng(0);
const stop = tok.encode(task.demonstration(task.sample(createRng(1)))).at(-1)!; // the task's stop mark

/** Left-padded prompts, right-padded responses: tokens [B, P + T], response mask / ids [B, T]. */
function layout(prompts: number[][], responses: number[][]) {
  const B = prompts.length;
  const P = Math.max(...prompts.map((p) => p.length));
  const T = Math.max(1, ...responses.map((r) => r.length));
  const tokens = new Int32Array(B * (P + T)).fill(tok.padId);
  const attn = new Float32Array(B * (P + T));
  const mask = new Float32Array(B * T);
  const ids = new Int32Array(B * T).fill(tok.padId);
  prompts.forEach((p, i) =>
    p.forEach(
      (t, k) => ((tokens[i * (P + T) + P - p.length + k] = t), (attn[i * (P + T) + P - p.length + k] = 1)),
    ),
  );
  responses.forEach((r, i) =>
    r.forEach((t, k) => {
      tokens[i * (P + T) + P + k] = t;
      attn[i * (P + T) + P + k] = 1;
      mask[i * T + k] = 1;
      ids[i * T + k] = t;
    }),
  );
  const seq: SequenceBatch = {
    tokens: tf.tensor2d(tokens, [B, P + T], 'int32'),
    attention: tf.tensor2d(attn, [B, P + T]),
    promptLength: P,
  };
  return { seq, mask: tf.tensor2d(mask, [B, T]), tokenIds: tf.tensor2d(ids, [B, T], 'int32') };
}

const promptIds = (prompt: string) => [
  ...(tok.bosId === undefined ? [] : [tok.bosId]),
  ...tok.encode(prompt),
];

// 0. Supervised warm start on the task's demonstrations: L = −mean over answer tokens of log π(y*).
for (let step = 1; step <= SFT_STEPS; step++) {
  const problems = Array.from({ length: 32 }, () => task.sample(rng));
  const { seq, mask, tokenIds } = layout(
    problems.map((p) => promptIds(p.prompt)),
    problems.map((p) => tok.encode(task.demonstration(p))),
  );
  const nll = optimizer.minimize(
    () => tf.neg(tf.div(tf.sum(tf.mul(policy.score(seq).logp, mask)), tf.sum(mask))) as tf.Scalar,
    true,
    policy.trainableVariables(),
  );
  if (step % 50 === 0) console.log(JSON.stringify({ sft_step: step, nll: (await nll!.data())[0] }));
  tf.dispose([nll!, seq.tokens, seq.attention, mask, tokenIds]);
}

for (let step = 1; step <= STEPS; step++) {
  // 1. Rollout: G samples per prompt, behaviour log-probs kept by the sampler.
  const problems = Array.from({ length: PROMPTS }, () => task.sample(rng));
  const prompts = problems.map((p) => promptIds(p.prompt));
  const gens = await policy.generate({
    prompts,
    numSamples: G,
    maxNewTokens: 4,
    stopTokens: [tok.eosId, stop],
    seed: step,
  });
  const rewards = await Promise.all(
    gens.map((g) => {
      const p = problems[g.promptIndex]!;
      return task.reward({
        prompt: p.prompt,
        completion: tok.decode(g.tokens),
        answer: p.answer,
        meta: p.meta,
      });
    }),
  );

  // 2. The batch contract: group ids, rewards, mask, tokens; the old-policy pass also yields NTHR's needs.
  const { seq, mask, tokenIds } = layout(
    gens.map((g) => prompts[g.promptIndex]!),
    gens.map((g) => g.tokens),
  );
  const old = policy.score(seq, { hidden: !!reweighter.needs.hidden, logits: !!reweighter.needs.logits }); // no gradient here
  const batch: Batch = {
    groupIds: tf.tensor1d(
      gens.map((g) => g.promptIndex),
      'int32',
    ), // [B]
    rewards: tf.tensor1d(rewards), // [B]
    mask, // [B, T]
    tokenIds, // [B, T]
    oldLogp: old.logp, // [B, T]
    ...(old.hidden ? { hidden: old.hidden } : {}), // [B, T, d]
    ...(old.logits ? { logits: old.logits } : {}),
  };
  const adv = advantage.compute(batch); // [B, T]
  const rw = await reweighter.weights(batch, adv);
  const eff = tf.mul(adv, rw.weights) as tf.Tensor2D; // [B, T]: NTHR scales the influential negative tokens by η
  const nthrMetrics = await readMetrics(rw.metrics);

  // 3. One clipped-surrogate update with Adam.
  const loss = optimizer.minimize(
    () => {
      const logp = policy.score(seq).logp; // [B, T], differentiable
      const { loss: perToken } = policyLoss.perToken({ logp, oldLogp: old.logp, advantages: eff, mask });
      return aggregate.reduce(perToken, mask);
    },
    true,
    policy.trainableVariables(),
  );
  const lossValue = (await loss!.data())[0]!;

  const mean = rewards.reduce((a, b) => a + b, 0) / rewards.length;
  console.log(JSON.stringify({ step, reward_mean: mean, loss: lossValue, ...nthrMetrics }));
  tf.dispose([
    loss!,
    adv,
    eff,
    rw.weights,
    batch.groupIds,
    batch.rewards,
    seq.tokens,
    seq.attention,
    mask,
    tokenIds,
    old.logp,
  ]);
  old.hidden?.dispose();
  old.logits?.dispose();
  rw.scores?.dispose();
}
policy.dispose();
