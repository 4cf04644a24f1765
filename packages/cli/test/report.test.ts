import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildReport } from '../src/report/aggregate.js';
import { renderHtml } from '../src/report/html.js';
import { readReportInput } from '../src/report/read.js';
import { pairedTTest } from '../src/report/stats.js';
import { writeFakeAblation } from './helpers/fake-runs.js';

let dir: string;
beforeAll(() => (dir = mkdtempSync(join(tmpdir(), 'grpo-lab-rep-'))));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('report model', () => {
  it('reads an ablation dir: methods in manifest order, baseline, unfinished runs, a torn last line', () => {
    const abl = join(dir, 'a');
    writeFakeAblation(abl, { unfinished: ['ngrpo__seed2'] });
    writeFileSync(
      join(abl, 'ngrpo__seed2', 'metrics.jsonl'),
      '{"type":"train","step":1,"reward_mean":0.5}\n{"type":"tr',
      { flag: 'w' },
    );
    const input = readReportInput(abl);
    expect(input.methods).toEqual(['grpo', 'grpo-nthr', 'ngrpo']);
    expect(input.baseline).toBe('grpo');
    expect(input.runs).toHaveLength(9);
    const torn = input.runs.find((r) => r.method === 'ngrpo' && r.seed === 2)!;
    expect(torn).toMatchObject({ finished: false, badLines: 1 });
    const m = buildReport(input);
    expect(m.runsFinished).toBe(8);
  });
  it('final metrics pair seeds with the baseline; the test statistics equal the stats module on the same pairs', () => {
    const abl = join(dir, 'b');
    writeFakeAblation(abl, { seeds: [0, 1, 2, 3] });
    const m = buildReport(readReportInput(abl));
    const ev = m.finals.find((f) => f.key === 'eval_accuracy')!;
    const base = ev.perMethod.find((p) => p.method === 'grpo')!;
    const ng = ev.perMethod.find((p) => p.method === 'ngrpo')!;
    const seeds = [0, 1, 2, 3];
    const t = pairedTTest(
      seeds.map((s) => ng.bySeed[s]!),
      seeds.map((s) => base.bySeed[s]!),
    );
    expect(ng.vsBaseline!.tTest.p).toBeCloseTo(t.p, 12);
    expect(ng.vsBaseline!.nPairs).toBe(4);
    expect(base.vsBaseline).toBeUndefined();
    // NTHR metrics only for the NTHR method: no comparison against a baseline without them.
    const nthr = m.finals.find((f) => f.key === 'nthr_selected_frac')!;
    expect(nthr.perMethod.map((p) => p.method)).toEqual(['grpo-nthr']);
    expect(nthr.perMethod[0]!.vsBaseline).toBeUndefined();
  });
  it('bands cover the seeds: lo ≤ mean ≤ hi and n = seeds at every step', () => {
    const abl = join(dir, 'c');
    writeFakeAblation(abl, { steps: 20 });
    const m = buildReport(readReportInput(abl), { smoothing: 1 });
    const reward = m.curves.find((c) => c.id === 'reward')!;
    for (const s of reward.series) {
      expect(s.band.steps).toHaveLength(20);
      s.band.mean.forEach((v, i) => {
        expect(s.band.lo[i]!).toBeLessThanOrEqual(v);
        expect(s.band.hi[i]!).toBeGreaterThanOrEqual(v);
        expect(s.band.n[i]).toBe(3);
      });
    }
  });
  it('probe lines give the per-question Δ(x) distributions', () => {
    const abl = join(dir, 'd');
    writeFakeAblation(abl, { probe: true });
    const m = buildReport(readReportInput(abl));
    expect(m.lldSource).toBe('probe');
    expect(m.lld.map((d) => d.method)).toEqual(['grpo', 'nthr', 'randomTokens', 'positiveOnly']);
    expect(m.lld[0]!.values).toHaveLength(16);
  });
  it('the page is self-contained: Chart.js inlined, no external URL, method names escaped', () => {
    const abl = join(dir, 'e');
    writeFakeAblation(abl, { methods: ['grpo', '<b>x</b>'], steps: 5 });
    const html = renderHtml(buildReport(readReportInput(abl)));
    expect(html).toMatch(/Chart\.js v4/);
    expect(html).not.toMatch(/<script[^>]+src=/);
    expect(html).not.toMatch(/<link[^>]+href=/);
    expect(html).not.toContain('<b>x</b>');
  });
});
