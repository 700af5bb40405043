/**
 * design-bench's exact toy tasks, generated here: 8 dimensions, 4 values each, every one of the
 * 4^8 = 65,536 combinations, and an oracle that is a closed form, for tests and quick runs.
 */
import { Rng } from '@bellman/core';
import { createDesignTask, type DesignTask } from './task.js';

const DIM = 8;
const LEVELS = 4;
const COUNT = LEVELS ** DIM;
/** design-bench trains on the designs at or below the 40th percentile of the scores. */
const TOY_MAX_PERCENTILE = 40;

/** Row i's level in dimension d: the base-4 digits of i, the first dimension varying slowest. */
const level = (row: number, d: number) => Math.floor(row / LEVELS ** (DIM - 1 - d)) % LEVELS;

/** y = -sum_d (x_d - 0.5)^2, per row of 8 values. */
export function toyContinuousScore(x: Float32Array): Float64Array {
  const y = new Float64Array(x.length / DIM);
  for (let i = 0; i < y.length; i++) {
    let sum = 0;
    for (let d = 0; d < DIM; d++) sum += (x[i * DIM + d]! - 0.5) ** 2;
    y[i] = 0 - sum; // +0, not -0, at the optimum
  }
  return y;
}

/** y = -sum_d x_d^2, per row of 8 class indices. */
export function toyDiscreteScore(x: Int32Array): Float64Array {
  const y = new Float64Array(x.length / DIM);
  for (let i = 0; i < y.length; i++) {
    let sum = 0;
    for (let d = 0; d < DIM; d++) sum += x[i * DIM + d]! ** 2;
    y[i] = 0 - sum; // +0, not -0, at the optimum
  }
  return y;
}

/** `toy-continuous-v0` (ToyContinuous-Exact): one point (k + U(0, 1)) / 4 in each cell of the 4^8 grid of [0, 1]^8. */
export function makeToyContinuous(seed = 0): DesignTask<Float32Array> {
  const rng = new Rng(seed);
  const x = new Float32Array(COUNT * DIM);
  for (let i = 0; i < COUNT; i++) for (let d = 0; d < DIM; d++) x[i * DIM + d] = (level(i, d) + rng.uniform()) / LEVELS;
  const y = Float32Array.from(toyContinuousScore(x));
  return createDesignTask({ id: 'toy-continuous-v0', space: { kind: 'continuous', dim: DIM }, x, y, oracle: toyContinuousScore, maxPercentile: TOY_MAX_PERCENTILE, seed });
}

/** `toy-discrete-v0`: every sequence of 8 classes in {0, 1, 2, 3}. */
export function makeToyDiscrete(): DesignTask<Int32Array> {
  const x = new Int32Array(COUNT * DIM);
  for (let i = 0; i < COUNT; i++) for (let d = 0; d < DIM; d++) x[i * DIM + d] = level(i, d);
  const y = Float32Array.from(toyDiscreteScore(x));
  return createDesignTask({ id: 'toy-discrete-v0', space: { kind: 'discrete', length: DIM, classes: LEVELS }, x, y, oracle: toyDiscreteScore, maxPercentile: TOY_MAX_PERCENTILE });
}
