/**
 * Rollout: draw prompts → sample G completions each (behaviour log-probs kept) → rewards (each
 * reward call isolated: a throw or a non-finite value scores 0 and is counted) → optional group
 * filter with refill (DAPO dynamic sampling, arXiv 2503.14476 §3.2). Host data only.
 */
import type { GenerativePolicy, GroupFilter, Logger, Problem, Rng, Task, Tokenizer } from '@grpo-lab/core';
import { scoreAll } from '@grpo-lab/tasks';

export interface RolloutRow {
  readonly group: number;
  readonly tokens: number[];
  readonly logp: number[];
  readonly truncated: boolean;
  readonly reward: number;
  readonly completion: string;
}

export interface Rollout {
  /** One problem and its encoded prompt per group; group g is index g. */
  readonly problems: Problem[];
  readonly prompts: number[][];
  readonly rows: RolloutRow[];
  readonly rewardErrors: number;
  /** Groups dropped by the filter (over every generation round). */
  readonly filtered: number;
  /** Generated tokens (all rounds), for tokens/s. */
  readonly generatedTokens: number;
}

export interface RolloutOptions {
  readonly promptsPerStep: number;
  readonly numGenerations: number;
  readonly maxCompletionLength: number;
  readonly temperature: number;
  readonly topP: number;
  readonly topK: number;
  readonly groupFilter: GroupFilter | null;
  readonly maxRefill: number;
  readonly reward?: RewardIsolation;
}

/** How a failing reward call is isolated (see @grpo-lab/tasks `scoreAll`). */
export interface RewardIsolation {
  /** Longest wait for an async reward, in ms. */
  readonly timeoutMs: number;
  /** Score of a sample whose reward threw, was not finite or timed out. */
  readonly onError: number;
  readonly logger?: Logger;
}

/** Prompt ids: BOS (when the tokenizer has one) + the encoded prompt. */
export function encodePrompt(tok: Tokenizer, prompt: string): number[] {
  const ids = tok.encode(prompt);
  return tok.bosId === undefined ? ids : [tok.bosId, ...ids];
}

/** Stop tokens: the tokenizer's EOS and the task's stop mark (last token of a demonstration). */
export function stopTokens(task: Task, tok: Tokenizer, rng: Rng): number[] {
  const probe = rng.state();
  const demo = tok.encode(task.demonstration(task.sample(rng)));
  rng.setState(probe); // looking must not move the data cursor
  const last = demo[demo.length - 1];
  return [...new Set([tok.eosId, ...(last === undefined ? [] : [last])])];
}

/**
 * Each reward call isolated by tasks' `scoreAll`: a throw, a non-finite value or an async reward
 * that does not settle within `timeoutMs` scores `onError` and is counted; the run continues.
 */
export async function scoreRewards(
  task: Task,
  samples: { problem: Problem; completion: string }[],
  iso: RewardIsolation = { timeoutMs: 2000, onError: 0 },
): Promise<{ rewards: number[]; errors: number }> {
  const r = await scoreAll(
    samples.map(({ problem, completion }) => ({
      prompt: problem.prompt,
      completion,
      answer: problem.answer,
      meta: problem.meta,
    })),
    task.reward, // passed as is: a self-timed (worker) reward keeps its marker
    iso,
  );
  return { rewards: r.rewards, errors: r.errors.length };
}

/** Completion text: decoded tokens (the stop token decodes as the tokenizer renders it). */
async function generateRound(
  policy: GenerativePolicy,
  task: Task,
  tok: Tokenizer,
  rng: Rng,
  n: number,
  o: RolloutOptions,
  stops: number[],
) {
  const problems = Array.from({ length: n }, () => task.sample(rng));
  const prompts = problems.map((p) => encodePrompt(tok, p.prompt));
  const gens = await policy.generate({
    prompts,
    numSamples: o.numGenerations,
    maxNewTokens: o.maxCompletionLength,
    temperature: o.temperature,
    topP: o.topP,
    topK: o.topK,
    stopTokens: stops,
    seed: rng.seed(),
  });
  const samples = gens.map((g) => ({ problem: problems[g.promptIndex]!, completion: tok.decode(g.tokens) }));
  const { rewards, errors } = await scoreRewards(task, samples, o.reward);
  return { problems, prompts, gens, samples, rewards, errors };
}

export async function rollout(
  policy: GenerativePolicy,
  task: Task,
  tok: Tokenizer,
  rng: Rng,
  o: RolloutOptions,
  stops: number[],
): Promise<Rollout> {
  const out: { problems: Problem[]; prompts: number[][]; rows: RolloutRow[] } = {
    problems: [],
    prompts: [],
    rows: [],
  };
  let rewardErrors = 0;
  let filtered = 0;
  let generatedTokens = 0;
  for (let round = 0; round <= (o.groupFilter ? o.maxRefill : 0); round++) {
    const need = o.promptsPerStep - out.problems.length;
    if (need <= 0) break;
    const r = await generateRound(policy, task, tok, rng, need, o, stops);
    rewardErrors += r.errors;
    generatedTokens += r.gens.reduce((a, g) => a + g.tokens.length, 0);
    const keep = o.groupFilter?.keep(
      r.gens.map((g) => g.promptIndex),
      r.rewards,
    );
    for (let p = 0; p < need; p++) {
      if (keep && keep.get(p) === false) {
        filtered += 1;
        continue;
      }
      const group = out.problems.length;
      out.problems.push(r.problems[p]!);
      out.prompts.push(r.prompts[p]!);
      r.gens.forEach((g, i) => {
        if (g.promptIndex !== p) return;
        out.rows.push({
          group,
          tokens: g.tokens,
          logp: g.logp,
          truncated: g.truncated,
          reward: r.rewards[i]!,
          completion: r.samples[i]!.completion,
        });
      });
    }
  }
  return { ...out, rewardErrors, filtered, generatedTokens };
}

/** DAPO dynamic sampling: keep a group only when its rewards are not all equal. */
export function dynamicSampling(): GroupFilter<Record<string, never>> {
  return {
    kind: 'groupFilter',
    name: 'dynamicSampling',
    options: {},
    keep(groupIds, rewards) {
      const seen = new Map<number, { lo: number; hi: number }>();
      for (let i = 0; i < groupIds.length; i++) {
        const g = groupIds[i]!;
        const r = rewards[i]!;
        const s = seen.get(g);
        if (!s) seen.set(g, { lo: r, hi: r });
        else {
          s.lo = Math.min(s.lo, r);
          s.hi = Math.max(s.hi, r);
        }
      }
      return new Map([...seen].map(([g, s]) => [g, s.hi > s.lo]));
    },
  };
}
