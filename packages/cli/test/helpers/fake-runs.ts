/** Synthetic run dirs in the trainer's layout (contracts.md), so CLI tests need no trainer. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface FakeAblationOptions {
  methods?: string[];
  baseline?: string;
  seeds?: number[];
  steps?: number;
  evalEvery?: number;
  /** Methods that log NTHR metrics. */
  nthr?: string[];
  /** Add paired-probe lines to the first run. */
  probe?: boolean;
  /** Runs (dir names) left without summary.json. */
  unfinished?: string[];
}

function lcg(seed: number) {
  let s = (seed * 2654435761) >>> 0 || 1;
  return () => (s = (1664525 * s + 1013904223) >>> 0) / 2 ** 32;
}

/** Writes one run dir; `lift` shifts its reward curve so methods differ. */
export function writeFakeRun(
  dir: string,
  o: {
    method: string;
    seed: number;
    steps: number;
    evalEvery: number;
    lift: number;
    nthr: boolean;
    finished: boolean;
    probe?: boolean;
  },
): void {
  mkdirSync(dir, { recursive: true });
  const rnd = lcg(o.seed * 31 + o.method.length * 7 + Math.round(o.lift * 100));
  const lines: string[] = [];
  for (let step = 1; step <= o.steps; step++) {
    const p = Math.min(0.95, 0.2 + (0.5 + o.lift) * (step / o.steps) + (rnd() - 0.5) * 0.1);
    const lld = -0.05 + o.lift * 0.2 + (rnd() - 0.5) * 0.1;
    lines.push(
      JSON.stringify({
        type: 'train',
        step,
        wall_s: step * 0.5,
        reward_mean: p,
        accuracy: p,
        loss: 0.1 * rnd(),
        pg_loss: 0.1 * rnd(),
        kl: 0.001 * step * rnd(),
        entropy: 1.2 - step / o.steps,
        clip_frac_upper: 0.02 * rnd(),
        clip_frac_lower: 0.03 * rnd(),
        dual_clip_frac: null,
        approx_kl: 0.002 * rnd(),
        adv_abs_mean: 0.7,
        mixed_groups: 5,
        ...(o.nthr ? { nthr_selected_frac: 0.2 + 0.1 * rnd(), nthr_mean_eta: 0.4, nthr_mean_tau: 1.5 } : {}),
        lld_mean: lld,
        lld_median: lld,
        lld_frac_neg: Math.max(0, Math.min(1, 0.5 - o.lift + (rnd() - 0.5) * 0.2)),
        lld_token_mean: lld / 5,
        lld_groups: 5,
        tokens_per_s: 2000 + 100 * rnd(),
        num_tensors: 120,
        reward_errors: 0,
      }),
    );
    if (step % o.evalEvery === 0)
      lines.push(JSON.stringify({ type: 'eval', step, accuracy: Math.min(1, p + 0.02) }));
  }
  if (o.probe)
    for (const method of ['grpo', 'nthr', 'randomTokens', 'positiveOnly'])
      for (let g = 0; g < 16; g++)
        lines.push(
          JSON.stringify({
            type: 'probe',
            method,
            group: g,
            delta_seq: (method === 'nthr' ? 0.05 : -0.02) + (rnd() - 0.5) * 0.1,
            delta_token: 0,
          }),
        );
  writeFileSync(join(dir, 'config.json'), JSON.stringify({ name: o.method, seed: o.seed }));
  writeFileSync(join(dir, 'metrics.jsonl'), lines.join('\n') + '\n');
  if (o.finished) writeFileSync(join(dir, 'summary.json'), JSON.stringify({ steps: o.steps }));
}

export function writeFakeAblation(dir: string, opts: FakeAblationOptions = {}): void {
  const methods = opts.methods ?? ['grpo', 'grpo-nthr', 'ngrpo'];
  const seeds = opts.seeds ?? [0, 1, 2];
  const steps = opts.steps ?? 40;
  mkdirSync(dir, { recursive: true });
  methods.forEach((method, mi) => {
    for (const seed of seeds) {
      const name = `${method}__seed${seed}`;
      writeFakeRun(join(dir, name), {
        method,
        seed,
        steps,
        evalEvery: opts.evalEvery ?? 10,
        lift: mi * 0.08,
        nthr: (opts.nthr ?? methods.filter((m) => m.includes('nthr'))).includes(method),
        finished: !(opts.unfinished ?? []).includes(name),
        probe: opts.probe === true && mi === 0 && seed === seeds[0],
      });
    }
  });
  writeFileSync(
    join(dir, 'ablation.json'),
    JSON.stringify({ name: 'fake-ablation', baseline: opts.baseline ?? methods[0], methods, seeds }),
  );
}
