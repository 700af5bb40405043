import * as tf from '@tensorflow/tfjs';
import { gelu, mish, silu, valueAndGrads } from '../src/index.js';
import type { ParamRecord } from '../src/index.js';

/** The activations nn adds, by the names the reference script prints. */
export const ACTIVATIONS = [
  ['mish', mish],
  ['silu', silu],
  ['gelu', gelu],
] as const;

/** The deterministic inputs of test/reference/layers_reference.py: offset + scale sin(1.7 i + seed). */
export function wave(n: number, seed: number, scale = 1, offset = 0): Float32Array {
  return Float32Array.from({ length: n }, (_, i) => offset + scale * Math.sin(1.7 * i + seed));
}

export function waveTensor(shape: number[], seed: number, scale = 1, offset = 0): tf.Tensor {
  return tf.tensor(wave(shape.reduce((a, b) => a * b, 1), seed, scale, offset), shape);
}

/** sum(y * weights) for fixed weights: a scalar whose gradient reaches every element of y unevenly. */
export function weightedSum(y: tf.Tensor, seed = 2.5): tf.Scalar {
  return tf.tidy(() => tf.sum(tf.mul(y, waveTensor(y.shape, seed))));
}

export interface GradientMismatch {
  name: string;
  index: number;
  analytic: number;
  numeric: number;
}

/**
 * Compare valueAndGrads with central differences (f(p + h) - f(p - h)) / 2h, element by element,
 * in float32. h = 3e-3 keeps the rounding of the loss (~1e-7 |loss| / 2h) and the truncation
 * (h^2 / 6 |f'''|) both near 1e-5 for the O(1) losses and inputs used here; the tolerance is
 * atol + rtol |numeric|.
 */
export function gradientMismatches(lossFn: (p: ParamRecord) => tf.Scalar, params: ParamRecord, { h = 3e-3, atol = 3e-4, rtol = 3e-3 } = {}): GradientMismatch[] {
  const { value, grads } = valueAndGrads(lossFn, params);
  value.dispose();
  const out: GradientMismatch[] = [];
  for (const [name, p] of Object.entries(params)) {
    const base = Float32Array.from(p.dataSync() as Float32Array);
    const analytic = grads[name]!.dataSync();
    const evalAt = (i: number, delta: number): number => {
      const moved = Float32Array.from(base);
      moved[i] = moved[i]! + delta;
      return tf.tidy(() => lossFn({ ...params, [name]: tf.tensor(moved, p.shape) }).dataSync()[0]!);
    };
    for (let i = 0; i < base.length; i++) {
      const numeric = (evalAt(i, h) - evalAt(i, -h)) / (2 * h);
      if (!(Math.abs(analytic[i]! - numeric) <= atol + rtol * Math.abs(numeric))) out.push({ name, index: i, analytic: analytic[i]!, numeric });
    }
  }
  tf.dispose(Object.values(grads));
  return out;
}

/** The lines `name: v0, v1, ...` printed by a reference script, by name. */
export function parseReference(text: string): Map<string, number[]> {
  const out = new Map<string, number[]>();
  for (const line of text.trim().split('\n')) {
    const [name, values] = line.split(': ') as [string, string];
    out.set(name.trim(), values.split(',').map(Number));
  }
  return out;
}

/** The largest |a - b| over two equally long arrays (Infinity if the lengths differ). */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Infinity;
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
  return worst;
}
