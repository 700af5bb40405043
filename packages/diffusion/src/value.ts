/**
 * Diffuser's value model for guided planning: V(x_t, t) ~ the discounted return from a window's
 * start, learned on noisy windows x_t = q(x0, t) (the first state inpainted, as when planning)
 * at t ~ U{0..T-1} by mean squared error. The discount is the one the window batch's
 * `returnsToGo` were computed with (the dataset's).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Metrics, WindowBatch } from '@bellman/core';
import { VALUE_MODEL_DEFAULTS, VALUE_MODEL_SCHEMA, type ValueModelConfig } from './config.js';
import type { Guidance, TrajectoryValue } from './diffusion.js';
import { TrajectoryModel, type TrajectoryModelInit, type TrajectoryModelSnapshot } from './model-base.js';
import { ValueNet } from './unet.js';

export interface ValueLoss {
  loss: number;
  step: number;
}

export type ValueModelSnapshot = TrajectoryModelSnapshot<ValueModelConfig>;

/** Diffuser's guidance settings: 2 gradient steps of scale 0.1, none for t < 2. */
export const GUIDANCE_DEFAULTS = Object.freeze({ scale: 0.1, steps: 2, stopBelow: 2 });

export class ValueModel extends TrajectoryModel<ValueModelConfig, ValueNet> {
  readonly kind = 'diffuser-value';

  constructor(init: TrajectoryModelInit<ValueModelConfig>) {
    super(
      'diffuser-value',
      init,
      VALUE_MODEL_SCHEMA,
      VALUE_MODEL_DEFAULTS,
      (c, transitionDim, rng) => new ValueNet({ ...TrajectoryModel.unetConfig(c, transitionDim), hiddenSizes: c.hiddenSizes }, rng),
      () => ({ predictEpsilon: false, clipDenoised: true, actionWeight: 1, lossDiscount: 1 }),
    );
  }

  get network(): ValueNet {
    return this.net;
  }

  /** V on normalised noisy trajectories [batch, H, D] at steps [batch]. */
  value(): TrajectoryValue {
    const params = this.net.params();
    return (x, t) => this.net.applyWith(params, x, t);
  }

  /** Guidance for `Diffuser.plan` with this value (Diffuser's defaults unless overridden). */
  guidance(overrides: Partial<Omit<Guidance, 'value'>> = {}): Guidance {
    return { ...GUIDANCE_DEFAULTS, ...overrides, value: this.value() };
  }

  /** V(x, 0) of normalised trajectories row-major [batch, H, D] (e.g. `Plans.normalized`). */
  score(normalized: Float32Array, batch: number): Float32Array {
    const { horizon } = this.layout;
    return tf.tidy(() => this.net.apply(tf.tensor3d(normalized, [batch, horizon, this.diffusion.transitionDim]), tf.zeros([batch]) as tf.Tensor1D).dataSync() as Float32Array);
  }

  /** One Adam step of mean squared error to each window's returnsToGo at its first step. */
  trainStep(batch: WindowBatch): ValueLoss {
    const { size, horizon } = batch;
    const metrics = this.withNoisedBatch(batch, ({ x0, t, noise }) =>
      this.optimizer.minimize(() =>
        tf.tidy(() => {
          const target = tf.tensor1d(Float32Array.from({ length: size }, (_, i) => batch.returnsToGo[i * horizon]!));
          const noisy = this.diffusion.inpaintFrom(this.diffusion.qSample(x0, t, noise), x0, [0]);
          return { loss: tf.mean(tf.square(tf.sub(this.net.applyWith(this.net.params(), noisy, tf.tensor1d(Float32Array.from(t))), target))) as tf.Scalar };
        }),
      ),
    );
    this.steps += 1;
    return { loss: metrics.loss!, step: this.steps };
  }

  update(batch: WindowBatch): Metrics {
    return { valueLoss: this.trainStep(batch).loss };
  }

  snapshot(): ValueModelSnapshot {
    return this.baseSnapshot();
  }

  restore(snapshot: ValueModelSnapshot): void {
    this.restoreBase(snapshot);
  }
}
