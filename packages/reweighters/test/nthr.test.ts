import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { TEST_BACKENDS, expectCloseTo, loadGolden, read, useBackend } from '../../../testing/index.js';
import { nthr, nthrScores } from '@grpo-lab/reweighters';
import { batchOf, disposeTestBatch, nthrReference, randomInputs, type NthrInputs } from './helpers.js';

const golden = loadGolden('nthr.json');
const ETAS = ['two_abs_half_minus_p', 'p', 'one_minus_p'] as const;
const etaFn = {
  two_abs_half_minus_p: (p: number) => 2 * Math.abs(0.5 - p),
  p: (p: number) => p,
  one_minus_p: (p: number) => 1 - p,
};

/** NaN ↔ null, else |a − e| ≤ tol·max(1, |e|). */
function expectScores(actual: ArrayLike<number>, expected: (number | null)[], tol: number, what: string) {
  const a = Array.from(actual);
  expect(a.map((v) => Number.isNaN(v))).toEqual(expected.map((v) => v === null));
  expectCloseTo(a, expected, tol, what);
}

describe('nthr: hand-computed case', () => {
  // One group, p = 1/2, V = 2 but V* = {0}: g = [1 − 0.5] = [0.5] for every token (uniform logits).
  // Correct row: one token, h = 1 → anchor 0.25·1 = 0.25 = s̄ = τ. Incorrect: h = 2 → s = 0.25·2 = 0.5 > τ
  // (selected); h = −1 → s = −0.25 (kept). Without the V* restriction ⟨g, g⟩ would be 0.5, not 0.25.
  const x: NthrInputs = {
    group_ids: [4, 4],
    rewards: [1, 0],
    mask: [
      [1, 0],
      [1, 1],
    ],
    token_ids: [
      [0, 1],
      [0, 0],
    ],
    hidden: [
      [[1], [1e6]],
      [[2], [-1]],
    ],
    logits: [
      [
        [0, 0],
        [1e4, -1e4],
      ],
      [
        [0, 0],
        [0, 0],
      ],
    ],
  };
  for (const b of TEST_BACKENDS)
    it(`on ${b}`, async () => {
      await useBackend(b);
      const batch = batchOf(x);
      const adv = tf.zeros([2, 2]) as tf.Tensor2D;
      const r = await nthr({ eta: 'p' }).weights(batch, adv);
      expectScores(await read(r.scores), [0.25, null, 0.5, -0.25], 1e-6, 'scores');
      expect(await read(r.weights)).toEqual([1, 1, 0.5, 1]);
      expect(r.groups[0]!.tau).toBeCloseTo(0.25, 6);
      expect(r.metrics).toMatchObject({
        selected_frac: 0.5,
        mean_eta: 0.5,
        num_selected: 1,
        mixed_groups: 1,
      });
      expect(r.metrics.mean_tau).toBeCloseTo(0.25, 6);
      const noSelf = await nthrScores(batch, { beta: 1, eta: 0.3, includeSelf: false });
      expectScores(await read(noSelf.scores), [0, null, 0.5, -0.25], 1e-6, 'scores without self-term');
      expect(await read(noSelf.selected)).toEqual([0, 0, 1, 0]); // τ = 0
      // nthrScores takes nthr()'s options with its defaults and checks.
      const byDefault = await nthrScores(batch);
      expectScores(await read(byDefault.scores), [0.25, null, 0.5, -0.25], 1e-6, 'default scores');
      expect(byDefault.groups[0]!.eta).toBe(0); // 2|0.5 − p| with p = 1/2
      await expect(nthrScores(batch, { betta: 1 } as object)).rejects.toThrow(/nthrScores.*betta/);
      await expect(nthrScores(batch, { beta: 'x' as unknown as number })).rejects.toThrow(/nthrScores\.beta/);
      tf.dispose([
        r.weights,
        r.scores,
        noSelf.scores,
        noSelf.selected,
        byDefault.scores,
        byDefault.selected,
        adv,
      ]);
      disposeTestBatch(batch);
    });
});

describe('nthr: golden nthr.json', () => {
  for (const b of TEST_BACKENDS)
    for (const c of golden.cases)
      it(`${c.name} on ${b}`, async () => {
        await useBackend(b);
        const before = tf.memory().numTensors;
        const batch = batchOf(c.inputs);
        const out = c.outputs;
        const B = c.params.B;
        const adv = tf.zeros(batch.mask.shape) as tf.Tensor2D;
        const expScores = out.scores.flatMap((row: (number | null)[], i: number) =>
          row.map((v, t) => v ?? out.anchor_token_scores[i][t]),
        );
        for (const bb of out.by_beta)
          for (const eta of ETAS) {
            const plugin = nthr({ beta: bb.beta, eta });
            const r = await plugin.weights(batch, adv);
            expectScores(await read(r.scores), expScores, 1e-5, `scores β=${bb.beta}`);
            expectCloseTo(await read(r.weights), bb.weights[eta], 1e-5, `weights β=${bb.beta} η=${eta}`);
            expectScores(r.sbar, out.sbar, 1e-5, 'sbar');
            out.groups.forEach((g: any, k: number) => {
              const mine = r.groups.find((x) => x.groupId === g.group_id)!;
              expect(mine.rows).toEqual(g.rows);
              expect(mine.mixed).toBe(g.mixed);
              expect(mine.p).toBeCloseTo(g.p, 12);
              if (!g.mixed) return expect(mine.tau).toBeNull();
              expect(mine.vstar).toEqual(g.vstar);
              expectCloseTo(mine.tau!, bb.tau[k], 1e-5, `tau of group ${g.group_id}`);
              expectCloseTo(mine.eta!, g.eta[eta], 1e-6, `eta of group ${g.group_id}`);
            });
            const m = bb.metrics;
            expect(r.metrics.num_selected).toBe(m.num_selected);
            expect(r.metrics.num_negative_tokens).toBe(m.num_negative_tokens_in_mixed_groups);
            expectCloseTo(r.metrics.selected_frac as number, m.selected_fraction, 1e-9, 'selected_frac');
            expectCloseTo(r.metrics.mean_tau as number, m.mean_tau_over_mixed_groups, 1e-5, 'mean_tau');
            expectCloseTo(r.metrics.mean_eta as number, m.mean_eta_over_mixed_groups[eta], 1e-6, 'mean_eta');
            tf.dispose([r.weights, r.scores]);
          }
        for (const bb of out.by_beta) {
          const s = await nthrScores(batch, { beta: bb.beta, eta: 'p', includeSelf: true });
          expect(await read(s.selected)).toEqual(bb.selected.flat()); // identical masks
          tf.dispose([s.scores, s.selected]);
        }
        expect(B).toBe(batch.mask.shape[0]);
        adv.dispose();
        disposeTestBatch(batch);
        expect(tf.memory().numTensors).toBe(before);
      });
});

describe('nthr: matrix form = double-loop reference on random inputs', () => {
  const cases = [
    { seed: 1, sizes: [5, 3, 1, 4], T: 7, d: 5, V: 11, beta: 1, includeSelf: true },
    { seed: 2, sizes: [2, 6, 3], T: 5, d: 3, V: 40, beta: 0.5, includeSelf: false },
    { seed: 3, sizes: [8, 7], T: 9, d: 4, V: 6, beta: 0, includeSelf: true },
  ];
  for (const b of TEST_BACKENDS)
    it(`on ${b}`, async () => {
      await useBackend(b);
      for (const c of cases) {
        const x = randomInputs(c.seed, c.sizes, c.T, c.d, c.V);
        const ref = nthrReference(x, c.beta, etaFn.two_abs_half_minus_p, c.includeSelf);
        const batch = batchOf(x);
        const s = await nthrScores(batch, {
          beta: c.beta,
          eta: 'two_abs_half_minus_p',
          includeSelf: c.includeSelf,
        });
        const scores = await read(s.scores);
        expectScores(scores, ref.scores.flat(), 1e-4, `scores seed ${c.seed}`);
        expectScores(s.sbar, ref.sbar, 1e-4, `sbar seed ${c.seed}`);
        for (const g of s.groups.filter((g) => g.mixed)) {
          const e = ref.tau.get(g.groupId)!;
          if (Number.isFinite(e)) expectCloseTo(g.tau!, e, 1e-4, `tau ${g.groupId}`);
          else expect(g.tau).toBe(Infinity); // no correct row has a token: nothing is selected
        }
        const sel = await read(s.selected);
        const T = c.T;
        ref.selected.flat().forEach((e, k) => {
          const tau = ref.tau.get(x.group_ids[Math.floor(k / T)]!) ?? Infinity;
          const margin = Math.abs((ref.scores.flat()[k] ?? Infinity) - tau);
          if (margin > 1e-3 * Math.max(1, Math.abs(tau)))
            expect(sel[k], `selected[${k}] seed ${c.seed}`).toBe(e);
        });
        expect(s.groups.filter((g) => g.mixed).length).toBeGreaterThan(0);
        tf.dispose([s.scores, s.selected]);
        disposeTestBatch(batch);
      }
    });
});
