/**
 * The LLD experiment (SPEC §5; Deng et al., arXiv 2505.18830), on a warm-started tiny transformer:
 *   1. supervised warm start on 1-digit addition until groups are mixed;
 *   2. paired probe: ≥ 64 mixed groups sampled once; from the same parameters, one update each with
 *      GRPO, GRPO + NTHR, GRPO + randomTokens, positiveOnly → Δ(x) per question per method;
 *   3. training curves: GRPO vs GRPO + NTHR vs NGRPO over several seeds, from the same warm start.
 * Writes examples/lld-probe/out/{probe.jsonl, results.json, runs/...} and prints a markdown summary.
 *
 *   npx tsx --conditions=@grpo-lab/source examples/lld-probe/run.ts [--quick] [--probe-lr 0.05,0.005]
 *                                                                    [--probe-only]
 * `--probe-lr` runs the paired probe at each SGD step size from the same parameters (the groups are
 * the same: the probe is seeded); `--probe-only` skips the training curves.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { selectBackend } from '@grpo-lab/core';
import { charTokenizer, transformer } from '@grpo-lab/model';
import { addition } from '@grpo-lab/tasks';
import { lldProbe, median, train, type TrainLine } from '@grpo-lab/trainer';

const quick = process.argv.includes('--quick');
const argAt = (name: string) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
};
/** SGD step sizes of the paired probe (the same groups at each: the probe is seeded). */
const probeLrs = (argAt('--probe-lr') ?? '0.05').split(',').map(Number);
if (probeLrs.some((x) => !(x > 0)))
  throw new Error('--probe-lr: comma-separated positive numbers, e.g. 0.05,0.005');
/** Skip the training curves (step 3). */
const probeOnly = process.argv.includes('--probe-only');
const out = join(dirname(fileURLToPath(import.meta.url)), 'out');
const S = {
  sftSteps: quick ? 60 : 300,
  probeGroups: quick ? 16 : 64,
  seeds: quick ? [0, 1] : [0, 1, 2],
  rlSteps: quick ? 15 : 60,
  G: 8,
  prompts: 8,
};

const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN);
const sd = (xs: number[]) => Math.sqrt(mean(xs.map((x) => (x - mean(xs)) ** 2)));
const f = (x: number, d = 3) => (Number.isFinite(x) ? x.toFixed(d) : 'n/a');

/** Per method: the distribution of Δ over the probe's groups, and how often it beats GRPO's Δ. */
function probeTable(probe: Awaited<ReturnType<typeof lldProbe>>) {
  const g = probe.methods.grpo!.deltas;
  return Object.entries(probe.methods).map(([name, m]) => {
    const d = m.deltas.map((x) => x.deltaSeq);
    const beats = m.deltas.filter((x, i) => x.deltaSeq > g[i]!.deltaSeq).length / Math.max(1, d.length);
    return {
      method: name,
      groups: d.length,
      mean: mean(d),
      median: median(d),
      fracNeg: m.summary.lld_frac_neg ?? NaN,
      tokenMean: m.summary.lld_token_mean ?? NaN,
      beatsGrpo: beats,
    };
  });
}

async function main() {
  await selectBackend('wasm');
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  const task = addition({ difficulty: 1 });
  const tokenizer = charTokenizer(task.alphabet);
  const model = { dModel: 64, nLayers: 2, nHeads: 4, maxContext: 16 };
  const policy = transformer({ ...model, vocabSize: tokenizer.vocabSize, seed: 0 });
  const t0 = Date.now();

  // 1. warm start
  const warm = await train(
    {
      outDir: join(out, 'warm'),
      steps: 0,
      sft: { steps: S.sftSteps, batchSize: 32, lr: 3e-3 },
      eval: { every: 1, size: 64 },
      maxCompletionLength: 4,
    },
    { policy, task, tokenizer },
  );
  const base = policy.clone();

  // 2. paired probe, at each step size from the same parameters
  const probes: { lr: number; groups: number; rows: ReturnType<typeof probeTable> }[] = [];
  for (const lr of probeLrs) {
    policy.copyFrom(base);
    const probe = await lldProbe({
      model: policy,
      task,
      tokenizer,
      groups: S.probeGroups,
      numGenerations: S.G,
      maxCompletionLength: 4,
      optimizer: 'sgd',
      lr,
      outFile: join(out, probeLrs.length === 1 ? 'probe.jsonl' : `probe-lr${lr}.jsonl`),
      methods: {
        grpo: {},
        nthr: { reweighter: 'nthr' },
        randomTokens: { reweighter: 'randomTokens' },
        positiveOnly: { reweighter: 'positiveOnly' },
      },
    });
    probes.push({ lr, groups: probe.groups, rows: probeTable(probe) });
  }
  policy.copyFrom(base);

  // 3. training curves
  const methods = {
    grpo: {},
    nthr: { reweighter: 'nthr' },
    ngrpo: { advantage: 'ngrpo', policyLoss: 'asymmetric' },
  } as const;
  const curves: Record<string, { seed: number; acc: number[]; lld: number[]; evalAcc: number }[]> = {};
  for (const [name, m] of probeOnly ? [] : Object.entries(methods)) {
    curves[name] = [];
    for (const seed of S.seeds) {
      policy.copyFrom(base);
      const lines: TrainLine[] = [];
      const s = await train(
        {
          outDir: join(out, 'runs', `${name}__seed${seed}`),
          seed,
          steps: S.rlSteps,
          promptsPerStep: S.prompts,
          numGenerations: S.G,
          maxCompletionLength: 4,
          optimizer: { lr: 1e-3 },
          eval: { every: S.rlSteps, size: 64 },
          ...m,
        },
        { policy, task, tokenizer, hooks: { onStep: (l) => void lines.push(l) } },
      );
      curves[name]!.push({
        seed,
        acc: lines.map((l) => l.accuracy as number),
        lld: lines.map((l) => l.lld_mean as number).filter((x) => x !== null),
        evalAcc: s.eval?.accuracy ?? NaN,
      });
    }
  }
  const curveRows = Object.entries(curves).map(([name, runs]) => {
    const first = runs.map((r) => mean(r.acc.slice(0, 5)));
    const last = runs.map((r) => mean(r.acc.slice(-5)));
    const ev = runs.map((r) => r.evalAcc);
    return {
      method: name,
      seeds: runs.length,
      trainAccFirst5: mean(first),
      trainAccLast5: mean(last),
      evalAcc: mean(ev),
      evalSd: sd(ev),
      lldMean: mean(runs.flatMap((r) => r.lld)),
      lldFracNeg: mean(runs.flatMap((r) => r.lld.map((x) => (x < 0 ? 1 : 0)))),
    };
  });
  const results = {
    settings: S,
    model,
    warmEval: warm.eval?.accuracy,
    probe: probes.length === 1 ? probes[0]!.rows : undefined,
    probes,
    curves: curveRows,
    wall_s: (Date.now() - t0) / 1000,
  };
  writeFileSync(join(out, 'results.json'), JSON.stringify(results, null, 2) + '\n');

  console.log(
    `warm-start greedy eval accuracy: ${f(warm.eval?.accuracy ?? NaN)}; wall ${f(results.wall_s, 0)} s\n`,
  );
  for (const p of probes) {
    console.log(`Paired probe (${p.groups} mixed groups, G = ${S.G}, one SGD step lr ${p.lr}):\n`);
    console.log(
      '| method | groups | mean Δ | median Δ | frac Δ < 0 | mean Δ/token | Δ > GRPO’s |\n| --- | --- | --- | --- | --- | --- | --- |',
    );
    for (const r of p.rows)
      console.log(
        `| ${r.method} | ${r.groups} | ${f(r.mean)} | ${f(r.median)} | ${f(r.fracNeg, 2)} | ${f(r.tokenMean)} | ${f(r.beatsGrpo, 2)} |`,
      );
    console.log('');
  }
  if (probeOnly) {
    base.dispose();
    policy.dispose();
    return;
  }
  console.log(
    `Training (${S.seeds.length} seeds × ${S.rlSteps} steps, ${S.prompts} prompts × G ${S.G}, Adam lr 1e-3):\n`,
  );
  console.log(
    '| method | train acc first 5 | train acc last 5 | eval acc (± sd) | mean Δ per step | frac steps Δ < 0 |\n| --- | --- | --- | --- | --- | --- |',
  );
  for (const r of curveRows)
    console.log(
      `| ${r.method} | ${f(r.trainAccFirst5, 2)} | ${f(r.trainAccLast5, 2)} | ${f(r.evalAcc, 2)} ± ${f(r.evalSd, 2)} | ${f(r.lldMean)} | ${f(r.lldFracNeg, 2)} |`,
    );
  base.dispose();
  policy.dispose();
}
void main();
