import { DatasetError, UsageError } from '@bellman/core';

/** What a LimitsNormalizer keeps: each dimension's minimum and maximum. */
export interface LimitsNormalizerState {
  mins: number[];
  maxs: number[];
}

/**
 * Per-dimension min-max scaling to [-1, 1] (Diffuser's LimitsNormalizer):
 * x' = 2 (x - min) / (max - min) - 1 and back x = (x' + 1) / 2 (max - min) + min. A dimension
 * that never varies (max = min) maps to -1 and back to its value.
 */
export class LimitsNormalizer {
  readonly dim: number;
  private readonly mins: Float64Array;
  private readonly maxs: Float64Array;
  private readonly ranges: Float64Array;

  constructor(mins: ArrayLike<number>, maxs: ArrayLike<number>) {
    if (mins.length !== maxs.length || mins.length === 0) throw new UsageError(`LimitsNormalizer: got ${mins.length} minima and ${maxs.length} maxima`);
    this.dim = mins.length;
    this.mins = Float64Array.from(mins);
    this.maxs = Float64Array.from(maxs);
    this.ranges = Float64Array.from(maxs, (max, i) => max - mins[i]!);
    this.ranges.forEach((r, i) => {
      if (!(r >= 0) || !Number.isFinite(r)) throw new UsageError(`LimitsNormalizer: dimension ${i} has max ${maxs[i]} below (or not comparable to) min ${mins[i]}`, { dimension: i });
    });
  }

  /**
   * Fitted on `rows` row-major [n, dim] values; `weights` (one per row, 0 or 1) leaves rows out,
   * e.g. a window batch's padding.
   */
  static fit(rows: ArrayLike<number>, dim: number, weights?: ArrayLike<number>): LimitsNormalizer {
    const n = rows.length / dim;
    if (!Number.isInteger(n)) throw new DatasetError(`LimitsNormalizer.fit: ${rows.length} values do not make rows of ${dim}`, { dim });
    const mins = new Float64Array(dim).fill(Infinity);
    const maxs = new Float64Array(dim).fill(-Infinity);
    for (let i = 0; i < n; i++) {
      if (weights && weights[i] === 0) continue;
      for (let d = 0; d < dim; d++) {
        const v = rows[i * dim + d]!;
        if (!Number.isFinite(v)) throw new DatasetError(`LimitsNormalizer.fit: row ${i}, dimension ${d} is ${v}`, { row: i, dimension: d });
        if (v < mins[d]!) mins[d] = v;
        if (v > maxs[d]!) maxs[d] = v;
      }
    }
    if (mins[0] === Infinity) throw new DatasetError('LimitsNormalizer.fit: no rows to fit on');
    return new LimitsNormalizer(mins, maxs);
  }

  /** Map row-major [n, dim] values into [-1, 1]. */
  normalize(values: ArrayLike<number>): Float32Array {
    return this.map(values, (v, d) => (this.ranges[d]! === 0 ? -1 : (2 * (v - this.mins[d]!)) / this.ranges[d]! - 1));
  }

  /** The inverse of `normalize`. */
  unnormalize(values: ArrayLike<number>): Float32Array {
    return this.map(values, (v, d) => ((v + 1) / 2) * this.ranges[d]! + this.mins[d]!);
  }

  /** The normaliser of dimensions [from, from + count) alone (the observation part of a row). */
  slice(from: number, count: number): LimitsNormalizer {
    const state = this.state();
    return new LimitsNormalizer(state.mins.slice(from, from + count), state.maxs.slice(from, from + count));
  }

  state(): LimitsNormalizerState {
    return { mins: Array.from(this.mins), maxs: Array.from(this.maxs) };
  }

  static fromState(state: LimitsNormalizerState): LimitsNormalizer {
    return new LimitsNormalizer(state.mins, state.maxs);
  }

  private map(values: ArrayLike<number>, f: (v: number, d: number) => number): Float32Array {
    if (values.length % this.dim !== 0) throw new UsageError(`LimitsNormalizer: ${values.length} values do not make rows of ${this.dim}`, { dim: this.dim });
    const out = new Float32Array(values.length);
    for (let i = 0; i < values.length; i++) out[i] = f(values[i]!, i % this.dim);
    return out;
  }
}
