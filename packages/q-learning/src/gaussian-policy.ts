/**
 * Stochastic actors for Box action spaces, shared by the continuous-action learners.
 *
 * - TanhGaussianActor (SAC, CQL): u ~ N(mu(s), sigma(s)^2) with a state-dependent log-std,
 *   a = center + halfRange * tanh(u). Its log-density is that of `a` in the action space itself:
 *   the Gaussian's log-density minus the log-determinant of the squashing map,
 *   sum_i log(halfRange_i * (1 - tanh(u_i)^2)). CQL's importance weights need densities in the
 *   action space, where the uniform proposal's density is 1 / volume(box).
 * - GaussianActor (IQL, CRR): N(squash(mu(s)), diag(exp(logStd))^2) with a state-independent, learned
 *   log-std; the density lives in the action space without a change of variables, so dataset
 *   actions on the box's edge keep a finite log-likelihood. Samples are clipped into the box.
 *
 * The noise is always handed in (drawn from the learner's seeded Rng), so updates are reproducible.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Box, Rng } from '@bellman/core';
import type { Mlp } from '@bellman/nn';
import { ActionScaler, forwardOne } from './learner-utils.js';

/** Clamp range of the log standard deviation (a common choice for SAC-family actors). */
export const LOG_STD_MIN = -20;
export const LOG_STD_MAX = 2;
const HALF_LOG_TWO_PI = 0.5 * Math.log(2 * Math.PI);
const LOG_TWO = Math.log(2);
/** How close to the box's edge a given action is taken to be (in [-1, 1] units) when its log-density is read. */
const EDGE = 1e-6;

/** A [rows, cols] tensor of standard normal draws from `rng`. */
export function normalNoise(rng: Rng, rows: number, cols: number): tf.Tensor2D {
  const values = new Float32Array(rows * cols);
  rng.fillNormal(values);
  return tf.tensor2d(values, [rows, cols]);
}

/** Sum over action dimensions of log N(x; mean, exp(logStd)^2): [B, A] inputs -> [B]. */
export function gaussianLogProb(x: tf.Tensor2D, mean: tf.Tensor2D, logStd: tf.Tensor): tf.Tensor1D {
  return tf.tidy(() => {
    const z = tf.div(tf.sub(x, mean), tf.exp(logStd));
    const perDim = tf.neg(tf.add(tf.add(tf.mul(0.5, tf.square(z)), logStd), HALF_LOG_TWO_PI));
    return tf.sum(perDim, 1) as tf.Tensor1D;
  });
}

/**
 * log(1 - tanh(u)^2), computed stably as 2 * (log 2 - u - softplus(-2u)) (no cancellation for large |u|).
 */
export function logOneMinusTanhSquared(u: tf.Tensor): tf.Tensor {
  return tf.tidy(() => tf.mul(2, tf.sub(tf.sub(LOG_TWO, u), tf.softplus(tf.mul(-2, u)))));
}

/** An action with its log-density in the action space, [B, A] and [B]. */
export interface ActionSample {
  action: tf.Tensor2D;
  logProb: tf.Tensor1D;
}

/** The tanh-squashed Gaussian actor of SAC and CQL. The network outputs [mu | logStd], 2 x |A| columns. */
export class TanhGaussianActor {
  readonly scaler: ActionScaler;
  /** sum_i log(halfRange_i): the scaling part of the squashing map's log-determinant. */
  readonly logHalfRangeSum: number;

  constructor(
    readonly net: Mlp,
    readonly actionSpace: Box,
  ) {
    if (net.config.outputDim !== 2 * actionSpace.size) {
      throw new RangeError(`TanhGaussianActor: the network must output 2 x ${actionSpace.size} values (mean and log-std), it outputs ${net.config.outputDim}`);
    }
    this.scaler = new ActionScaler(actionSpace);
    this.logHalfRangeSum = Array.from(this.scaler.halfRange).reduce((s, h) => s + Math.log(h), 0);
  }

  get actionDim(): number {
    return this.actionSpace.size;
  }

  /** mu(s) and the clamped log sigma(s), each [B, A]. */
  distribution(observations: tf.Tensor2D): { mean: tf.Tensor2D; logStd: tf.Tensor2D } {
    return tf.tidy(() => {
      const out = this.net.forward(observations);
      const a = this.actionDim;
      const mean = tf.slice(out, [0, 0], [-1, a]) as tf.Tensor2D;
      const logStd = tf.clipByValue(tf.slice(out, [0, a], [-1, a]), LOG_STD_MIN, LOG_STD_MAX) as tf.Tensor2D;
      return { mean, logStd };
    });
  }

  /**
   * Reparameterised sample a = squash(mu + sigma * noise) and log pi(a|s) in the action space:
   * log N(u; mu, sigma) - sum_i [log halfRange_i + log(1 - tanh(u_i)^2)].
   * Gradients flow to the actor through both (SAC's actor loss needs them).
   */
  sample(observations: tf.Tensor2D, noise: tf.Tensor2D): ActionSample {
    return tf.tidy(() => {
      const { mean, logStd } = this.distribution(observations);
      const { action, logProb } = this.sampleFrom(mean, logStd, noise);
      return { action, logProb };
    });
  }

  /**
   * `sample` from a distribution already computed: mu and the clamped log sigma, [B, A] each.
   * Many samples per state can then share one network pass (repeat the rows of mu and log sigma).
   */
  sampleFrom(mean: tf.Tensor2D, logStd: tf.Tensor2D, noise: tf.Tensor2D): ActionSample {
    return tf.tidy(() => {
      const u = tf.add(mean, tf.mul(tf.exp(logStd), noise)) as tf.Tensor2D;
      const gaussian = gaussianLogProb(u, mean, logStd);
      if (!this.scaler.bounded) return { action: u, logProb: gaussian };
      const logDet = tf.add(tf.sum(logOneMinusTanhSquared(u), 1), this.logHalfRangeSum);
      return { action: this.scaler.squash(u), logProb: tf.sub(gaussian, logDet) as tf.Tensor1D };
    });
  }

  /**
   * log pi(a|s) of given actions (a dataset's), in the action space: u = atanh of the action
   * rescaled to [-1, 1], held within 1e-6 of the bounds so that actions on the box's edge keep a
   * finite density. Gradients flow to the actor through mu and sigma.
   */
  logProb(observations: tf.Tensor2D, actions: tf.Tensor2D): tf.Tensor1D {
    return tf.tidy(() => {
      const { mean, logStd } = this.distribution(observations);
      if (!this.scaler.bounded) return gaussianLogProb(actions, mean, logStd);
      const unit = tf.clipByValue(tf.div(tf.sub(actions, tf.tensor1d(this.scaler.center)), tf.tensor1d(this.scaler.halfRange)), -1 + EDGE, 1 - EDGE);
      // atanh(x) = log((1 + x) / (1 - x)) / 2
      const u = tf.mul(0.5, tf.log(tf.div(tf.add(1, unit), tf.sub(1, unit)))) as tf.Tensor2D;
      const logDet = tf.add(tf.sum(logOneMinusTanhSquared(u), 1), this.logHalfRangeSum);
      return tf.sub(gaussianLogProb(u, mean, logStd), logDet) as tf.Tensor1D;
    });
  }

  /** The deterministic action squash(mu(s)). */
  mode(observations: tf.Tensor2D): tf.Tensor2D {
    return tf.tidy(() => this.scaler.squash(this.distribution(observations).mean));
  }

  /** One action for one observation: squash(mu) or squash(mu + sigma * eps) with eps from `rng`, inside the box. */
  act(observation: ArrayLike<number>, deterministic: boolean, rng: Rng): Float32Array {
    const out = forwardOne(this.net, observation);
    const a = this.actionDim;
    const u = new Float32Array(a);
    for (let i = 0; i < a; i++) {
      const logStd = Math.min(Math.max(out[a + i]!, LOG_STD_MIN), LOG_STD_MAX);
      u[i] = deterministic ? out[i]! : out[i]! + Math.exp(logStd) * rng.normal();
    }
    return clipToBox(this.actionSpace, this.scaler.squashArray(u));
  }
}

/**
 * The Gaussian actor of IQL and CRR: mean squash(mu(s)) inside the box, a state-independent
 * log-std vector (a learned variable, clamped to [LOG_STD_MIN, LOG_STD_MAX]).
 */
export class GaussianActor {
  readonly scaler: ActionScaler;

  constructor(
    readonly net: Mlp,
    readonly logStd: tf.Variable,
    readonly actionSpace: Box,
  ) {
    if (net.config.outputDim !== actionSpace.size || logStd.size !== actionSpace.size) {
      throw new RangeError(`GaussianActor: network output (${net.config.outputDim}) and log-std (${logStd.size}) must both have ${actionSpace.size} values`);
    }
    this.scaler = new ActionScaler(actionSpace);
  }

  get actionDim(): number {
    return this.actionSpace.size;
  }

  mean(observations: tf.Tensor2D): tf.Tensor2D {
    return tf.tidy(() => this.scaler.squash(this.net.forward(observations)));
  }

  clampedLogStd(): tf.Tensor1D {
    return tf.clipByValue(this.logStd, LOG_STD_MIN, LOG_STD_MAX) as tf.Tensor1D;
  }

  /** log pi(a|s) of given actions (e.g. the dataset's), [B]. */
  logProb(observations: tf.Tensor2D, actions: tf.Tensor2D): tf.Tensor1D {
    return tf.tidy(() => gaussianLogProb(actions, this.mean(observations), this.clampedLogStd()));
  }

  /** mean + sigma * noise, clipped into the box (no gradient is needed through samples here). */
  sample(observations: tf.Tensor2D, noise: tf.Tensor2D): tf.Tensor2D {
    return tf.tidy(() => this.sampleAround(this.mean(observations), noise));
  }

  /**
   * `sample` around means already computed ([B, A], from `mean`): many samples per state can
   * then share one network pass (repeat the rows of the means).
   */
  sampleAround(mean: tf.Tensor2D, noise: tf.Tensor2D): tf.Tensor2D {
    return tf.tidy(() => {
      const raw = tf.add(mean, tf.mul(tf.exp(this.clampedLogStd()), noise)) as tf.Tensor2D;
      return clipTensorToBox(this.actionSpace, raw);
    });
  }

  act(observation: ArrayLike<number>, deterministic: boolean, rng: Rng): Float32Array {
    const mean = this.scaler.squashArray(forwardOne(this.net, observation));
    if (deterministic) return clipToBox(this.actionSpace, mean);
    const logStd = this.logStd.dataSync();
    const sample = new Float32Array(mean.length);
    for (let i = 0; i < mean.length; i++) {
      sample[i] = mean[i]! + Math.exp(Math.min(Math.max(logStd[i]!, LOG_STD_MIN), LOG_STD_MAX)) * rng.normal();
    }
    return clipToBox(this.actionSpace, sample);
  }
}

/** Clip each row of [B, A] into the box. */
export function clipTensorToBox(box: Box, x: tf.Tensor2D): tf.Tensor2D {
  if (!box.isBounded()) return x;
  return tf.tidy(() => tf.minimum(tf.maximum(x, tf.tensor1d(box.low)), tf.tensor1d(box.high)) as tf.Tensor2D);
}

/**
 * Clip into the box. tanh(u) rounds to exactly +-1 in float32 for |u| > 9, so a squashed action
 * can land a rounding error outside the bounds; clipping keeps `box.contains(action)` true.
 */
export function clipToBox(box: Box, action: Float32Array): Float32Array {
  return box.isBounded() ? box.clip(action) : action;
}
