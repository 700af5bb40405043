/**
 * Seedable, splittable pseudo-random number generator (xoshiro128**, seeded through splitmix32).
 *
 * Every source of randomness in Bellman (env resets, sampling, weight initialisation) takes an
 * `Rng`, so the same seed gives the same numbers run after run. `split()` derives an independent
 * stream, so that adding draws in one component does not shift another's.
 */
/** Four 32-bit words of generator state, plus the cached normal draw when one is pending. */
export type RngState = readonly [number, number, number, number] | readonly [number, number, number, number, number];

function splitmix32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x9e3779b9) >>> 0;
    let z = state;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

export class Rng {
  private s0 = 0;
  private s1 = 0;
  private s2 = 0;
  private s3 = 0;
  /** Cached second value of the Box-Muller pair. */
  private spareNormal: number | null = null;

  constructor(seed: number | RngState = 0) {
    if (typeof seed === 'number') {
      if (!Number.isFinite(seed)) throw new RangeError(`Rng seed must be a finite number, got ${seed}`);
      // Fold the high bits of large seeds in so that 2**32 and 0 differ.
      const lo = seed >>> 0;
      const hi = Math.floor(Math.abs(seed) / 2 ** 32) >>> 0;
      const mix = splitmix32(lo ^ Math.imul(hi, 0x27d4eb2d));
      this.s0 = mix();
      this.s1 = mix();
      this.s2 = mix();
      this.s3 = mix();
      if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1;
    } else {
      this.setState(seed);
    }
  }

  /** Next uniformly distributed unsigned 32-bit integer. */
  nextUint32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5) >>> 0, 7), 9) >>> 0;
    const t = (this.s1 << 9) >>> 0;
    this.s2 = (this.s2 ^ this.s0) >>> 0;
    this.s3 = (this.s3 ^ this.s1) >>> 0;
    this.s1 = (this.s1 ^ this.s2) >>> 0;
    this.s0 = (this.s0 ^ this.s3) >>> 0;
    this.s2 = (this.s2 ^ t) >>> 0;
    this.s3 = rotl(this.s3, 11);
    return result;
  }

  /** Uniform float in [0, 1) with 53 bits of precision. */
  uniform(): number {
    const hi = this.nextUint32() >>> 5; // 27 bits
    const lo = this.nextUint32() >>> 6; // 26 bits
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  /** Uniform float in [low, high). */
  uniformRange(low: number, high: number): number {
    return low + (high - low) * this.uniform();
  }

  /** Uniform integer in [0, n). Unbiased (rejection sampling). */
  int(n: number): number {
    if (!Number.isInteger(n) || n <= 0) throw new RangeError(`Rng.int: n must be a positive integer, got ${n}`);
    if (n <= 0x100000000) {
      const limit = 0x100000000 - (0x100000000 % n);
      for (;;) {
        const x = this.nextUint32();
        if (x < limit) return x % n;
      }
    }
    return Math.floor(this.uniform() * n);
  }

  /** Standard normal sample (Box-Muller). */
  normal(mean = 0, std = 1): number {
    if (this.spareNormal !== null) {
      const z = this.spareNormal;
      this.spareNormal = null;
      return mean + std * z;
    }
    let u = 0;
    while (u === 0) u = this.uniform();
    const v = this.uniform();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spareNormal = r * Math.sin(2 * Math.PI * v);
    return mean + std * r * Math.cos(2 * Math.PI * v);
  }

  /** Fill `out` with n integers uniform in [0, max). */
  fillInts(out: Int32Array | Uint32Array, max: number): typeof out {
    for (let i = 0; i < out.length; i++) out[i] = this.int(max);
    return out;
  }

  /** Fill `out` with standard normal samples. */
  fillNormal(out: Float32Array | Float64Array, mean = 0, std = 1): typeof out {
    for (let i = 0; i < out.length; i++) out[i] = this.normal(mean, std);
    return out;
  }

  /** Fill `out` with uniform samples in [low, high). */
  fillUniform(out: Float32Array | Float64Array, low = 0, high = 1): typeof out {
    for (let i = 0; i < out.length; i++) out[i] = low + (high - low) * this.uniform();
    return out;
  }

  /** A 31-bit integer seed drawn from this stream (for seeding other components). */
  seed(): number {
    return this.nextUint32() >>> 1;
  }

  /** An independent generator derived from this one; advances this stream by four draws. */
  split(): Rng {
    return new Rng([this.nextUint32(), this.nextUint32(), this.nextUint32(), this.nextUint32() | 1]);
  }

  /** In-place Fisher-Yates shuffle. */
  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const tmp = items[i] as T;
      items[i] = items[j] as T;
      items[j] = tmp;
    }
    return items;
  }

  getState(): RngState {
    // The pending Box-Muller value is part of the state: without it a restored stream would
    // diverge after an odd number of normal draws.
    if (this.spareNormal !== null) return [this.s0, this.s1, this.s2, this.s3, this.spareNormal];
    return [this.s0, this.s1, this.s2, this.s3];
  }

  setState(state: RngState): void {
    const words = Array.isArray(state) ? state.slice(0, 4) : [];
    if (
      !Array.isArray(state) ||
      (state.length !== 4 && state.length !== 5) ||
      words.some((v) => !Number.isInteger(v)) ||
      (state.length === 5 && !Number.isFinite(state[4]))
    ) {
      throw new TypeError(`Rng state must be four 32-bit integers and an optional pending normal, got ${JSON.stringify(state)}`);
    }
    [this.s0, this.s1, this.s2, this.s3] = words.map((v) => v >>> 0) as [number, number, number, number];
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1;
    this.spareNormal = state.length === 5 ? state[4]! : null;
  }
}

/** Accepts a seed or an existing generator. */
export function toRng(seedOrRng: number | Rng | undefined, fallbackSeed = 0): Rng {
  if (seedOrRng instanceof Rng) return seedOrRng;
  return new Rng(seedOrRng ?? fallbackSeed);
}
