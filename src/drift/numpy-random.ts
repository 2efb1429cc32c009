/**
 * numpy's legacy global RNG (`np.random.seed(s)` → MT19937 → `RandomState.permutation`), ported so
 * Evidently's permutation tests (TVD, empirical_mmd) and the embedding methods' bootstraps give the
 * same results for the same seed. (fer-gpu's own seeded generator is `Rng` in src/random.ts.)
 */
export class LegacyMT19937 {
  private readonly mt = new Uint32Array(624);
  private index = 624;

  /** Same as `np.random.seed(seed)` for an integer seed in [0, 2^32). */
  constructor(seed: number) {
    if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
      throw new Error(`seed must be an integer in [0, 2^32), got ${seed}`);
    }
    this.mt[0] = seed >>> 0;
    for (let i = 1; i < 624; i++) {
      const prev = this.mt[i - 1]! ^ (this.mt[i - 1]! >>> 30);
      // 1812433253 * prev + i, modulo 2^32, without losing precision.
      this.mt[i] = (Math.imul(1812433253, prev) + i) >>> 0;
    }
  }

  /** Next 32-bit output (MT19937 genrand_int32). */
  nextUint32(): number {
    const mt = this.mt;
    if (this.index >= 624) {
      for (let k = 0; k < 624; k++) {
        const y = (mt[k]! & 0x80000000) | (mt[(k + 1) % 624]! & 0x7fffffff);
        mt[k] = mt[(k + 397) % 624]! ^ (y >>> 1) ^ (y & 1 ? 0x9908b0df : 0);
      }
      this.index = 0;
    }
    let y = mt[this.index++]!;
    y ^= y >>> 11;
    y ^= (y << 7) & 0x9d2c5680;
    y ^= (y << 15) & 0xefc60000;
    y ^= y >>> 18;
    return y >>> 0;
  }

  /** Uniform integer in [0, max] by masked rejection (numpy's random_interval, max < 2^32). */
  interval(max: number): number {
    if (max === 0) return 0;
    let mask = max;
    mask |= mask >>> 1;
    mask |= mask >>> 2;
    mask |= mask >>> 4;
    mask |= mask >>> 8;
    mask |= mask >>> 16;
    mask >>>= 0;
    let v: number;
    do v = (this.nextUint32() & mask) >>> 0;
    while (v > max);
    return v;
  }

  /** `np.random.permutation(n)`: a shuffled arange(n), legacy Fisher-Yates from the end. */
  permutation(n: number): Int32Array {
    const a = new Int32Array(n);
    for (let i = 0; i < n; i++) a[i] = i;
    for (let i = n - 1; i >= 1; i--) {
      const j = this.interval(i);
      const t = a[i]!;
      a[i] = a[j]!;
      a[j] = t;
    }
    return a;
  }
}

/** np.random.seed(seed); np.random.choice(n, size) (with replacement), continuing with `rng`. */
export function choice(rng: LegacyMT19937, n: number, size: number): Int32Array {
  const out = new Int32Array(size);
  for (let i = 0; i < size; i++) out[i] = rng.interval(n - 1);
  return out;
}

/** np.random.rand(n) after np.random.seed(seed) (legacy MT19937 doubles). */
export function legacyRand(seed: number, n: number): Float64Array {
  const rng = new LegacyMT19937(seed);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const a = rng.nextUint32() >>> 5;
    const b = rng.nextUint32() >>> 6;
    out[i] = (a * 67108864 + b) / 9007199254740992;
  }
  return out;
}

/** pandas `df.sample(min(n, 1000), random_state=0)`: the rows it picks (order irrelevant here). */
export function sample1000(n: number): Int32Array {
  if (n <= 1000) return Int32Array.from({ length: n }, (_, i) => i);
  return new LegacyMT19937(0).permutation(n).slice(0, 1000);
}
