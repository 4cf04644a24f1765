/**
 * Golden tier (every backend): each advantage in ../shared/golden (verl.json both cases, ngrpo.json,
 * w_reinforce.json, TRL's batch scale) reproduced in float32 to 1e-5·max(1, |e|).
 */
import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { disposeBatch, type AdvantageEstimator, type Batch } from '@grpo-lab/core';
import {
  drGrpo,
  gpg,
  grpo,
  ngrpo,
  nsr,
  opo,
  passAtK,
  psr,
  reinforcePlusPlusBaseline,
  rloo,
  wReinforce,
} from '@grpo-lab/advantages';
import { TEST_BACKENDS, expectCloseTo, loadGolden, read, useBackend } from '../../../testing/index.js';

const verl = loadGolden('verl.json');
const ngrpoG = loadGolden('ngrpo.json');
const wr = loadGolden('w_reinforce.json');

/** Group ids of any kind (verl uses strings) → int32 ids in order of first appearance. */
function intIds(ids: (string | number)[]): number[] {
  const seen = new Map<string | number, number>();
  return ids.map((u) => seen.get(u) ?? (seen.set(u, seen.size), seen.size - 1));
}

function makeBatch(ids: (string | number)[], rewards: number[], mask: number[][]): Batch {
  const B = ids.length;
  return {
    groupIds: tf.tensor1d(intIds(ids), 'int32'),
    rewards: tf.tensor1d(rewards, 'float32'),
    mask: tf.tensor2d(mask, [B, mask[0]!.length], 'float32'),
  };
}

async function run(est: AdvantageEstimator, batch: Batch): Promise<number[]> {
  const a = est.compute(batch);
  expect(a.shape).toEqual(batch.mask.shape);
  expect(a.dtype).toBe('float32');
  const v = await read(a);
  a.dispose();
  return v;
}

/** Per-row values → [B][T] rows × mask (for goldens given per sequence), with rows to skip as null. */
function perToken(values: (number | null)[], mask: number[][]): (number | null)[][] {
  return mask.map((row, i) => row.map((m) => (values[i] === null ? null : m * values[i]!)));
}

for (const backend of TEST_BACKENDS) {
  describe(`advantages golden on ${backend}`, () => {
    for (const c of verl.cases as any[]) {
      const inp = c.inputs;
      const out = c.outputs.advantages;
      const singleRows = intIds(inp.uid).map((g, _i, all) => all.filter((x) => x === g).length === 1);
      const cases: [string, AdvantageEstimator, unknown][] = [
        ['grpo', grpo(), out.grpo],
        ['grpo_vectorized', grpo(), out.grpo_vectorized],
        ['grpo_no_std (drGrpo)', drGrpo(), out.grpo_no_std],
        ['grpo_no_std (grpo std none)', grpo({ std: 'none' }), out.grpo_no_std],
        ['grpo_vectorized_no_std', drGrpo(), out.grpo_vectorized_no_std],
        ['rloo', rloo(), out.rloo],
        ['rloo_vectorized', rloo({ singleton: 'zero' }), out.rloo_vectorized],
        ['opo', opo(), out.opo],
        ['reinforce_plus_plus_baseline', reinforcePlusPlusBaseline(), out.reinforce_plus_plus_baseline],
        ['gpg', gpg(), out.gpg],
      ];
      if (Array.isArray(out.grpo_passk)) cases.push(['grpo_passk', passAtK(), out.grpo_passk]);
      for (const [key, est, expected] of cases) {
        it(`verl ${inp.name}: ${key}`, async () => {
          await useBackend(backend);
          const b = makeBatch(inp.uid, inp.scores, inp.response_mask);
          expectCloseTo(await run(est, b), expected, 1e-5, `${inp.name}.${key}`);
          disposeBatch(b);
        });
      }
      if (typeof out.grpo_passk === 'string') {
        it(`verl ${inp.name}: grpo_passk (verl raises on a singleton; we give it 0)`, async () => {
          await useBackend(backend);
          const b = makeBatch(inp.uid, inp.scores, inp.response_mask);
          const a = await run(passAtK(), b);
          const T = inp.response_mask[0].length;
          singleRows.forEach(
            (s: boolean, i: number) =>
              s && expect(a.slice(i * T, (i + 1) * T).every((x) => x === 0)).toBe(true),
          );
          disposeBatch(b);
        });
      }
      // TRL scale_rewards group / batch / none with ε = 1e-4. TRL never has singleton groups (its
      // re-implementation gives them 0); we keep verl's singleton rule, so those rows are not compared.
      const trl = c.outputs.trl_reimpl.advantages;
      const skip = (v: number[]) => v.map((x, i) => (singleRows[i] ? null : x));
      const trlCases: [string, AdvantageEstimator][] = [
        ['group', grpo({ eps: 1e-4 })],
        ['batch', grpo({ eps: 1e-4, scale: 'batch' })],
        ['none', grpo({ std: 'none' })],
      ];
      for (const [key, est] of trlCases) {
        it(`TRL ${inp.name}: scale ${key}`, async () => {
          await useBackend(backend);
          const b = makeBatch(inp.uid, inp.scores, inp.response_mask);
          expectCloseTo(await run(est, b), perToken(skip(trl[key]), inp.response_mask), 1e-5, `trl.${key}`);
          disposeBatch(b);
        });
      }
    }

    it('ngrpo advantage_cases: every case, GRPO contrast too', async () => {
      await useBackend(backend);
      for (const c of ngrpoG.advantage_cases as any[]) {
        const G = c.rewards.length;
        const mask = Array.from({ length: G }, () => [1, 1]);
        const b = makeBatch(Array(G).fill(7), c.rewards, mask);
        const { r_max, virtual_count, eps } = c.params;
        const est = ngrpo({ rMax: r_max, virtualCount: virtual_count, eps });
        expectCloseTo(await run(est, b), perToken(c.outputs.advantages, mask), 1e-5, `${c.name}.advantages`);
        expectCloseTo(
          await run(grpo({ eps }), b),
          perToken(c.outputs.grpo_advantages, mask),
          1e-5,
          `${c.name}.grpo`,
        );
        disposeBatch(b);
      }
    });

    it('ngrpo loss_cases: the advantages of main and edge', async () => {
      await useBackend(backend);
      for (const c of ngrpoG.loss_cases as any[]) {
        const { group_ids, rewards, response_mask } = c.inputs;
        const b = makeBatch(group_ids, rewards, response_mask);
        const est = ngrpo({ rMax: c.params.r_max, virtualCount: c.params.virtual_count, eps: c.params.eps });
        expectCloseTo(
          await run(est, b),
          perToken(c.outputs.advantages, response_mask),
          1e-5,
          `${c.name}.advantages`,
        );
        disposeBatch(b);
      }
    });

    it('w_reinforce.json: PSR, NSR, W-REINFORCE (both λ), Dr. GRPO, GRPO', async () => {
      await useBackend(backend);
      const c = wr.cases[0];
      const { group_ids, rewards, response_mask } = c.inputs;
      const b = makeBatch(group_ids, rewards, response_mask);
      const pt = c.outputs.per_token;
      expectCloseTo(await run(psr(), b), pt.psr, 1e-5, 'psr');
      expectCloseTo(await run(nsr(), b), pt.nsr, 1e-5, 'nsr');
      expectCloseTo(await run(drGrpo(), b), pt.dr_grpo, 1e-5, 'dr_grpo');
      expectCloseTo(await run(grpo({ eps: c.params.grpo_eps }), b), pt.grpo, 1e-5, 'grpo');
      for (const w of pt.w_reinforce) {
        expectCloseTo(
          await run(wReinforce({ lambda: w.lambda }), b),
          w.advantages,
          1e-5,
          `w_reinforce λ=${w.lambda}`,
        );
      }
      const ps = c.outputs.per_sequence;
      expectCloseTo(
        await run(wReinforce(), b),
        perToken(ps.w_reinforce[0].advantages, response_mask),
        1e-5,
        'λ default',
      );
      disposeBatch(b);
    });
  });
}
