/**
 * Typed-array routines behind Bellman's fused kernels (see kernels.ts). They work on any
 * Float32Array: a view into the wasm heap or a cpu tensor's values. Each one replaces a chain of
 * small tfjs ops with a single pass over memory.
 */

/** Rows x cols block transpose; 8 x 8 tiles keep both sides in cache for power-of-two widths. */
export function transposeInto(src: Float32Array, dst: Float32Array, rows: number, cols: number, srcOffset = 0, dstOffset = 0): void {
  const tile = 8;
  for (let i0 = 0; i0 < rows; i0 += tile) {
    const i1 = Math.min(i0 + tile, rows);
    for (let j0 = 0; j0 < cols; j0 += tile) {
      const j1 = Math.min(j0 + tile, cols);
      for (let i = i0; i < i1; i++) {
        let s = srcOffset + i * cols + j0;
        let d = dstOffset + j0 * rows + i;
        for (let j = j0; j < j1; j++, s++, d += rows) dst[d] = src[s]!;
      }
    }
  }
}

/**
 * Backward pass of an activation after a dense layer, fused with the bias gradient:
 * dz = dy * act'(.) (read from the layer's output y) and db = column sums of dz.
 */
export function denseActivationBackward(
  activation: FusedActivation,
  dy: Float32Array,
  y: Float32Array,
  dz: Float32Array,
  db: Float32Array,
  rows: number,
  cols: number,
): void {
  db.fill(0);
  let k = 0;
  if (activation === 'relu') {
    for (let i = 0; i < rows; i++) {
      for (let j = 0; j < cols; j++, k++) {
        const g = y[k]! > 0 ? dy[k]! : 0;
        dz[k] = g;
        db[j] = db[j]! + g;
      }
    }
  } else {
    for (let i = 0; i < rows; i++) {
      for (let j = 0; j < cols; j++, k++) {
        const g = dy[k]!;
        dz[k] = g;
        db[j] = db[j]! + g;
      }
    }
  }
}

export type FusedActivation = 'relu' | 'linear';

export interface AdamStepConfig {
  /** learningRate / (1 - beta1^t) */
  stepSize: number;
  beta1: number;
  beta2: number;
  epsilon: number;
  /** sqrt(1 - beta2^t) */
  sqrtBias2: number;
  /** Multiplies the gradient first (global-norm clipping); 1 for none. */
  gradScale: number;
}

/**
 * The constants an Adam step derives from its config, in float64. The wasm kernel's SIMD body takes
 * them (rounded once to float32) and the JS loop that finishes its tail uses them as they are, so
 * that both halves of one tensor get the same step.
 */
export function adamConstants(c: AdamStepConfig): { oneMinusBeta1: number; oneMinusBeta2: number; invSqrtBias2: number } {
  return { oneMinusBeta1: 1 - c.beta1, oneMinusBeta2: 1 - c.beta2, invSqrtBias2: 1 / c.sqrtBias2 };
}

/**
 * One Adam step with PyTorch's rule, written to separate outputs (which may alias the inputs):
 * m' = b1 m + (1-b1) g, v' = b2 v + (1-b2) g^2, p' = p - stepSize m' / (sqrt(v') / sqrtBias2 + eps).
 */
export function adamStep(
  p: Float32Array,
  g: Float32Array,
  m: Float32Array,
  v: Float32Array,
  pOut: Float32Array,
  mOut: Float32Array,
  vOut: Float32Array,
  c: AdamStepConfig,
): void {
  const { stepSize, beta1, beta2, epsilon, gradScale } = c;
  const { oneMinusBeta1: oneMinusB1, oneMinusBeta2: oneMinusB2, invSqrtBias2 } = adamConstants(c);
  const n = p.length;
  for (let i = 0; i < n; i++) {
    const gi = g[i]! * gradScale;
    const mi = beta1 * m[i]! + oneMinusB1 * gi;
    const vi = beta2 * v[i]! + oneMinusB2 * gi * gi;
    mOut[i] = mi;
    vOut[i] = vi;
    pOut[i] = p[i]! - (stepSize * mi) / (Math.sqrt(vi) * invSqrtBias2 + epsilon);
  }
}

/** out = tau * source + (1 - tau) * target (Polyak averaging). */
export function lerpInto(target: Float32Array, source: Float32Array, out: Float32Array, tau: number): void {
  const keep = 1 - tau;
  for (let i = 0; i < out.length; i++) out[i] = tau * source[i]! + keep * target[i]!;
}
