/** Window batches as Diffuser's trajectories: rows [action, observation], normalised to [-1, 1]. */
import * as tf from '@tensorflow/tfjs-core';
import { UsageError, type Rng, type WindowBatch } from '@bellman/core';
import { normalTensor, type TrajectoryLayout } from './diffusion.js';
import { LimitsNormalizer } from './normalizer.js';

/** Diffuser's rows [action, observation] from row-major actions [n, a] and observations [n, o]: [n, a + o]. */
export function trajectoryRows(actions: Float32Array, observations: Float32Array, actionDim: number, observationDim: number): Float32Array {
  const a = actionDim;
  const o = observationDim;
  const n = observations.length / o;
  const d = a + o;
  const rows = new Float32Array(n * d);
  for (let r = 0; r < n; r++) {
    rows.set(actions.subarray(r * a, (r + 1) * a), r * d);
    rows.set(observations.subarray(r * o, (r + 1) * o), r * d + a);
  }
  return rows;
}

/** The rows [action, observation] of every step of every window, row-major [size * horizon, actionDim + observationDim]. */
export function windowRows(batch: WindowBatch): Float32Array {
  return trajectoryRows(batch.actions, batch.observations, batch.actionDim, batch.observationDim);
}

/** A LimitsNormalizer of the rows [action, observation] of `batch`, padding left out. */
export function fitTrajectoryNormalizer(batch: WindowBatch): LimitsNormalizer {
  return LimitsNormalizer.fit(windowRows(batch), batch.actionDim + batch.observationDim, batch.mask);
}

/** Throws unless `batch` has the layout's horizon and dimensions. */
export function checkWindowBatch(batch: WindowBatch, layout: TrajectoryLayout, owner: string): void {
  if (batch.horizon !== layout.horizon || batch.actionDim !== layout.actionDim || batch.observationDim !== layout.observationDim) {
    throw new UsageError(
      `${owner}: the batch has horizon ${batch.horizon}, actionDim ${batch.actionDim} and observationDim ${batch.observationDim}; the model was built for ${layout.horizon}, ${layout.actionDim} and ${layout.observationDim}`,
      { horizon: batch.horizon, expectedHorizon: layout.horizon },
    );
  }
  if (batch.size < 1) throw new UsageError(`${owner}: the batch is empty`);
}

/** What one training step draws: normalised windows, their steps t ~ U{0..T-1}, noise ~ N(0, I) and the padding mask. */
export interface NoisedBatch {
  x0: tf.Tensor3D;
  t: Int32Array;
  noise: tf.Tensor3D;
  mask: tf.Tensor2D;
}

/** Draw the steps first, then the noise, from `rng`. */
export function noisedBatch(batch: WindowBatch, normalizer: LimitsNormalizer, diffusionSteps: number, rng: Rng): NoisedBatch {
  const { size, horizon, actionDim, observationDim } = batch;
  const d = actionDim + observationDim;
  const t = Int32Array.from({ length: size }, () => rng.int(diffusionSteps));
  const x0 = tf.tensor3d(normalizer.normalize(windowRows(batch)), [size, horizon, d]);
  const noise = normalTensor(rng, [size, horizon, d]);
  return { x0, t, noise, mask: tf.tensor2d(batch.mask, [size, horizon]) };
}

export function disposeNoised(b: NoisedBatch): void {
  tf.dispose([b.x0, b.noise, b.mask]);
}
