/**
 * The report page in headless Chromium (Debian's `chromium`, driven by playwright-core): it loads
 * offline with no console errors and no network request, and every chart canvas has been drawn.
 * Skipped, with a message saying why, only when /usr/bin/chromium is not installed.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeReport } from '../src/report/index.js';
import { writeFakeAblation } from './helpers/fake-runs.js';

const CHROMIUM = '/usr/bin/chromium';
const haveChromium = existsSync(CHROMIUM);
if (!haveChromium)
  console.warn(
    `report-browser.test: SKIPPED — ${CHROMIUM} is not installed (apt-get install chromium); the report page was not checked in a browser`,
  );

type Browser = import('playwright-core').Browser;

interface PageCheck {
  errors: string[];
  requests: string[];
  report: { rendered: number; expected: number };
  canvases: { id: string; width: number; height: number; inked: number; coloured: number }[];
}

async function check(browser: Browser, htmlPath: string): Promise<PageCheck> {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const errors: string[] = [];
  const requests: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('request', (r) => requests.push(r.url()));
  const url = pathToFileURL(htmlPath).href;
  await page.goto(url, { waitUntil: 'load', timeout: 120_000 });
  await page.waitForFunction(() => (window as any).__report !== undefined, undefined, { timeout: 60_000 });
  const report = await page.evaluate(() => (window as any).__report);
  const canvases = await page.evaluate(() =>
    [...document.querySelectorAll<HTMLCanvasElement>('canvas[data-chart]')].map((c) => {
      const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
      let inked = 0;
      let coloured = 0;
      for (let i = 0; i < d.length; i += 4) {
        if (d[i + 3]! > 0) inked++;
        // A pixel whose channels differ clearly is a dataset colour, not the grey of axes and grid.
        if (
          d[i + 3]! > 0 &&
          Math.max(d[i]!, d[i + 1]!, d[i + 2]!) - Math.min(d[i]!, d[i + 1]!, d[i + 2]!) > 60
        )
          coloured++;
      }
      return { id: c.dataset.chart!, width: c.width, height: c.height, inked, coloured };
    }),
  );
  await page.close();
  return { errors, requests: requests.filter((r) => r !== url), report, canvases };
}

describe.skipIf(!haveChromium)('report page in headless Chromium', () => {
  let browser: Browser;
  let dir: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'grpo-lab-report-'));
    const { chromium } = await import('playwright-core');
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--no-first-run',
        '--disable-sync',
      ],
      timeout: 180_000,
    });
  }, 240_000);
  afterAll(async () => {
    await browser?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('an ablation report (3 methods × 3 seeds, NTHR, probe) loads offline with every chart drawn', async () => {
    const abl = join(dir, 'ablation');
    writeFakeAblation(abl, { probe: true });
    const { htmlPath, model } = writeReport(abl);
    const r = await check(browser, htmlPath);
    expect(r.errors).toEqual([]);
    expect(r.requests).toEqual([]);
    const ids = r.canvases.map((c) => c.id);
    for (const id of [
      'reward',
      'accuracy',
      'eval-accuracy',
      'lld-mean',
      'clip-upper',
      'clip-lower',
      'kl',
      'nthr-selected',
      'lld-hist',
      'lld-box',
    ])
      expect(ids).toContain(id);
    expect(ids).toHaveLength(model.curves.length + 2);
    expect(r.report).toEqual({ rendered: ids.length, expected: ids.length });
    for (const c of r.canvases) {
      expect(c.width, c.id).toBeGreaterThan(100);
      expect(c.inked / (c.width * c.height), `${c.id} drawn`).toBeGreaterThan(0.01);
      expect(c.coloured, `${c.id} shows data`).toBeGreaterThan(50);
    }
  }, 240_000);

  it('a single run dir (one method, one seed, no NTHR) renders every chart it has', async () => {
    const run = join(dir, 'single__seed0');
    writeFakeAblation(join(dir, 'tmp'), { methods: ['grpo'], seeds: [0], steps: 12 });
    rmSync(run, { recursive: true, force: true });
    const { renameSync } = await import('node:fs');
    renameSync(join(dir, 'tmp', 'grpo__seed0'), run);
    const { htmlPath, model } = writeReport(run);
    expect(model.methods).toEqual(['single']);
    expect(model.curves.find((c) => c.id === 'nthr-selected')).toBeUndefined();
    const r = await check(browser, htmlPath);
    expect(r.errors).toEqual([]);
    expect(r.report.rendered).toBe(r.report.expected);
    for (const c of r.canvases) expect(c.coloured, `${c.id} shows data`).toBeGreaterThan(50);
  }, 240_000);
});
