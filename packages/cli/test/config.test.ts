import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadPlan } from '../src/ablate/plan.js';
import { ConfigError } from '../src/config/errors.js';
import { loadTrainConfig } from '../src/config/validate.js';

let dir: string;
beforeAll(() => (dir = mkdtempSync(join(tmpdir(), 'grpo-lab-config-'))));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let n = 0;
function file(text: string, ext = 'yaml'): string {
  const f = join(dir, `c${n++}.${ext}`);
  writeFileSync(f, text);
  return f;
}

async function problems(p: Promise<unknown>): Promise<string[]> {
  try {
    await p;
  } catch (e) {
    if (e instanceof ConfigError) return e.problems;
    throw e;
  }
  throw new Error('expected a ConfigError');
}

describe('train config validation', () => {
  it('accepts a valid YAML and JSON config', async () => {
    const y = await loadTrainConfig(
      file(
        'outDir: runs/a\ntask: { name: addition, difficulty: 1 }\nadvantage: { name: ngrpo, rMax: 1 }\nreweighter: nthr\n',
      ),
    );
    expect(y.config).toMatchObject({ advantage: { name: 'ngrpo', rMax: 1 }, reweighter: 'nthr' });
    const j = await loadTrainConfig(file(JSON.stringify({ outDir: 'x', steps: 3 }), 'json'));
    expect(j.config.steps).toBe(3);
  });
  it('an unknown key names the key and lists the allowed keys', async () => {
    const p = await problems(
      loadTrainConfig(file('outDir: x\nstepz: 3\noptimizer: { lr: 0.001, momentum: 0.9 }\n')),
    );
    expect(p.join('\n')).toMatch(/\(top level\): unknown key "stepz"; allowed keys: outDir, seed, .*steps/);
    expect(p.join('\n')).toMatch(/optimizer: unknown key "momentum"; allowed keys: name, lr, beta1/);
  });
  it('a bad value names its key path and the allowed values', async () => {
    const p = await problems(
      loadTrainConfig(file('outDir: x\noptimizer: { name: sgd }\nbackend: tpu\nnumGenerations: 0\n')),
    );
    expect(p).toContain('optimizer.name: expected one of "adam", "adamw"');
    expect(p.find((x) => x.startsWith('backend:'))).toMatch(
      /"auto", "node-gpu", "node", "webgpu", "wasm", "cpu"/,
    );
    expect(p.find((x) => x.startsWith('numGenerations:'))).toMatch(/>=\s*1/);
  });
  it('an unknown plugin lists the registered names; a bad plugin option names the option', async () => {
    const p = await problems(
      loadTrainConfig(
        file(
          'outDir: x\nadvantage: grpoo\npolicyLoss: { name: ppoClip, lowe: 0.2 }\ntask: { name: additio }\n',
        ),
      ),
    );
    expect(p.find((x) => x.startsWith('advantage:'))).toMatch(
      /unknown advantage plugin "grpoo"; expected one of .*"grpo".*"ngrpo"/,
    );
    expect(p.find((x) => x.startsWith('policyLoss:'))).toMatch(/lowe/);
    expect(p.find((x) => x.startsWith('task:'))).toMatch(
      /unknown task "additio"; expected one of "addition"/,
    );
  });
  it('outDir is required from the file or --out', async () => {
    const p = await problems(loadTrainConfig(file('steps: 2\n')));
    expect(p).toContain('outDir: required (set it in the file or pass --out <dir>)');
    await expect(loadTrainConfig(file('steps: 2\n'), { outDir: 'y' })).resolves.toBeTruthy();
  });
  it('YAML syntax errors are config errors', async () => {
    const p = await problems(loadTrainConfig(file('outDir: [x\n')));
    expect(p[0]).toMatch(/not valid YAML/);
  });
});

describe('user plugins', () => {
  it('a factory from a file is registered and then named like a built-in', async () => {
    writeFileSync(
      join(dir, 'my-plugin.mjs'),
      `export const reweighterPlugins = { 'my-nthr': (o = {}) => ({ kind: 'reweighter', name: 'my-nthr', options: o, needs: {}, async weights() { throw new Error('unused'); } }) };\n`,
    );
    const f = file(
      `outDir: x\nplugins: [{ kind: reweighter, name: my-nthr, from: ./my-plugin.mjs }]\nreweighter: { name: my-nthr }\n`,
    );
    const loaded = await loadTrainConfig(f);
    expect(loaded.registry.has('reweighter', 'my-nthr')).toBe(true);
    expect(loaded.registry.create('reweighter', 'my-nthr').name).toBe('my-nthr');
  });
  it('a plugin whose file is missing, or which has no factory, is an error naming plugins[i]', async () => {
    let p = await problems(
      loadTrainConfig(file('outDir: x\nplugins: [{ kind: advantage, name: mine, from: ./nope.mjs }]\n')),
    );
    expect(p[0]).toMatch(/^plugins\[0\] \(advantage "mine" from \.\/nope\.mjs\): file not found/);
    writeFileSync(join(dir, 'empty.mjs'), 'export const x = 1;\n');
    p = await problems(
      loadTrainConfig(file('outDir: x\nplugins: [{ kind: advantage, name: mine, from: ./empty.mjs }]\n')),
    );
    expect(p[0]).toMatch(/no factory function found .* the module exports x/);
    p = await problems(
      loadTrainConfig(file('outDir: x\nplugins: [{ kind: sampler, name: mine, from: ./empty.mjs }]\n')),
    );
    expect(p[0]).toMatch(/plugins\[0\]\.kind: expected one of "advantage", "reweighter"/);
  });
  it('a user plugin cannot shadow a built-in name', async () => {
    writeFileSync(
      join(dir, 'adv.mjs'),
      `export default (o = {}) => ({ kind: 'advantage', name: 'grpo', options: o, compute() {} });\n`,
    );
    const p = await problems(
      loadTrainConfig(file('outDir: x\nplugins: [{ kind: advantage, name: grpo, from: ./adv.mjs }]\n')),
    );
    expect(p[0]).toMatch(/already registered/);
  });
});

describe('ablation grids', () => {
  it('axes expand to the cartesian product, named by joining setting names', async () => {
    const { plan } = await loadPlan(
      file(
        'seeds: 2\naxes:\n  adv: { grpo: {}, ngrpo: { advantage: ngrpo } }\n  tok: { plain: {}, nthr: { reweighter: nthr } }\n',
      ),
    );
    expect(plan.methods).toEqual(['grpo+plain', 'grpo+nthr', 'ngrpo+plain', 'ngrpo+nthr']);
    expect(plan.seeds).toEqual([0, 1]);
    expect(plan.runs).toHaveLength(8);
    expect(plan.runs.find((r) => r.id === 'ngrpo+nthr__seed1')!.config).toMatchObject({
      advantage: 'ngrpo',
      reweighter: 'nthr',
      seed: 1,
    });
    expect(plan.baseline).toBe('grpo+plain');
  });
  it('errors name the method and the key path in the grid file', async () => {
    const p = await problems(
      loadPlan(
        file(
          'seeds: [0]\nbase: { steps: 2 }\nmethods:\n  ok: {}\n  bad: { advantage: { name: ngrpo, rmax: 1 } }\n  worse: { reweighter: nthrr }\n',
        ),
      ),
    );
    expect(p.find((x) => x.startsWith('[bad]'))).toMatch(/^\[bad\] methods\.bad\.advantage: .*rmax/);
    expect(p.find((x) => x.startsWith('[worse]'))).toMatch(
      /methods\.worse\.reweighter: unknown reweighter plugin "nthrr"/,
    );
  });
  it('rejects a baseline that is not a method, method names with "__", and outDir/seed in methods', async () => {
    expect((await problems(loadPlan(file('seeds: 1\nbaseline: nope\nmethods: { a: {} }\n'))))[0]).toMatch(
      /baseline: expected one of "a", got "nope"/,
    );
    expect((await problems(loadPlan(file('seeds: 1\nmethods: { a__b: {} }\n'))))[0]).toMatch(
      /methods.a__b.*"__"/,
    );
    expect((await problems(loadPlan(file('seeds: 1\nmethods: { a: { seed: 3 } }\n'))))[0]).toMatch(
      /methods\.a: unknown key "seed"/,
    );
    expect((await problems(loadPlan(file('methods: { a: {} }\n'))))[0]).toMatch(/^seeds: /);
  });
});
