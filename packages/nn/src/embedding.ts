import * as tf from '@tensorflow/tfjs-core';

/**
 * The sinusoidal timestep embedding of DDPM and Diffuser's temporal U-Net: for an even `dim`,
 * half = dim / 2 and frequencies f_i = exp(-ln(10000) i / (half - 1)), i = 0 .. half - 1,
 *   embedding(t) = [sin(t f_0), ..., sin(t f_{half-1}), cos(t f_0), ..., cos(t f_{half-1})]
 * (sines first, then cosines). `t` is [batch] (diffusion steps, may be fractional); the result is
 * [batch, dim]. dim must be at least 4 (half - 1 > 0).
 */
export function sinusoidalEmbedding(t: tf.Tensor1D, dim: number): tf.Tensor2D {
  if (!Number.isInteger(dim) || dim < 4 || dim % 2 !== 0) throw new RangeError(`sinusoidalEmbedding: dim must be an even integer >= 4, got ${dim}`);
  if (t.rank !== 1) throw new Error(`sinusoidalEmbedding: expected timesteps [batch], got [${t.shape}]`);
  const half = dim / 2;
  // The frequencies in float64, rounded once to float32.
  const frequencies = Float32Array.from({ length: half }, (_, i) => Math.exp((-Math.log(10000) * i) / (half - 1)));
  return tf.tidy(() => {
    const angles = tf.mul(tf.expandDims(tf.cast(t, 'float32'), 1), tf.tensor2d(frequencies, [1, half]));
    return tf.concat([tf.sin(angles), tf.cos(angles)], 1) as tf.Tensor2D;
  });
}
