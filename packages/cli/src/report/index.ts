/** `grpo-lab report <dir>`: read runs, aggregate, write report.html and report.md. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildReport, type ReportModel } from './aggregate.js';
import { renderHtml } from './html.js';
import { renderMarkdown } from './markdown.js';
import { readReportInput } from './read.js';

export * from './stats.js';
export { buildReport, band, distribution } from './aggregate.js';
export type {
  Band,
  CurveChart,
  Distribution,
  FinalMetric,
  FinalComparison,
  ReportModel,
} from './aggregate.js';
export { readReportInput, readRun, readMetrics, runDirName, RUN_DIR_RE } from './read.js';
export type { AblationManifest, MetricLine, ReportInput, RunData } from './read.js';
export { renderHtml, chartJsSource } from './html.js';
export { renderMarkdown } from './markdown.js';

export interface WriteReportOptions {
  /** Where to write report.html and report.md [the input dir]. */
  readonly outDir?: string;
  /** Running-mean window for train curves [≈ steps / 25]. */
  readonly smoothing?: number;
}

export interface WrittenReport {
  readonly model: ReportModel;
  readonly html: string;
  readonly markdown: string;
  readonly htmlPath: string;
  readonly markdownPath: string;
}

export function writeReport(dir: string, opts: WriteReportOptions = {}): WrittenReport {
  const model = buildReport(
    readReportInput(dir),
    opts.smoothing !== undefined ? { smoothing: opts.smoothing } : {},
  );
  const out = opts.outDir ?? dir;
  mkdirSync(out, { recursive: true });
  const html = renderHtml(model, { generatedAt: new Date().toISOString() });
  const markdown = renderMarkdown(model);
  const htmlPath = join(out, 'report.html');
  const markdownPath = join(out, 'report.md');
  writeFileSync(htmlPath, html);
  writeFileSync(markdownPath, markdown);
  return { model, html, markdown, htmlPath, markdownPath };
}
