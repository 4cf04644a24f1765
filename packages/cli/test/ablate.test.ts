import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ablateCommand } from '../src/commands/ablate.js';
import { EXIT } from '../src/commands/io.js';
import { loadPlan } from '../src/ablate/plan.js';
import { memoryIo } from './helpers/io.js';

const FAKE = new URL('./helpers/fake-worker.mjs', import.meta.url).pathname;
const worker = { command: process.execPath, args: (f: string) => [FAKE, f] };

const GRID = `
name: resume-test
outDir: OUT
baseline: grpo
seeds: [0, 1]
jobs: 2
base:
  task: { name: addition, difficulty: 1 }
  steps: 4
methods:
  grpo: {}
  ngrpo: { advantage: ngrpo, policyLoss: asymmetric }
`;

describe('ablate: methods × seeds in child processes, resumable', () => {
  let dir: string;
  let grid: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'grpo-lab-ablate-'));
    grid = join(dir, 'grid.yaml');
    writeFileSync(grid, GRID.replace('OUT', join(dir, 'out')));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const out = () => join(dir, 'out');
  const invocations = () => readFileSync(join(out(), 'invocations.log'), 'utf8').trim().split('\n');

  it('plans the cartesian product with one run dir per method and seed', async () => {
    const { plan } = await loadPlan(grid);
    expect(plan.runs.map((r) => r.id)).toEqual([
      'grpo__seed0',
      'grpo__seed1',
      'ngrpo__seed0',
      'ngrpo__seed1',
    ]);
    expect(plan.runs[2]!.config).toMatchObject({
      advantage: 'ngrpo',
      policyLoss: 'asymmetric',
      seed: 0,
      steps: 4,
      outDir: join(out(), 'ngrpo__seed0'),
    });
    expect(plan.jobs).toBe(2);
  });

  it('an interrupted ablation (a run crashes, no retries) exits 1 and leaves the others finished', async () => {
    mkdirSync(out(), { recursive: true });
    writeFileSync(join(out(), 'ngrpo__seed1.crash'), '');
    const io = memoryIo();
    const code = await ablateCommand(grid, { worker, retries: 0, quiet: true }, io);
    expect(code).toBe(EXIT.failed);
    expect(io.err()).toMatch(/failed: ngrpo__seed1/);
    for (const id of ['grpo__seed0', 'grpo__seed1', 'ngrpo__seed0'])
      expect(existsSync(join(out(), id, 'summary.json'))).toBe(true);
    expect(existsSync(join(out(), 'ngrpo__seed1', 'summary.json'))).toBe(false);
    expect(readFileSync(join(out(), 'ngrpo__seed1', 'checkpoints', 'latest'), 'utf8').trim()).toBe('step-2');
    expect(existsSync(join(out(), 'report.html'))).toBe(false); // no report while a run failed
    expect(JSON.parse(readFileSync(join(out(), 'ablation.json'), 'utf8'))).toMatchObject({
      baseline: 'grpo',
      methods: ['grpo', 'ngrpo'],
      seeds: [0, 1],
    });
  });

  it('running it again skips finished runs, resumes the crashed one from its checkpoint and writes the report', async () => {
    const before = invocations().length;
    const io = memoryIo();
    const code = await ablateCommand(grid, { worker, quiet: true }, io);
    expect(code).toBe(EXIT.ok);
    const now = invocations().slice(before);
    expect(now).toEqual(['ngrpo__seed1 resume=true from=2']);
    const lines = readFileSync(join(out(), 'ngrpo__seed1', 'metrics.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines.filter((l) => l.type === 'train').map((l) => l.step)).toEqual([1, 2, 3, 4]);
    expect(existsSync(join(out(), 'report.html'))).toBe(true);
    expect(readFileSync(join(out(), 'report.md'), 'utf8')).toMatch(/\| eval_accuracy \| ngrpo \| 2 \|/);
  });

  it('a crash within one invocation is restarted with resume (retries)', async () => {
    rmSync(out(), { recursive: true, force: true });
    const io = memoryIo();
    mkdirSync(out(), { recursive: true });
    writeFileSync(join(out(), 'grpo__seed0.crash'), '');
    const code = await ablateCommand(grid, { worker, retries: 1, jobs: 1, quiet: true }, io);
    expect(code).toBe(EXIT.ok);
    expect(invocations().filter((l) => l.startsWith('grpo__seed0'))).toEqual([
      'grpo__seed0 resume=false from=0',
      'grpo__seed0 resume=true from=2',
    ]);
  });

  it('--dry-run lists the runs', async () => {
    const io = memoryIo();
    expect(await ablateCommand(grid, { dryRun: true }, io)).toBe(EXIT.ok);
    expect(io.out()).toMatch(/4 runs \(2 methods × 2 seeds\)/);
  });
});
