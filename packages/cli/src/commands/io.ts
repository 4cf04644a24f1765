/** What the commands print to, their exit codes, and the logger they hand to library code. */
import type { Logger } from '@grpo-lab/core';

export interface Io {
  readonly stdout: NodeJS.WriteStream;
  readonly stderr: NodeJS.WriteStream;
}

export const processIo: Io = { stdout: process.stdout, stderr: process.stderr };

/** Exit codes: 0 ok; 1 a run or check failed; 2 bad usage or an invalid config; 130 interrupted (Ctrl-C). */
export const EXIT = { ok: 0, failed: 1, usage: 2, interrupted: 130 } as const;

/** Library logs on stderr: warnings and errors always, info unless --quiet, debug with --verbose. */
export function cliLogger(io: Io, opts: { quiet?: boolean; verbose?: boolean }): Logger {
  const line = (level: string, msg: string) => io.stderr.write(`${level}: ${msg}\n`);
  return {
    debug: (m) => void (opts.verbose && line('debug', m)),
    info: (m) => void (!opts.quiet && opts.verbose && line('info', m)),
    warn: (m) => line('warning', m),
    error: (m) => line('error', m),
  };
}
