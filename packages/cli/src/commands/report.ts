/** `grpo-lab report <dir>`: report.html (self-contained) + report.md for an ablation or a run dir. */
import { writeReport } from '../report/index.js';
import { EXIT, type Io } from './io.js';

export interface ReportCommandOptions {
  out?: string;
  smoothing?: number;
  quiet?: boolean;
  /** Print the Markdown summary [true]. */
  print?: boolean;
}

export async function reportCommand(dir: string, opts: ReportCommandOptions, io: Io): Promise<number> {
  const r = writeReport(dir, {
    ...(opts.out ? { outDir: opts.out } : {}),
    ...(opts.smoothing ? { smoothing: opts.smoothing } : {}),
  });
  if (!opts.quiet) {
    if (opts.print !== false) io.stdout.write(r.markdown + '\n');
    io.stderr.write(`wrote ${r.htmlPath} and ${r.markdownPath}\n`);
  }
  return EXIT.ok;
}
