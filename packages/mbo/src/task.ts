/**
 * An offline model-based optimisation task (design-bench's protocol): a design space, the designs
 * and scores an optimiser may learn from, and the true objective (the oracle), which only
 * evaluation calls. Scores are normalised with the full dataset's min and max, while training sees
 * only the designs at or below a percentile of the scores, so that a method has to go beyond the
 * data it was given.
 */
import { DatasetError, UsageError } from '@bellman/core';

/** Where designs live: real vectors, or sequences of class indices. */
export type DesignSpace =
  | { readonly kind: 'continuous'; readonly dim: number }
  | { readonly kind: 'discrete'; readonly length: number; readonly classes: number };

/** Row-major designs: floats for a continuous space, class indices for a discrete one. */
export type Designs = Float32Array | Int32Array;

/** Designs with their scores: `x` holds `count` rows of `designSize(space)` values. */
export interface DesignSet<X extends Designs = Designs> {
  readonly x: X;
  readonly y: Float32Array;
  readonly count: number;
}

export interface DesignTask<X extends Designs = Designs> {
  readonly id: string;
  readonly space: DesignSpace;
  /** Every design the task was generated with: its scores give the normalisation. */
  readonly full: DesignSet<X>;
  /** What an optimiser learns from: the designs scoring at or below `split.threshold`. */
  readonly train: DesignSet<X>;
  readonly split: { readonly maxPercentile: number; readonly threshold: number };
  /** The lowest and highest score of the full dataset. */
  readonly yMin: number;
  readonly yMax: number;
  /** The true objective of each row of `x` (evaluation only: an optimiser must not call it). */
  oracle(x: X): Float64Array;
  /** (y - yMin) / (yMax - yMin): 1 is the best design of the full dataset, above 1 better than all of it. */
  normalize(y: number): number;
  /** The seed the designs were generated with, for tasks that draw them at random (kept in HDF5 files). */
  readonly seed?: number;
}

/** Values per design: the dimension, or the sequence length. */
export function designSize(space: DesignSpace): number {
  return space.kind === 'continuous' ? space.dim : space.length;
}

/** NumPy's default percentile (linear interpolation between the two nearest ranks), p in [0, 100]. */
export function percentile(values: ArrayLike<number>, p: number): number {
  if (values.length === 0) throw new UsageError('percentile: no values');
  if (!(p >= 0 && p <= 100)) throw new UsageError(`percentile: p must be in [0, 100], got ${p}`, { p });
  const sorted = Float64Array.from(values).sort();
  const rank = ((sorted.length - 1) * p) / 100;
  const below = Math.floor(rank);
  const above = Math.min(below + 1, sorted.length - 1);
  return sorted[below]! + (rank - below) * (sorted[above]! - sorted[below]!);
}

export interface DesignTaskSource<X extends Designs> {
  id: string;
  space: DesignSpace;
  x: X;
  y: Float32Array;
  oracle: (x: X) => Float64Array;
  /** Training keeps the designs with y at or below this percentile of the full dataset's scores. */
  maxPercentile: number;
  /** The generation seed, when the designs were drawn at random. */
  seed?: number;
}

/** A task from its full dataset: checks the arrays, then splits and normalises as design-bench does. */
export function createDesignTask<X extends Designs>(source: DesignTaskSource<X>): DesignTask<X> {
  const { id, space, x, y, oracle, maxPercentile, seed } = source;
  const size = designSize(space);
  const count = y.length;
  if (count === 0 || x.length !== count * size) {
    throw new DatasetError(`${id}: ${x.length} design values for ${count} scores; each design has ${size}`, { task: id, values: x.length, scores: count, designSize: size });
  }
  const badScore = y.findIndex((v) => !Number.isFinite(v));
  if (badScore >= 0) throw new DatasetError(`${id}: score ${badScore} is ${y[badScore]}, not a finite number`, { task: id, row: badScore });
  if (space.kind === 'discrete') {
    const bad = x.findIndex((v) => !Number.isInteger(v) || v < 0 || v >= space.classes);
    if (bad >= 0) throw new DatasetError(`${id}: design ${Math.floor(bad / size)} has class ${x[bad]} at position ${bad % size}; classes are 0..${space.classes - 1}`, { task: id, row: Math.floor(bad / size) });
  }
  const threshold = percentile(y, maxPercentile);
  const kept: number[] = [];
  for (let i = 0; i < count; i++) if (y[i]! <= threshold) kept.push(i);
  const trainX = new (x.constructor as new (n: number) => X)(kept.length * size);
  const trainY = new Float32Array(kept.length);
  kept.forEach((row, i) => {
    trainX.set(x.subarray(row * size, (row + 1) * size), i * size);
    trainY[i] = y[row]!;
  });
  let yMin = Infinity;
  let yMax = -Infinity;
  for (const v of y) {
    yMin = Math.min(yMin, v);
    yMax = Math.max(yMax, v);
  }
  return {
    id,
    space,
    full: { x, y, count },
    train: { x: trainX, y: trainY, count: kept.length },
    split: { maxPercentile, threshold },
    yMin,
    yMax,
    oracle: (designs: X) => {
      if (designs.length % size !== 0) throw new UsageError(`${id}: ${designs.length} values are not whole designs of ${size}`, { task: id, values: designs.length, designSize: size });
      return oracle(designs);
    },
    normalize: (value: number) => (value - yMin) / (yMax - yMin),
    ...(seed === undefined ? {} : { seed }),
  };
}
