/**
 * How well does NTHR's score predict a negative token's real effect on the correct responses?
 *
 * After the same warm start as run.ts (1-digit addition, d 64, 2 layers), it samples mixed groups
 * exactly as a training step does and, for every valid token t of an incorrect response, compares
 *   s(t)     NTHR's score: Σ_{u ∈ correct tokens} ⟨g_u, g_t⟩·⟨h_u, h_t⟩ on V* (what the plugin computes)
 *   head(t)  ⟨Σ_u ∇_W log π(y_u), ∇_W log π(y_t)⟩ over the LM-head weight W only, by autodiff
 *            (= s(t) when V* is the whole vocabulary: the test test/nthr-autodiff.test.ts checks that)
 *   full(t)  the same inner product over every parameter of the model, by autodiff.
 * To first order, one GRPO step changes Σ_u log π(y_u) by lr·A_t·full(t) through token t (A_t < 0),
 * so tokens with full(t) > 0 are the ones whose negative gradient lowers the correct responses'
 * likelihood: those NTHR means to select. The script prints the correlations and what the selected
 * tokens' full(t) is against the rest.
 *
 *   npx tsx --conditions=@grpo-lab/source examples/lld-probe/kernel-check.ts [--groups 8] [--sft 300]
 *
 * It reads the trainer's rollout, sequence builder and lldProbe's mixed-group filter from the package
 * sources, so the groups and tensors are exactly those of a training step and of the probe.
 */
import * as tf from '@tensorflow/tfjs';
import { createRng, selectBackend, type Batch } from '@grpo-lab/core';
import { charTokenizer, transformer } from '@grpo-lab/model';
import { nthrScores } from '@grpo-lab/reweighters';
import { addition } from '@grpo-lab/tasks';
import { train } from '@grpo-lab/trainer';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mixedOnly } from '../../packages/trainer/src/probe.js';
import { rollout, stopTokens } from '../../packages/trainer/src/rollout.js';
import { buildSequences } from '../../packages/trainer/src/sequences.js';

const arg = (name: string, dflt: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : dflt;
};
const GROUPS = arg('groups', 8);
const SFT = arg('sft', 300);

function corr(a: number[], b: number[]): number {
  const ma = a.reduce((x, y) => x + y, 0) / a.length;
  const mb = b.reduce((x, y) => x + y, 0) / b.length;
  let ab = 0;
  let aa = 0;
  let bb = 0;
  a.forEach((x, i) => {
    ab += (x - ma) * (b[i]! - mb);
    aa += (x - ma) ** 2;
    bb += (b[i]! - mb) ** 2;
  });
  return ab / Math.sqrt(aa * bb);
}

async function main() {
  await selectBackend('wasm');
  const task = addition({ difficulty: 1 });
  const tok = charTokenizer(task.alphabet);
  const policy = transformer({ dModel: 64, nLayers: 2, nHeads: 4, maxContext: 16, vocabSize: tok.vocabSize });
  const dir = mkdtempSync(join(tmpdir(), 'kernel-check-'));
  await train(
    { outDir: dir, steps: 0, sft: { steps: SFT, batchSize: 32, lr: 3e-3 }, maxCompletionLength: 4 },
    { policy, task, tokenizer: tok },
  );
  rmSync(dir, { recursive: true, force: true });

  const rng = createRng(0);
  const ro = await rollout(
    policy,
    task,
    tok,
    rng,
    {
      promptsPerStep: GROUPS,
      numGenerations: 8,
      maxCompletionLength: 4,
      temperature: 1,
      topP: 1,
      topK: 0,
      groupFilter: mixedOnly(1),
      maxRefill: 20,
    },
    stopTokens(task, tok, rng),
  );
  const st = buildSequences(
    {
      prompts: ro.rows.map((r) => ro.prompts[r.group]!),
      responses: ro.rows.map((r) => r.tokens),
      logp: ro.rows.map((r) => r.logp),
      maskedRows: ro.rows.map(() => false),
    },
    tok.padId,
  );
  const out = policy.score(st.seq, { hidden: true, logits: true });
  const batch: Batch = {
    groupIds: tf.tensor1d(
      ro.rows.map((r) => r.group),
      'int32',
    ),
    rewards: tf.tensor1d(ro.rows.map((r) => r.reward)),
    mask: st.mask,
    tokenIds: st.tokenIds,
    hidden: out.hidden!,
    logits: out.logits!,
  };
  const ns = await nthrScores(batch, { beta: 1, eta: 'two_abs_half_minus_p', includeSelf: true });
  const scores = (await ns.scores.array()) as number[][];
  const selected = (await ns.selected.array()) as number[][];
  const mask = (await st.mask.array()) as number[][];
  const T = mask[0]!.length;
  const vars = policy.trainableVariables();
  const headIndex = vars.findIndex((v) => v.name.endsWith('lm_head.weight'));
  if (headIndex < 0) throw new Error('kernel-check: the model has no untied lm_head.weight');

  /** ∇ log π(y_t) of row b, position t, for every variable, flattened. */
  const gradOf = (b: number, t: number) =>
    tf.tidy(() => {
      const { grads } = tf.variableGrads(
        () => tf.sum(tf.slice(policy.score(st.seq).logp, [b, t], [1, 1])) as tf.Scalar,
        vars,
      );
      return vars.map((v) => tf.reshape(grads[v.name]!, [-1]));
    });
  const dot = (a: tf.Tensor, c: tf.Tensor) => tf.tidy(() => tf.sum(tf.mul(a, c)).dataSync()[0]!);

  const rows: { s: number; head: number; full: number; selected: boolean }[] = [];
  for (let g = 0; g < ro.problems.length; g++) {
    const members = ro.rows.flatMap((r, i) => (r.group === g ? [i] : []));
    const gPlus = vars.map((v) => tf.zeros([v.size]));
    for (const b of members.filter((i) => ro.rows[i]!.reward >= 1))
      for (let t = 0; t < T; t++)
        if (mask[b]![t]) {
          const gr = gradOf(b, t);
          gr.forEach((x, k) => {
            const sum = tf.add(gPlus[k]!, x);
            gPlus[k]!.dispose();
            gPlus[k] = sum;
          });
          tf.dispose(gr);
        }
    for (const b of members.filter((i) => ro.rows[i]!.reward < 1))
      for (let t = 0; t < T; t++)
        if (mask[b]![t]) {
          const gr = gradOf(b, t);
          const full = gr.reduce((a, x, k) => a + dot(x, gPlus[k]!), 0);
          rows.push({
            s: scores[b]![t]!,
            head: dot(gr[headIndex]!, gPlus[headIndex]!),
            full,
            selected: selected[b]![t] === 1,
          });
          tf.dispose(gr);
        }
    tf.dispose(gPlus);
  }
  const sel = rows.filter((r) => r.selected);
  const rest = rows.filter((r) => !r.selected);
  const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN);
  const result = {
    groups: ro.problems.length,
    negative_tokens: rows.length,
    selected: sel.length,
    corr_s_head: +corr(
      rows.map((r) => r.s),
      rows.map((r) => r.head),
    ).toFixed(4),
    corr_s_full: +corr(
      rows.map((r) => r.s),
      rows.map((r) => r.full),
    ).toFixed(4),
    sign_agreement_s_full: +mean(rows.map((r) => (Math.sign(r.s) === Math.sign(r.full) ? 1 : 0))).toFixed(3),
    frac_full_positive: +mean(rows.map((r) => (r.full > 0 ? 1 : 0))).toFixed(3),
    frac_full_positive_selected: +mean(sel.map((r) => (r.full > 0 ? 1 : 0))).toFixed(3),
    mean_full_selected: +mean(sel.map((r) => r.full)).toFixed(3),
    mean_full_rest: +mean(rest.map((r) => r.full)).toFixed(3),
    head_over_full_magnitude: +(
      mean(rows.map((r) => Math.abs(r.head))) / mean(rows.map((r) => Math.abs(r.full)))
    ).toFixed(4),
  };
  console.log(JSON.stringify(result));
  tf.dispose([ns.scores, ns.selected, batch.groupIds, batch.rewards, out.logp, out.hidden!]);
  out.logits!.dispose();
  policy.dispose();
}
void main();
