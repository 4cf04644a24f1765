/**
 * Progress output of the commands: bars with ETA (cli-progress) on a TTY, one plain line per event
 * elsewhere (CI logs), nothing with --quiet. Only the cli prints; this is where it does.
 */
import cliProgress from 'cli-progress';

export interface Progress {
  /** A bar (or a line) for a unit of work of `total` steps. */
  task(label: string, total: number): TaskProgress;
  /** A message that does not disturb the bars. */
  log(msg: string): void;
  stop(): void;
}

export interface TaskProgress {
  update(value: number, info?: string): void;
  setTotal(total: number): void;
  done(info?: string): void;
}

export type ProgressMode = 'bars' | 'lines' | 'quiet';

export function progressMode(
  opts: { quiet?: boolean },
  stream: NodeJS.WriteStream = process.stderr,
): ProgressMode {
  if (opts.quiet) return 'quiet';
  return stream.isTTY ? 'bars' : 'lines';
}

const quiet: Progress = {
  task: () => ({ update() {}, setTotal() {}, done() {} }),
  log() {},
  stop() {},
};

/** One line per started / finished task and every `every`-th step. */
function lines(stream: NodeJS.WritableStream, every = 10): Progress {
  const t0 = Date.now();
  const ts = () => `[${((Date.now() - t0) / 1000).toFixed(0).padStart(4)}s]`;
  return {
    task(label, total) {
      let n = total;
      stream.write(`${ts()} ${label}: started (${n} steps)\n`);
      return {
        update(v, info) {
          if (v % every === 0 || v === n)
            stream.write(`${ts()} ${label}: ${v}/${n}${info ? ` ${info}` : ''}\n`);
        },
        setTotal(t) {
          n = t;
        },
        done(info) {
          stream.write(`${ts()} ${label}: ${info ?? 'done'}\n`);
        },
      };
    },
    log: (msg) => void stream.write(`${ts()} ${msg}\n`),
    stop() {},
  };
}

function bars(stream: NodeJS.WriteStream): Progress {
  const multi = new cliProgress.MultiBar(
    {
      format: ' {label} |{bar}| {value}/{total} | {percentage}% | ETA {eta_formatted} | {info}',
      stream,
      hideCursor: true,
      clearOnComplete: false,
      etaBuffer: 20,
      fps: 5,
      barsize: 24,
      autopadding: true,
    },
    cliProgress.Presets.shades_classic,
  );
  let width = 8;
  return {
    task(label, total) {
      width = Math.max(width, label.length);
      let n = total;
      const bar = multi.create(total, 0, { label: label.padEnd(width), info: '' });
      return {
        update: (v, info) => bar.update(v, { info: info ?? '' }),
        setTotal: (t) => bar.setTotal((n = t)),
        done: (info) => bar.update(n, { info: info ?? 'done' }),
      };
    },
    log: (msg) => multi.log(msg + '\n'),
    stop: () => multi.stop(),
  };
}

export function createProgress(mode: ProgressMode, stream: NodeJS.WriteStream = process.stderr): Progress {
  if (mode === 'quiet') return quiet;
  if (mode === 'lines') return lines(stream);
  return bars(stream);
}
