/**
 * `train(config, opts)`: the GRPO-family training loop, one visible sequence per step:
 *   rollout (draw prompts from the seeded RNG → G samples each → rewards → group filter + refill)
 *   → trainOnRollout (advantages → old/ref forwards only when needed → re-weighter → μ epochs ×
 *   mini-batches of Adam updates → Δ(x) of the mixed groups) → metrics.jsonl line → eval → checkpoint.
 * The composition is validated once, before anything runs, and never branches on plugin names after.
 */
import { appendFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { createRng, selectBackend, silentLogger } from '@grpo-lab/core';
import type { GenerativePolicy, Logger, Registry, Task, Tokenizer } from '@grpo-lab/core';
import { charTokenizer, transformer } from '@grpo-lab/model';
import { composeObjective } from '@grpo-lab/objectives';
import { taskPlugins } from '@grpo-lab/tasks';
import { resolveConfig, type ResolvedConfig, type TrainConfig } from './config.js';
import { summarizeLld } from './lld.js';
import { adam, learningRate } from './optimizer.js';
import { defaultRegistry } from './registry.js';
import { rollout, stopTokens } from './rollout.js';
import {
  ensureDir,
  latestCheckpoint,
  loadRunState,
  namedVariables,
  saveRunState,
  truncateMetrics,
} from './runstate.js';
import { evaluate, sftStep, type EvalResult } from './sft.js';
import { trainOnRollout, type Composition } from './step.js';

export type TrainLine = { type: 'train'; step: number; wall_s: number } & Record<
  string,
  number | null | string
>;
export type EvalLine = { type: 'eval'; step: number } & EvalResult;

export interface TrainHooks {
  onStep?(line: TrainLine): void | Promise<void>;
  onEval?(line: EvalLine): void | Promise<void>;
  onCheckpoint?(info: { step: number; dir: string }): void | Promise<void>;
  onSft?(info: { step: number; loss: number }): void | Promise<void>;
}

export interface TrainOptions {
  hooks?: TrainHooks;
  logger?: Logger;
  /** When aborted, train() checkpoints after the current step and returns (`aborted: true`). */
  signal?: AbortSignal;
  registry?: Registry;
  /** Bring your own model / task / tokenizer instead of the config's `model` / `task`. */
  policy?: GenerativePolicy;
  task?: Task;
  tokenizer?: Tokenizer;
}

export interface RunSummary {
  readonly outDir: string;
  /** The last completed step. */
  readonly step: number;
  readonly aborted: boolean;
  readonly resumedFrom: number | null;
  readonly last: TrainLine | null;
  readonly eval: EvalLine | null;
  readonly wall_s: number;
}

/** Plugins named in the config, made once (option errors surface here, before any work). */
export function compose(cfg: ResolvedConfig, registry: Registry, aggregationGiven: boolean): Composition {
  const policyLoss = registry.create('policyLoss', cfg.policyLoss);
  const agg =
    !aggregationGiven && policyLoss.preferredAggregation ? policyLoss.preferredAggregation : cfg.aggregation;
  return {
    advantage: registry.create('advantage', cfg.advantage),
    reweighter: cfg.reweighter === null ? null : registry.create('reweighter', cfg.reweighter),
    objective: composeObjective({
      policyLoss,
      aggregate: registry.create('aggregator', agg),
      ...(cfg.kl.coef > 0
        ? { kl: { estimator: registry.create('kl', cfg.kl.estimator), coef: cfg.kl.coef } }
        : {}),
      ...(cfg.entropyCoef > 0 ? { entropy: { coef: cfg.entropyCoef } } : {}),
    }),
  };
}

export function makeTask(spec: ResolvedConfig['task']): Task {
  const { name, ...options } = typeof spec === 'string' ? { name: spec } : spec;
  const f = (taskPlugins as Record<string, (o: object) => Task>)[name];
  if (!f)
    throw new Error(
      `task.name: expected one of ${Object.keys(taskPlugins).join(', ')}, got ${JSON.stringify(name)}`,
    );
  return f(options);
}

export async function train(config: TrainConfig, opts: TrainOptions = {}): Promise<RunSummary> {
  const t0 = Date.now();
  const cfg = resolveConfig(config);
  const log = opts.logger ?? silentLogger;
  const hooks = opts.hooks ?? {};
  if (cfg.backend) await selectBackend(cfg.backend, { logger: log });
  const comp = compose(cfg, opts.registry ?? defaultRegistry(), config.aggregation !== undefined);
  const groupFilter =
    cfg.groupFilter === null
      ? null
      : (opts.registry ?? defaultRegistry()).create('groupFilter', cfg.groupFilter);
  const task = opts.task ?? makeTask(cfg.task);
  const tok = opts.tokenizer ?? charTokenizer(task.alphabet);
  const ownsPolicy = !opts.policy;
  const policy =
    opts.policy ??
    transformer({
      ...cfg.model,
      vocabSize: tok.vocabSize,
      seed: (cfg.model.seed as number | undefined) ?? cfg.seed,
    } as never);
  const { names, vars } = namedVariables(policy);
  const rng = createRng(cfg.seed);
  const stops = stopTokens(task, tok, rng);
  const metricsPath = join(cfg.outDir, 'metrics.jsonl');
  const write = (o: object) => appendFile(metricsPath, JSON.stringify(o) + '\n');
  await ensureDir(cfg.outDir);
  await writeFile(join(cfg.outDir, 'config.json'), JSON.stringify(cfg, null, 2) + '\n');

  const latest = cfg.resume ? await latestCheckpoint(cfg.outDir) : null;
  let step = 0;
  let wallBase = 0;
  let reference: GenerativePolicy | null = null;
  const opt = adam(vars, names, cfg.optimizer);
  if (latest) {
    reference = cfg.kl.coef > 0 ? policy.clone() : null;
    const rs = await loadRunState(latest, policy, reference);
    opt.load(rs.adam);
    rs.dispose();
    rng.setState(rs.state.rng);
    step = rs.state.step;
    wallBase = rs.state.wallS;
    await truncateMetrics(metricsPath, step);
    log.info(`resumed from ${latest} at step ${step}`);
  } else {
    await writeFile(metricsPath, '');
    if (cfg.sft.steps > 0) {
      const sftOpt = adam(vars, names, cfg.optimizer);
      for (let k = 1; k <= cfg.sft.steps; k++) {
        const loss = await sftStep(policy, vars, sftOpt, task, tok, rng, cfg.sft.batchSize, cfg.sft.lr);
        await write({ type: 'sft', sft_step: k, loss });
        await hooks.onSft?.({ step: k, loss });
      }
      sftOpt.dispose();
    }
    reference = cfg.kl.coef > 0 ? policy.clone() : null;
  }
  const resumedFrom = latest ? step : null;

  const rowsPerStep = cfg.promptsPerStep * cfg.numGenerations;
  const updatesPerStep = cfg.numIterations * Math.ceil(rowsPerStep / (cfg.miniBatchSize || rowsPerStep));
  const plan = {
    numIterations: cfg.numIterations,
    miniBatchSize: cfg.miniBatchSize,
    microBatchSize: cfg.microBatchSize,
    lr: (u: number) => learningRate(u, cfg.steps * updatesPerStep, cfg.optimizer.lr, cfg.schedule),
  };
  const settings = {
    temperature: cfg.temperature,
    maskTruncated: cfg.maskTruncated,
    correctThreshold: cfg.correctThreshold,
    lld: cfg.lld.enabled,
    padId: tok.padId,
  };
  const wall = () => wallBase + (Date.now() - t0) / 1000;
  const checkpoint = async () => {
    const state = { step, rng: rng.state(), adamStep: opt.step, wallS: wall(), sftDone: true };
    const dir = await saveRunState(cfg.outDir, policy, opt.state(), reference, state);
    await hooks.onCheckpoint?.({ step, dir });
  };
  const runEval = async (): Promise<EvalLine> => {
    const r = await evaluate(policy, task, tok, task.evalSet(cfg.eval.size), {
      maxNewTokens: cfg.maxCompletionLength,
      stopTokens: stops,
      correctThreshold: cfg.correctThreshold,
      reward: { ...cfg.reward, logger: log },
    });
    const line: EvalLine = { type: 'eval', step, ...r };
    await write(line);
    await hooks.onEval?.(line);
    return line;
  };

  let last: TrainLine | null = null;
  let lastEval: EvalLine | null = null;
  let aborted = false;
  while (step < cfg.steps) {
    if (opts.signal?.aborted) {
      aborted = true;
      break;
    }
    const ts = Date.now();
    const ro = await rollout(
      policy,
      task,
      tok,
      rng,
      { ...cfg, groupFilter, reward: { ...cfg.reward, logger: log } },
      stops,
    );
    const res =
      ro.rows.length > 0
        ? await trainOnRollout(policy, reference, vars, opt, comp, plan, settings, ro, rng)
        : { metrics: {}, deltas: [] };
    step += 1;
    const dt = (Date.now() - ts) / 1000;
    last = {
      type: 'train',
      step,
      wall_s: wall(),
      ...res.metrics,
      ...summarizeLld(res.deltas, cfg.lld.epsilon),
      lr: plan.lr(Math.max(0, opt.step - 1)),
      filtered_groups: ro.filtered,
      tokens_per_s: ro.generatedTokens / Math.max(dt, 1e-9),
      num_tensors: tf.memory().numTensors,
      reward_errors: ro.rewardErrors,
    };
    await write(last);
    log.debug(`step ${step}`, last);
    await hooks.onStep?.(last);
    if (cfg.eval.every > 0 && step % cfg.eval.every === 0) lastEval = await runEval();
    if (cfg.checkpoint.every > 0 && step % cfg.checkpoint.every === 0) await checkpoint();
  }
  if (aborted) await checkpoint();
  else {
    // the final eval (also after an SFT-only run with steps: 0)
    if (cfg.eval.every > 0 && (step === 0 || step % cfg.eval.every !== 0)) lastEval = await runEval();
    if (cfg.checkpoint.every > 0 && step % cfg.checkpoint.every !== 0) await checkpoint();
  }
  const summary: RunSummary = {
    outDir: cfg.outDir,
    step,
    aborted,
    resumedFrom,
    last,
    eval: lastEval,
    wall_s: wall(),
  };
  if (!aborted) await writeFile(join(cfg.outDir, 'summary.json'), JSON.stringify(summary, null, 2) + '\n');
  opt.dispose();
  reference?.dispose();
  if (ownsPolicy) policy.dispose();
  return summary;
}
