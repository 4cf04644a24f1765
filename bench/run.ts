/**
 * `npm run bench`: every benchmark figure of the repository in one run, side by side with the
 * PyTorch anchors. Each script runs as a child process (one at a time, so they do not compete for
 * the CPU); their JSON lines are re-printed on stdout with a `bench` field naming the figure, and
 * a `ratio` line follows each tfjs/PyTorch pair.
 *
 *   npx tsx --conditions=@grpo-lab/source bench/run.ts [--quick] [--only <name>[,<name>…]] [--all]
 *
 * Figures (names for --only):
 *   train_step    bench/train_step.ts on wasm (and cpu on a small batch), ../shared/bench/torch_step_bench.py
 *   sample        bench/sample.ts (64 prompts × 8 samples × 64 new tokens, KV cache), bench/torch_sampler_bench.py
 *   nthr          bench/nthr.ts (64 × 8 × 256, d 128, V 32,000) and its share of a V = 32,000 training step
 *   plugin_math   bench/plugin_math.ts (B 256 × T 1024), which runs bench/plugin_math_torch.py itself
 *   matmul_ceiling bench/matmul_ceiling.ts: GMAC/s of the step's matMul shapes, tfjs-wasm vs PyTorch
 *   qwen_forward  bench/qwen_forward.ts, a 0.5B-shaped forward pass (only with --all or --only)
 * `--quick` takes fewer steps and repeats (noisier). The PyTorch anchors run with /usr/bin/python3
 * (Debian python3-torch) with OpenBLAS/OpenMP held to one thread (bench/python.ts); when it, torch
 * or ../shared/bench/ is missing, a JSON line says so.
 *
 * Figures of record are the fastest step / repeat on both sides (medians are printed beside them):
 * on the 2-core CI-class machine the CPU is intermittently taken away from the whole VM (a fixed
 * 51 ms loop measured anywhere from 51 to 650 ms), and a mean or median then measures the stalls.
 * A `machine` line before and after the figures reports that noise with the same fixed loop
 * (`stall_ratio` = median / fastest; ≈ 1 on a quiet machine).
 */
import { spawn, spawnSync } from 'node:child_process';
import { PYTHON, pythonEnv } from './python.js';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

type Line = Record<string, unknown>;

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '..');
const argv = process.argv.slice(2);
const has = (f: string) => argv.includes(`--${f}`);
const opt = (f: string) => {
  const i = argv.indexOf(`--${f}`);
  return i >= 0 ? argv[i + 1] : undefined;
};
const quick = has('quick');
const only = opt('only')?.split(',');
const ALL = ['train_step', 'sample', 'nthr', 'plugin_math', 'matmul_ceiling', 'qwen_forward'] as const;
const DEFAULT = ['train_step', 'sample', 'nthr', 'plugin_math', 'matmul_ceiling'];
const wanted = (name: string) => (only ? only.includes(name) : has('all') || DEFAULT.includes(name));
const unknown = only?.filter((n) => !(ALL as readonly string[]).includes(n));
if (unknown?.length) {
  console.error(`bench/run.ts: unknown figure(s) ${unknown.join(', ')}; known: ${ALL.join(', ')}`);
  process.exit(2);
}

const torchStep = resolve(root, '..', 'shared', 'bench', 'torch_step_bench.py');

const emit = (l: Line) => console.log(JSON.stringify(l));

/** The machine's CPU noise: a fixed 3·10⁷-iteration loop timed 15 times. */
function machineNoise(when: string): void {
  const ms: number[] = [];
  let sink = 0;
  for (let r = 0; r < 15; r++) {
    const t0 = performance.now();
    for (let i = 0; i < 3e7; i++) sink += Math.sqrt(i);
    ms.push(performance.now() - t0);
  }
  ms.sort((a, b) => a - b);
  const med = ms[Math.floor(ms.length / 2)]!;
  emit({
    bench: 'machine',
    when,
    loop_ms_min: +ms[0]!.toFixed(1),
    loop_ms_median: +med.toFixed(1),
    loop_ms_max: +ms.at(-1)!.toFixed(1),
    stall_ratio: +(med / ms[0]!).toFixed(2),
    note: sink > 0 ? 'fixed JS loop; stall_ratio ≫ 1 means the CPU was taken away during the run' : '',
  });
}

/** Why the PyTorch anchors cannot run, or undefined when they can. */
const torchMissing = (() => {
  let why: string | undefined;
  return () => {
    if (why !== undefined) return why || undefined;
    const r = spawnSync(PYTHON, ['-c', 'import torch; print(torch.__version__)'], {
      encoding: 'utf8',
      env: pythonEnv(),
    });
    why =
      r.status === 0
        ? ''
        : `${PYTHON} with torch not available (${(r.stderr || String(r.error)).trim().split('\n').at(-1)})`;
    return why || undefined;
  };
})();

/** Runs one child, echoes its JSON lines (tagged with `bench`), returns them. Other stdout goes to stderr. */
function run(bench: string, cmd: string, args: string[]): Promise<Line[]> {
  return new Promise((done) => {
    const out: Line[] = [];
    const child = spawn(cmd, args, { cwd: root, stdio: ['ignore', 'pipe', 'inherit'], env: pythonEnv() });
    let buf = '';
    const take = (s: string) => {
      const t = s.trim();
      if (!t) return;
      try {
        const l = { bench, ...(JSON.parse(t) as Line) };
        out.push(l);
        emit(l);
      } catch {
        process.stderr.write(s + '\n');
      }
    };
    child.stdout.on('data', (d: Buffer) => {
      buf += d.toString();
      let i;
      while ((i = buf.indexOf('\n')) >= 0) {
        take(buf.slice(0, i));
        buf = buf.slice(i + 1);
      }
    });
    child.on('error', (e) => {
      emit({ bench, skipped: true, why: `${cmd}: ${e.message}` });
      done(out);
    });
    child.on('close', (code) => {
      take(buf);
      if (code !== 0) emit({ bench, error: true, why: `${[cmd, ...args].join(' ')} exited with ${code}` });
      done(out);
    });
  });
}

const tsxAs = (bench: string, script: string, ...args: string[]) =>
  run(bench, process.execPath, ['--import', 'tsx', '--conditions=@grpo-lab/source', script, ...args]);
const tsx = (script: string, ...args: string[]) =>
  tsxAs(script.replace(/^bench\/|\.ts$/g, ''), script, ...args);

/** A PyTorch anchor, or a line saying why it was skipped. */
async function python(bench: string, script: string, args: string[]): Promise<Line[]> {
  if (!existsSync(script)) {
    emit({ bench, impl: 'pytorch-cpu', skipped: true, why: `${script.replace(root, '.')} not found` });
    return [];
  }
  const why = torchMissing();
  if (why) {
    emit({ bench, impl: 'pytorch-cpu', skipped: true, why });
    return [];
  }
  return run(bench, PYTHON, [script, ...args]);
}

const num = (l: Line | undefined, k: string) => (typeof l?.[k] === 'number' ? (l[k] as number) : undefined);
const ratio = (a?: number, b?: number) => (a && b ? +(a / b).toFixed(3) : null);

async function trainStep(): Promise<void> {
  const steps = quick ? '2' : '5';
  const wasm = await tsx('bench/train_step.ts', '--backends', 'wasm', '--steps', steps);
  // cpu is ~100× slower than wasm: one step of a 4-row batch (not comparable in size; shown for scale).
  if (!quick) await tsx('bench/train_step.ts', '--backends', 'cpu', '--batch', '4', '--cpu-steps', '1');
  // The anchor's own model and step, each step timed (bench/torch_step_min.py runs the anchor's code).
  const torch = existsSync(torchStep)
    ? await python('train_step', join(here, 'torch_step_min.py'), [torchStep, quick ? '5' : '20'])
    : await python('train_step', torchStep, []);
  const w = wasm.find((l) => l.impl === 'tfjs-wasm' && 'train_tokens_per_s' in l);
  const t = torch.find((l) => 'train_tokens_per_s' in l);
  if (w && t)
    emit({
      bench: 'train_step',
      figure: 'ratio',
      what: 'tfjs-wasm / PyTorch training-step tokens/s, fastest step on both sides (≥ 1 means tfjs is not slower; goal ≥ 1)',
      fastest: ratio(num(w, 'train_tokens_per_s'), num(t, 'train_tokens_per_s')),
      median: ratio(num(w, 'train_tokens_per_s_median'), num(t, 'train_tokens_per_s_median')),
    });
}

async function sample(): Promise<void> {
  const a = quick ? ['--prompts', '16', '--reps', '2'] : [];
  const wasm = await tsx('bench/sample.ts', '--backends', 'wasm', ...a);
  const torch = await python(
    'sample',
    join(here, 'torch_sampler_bench.py'),
    quick ? ['16', '8', '64', '2'] : ['64', '8', '64', '3'],
  );
  const w = wasm.find((l) => 'sample_tokens_per_s' in l);
  const t = torch.find((l) => 'sample_tokens_per_s' in l);
  if (w && t)
    emit({
      bench: 'sample',
      figure: 'ratio',
      what: 'tfjs-wasm / PyTorch KV-cache sampling tokens/s, fastest run on both sides (≥ 1 means tfjs is not slower)',
      fastest: ratio(num(w, 'sample_tokens_per_s'), num(t, 'sample_tokens_per_s')),
      median: ratio(num(w, 'sample_tokens_per_s_median'), num(t, 'sample_tokens_per_s_median')),
    });
}

async function nthr(): Promise<void> {
  // bench/nthr.ts times the V = 32,000 policy step it compares NTHR with itself, interleaved with
  // the NTHR repeats (minimum of each), so both see the same machine.
  await tsx('bench/nthr.ts', ...(quick ? ['--groups', '16', '--reps', '2'] : []));
}

async function pluginMath(): Promise<void> {
  const why = torchMissing();
  await tsx(
    'bench/plugin_math.ts',
    '--backends',
    'wasm',
    '--reps',
    quick ? '3' : '10',
    ...(why ? ['--no-torch'] : []),
  );
  if (why) emit({ bench: 'plugin_math', impl: 'pytorch-cpu', skipped: true, why });
}

async function qwenForward(): Promise<void> {
  const script = ['bench/qwen_forward.ts', 'packages/model/bench/qwen_forward.ts'].find((p) =>
    existsSync(join(root, p)),
  );
  if (!script) return emit({ bench: 'qwen_forward', skipped: true, why: 'qwen_forward.ts not found' });
  await run('qwen_forward', process.execPath, [
    '--import',
    'tsx',
    '--conditions=@grpo-lab/source',
    script,
    '--backend',
    'wasm',
  ]);
}

const figures: Record<(typeof ALL)[number], () => Promise<void>> = {
  train_step: trainStep,
  sample,
  nthr,
  plugin_math: pluginMath,
  matmul_ceiling: () => tsx('bench/matmul_ceiling.ts', '--reps', quick ? '5' : '20').then(() => {}),
  qwen_forward: qwenForward,
};
machineNoise('before');
for (const name of ALL) if (wanted(name)) await figures[name]();
machineNoise('after');
