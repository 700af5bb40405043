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
 * alpha from 0.1 with Adam 0.01, tau 0.5 (continuous) or 2.0 (discrete). With `conservative: false`
 * the model is the same network fitted on the mse alone (alpha = 0): the control that shows what
 * the conservative term buys.
 */
import * as tf from '@tensorflow/tfjs-core';
import { Rng, resolveConfig, type ConfigSchema } from '@bellman/core';
import { Adam, Mlp } from '@bellman/nn';
import { gradientAscent } from './ascent.js';
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
  /** false: alpha = 0, no negatives, no dual step (the "no conservatism" control). */
  conservative: boolean;
}

export const COMS_SCHEMA: ConfigSchema<ComsConfig> = {
  hiddenSizes: { type: 'integerArray', minLength: 1 },
  learningRate: { type: 'number', min: 0, exclusiveMin: true },
  ascentSteps: { type: 'number', integer: true, min: 1 },
  particleLearningRate: { type: 'number', min: 0, exclusiveMin: true, optional: true },
  initialAlpha: { type: 'number', min: 0, exclusiveMin: true },
  alphaLearningRate: { type: 'number', min: 0, exclusiveMin: true },
  targetGap: { type: 'number', optional: true },
  conservative: { type: 'boolean' },
};

export const comsDefaults: ComsConfig = { hiddenSizes: [2048, 2048], learningRate: 3e-4, ascentSteps: 50, initialAlpha: 0.1, alphaLearningRate: 0.01, conservative: true };

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

  /** The weight of the conservative term: exp(log alpha), or 0 when the model is not conservative. */
  get alpha(): number {
    return this.config.conservative ? Math.exp(this.logAlpha.dataSync()[0]!) : 0;
  }

  /** f(x), one value per row. */
  predict(z: tf.Tensor2D): tf.Tensor1D {
    return tf.tidy(() => tf.reshape(this.model.forward(z), [-1]) as tf.Tensor1D);
  }

  /** x <- x + eta grad_x sum f(x), `steps` times. The result is a constant: nothing flows back through it. */
  ascend(z: tf.Tensor2D, steps = this.config.ascentSteps, onStep?: (step: number, z: tf.Tensor2D) => void): tf.Tensor2D {
    return gradientAscent((input) => this.model.forward(input), z, steps, this.eta, onStep);
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
    if (!this.config.conservative) {
      const { loss } = this.modelOptimizer.minimize(() => ({ loss: tf.mean(tf.square(tf.sub(tf.reshape(this.model.forward(z), [-1]), y))) as tf.Scalar }));
      return { mse: loss!, gap: NaN, loss: loss!, alpha: 0 };
    }
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
    this.modelOptimizer.dispose();
    this.alphaOptimizer.dispose();
  }
}
