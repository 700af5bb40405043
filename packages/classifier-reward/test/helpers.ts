import { Rng, type RewardBatch } from '@bellman/core';

/** `n` 2-d points around (cx, cy), Gaussian with std `spread`. */
export function cluster(n: number, cx: number, cy: number, spread: number, rng: Rng): Float32Array {
  const out = new Float32Array(2 * n);
  for (let i = 0; i < n; i++) {
    out[2 * i] = cx + spread * rng.normal();
    out[2 * i + 1] = cy + spread * rng.normal();
  }
  return out;
}

export function batchOf(observations: Float32Array, dim = 2): RewardBatch {
  return { size: observations.length / dim, observationDim: dim, observations };
}

/** Positives around (2, 2) and negatives around (-2, -2). */
export function separable(nPositive: number, nNegative: number, seed = 1): { positives: RewardBatch; negatives: RewardBatch } {
  const rng = new Rng(seed);
  return { positives: batchOf(cluster(nPositive, 2, 2, 0.5, rng)), negatives: batchOf(cluster(nNegative, -2, -2, 0.8, rng)) };
}

export function maxAbsDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expectSameLength(a, b);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

function expectSameLength(a: ArrayLike<number>, b: ArrayLike<number>): void {
  if (a.length !== b.length) throw new Error(`lengths differ: ${a.length} and ${b.length}`);
}
