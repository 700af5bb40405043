/**
 * mixup (Zhang et al. 2018) for the success classifier: each row is blended with a random
 * partner, x = lambda x_i + (1 - lambda) x_j and likewise the label, lambda ~ Beta(alpha, alpha).
 */
import type { Rng } from '@bellman/core';

/** A Gamma(shape, 1) draw (Marsaglia and Tsang; shape < 1 through Gamma(shape + 1) * U^(1 / shape)). */
export function sampleGamma(shape: number, rng: Rng): number {
  if (!(shape > 0)) throw new RangeError(`sampleGamma: shape must be positive, got ${shape}`);
  if (shape < 1) return sampleGamma(shape + 1, rng) * Math.pow(1 - rng.uniform(), 1 / shape);
  const d = shape - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    const x = rng.normal();
    const v = (1 + c * x) ** 3;
    if (v <= 0) continue;
    const u = 1 - rng.uniform();
    if (Math.log(u) < 0.5 * x * x + d - d * v + d * Math.log(v)) return d * v;
  }
}

/** A Beta(a, b) draw as X / (X + Y) with X ~ Gamma(a), Y ~ Gamma(b). */
export function sampleBeta(a: number, b: number, rng: Rng): number {
  const x = sampleGamma(a, rng);
  const y = sampleGamma(b, rng);
  return x / (x + y);
}

/** Rows of `points` [n, dim] and `labels` [n] blended with random partners (a fresh array each). */
export function mixup(points: Float32Array, labels: Float32Array, dim: number, alpha: number, rng: Rng): { points: Float32Array; labels: Float32Array } {
  const n = labels.length;
  const mixedPoints = new Float32Array(points.length);
  const mixedLabels = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const j = rng.int(n);
    const lambda = sampleBeta(alpha, alpha, rng);
    for (let k = 0; k < dim; k++) mixedPoints[i * dim + k] = lambda * points[i * dim + k]! + (1 - lambda) * points[j * dim + k]!;
    mixedLabels[i] = lambda * labels[i]! + (1 - lambda) * labels[j]!;
  }
  return { points: mixedPoints, labels: mixedLabels };
}
