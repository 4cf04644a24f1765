import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT } from '../src/commands/io.js';
import { main } from '../src/program.js';
import { writeFakeAblation } from './helpers/fake-runs.js';
import { memoryIo } from './helpers/io.js';

let dir: string;
beforeAll(() => (dir = mkdtempSync(join(tmpdir(), 'grpo-lab-cli-'))));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function run(...argv: string[]) {
  const io = memoryIo();
  const code = await main(argv, io);
  return { code, out: io.out(), err: io.err() };
}

describe('grpo-lab command line', () => {
  it('--help lists every command and exits 0', async () => {
    const r = await run('--help');
    expect(r.code).toBe(EXIT.ok);
    for (const c of ['train', 'ablate', 'report', 'eval', 'bench'])
      expect(r.out).toMatch(new RegExp(`^  ${c} `, 'm'));
    expect(r.out).toMatch(/Exit codes: 0 ok, 1 a run failed, 2 bad usage or invalid config, 130 interrupted/);
  });
  it('every command has --help', async () => {
    for (const c of ['train', 'ablate', 'report', 'eval', 'bench']) {
      const r = await run(c, '--help');
      expect(r.code, c).toBe(EXIT.ok);
      expect(r.out, c).toMatch(new RegExp(`Usage: grpo-lab ${c}`));
    }
    expect((await run('--version')).out.trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });
  it('usage errors exit 2: unknown command, missing argument, bad option value', async () => {
    expect((await run('trian')).code).toBe(EXIT.usage);
    expect((await run('train')).code).toBe(EXIT.usage);
    const r = await run('ablate', 'g.yaml', '--jobs', '0');
    expect(r.code).toBe(EXIT.usage);
    expect(r.err).toMatch(/--jobs.*expected an integer ≥ 1/);
    expect((await run('train', 'x.yaml', '--backend', 'tpu')).err).toMatch(
      /Allowed choices are auto, node-gpu/,
    );
  });
  it('an invalid config exits 2 with the key path, before any work', async () => {
    const f = join(dir, 'bad.yaml');
    writeFileSync(f, 'outDir: x\nstepz: 1\n');
    const r = await run('train', f, '--quiet');
    expect(r.code).toBe(EXIT.usage);
    expect(r.err).toMatch(/bad\.yaml: invalid config/);
    expect(r.err).toMatch(/unknown key "stepz"/);
    writeFileSync(f, 'outDir: x\nadvantage: { name: ngrpo, rMax: "one" }\n');
    const p = await run('train', f, '--quiet');
    expect(p.code).toBe(EXIT.usage);
    expect(p.err).toMatch(/advantage: .*rMax/);
    expect((await run('train', join(dir, 'missing.yaml'))).code).toBe(EXIT.usage);
  }, 300_000); // the first `train` imports the trainer and tfjs: slow on a loaded machine
  it('report writes report.html and report.md (exit 0); a dir without runs exits 1', async () => {
    const abl = join(dir, 'abl');
    writeFakeAblation(abl, { steps: 12 });
    const r = await run('report', abl);
    expect(r.code).toBe(EXIT.ok);
    expect(r.out).toMatch(/\| eval_accuracy \| grpo-nthr \| 3 \|/);
    expect(existsSync(join(abl, 'report.html'))).toBe(true);
    expect(existsSync(join(abl, 'report.md'))).toBe(true);
    const empty = join(dir, 'empty');
    rmSync(empty, { recursive: true, force: true });
    const { mkdirSync } = await import('node:fs');
    mkdirSync(empty);
    const bad = await run('report', empty);
    expect(bad.code).toBe(EXIT.failed);
    expect(bad.err).toMatch(/neither a run dir .* nor an ablation dir/);
  });
  it('eval of a path that is not a checkpoint exits 1 with the reason', async () => {
    const r = await run('eval', dir);
    expect(r.code).toBe(EXIT.failed);
    expect(r.err).toMatch(/not a checkpoint dir/);
  });
});
