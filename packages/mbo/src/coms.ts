/**
 * Conservative Objective Models (COMs; Trabucco, Kumar, Geng, Levine, ICML 2021): a forward model
 * f(x) ~ y that is pushed down on the designs its own gradient ascent finds and up on the data, so
 * that ascent on it does not run into designs it overrates:
 *   x_neg = x + eta grad f(x), repeated `ascentSteps` times from the batch (a constant: no gradient)
 *   loss  = mean_i (f(x_i) - y_i)^2 + alpha mean_i (f(x_neg,i) - f(x_i))
 *   alpha = exp(log alpha), stepped on alpha (tau - gap), gap = mean_i (f(x_neg,i) - f(x_i))
 * so alpha rises while the model rates its ascent points more than tau above the data, and falls
 * below. Defaults are the authors' (see `comsDefaults`): 2 x 2048 ReLU, Adam 3e-4, batch 128,
 * 50 epochs, 50 ascent steps of eta = 0.05 sqrt(d) (continuous) or 2.0 sqrt(d) (discrete logits),
 * alpha from 0.1 with Adam 0.01, tau 0.5 (continuous) or 2.0 (discrete).
 */
import * as tf from '@tensorflow/tfjs-core';
import { Rng, resolveConfig, type ConfigSchema } from '@bellman/core';
import { Adam, Mlp } from '@bellman/nn';
import type { DesignSpace } from './task.js';

export interface ComsConfig {
  hiddenSizes: number[];
  learningRate: number;
  /** Steps of gradient ascent that make each batch's negatives. */
  ascentSteps: number;
  /** eta / sqrt(input width): 0.05 for continuous designs, 2.0 for discrete ones when left out. */
  particleLearningRate?: number;
  initialAlpha: number;
  alphaLearningRate: number;
  /** tau, the gap f(x_neg) - f(x) that alpha steers to: 0.5 continuous, 2.0 discrete when left out. */
  targetGap?: number;
}

export const COMS_SCHEMA: ConfigSchema<ComsConfig> = {
  hiddenSizes: { type: 'integerArray', minLength: 1 },
  learningRate: { type: 'number', min: 0, exclusiveMin: true },
  ascentSteps: { type: 'number', integer: true, min: 1 },
  particleLearningRate: { type: 'number', min: 0, exclusiveMin: true, optional: true },
  initialAlpha: { type: 'number', min: 0, exclusiveMin: true },
  alphaLearningRate: { type: 'number', min: 0, exclusiveMin: true },
  targetGap: { type: 'number', optional: true },
};

export const comsDefaults: ComsConfig = { hiddenSizes: [2048, 2048], learningRate: 3e-4, ascentSteps: 50, initialAlpha: 0.1, alphaLearningRate: 0.01 };

/** The COMs loss of one batch, its terms named. */
export interface ComsLoss {
  /** mean (f(x) - y)^2 on the batch. */
  mse: tf.Scalar;
  /** gap = mean (f(x_neg) - f(x)): how far the model rates its ascent points above the data. */
  gap: tf.Scalar;
  /** mse + alpha gap: what the model minimises. */
  loss: tf.Scalar;
}

export interface ComsUpdate {
  mse: number;
  gap: number;
  loss: number;
  /** alpha after this update's dual step. */
  alpha: number;
}

export class ConservativeObjectiveModel {
  readonly config: ComsConfig;
  readonly model: Mlp;
  /** eta = particleLearningRate * sqrt(input width). */
  readonly eta: number;
  readonly targetGap: number;
  readonly logAlpha: tf.Variable;
  private readonly modelOptimizer: Adam;
  private readonly alphaOptimizer: Adam;

  constructor(
    readonly inputWidth: number,
    kind: DesignSpace['kind'],
    config: Partial<ComsConfig> = {},
    seed = 0,
  ) {
    this.config = resolveConfig('coms', COMS_SCHEMA, comsDefaults, config);
    const discrete = kind === 'discrete';
    this.eta = (this.config.particleLearningRate ?? (discrete ? 2.0 : 0.05)) * Math.sqrt(inputWidth);
    this.targetGap = this.config.targetGap ?? (discrete ? 2.0 : 0.5);
    this.model = new Mlp({ inputDim: inputWidth, hiddenSizes: this.config.hiddenSizes, outputDim: 1, activation: 'relu' }, new Rng(seed));
    this.modelOptimizer = new Adam(this.model.variables, { learningRate: this.config.learningRate });
    this.logAlpha = tf.variable(tf.scalar(Math.log(this.config.initialAlpha)), true);
    this.alphaOptimizer = new Adam([this.logAlpha], { learningRate: this.config.alphaLearningRate });
  }

  get alpha(): number {
    return Math.exp(this.logAlpha.dataSync()[0]!);
  }

  /** f(x), one value per row. */
  predict(z: tf.Tensor2D): tf.Tensor1D {
    return tf.tidy(() => tf.reshape(this.model.forward(z), [-1]) as tf.Tensor1D);
  }

  /** x <- x + eta grad_x sum f(x), `steps` times. The result is a constant: nothing flows back through it. */
  ascend(z: tf.Tensor2D, steps = this.config.ascentSteps, onStep?: (step: number, z: tf.Tensor2D) => void): tf.Tensor2D {
    const gradient = tf.grad((input: tf.Tensor) => tf.sum(this.model.forward(input as tf.Tensor2D)));
    let current = tf.clone(z);
    for (let step = 1; step <= steps; step++) {
      const next = tf.tidy(() => tf.add(current, tf.mul(gradient(current), this.eta)) as tf.Tensor2D);
      current.dispose();
      current = next;
      onStep?.(step, current);
    }
    return current;
  }

  /** The model's loss on a batch (z, y) and its negatives zNeg, with alpha as it is (a constant here). */
  computeLoss(z: tf.Tensor2D, y: tf.Tensor1D, zNeg: tf.Tensor2D): ComsLoss {
    const fData = tf.reshape(this.model.forward(z), [-1]);
    const fNeg = tf.reshape(this.model.forward(zNeg), [-1]);
    const mse = tf.mean(tf.square(tf.sub(fData, y))) as tf.Scalar;
    const gap = tf.mean(tf.sub(fNeg, fData)) as tf.Scalar;
    const loss = tf.add(mse, tf.mul(tf.exp(this.logAlpha), gap)) as tf.Scalar;
    return { mse, gap, loss };
  }

  /** One update on a batch: negatives by ascent, a model step on the COMs loss, then alpha's dual step. */
  update(z: tf.Tensor2D, y: tf.Tensor1D): ComsUpdate {
    const zNeg = this.ascend(z);
    const { loss, mse, gap } = this.modelOptimizer.minimize(() => {
      const terms = this.computeLoss(z, y, zNeg);
      return { loss: terms.loss, metrics: { mse: terms.mse, gap: terms.gap } };
    });
    zNeg.dispose();
    // d/d(log alpha) of alpha (tau - gap): alpha rises while the gap exceeds tau
    const targetGap = this.targetGap;
    this.alphaOptimizer.minimize(() => ({ loss: tf.mul(tf.exp(this.logAlpha), targetGap - gap!) as tf.Scalar }));
    return { mse: mse!, gap: gap!, loss: loss!, alpha: this.alpha };
  }

  dispose(): void {
    this.model.variables.forEach((v) => v.dispose());
    this.logAlpha.dispose();
  }
}
