// A stand-in for `grpo-lab train <runFile> --progress-json`: writes the trainer's run-dir layout
// (metrics.jsonl, checkpoints/latest, summary.json) for config.steps steps, resuming from
// checkpoints/latest when the run file says resume. If `<outDir>.crash` exists it is removed and the
// worker exits 1 after step 2 (a crash after a checkpoint). Every invocation is appended to
// `<outDir>/../invocations.log`.
import { appendFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import process from 'node:process';

const cfg = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const out = cfg.outDir;
const steps = cfg.steps ?? 5;
mkdirSync(join(out, 'checkpoints'), { recursive: true });
const latest = join(out, 'checkpoints', 'latest');
let start = 0;
if (cfg.resume && existsSync(latest))
  start = Number(readFileSync(latest, 'utf8').trim().replace('step-', ''));
appendFileSync(
  join(dirname(out), 'invocations.log'),
  `${out.split('/').pop()} resume=${cfg.resume} from=${start}\n`,
);
const metrics = join(out, 'metrics.jsonl');
if (start === 0) writeFileSync(metrics, '');
writeFileSync(join(out, 'config.json'), JSON.stringify(cfg));
const crash = out + '.crash';
const lift = cfg.advantage === 'ngrpo' ? 0.2 : 0;
for (let step = start + 1; step <= steps; step++) {
  const r = 0.2 + lift + step / (steps * 2) + (cfg.seed % 3) * 0.01;
  appendFileSync(
    metrics,
    JSON.stringify({
      type: 'train',
      step,
      wall_s: step,
      reward_mean: r,
      accuracy: r,
      lld_mean: -0.01 + lift / 10,
      lld_frac_neg: 0.5 - lift,
      clip_frac_upper: 0.01,
      clip_frac_lower: 0.02,
      kl: 0,
      approx_kl: 0.001,
    }) + '\n',
  );
  writeFileSync(latest, `step-${step}\n`);
  process.stdout.write(`@grpo-lab:progress ${JSON.stringify({ phase: 'rl', step, steps, reward: r })}\n`);
  if (step === 2 && existsSync(crash)) {
    rmSync(crash);
    process.stderr.write('simulated crash\n');
    process.exit(1);
  }
}
appendFileSync(metrics, JSON.stringify({ type: 'eval', step: steps, accuracy: 0.5 + lift }) + '\n');
writeFileSync(join(out, 'summary.json'), JSON.stringify({ step: steps }));
