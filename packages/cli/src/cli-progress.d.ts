/** The part of cli-progress 3.x used here (the package ships no types; @types/cli-progress is not installed). */
declare module 'cli-progress' {
  export interface Options {
    format?: string;
    stream?: NodeJS.WritableStream;
    hideCursor?: boolean;
    clearOnComplete?: boolean;
    stopOnComplete?: boolean;
    etaBuffer?: number;
    fps?: number;
    noTTYOutput?: boolean;
    barsize?: number;
    autopadding?: boolean;
  }
  export interface Bar {
    update(value: number, payload?: Record<string, unknown>): void;
    setTotal(total: number): void;
    increment(delta?: number, payload?: Record<string, unknown>): void;
    stop(): void;
  }
  export class SingleBar implements Bar {
    constructor(opts: Options, preset?: unknown);
    start(total: number, value: number, payload?: Record<string, unknown>): void;
    update(value: number, payload?: Record<string, unknown>): void;
    setTotal(total: number): void;
    increment(delta?: number, payload?: Record<string, unknown>): void;
    stop(): void;
  }
  export class MultiBar {
    constructor(opts: Options, preset?: unknown);
    create(total: number, value: number, payload?: Record<string, unknown>): Bar;
    remove(bar: Bar): boolean;
    log(text: string): void;
    stop(): void;
  }
  export const Presets: { shades_classic: unknown; shades_grey: unknown; legacy: unknown; rect: unknown };
  const _default: { SingleBar: typeof SingleBar; MultiBar: typeof MultiBar; Presets: typeof Presets };
  export default _default;
}
