/**
 * Supervised warm start and greedy evaluation.
 *
 * SFT: L = −(1/Σm) Σ_{i,t} m_{i,t} log π_θ(y*_{i,t} | x_i, y*_{i,<t})   on demonstrations y* = task.demonstration(x),
 * so a from-scratch tiny model reaches partial competence (mixed groups) before RL — the regime
 * where LLD and NTHR matter (arXiv 2505.18830 starts RL from instruction-tuned models).
 */
import * as tf from '@tensorflow/tfjs';
import { maskedMean } from '@grpo-lab/core';
import type { GenerativePolicy, Problem, Rng, Task, Tokenizer } from '@grpo-lab/core';
import type { Adam } from './optimizer.js';
import { encodePrompt, scoreRewards, type RewardIsolation } from './rollout.js';
import { buildSequences, disposeStep } from './sequences.js';

/** One SFT update on `batchSize` fresh demonstrations; returns the mean token NLL. */
export async function sftStep(
  policy: GenerativePolicy,
  vars: tf.Variable[],
  adam: Adam,
  task: Task,
  tok: Tokenizer,
  rng: Rng,
  batchSize: number,
  lr: number,
): Promise<number> {
  const problems = Array.from({ length: batchSize }, () => task.sample(rng));
  const st = buildSequences(
    {
      prompts: problems.map((p) => encodePrompt(tok, p.prompt)),
      responses: problems.map((p) => tok.encode(task.demonstration(p))),
    },
    tok.padId,
  );
  const { value, grads } = tf.variableGrads(
    () => tf.neg(maskedMean(policy.score(st.seq).logp, st.mask)) as tf.Scalar, // scalar
    vars,
  );
  const g = vars.map((v) => grads[v.name] ?? tf.zerosLike(v));
  await adam.apply(g, lr);
  const nll = (await value.data())[0]!;
  tf.dispose([value, ...g]);
  disposeStep(st);
  return nll;
}

export interface EvalResult {
  readonly accuracy: number;
  readonly reward_mean: number;
  readonly by_difficulty?: Record<string, number>;
}

/** Greedy accuracy on `problems` (reward ≥ threshold), generated in chunks of `chunk` prompts. */
export async function evaluate(
  policy: GenerativePolicy,
  task: Task,
  tok: Tokenizer,
  problems: Problem[],
  o: {
    maxNewTokens: number;
    stopTokens: number[];
    correctThreshold: number;
    chunk?: number;
    reward?: RewardIsolation;
  },
): Promise<EvalResult> {
  const chunk = o.chunk ?? 64;
  const rewards: number[] = [];
  for (let i = 0; i < problems.length; i += chunk) {
    const ps = problems.slice(i, i + chunk);
    const gens = await policy.generate({
      prompts: ps.map((p) => encodePrompt(tok, p.prompt)),
      numSamples: 1,
      maxNewTokens: o.maxNewTokens,
      temperature: 0,
      stopTokens: o.stopTokens,
      seed: 0,
    });
    const r = await scoreRewards(
      task,
      gens.map((g) => ({ problem: ps[g.promptIndex]!, completion: tok.decode(g.tokens) })),
      o.reward,
    );
    rewards.push(...r.rewards);
  }
  const ok = rewards.map((r) => r >= o.correctThreshold);
  const byDiff = new Map<string, { n: number; k: number }>();
  problems.forEach((p, i) => {
    const d = p.meta?.difficulty;
    if (d === undefined) return;
    const e = byDiff.get(String(d)) ?? { n: 0, k: 0 };
    e.n += 1;
    e.k += ok[i] ? 1 : 0;
    byDiff.set(String(d), e);
  });
  const n = Math.max(1, problems.length);
  return {
    accuracy: ok.filter((x) => x).length / n,
    reward_mean: rewards.reduce((a, b) => a + b, 0) / n,
    ...(byDiff.size > 1
      ? { by_difficulty: Object.fromEntries([...byDiff].map(([d, e]) => [d, e.k / e.n])) }
      : {}),
  };
}
