/**
 * The paired LLD probe (Deng et al., arXiv 2505.18830, §3/§5, the per-question experiment): sample
 * mixed groups once from θ, then for each method reset to θ (copyFrom a snapshot), apply one update
 * on exactly those groups, and record Δ(x) per question (SPEC §5). Because every method sees the
 * same parameters and the same samples, per-question differences between methods are paired.
 */
import { appendFile } from 'node:fs/promises';
import {
  createRng,
  type GenerativePolicy,
  type GroupFilter,
  type PluginSpec,
  type Registry,
  type Task,
  type Tokenizer,
} from '@grpo-lab/core';
import { charTokenizer } from '@grpo-lab/model';
import { resolveConfig } from './config.js';
import { summarizeLld, type GroupDelta, type LldSummary } from './lld.js';
import { adam, type Adam } from './optimizer.js';
import { defaultRegistry } from './registry.js';
import { rollout, stopTokens } from './rollout.js';
import { namedVariables } from './runstate.js';
import { trainOnRollout } from './step.js';
import { compose } from './train.js';

export interface ProbeMethod {
  advantage?: PluginSpec; // ['grpo']
  reweighter?: PluginSpec | null; // [null]
  policyLoss?: PluginSpec; // ['ppoClip']
  aggregation?: PluginSpec; // ['token-mean']
}

export interface LldProbeOptions {
  model: GenerativePolicy;
  task: Task;
  tokenizer?: Tokenizer;
  methods: Record<string, ProbeMethod>;
  /** Mixed groups to collect. [64] */
  groups?: number;
  numGenerations?: number; // [8]
  maxCompletionLength?: number; // [16]
  temperature?: number; // [1]
  /** 'sgd' shows the gradient direction itself; 'adam' the first Adam step (≈ sign of the gradient). ['sgd'] */
  optimizer?: 'sgd' | 'adam';
  lr?: number; // [0.05 for sgd, 1e-3 for adam]
  /** Rows per forward/backward (gradients accumulated into the one update). [0 = all] */
  microBatchSize?: number;
  /** Generation rounds allowed to find enough mixed groups. [20] */
  maxRounds?: number;
  correctThreshold?: number; // [1]
  seed?: number; // [0]
  registry?: Registry;
  /** Appends `{ type: 'probe', method, group, delta_seq, delta_token }` lines here. */
  outFile?: string;
}

export interface ProbeResult {
  readonly groups: number;
  readonly methods: Record<string, { deltas: GroupDelta[]; summary: LldSummary }>;
}

/** Keeps groups with at least one correct and one incorrect response. */
export function mixedOnly(threshold: number): GroupFilter {
  return {
    kind: 'groupFilter',
    name: 'mixedOnly',
    options: {},
    keep(groupIds, rewards) {
      const s = new Map<number, [boolean, boolean]>();
      for (let i = 0; i < groupIds.length; i++) {
        const e = s.get(groupIds[i]!) ?? [false, false];
        e[rewards[i]! >= threshold ? 0 : 1] = true;
        s.set(groupIds[i]!, e);
      }
      return new Map([...s].map(([g, [p, n]]) => [g, p && n]));
    },
  };
}

export async function lldProbe(o: LldProbeOptions): Promise<ProbeResult> {
  const nGroups = o.groups ?? 64;
  const opt = o.optimizer ?? 'sgd';
  const lr = o.lr ?? (opt === 'sgd' ? 0.05 : 1e-3);
  const threshold = o.correctThreshold ?? 1;
  const tok = o.tokenizer ?? charTokenizer(o.task.alphabet);
  const registry = o.registry ?? defaultRegistry();
  const rng = createRng(o.seed ?? 0);
  const base = {
    outDir: '.',
    numGenerations: o.numGenerations ?? 8,
    maxCompletionLength: o.maxCompletionLength ?? 16,
    temperature: o.temperature ?? 1,
  };
  const cfgs = Object.entries(o.methods).map(
    ([name, m]) =>
      [name, resolveConfig({ ...base, ...m, optimizer: { name: opt, lr, maxGradNorm: 0 } })] as const,
  );
  const comps = cfgs.map(
    ([name, c]) => [name, compose(c, registry, o.methods[name]!.aggregation !== undefined)] as const,
  );
  const stops = stopTokens(o.task, tok, rng);
  const ro = await rollout(
    o.model,
    o.task,
    tok,
    rng,
    {
      promptsPerStep: nGroups,
      numGenerations: base.numGenerations,
      maxCompletionLength: base.maxCompletionLength,
      temperature: base.temperature,
      topP: 1,
      topK: 0,
      groupFilter: mixedOnly(threshold),
      maxRefill: o.maxRounds ?? 20,
    },
    stops,
  );
  const snapshot = o.model.clone();
  const { names, vars } = namedVariables(o.model);
  const methods: ProbeResult['methods'] = {};
  try {
    for (const [name, comp] of comps) {
      o.model.copyFrom(snapshot);
      const optim: Adam = adam(vars, names, {
        name: opt,
        lr,
        beta1: 0.9,
        beta2: 0.999,
        eps: 1e-8,
        weightDecay: 0,
        maxGradNorm: 0,
      });
      const plan = {
        numIterations: 1,
        miniBatchSize: 0,
        microBatchSize: o.microBatchSize ?? 0,
        lr: () => lr,
      };
      const settings = {
        temperature: base.temperature,
        maskTruncated: false,
        correctThreshold: threshold,
        lld: true,
        padId: tok.padId,
      };
      const res = await trainOnRollout(
        o.model,
        null,
        vars,
        optim,
        comp,
        plan,
        settings,
        ro,
        createRng(o.seed ?? 0),
      );
      optim.dispose();
      methods[name] = { deltas: res.deltas, summary: summarizeLld(res.deltas) };
      if (o.outFile) {
        const lines = res.deltas.map((d) =>
          JSON.stringify({
            type: 'probe',
            method: name,
            group: d.group,
            delta_seq: d.deltaSeq,
            delta_token: d.deltaToken,
          }),
        );
        await appendFile(o.outFile, lines.map((l) => l + '\n').join(''));
      }
    }
  } finally {
    o.model.copyFrom(snapshot);
    snapshot.dispose();
  }
  return { groups: ro.problems.length, methods };
}
