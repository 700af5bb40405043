/**
 * The plain forward model of design-baselines' gradient-ascent ("Grad.") and CMA-ES baselines: an
 * MLP whose two outputs are the mean and the log standard deviation of a Gaussian over the
 * standardised score, fitted by maximum likelihood. The log std is held softly between two
 * learned bounds hi and lo, starting at log 0.2 and log 0.1:
 *   log sigma = hi - softplus(hi - raw), then lo + softplus(log sigma - lo)
 * (so log sigma tends to lo as raw falls, and to lo + softplus(hi - lo) as it rises)
 *   loss      = mean_i [ (y_i - mu_i)^2 / (2 sigma_i^2) + log sigma_i ] + log sqrt(2 pi)
 * Only the mean is searched on: nothing pushes it down off the data, which is what COMs adds.
 */
import * as tf from '@tensorflow/tfjs-core';
import { Rng, resolveConfig, type ConfigSchema } from '@bellman/core';
import { Adam, Mlp } from '@bellman/nn';
import type { DesignEncoding } from './encoding.js';
import type { DesignTask } from './task.js';
import { prepareTrainingData, runEpochs, validationMse, type FitOptions } from './train.js';

export interface GaussianModelConfig {
  hiddenSizes: number[];
  learningRate: number;
  /** Where the soft bounds of sigma start. */
  initialMinStd: number;
  initialMaxStd: number;
}

export const GAUSSIAN_MODEL_SCHEMA: ConfigSchema<GaussianModelConfig> = {
  hiddenSizes: { type: 'integerArray', minLength: 1 },
  learningRate: { type: 'number', min: 0, exclusiveMin: true },
  initialMinStd: { type: 'number', min: 0, exclusiveMin: true },
  initialMaxStd: { type: 'number', min: 0, exclusiveMin: true },
};

/** design-baselines' settings for Grad.: 2 x 2048, Adam 1e-3, sigma in [0.1, 0.2] at the start. */
export const gaussianModelDefaults: GaussianModelConfig = { hiddenSizes: [2048, 2048], learningRate: 1e-3, initialMinStd: 0.1, initialMaxStd: 0.2 };

/** The Gaussian's parameters per row. */
export interface GaussianPrediction {
  mean: tf.Tensor1D;
  logStd: tf.Tensor1D;
}

export interface GaussianLoss {
  /** Negative log-likelihood per row, averaged: what the model minimises. */
  nll: tf.Scalar;
  /** mean (mu - y)^2, for comparison with COMs' fit. */
  mse: tf.Scalar;
}

const HALF_LOG_TWO_PI = 0.5 * Math.log(2 * Math.PI);

export class GaussianObjectiveModel {
  readonly config: GaussianModelConfig;
  readonly model: Mlp;
  readonly minLogStd: tf.Variable;
  readonly maxLogStd: tf.Variable;
  private readonly optimizer: Adam;

  constructor(
    readonly inputWidth: number,
    config: Partial<GaussianModelConfig> = {},
    seed = 0,
  ) {
    this.config = resolveConfig('gaussian model', GAUSSIAN_MODEL_SCHEMA, gaussianModelDefaults, config);
    this.model = new Mlp({ inputDim: inputWidth, hiddenSizes: this.config.hiddenSizes, outputDim: 2, activation: 'relu' }, new Rng(seed));
    this.minLogStd = tf.variable(tf.scalar(Math.log(this.config.initialMinStd)), true);
    this.maxLogStd = tf.variable(tf.scalar(Math.log(this.config.initialMaxStd)), true);
    this.optimizer = new Adam([...this.model.variables, this.minLogStd, this.maxLogStd], { learningRate: this.config.learningRate });
  }

  distribution(z: tf.Tensor2D): GaussianPrediction {
    return tf.tidy(() => {
      const out = this.model.forward(z);
      const [mean, raw] = tf.split(out, 2, 1).map((t) => tf.reshape(t, [-1])) as [tf.Tensor1D, tf.Tensor1D];
      const belowMax = tf.sub(this.maxLogStd, tf.softplus(tf.sub(this.maxLogStd, raw)));
      const logStd = tf.add(this.minLogStd, tf.softplus(tf.sub(belowMax, this.minLogStd))) as tf.Tensor1D;
      return { mean, logStd };
    });
  }

  /** The predicted mean, one value per row: what the baselines search on. */
  predict(z: tf.Tensor2D): tf.Tensor1D {
    return tf.tidy(() => this.distribution(z).mean);
  }

  computeLoss(z: tf.Tensor2D, y: tf.Tensor1D): GaussianLoss {
    const { mean, logStd } = this.distribution(z);
    const error = tf.sub(y, mean);
    const nll = tf.add(tf.mean(tf.add(tf.div(tf.square(error), tf.mul(tf.exp(tf.mul(logStd, 2)), 2)), logStd)), HALF_LOG_TWO_PI) as tf.Scalar;
    return { nll, mse: tf.mean(tf.square(error)) as tf.Scalar };
  }

  update(z: tf.Tensor2D, y: tf.Tensor1D): { nll: number; mse: number } {
    const { loss, mse } = this.optimizer.minimize(() => {
      const terms = this.computeLoss(z, y);
      return { loss: terms.nll, metrics: { mse: terms.mse } };
    });
    return { nll: loss!, mse: mse! };
  }

  dispose(): void {
    this.model.variables.forEach((v) => v.dispose());
    tf.dispose([this.minLogStd, this.maxLogStd]);
    this.optimizer.dispose();
  }
}

export interface GaussianEpoch {
  epoch: number;
  nll: number;
  mse: number;
  validationMse: number;
}

export interface TrainedGaussianModel {
  model: GaussianObjectiveModel;
  encoding: DesignEncoding;
  yMean: number;
  yStd: number;
  history: GaussianEpoch[];
}

/** Fits the plain model on the training split (defaults: 100 epochs, batch 128, 200 rows held out). */
export function trainGaussianModel(task: DesignTask, config: Partial<GaussianModelConfig> = {}, options: FitOptions & { onEpoch?: (epoch: GaussianEpoch) => void } = {}): TrainedGaussianModel {
  const { epochs = 100, batchSize = 128, validationSize = 200, seed = 0 } = options;
  const rng = new Rng(seed);
  const data = prepareTrainingData(task, validationSize, rng);
  const model = new GaussianObjectiveModel(data.encoding.width, config, seed);
  const history: GaussianEpoch[] = [];
  runEpochs(
    data,
    rng,
    { epochs, batchSize },
    (z, y) => model.update(z, y),
    (epoch, means) => {
      const record = { epoch, nll: means.nll, mse: means.mse, validationMse: validationMse(data, (z) => model.predict(z)) };
      history.push(record);
      options.onEpoch?.(record);
    },
  );
  return { model, encoding: data.encoding, yMean: data.yMean, yStd: data.yStd, history };
}
