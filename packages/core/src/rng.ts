/**
 * Seeded RNG: xoshiro128** (Blackman & Vigna) seeded through splitmix32. Small, fast, with a
 * serialisable state so a resumed run draws exactly what an uninterrupted one would.
 */
export type RngState = readonly [number, number, number, number];

export interface Rng {
  /** Uniform uint32. */
  nextU32(): number;
  /** Uniform in [0, 1). */
  next(): number;
  /** Uniform integer in [0, n). */
  int(n: number): number;
  /** Standard normal (Box–Muller). */
  normal(): number;
  /** Fisher–Yates shuffle in place; returns the array. */
  shuffle<T>(a: T[]): T[];
  /** k distinct indices from [0, n), in draw order. */
  sample(n: number, k: number): number[];
  /** A 32-bit seed for a tfjs op (tf.randomUniform and friends). */
  seed(): number;
  state(): RngState;
  setState(s: RngState): void;
}

function splitmix32(a: number): () => number {
  return () => {
    a = (a + 0x9e3779b9) | 0;
    let z = a;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return (z ^ (z >>> 16)) >>> 0;
  };
}

/** Hashes a string (e.g. a run name) to a 32-bit seed (FNV-1a). */
export function hashSeed(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

export function createRng(seed: number | string = 0): Rng {
  const sm = splitmix32(typeof seed === 'string' ? hashSeed(seed) : seed >>> 0);
  let s0 = sm(),
    s1 = sm(),
    s2 = sm(),
    s3 = sm();
  const rotl = (x: number, k: number) => (x << k) | (x >>> (32 - k));
  const nextU32 = () => {
    const result = Math.imul(rotl(Math.imul(s1, 5), 7), 9) >>> 0;
    const t = s1 << 9;
    s2 ^= s0;
    s3 ^= s1;
    s1 ^= s2;
    s0 ^= s3;
    s2 ^= t;
    s3 = rotl(s3, 11);
    return result;
  };
  const next = () => nextU32() / 4294967296;
  const rng: Rng = {
    nextU32,
    next,
    int: (n) => {
      if (!(n > 0) || !Number.isInteger(n))
        throw new RangeError(`rng.int: n must be a positive integer, got ${n}`);
      return Math.floor(next() * n);
    },
    normal: () => {
      const u = 1 - next();
      const v = next();
      return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
    },
    shuffle: (a) => {
      for (let i = a.length - 1; i > 0; i--) {
        const j = Math.floor(next() * (i + 1));
        [a[i], a[j]] = [a[j]!, a[i]!];
      }
      return a;
    },
    sample: (n, k) => {
      if (k > n) throw new RangeError(`rng.sample: cannot draw ${k} distinct of ${n}`);
      const idx = Array.from({ length: n }, (_, i) => i);
      for (let i = 0; i < k; i++) {
        const j = i + Math.floor(next() * (n - i));
        [idx[i], idx[j]] = [idx[j]!, idx[i]!];
      }
      return idx.slice(0, k);
    },
    seed: () => nextU32() & 0x7fffffff,
    state: () => [s0 >>> 0, s1 >>> 0, s2 >>> 0, s3 >>> 0],
    setState: (s) => {
      if (!Array.isArray(s) || s.length !== 4 || s.some((x) => !Number.isInteger(x)))
        throw new TypeError('rng.setState: expected 4 uint32 integers');
      [s0, s1, s2, s3] = s as unknown as [number, number, number, number];
    },
  };
  return rng;
}
