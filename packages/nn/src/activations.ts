import * as tf from '@tensorflow/tfjs-core';

/**
 * Activations beyond dense()'s relu / tanh / elu / linear, written with ops that every backend
 * runs and differentiates, twice over (so they serve second-order MAML too).
 */

/** Mish (Misra 2019): x tanh(softplus(x)), as PyTorch's nn.Mish; Diffuser's U-Net uses it. */
export function mish<T extends tf.Tensor>(x: T): T {
  return tf.tidy(() => tf.mul(x, tf.tanh(tf.softplus(x)))) as T;
}

/** SiLU (swish): x sigmoid(x), as PyTorch's nn.SiLU. */
export function silu<T extends tf.Tensor>(x: T): T {
  return tf.tidy(() => tf.mul(x, tf.sigmoid(x))) as T;
}

/**
 * GELU, the exact form PyTorch's nn.GELU() uses by default: x Phi(x) = x (1 + erf(x / sqrt 2)) / 2,
 * not the tanh approximation. tfjs registers erf's gradient (2 / sqrt(pi) exp(-x^2)) for every
 * backend; its cpu kernel evaluates erf by Abramowitz and Stegun 7.1.26 (error below 1.5e-7,
 * under float32 rounding at these magnitudes).
 */
export function gelu<T extends tf.Tensor>(x: T): T {
  return tf.tidy(() => tf.mul(tf.mul(x, 0.5), tf.add(tf.erf(tf.mul(x, Math.SQRT1_2)), 1))) as T;
}

/**
 * The maximum over the last axis (kept), computed inside a custom gradient whose gradient is
 * zero, so that no tape records its comparison mask.
 */
const constantRowMax = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
  const [x, save] = args as [tf.Tensor, tf.GradSaveFunc];
  save([x]);
  return { value: tf.max(x, -1, true), gradFunc: (_: tf.Tensor, saved: tf.Tensor[]) => tf.zerosLike(saved[0]!) };
});

/**
 * log softmax over the last axis: (x - m) - log(sum(exp(x - m))) with m the row maximum held
 * constant (the result does not depend on it). tf.logSoftmax is a custom gradient whose gradient
 * reads its saved output, and tf.logSumExp differentiates its maximum through a comparison;
 * gradients of either cannot be differentiated again in tfjs (see second-order.ts). This form
 * can, for classification losses inside MAML's inner step.
 */
export function logSoftmax<T extends tf.Tensor>(x: T): T {
  return tf.tidy(() => {
    const shifted = tf.sub(x, constantRowMax(x));
    return tf.sub(shifted, tf.log(tf.sum(tf.exp(shifted), -1, true)));
  }) as T;
}

/** Every activation by name: dense()'s four and the ones above. */
export type ActivationName = 'relu' | 'tanh' | 'linear' | 'elu' | 'mish' | 'silu' | 'gelu';

export function activate<T extends tf.Tensor>(x: T, name: ActivationName): T {
  switch (name) {
    case 'relu':
      return tf.relu(x);
    case 'tanh':
      return tf.tanh(x);
    case 'elu':
      return tf.elu(x);
    case 'linear':
      return x;
    case 'mish':
      return mish(x);
    case 'silu':
      return silu(x);
    case 'gelu':
      return gelu(x);
  }
}
