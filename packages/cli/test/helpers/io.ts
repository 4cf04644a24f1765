/** Captured stdout/stderr for command tests. */
import { Writable } from 'node:stream';
import type { Io } from '../../src/commands/io.js';

export function memoryIo(): Io & { out(): string; err(): string } {
  const sink = () => {
    const chunks: string[] = [];
    const w = new Writable({
      write(c, _e, cb) {
        chunks.push(String(c));
        cb();
      },
    }) as unknown as NodeJS.WriteStream;
    return { w, text: () => chunks.join('') };
  };
  const o = sink();
  const e = sink();
  return { stdout: o.w, stderr: e.w, out: o.text, err: e.text };
}
