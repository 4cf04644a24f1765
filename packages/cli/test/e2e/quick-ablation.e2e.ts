/**
 * SHORTENED VARIANT of examples/quick-ablation.yaml, end to end: the same grid (GRPO vs GRPO+NTHR vs
 * NGRPO, same task and model) with 2 seeds, a 5-step warm start, 2 RL steps and a tiny eval split,
 * run by `ablate` in real child processes (the `grpo-lab train` bin from source, the real trainer),
 * then the report. The full example is run by `npm run grpo-lab -- ablate examples/quick-ablation.yaml`.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { ablateCommand } from '../../src/commands/ablate.js';
import { EXIT } from '../../src/commands/io.js';
import { memoryIo } from '../helpers/io.js';

const EXAMPLE = new URL('../../../../examples/quick-ablation.yaml', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'grpo-lab-quick-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('examples/quick-ablation.yaml, shortened (2 seeds, 2 steps)', () => {
  it('runs every method × seed in child processes and writes the report', async () => {
    const grid = parse(readFileSync(EXAMPLE, 'utf8'));
    grid.outDir = join(dir, 'out');
    grid.seeds = [0, 1];
    grid.base = {
      ...grid.base,
      sft: { steps: 5, batchSize: 16 },
      steps: 2,
      eval: { every: 2, size: 8 },
      checkpoint: { every: 1 },
    };
    const file = join(dir, 'quick.yaml');
    writeFileSync(file, stringify(grid));
    const io = memoryIo();
    const t0 = Date.now();
    const code = await ablateCommand(file, { quiet: true }, io);
    const logs = existsSync(join(dir, 'out', 'logs')) ? io.err() : '';
    expect(code, logs).toBe(EXIT.ok);
    for (const m of ['grpo', 'grpo-nthr', 'ngrpo'])
      for (const s of [0, 1]) {
        const run = join(dir, 'out', `${m}__seed${s}`);
        expect(existsSync(join(run, 'summary.json')), run).toBe(true);
        const lines = readFileSync(join(run, 'metrics.jsonl'), 'utf8')
          .trim()
          .split('\n')
          .map((l) => JSON.parse(l));
        expect(lines.filter((l) => l.type === 'train')).toHaveLength(2);
      }
    const md = readFileSync(join(dir, 'out', 'report.md'), 'utf8');
    expect(md).toMatch(/\| reward_final \| ngrpo \| 2 \|/);
    expect(readFileSync(join(dir, 'out', 'report.html'), 'utf8')).toMatch(/grpo-nthr/);
    console.log(`shortened quick ablation: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  }, 590_000);
});
