/**
 * Test helpers shared by every package's tests (not published): golden vectors, the backends each
 * test tier runs on, and float32 comparisons with the golden tolerance.
 */
import { readFileSync, existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { selectBackend, type BackendName } from '@grpo-lab/core';

const here = dirname(fileURLToPath(import.meta.url));
export const repoRoot = resolve(here, '..');

/** `../shared/golden/` beside the repo (override with GRPO_LAB_GOLDEN for a different layout). */
export function goldenDir(): string {
  const candidates = [process.env.GRPO_LAB_GOLDEN, join(repoRoot, '..', 'shared', 'golden')].filter(
    Boolean,
  ) as string[];
  for (const c of candidates) if (existsSync(c)) return c;
  throw new Error(`golden vectors not found; looked in ${candidates.join(', ')}`);
}

export function loadGolden<T = any>(file: 'verl.json' | 'ngrpo.json' | 'w_reinforce.json' | 'nthr.json'): T {
  return JSON.parse(readFileSync(join(goldenDir(), file), 'utf8')) as T;
}

/** The backends the "every backend" test tier runs on (CI: cpu and wasm; webgpu when asked). */
export const TEST_BACKENDS: BackendName[] = (process.env.GRPO_LAB_TEST_BACKENDS ?? 'cpu,wasm').split(
  ',',
) as BackendName[];

export async function useBackend(name: BackendName): Promise<void> {
  await selectBackend(name);
}

/** |a − e| ≤ tol·max(1, |e|) element-wise; `null` in expected = not compared. Throws with the worst element. */
export function expectCloseTo(
  actual: ArrayLike<number> | number,
  expected: unknown,
  tol = 1e-5,
  what = 'value',
): void {
  const a = typeof actual === 'number' ? [actual] : Array.from(actual);
  const e = (Array.isArray(expected) ? (expected as unknown[]).flat(Infinity) : [expected]) as (
    number | null
  )[];
  if (a.length !== e.length) throw new Error(`${what}: length ${a.length} ≠ expected ${e.length}`);
  let worst = -1;
  let worstErr = 0;
  for (let i = 0; i < a.length; i++) {
    const ev = e[i];
    if (ev === null || ev === undefined) continue;
    const err = Math.abs(a[i]! - ev) / Math.max(1, Math.abs(ev));
    if (!(err <= tol) && (worst < 0 || !(worstErr >= err))) {
      worst = i;
      worstErr = err;
    }
  }
  if (worst >= 0)
    throw new Error(
      `${what}: element ${worst} is ${a[worst]}, expected ${e[worst]} (rel err ${worstErr} > ${tol})`,
    );
}

/** Reads a tensor to a plain array (async: works on every backend). */
export async function read(t: tf.Tensor): Promise<number[]> {
  return Array.from(await t.data());
}

export type Matrix = (number | null)[][];

/** A golden [B, T] matrix as a float32 tensor (`null` = a masked position, read as 0). */
export const t2 = (m: Matrix): tf.Tensor2D =>
  tf.tensor2d(
    m.map((r) => r.map((x) => x ?? 0)),
    undefined,
    'float32',
  );

/** A verl.json case's inputs as tensors (advantages = verl GRPO, as the golden policy loss uses). */
export function verlCase(c: any) {
  const i = c.inputs;
  return {
    logp: t2(i.log_prob),
    oldLogp: t2(i.old_log_prob),
    refLogp: t2(i.ref_log_prob),
    mask: t2(i.response_mask),
    advantages: t2(c.outputs.advantages.grpo),
    dispose() {
      tf.dispose([this.logp, this.oldLogp, this.refLogp, this.mask, this.advantages]);
    },
  };
}

/** An ngrpo.json loss case's inputs as tensors; advantages = the golden per-row NGRPO values × mask. */
export function ngrpoCase(c: any) {
  const i = c.inputs;
  const adv = (i.response_mask as number[][]).map((row, b) => row.map((m) => m * c.outputs.advantages[b]));
  return {
    logp: t2(i.log_prob),
    oldLogp: t2(i.old_log_prob),
    mask: t2(i.response_mask),
    advantages: t2(adv),
  };
}
