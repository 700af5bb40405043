/**
 * Behaviour cloning: supervised learning of the dataset's actions from its observations.
 *
 * - Discrete actions: an Mlp gives logits; loss = cross-entropy with the data's action.
 * - Box actions, policy 'deterministic': mean = squash(Mlp(s)) (tanh scaled to the box);
 *   loss = mean squared error to the data's action.
 * - Box actions, policy 'gaussian': N(squash(Mlp(s)), diag(exp(logStd))^2) with a state-independent,
 *   learned log-std vector clamped to [-5, 2]; loss = negative log-likelihood of the data's action.
 *   The density lives in the action space itself (no tanh change of variables), so actions on
 *   the box's edge, common in expert data, keep a finite likelihood.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { ActOptions, Action, ConfigSchema, Metrics } from '@bellman/core';
import { Adam, Mlp, variableFrom } from '@bellman/nn';
import { BaseLearner, defineLearner, type LearnerInit } from './learner-base.js';
import { ActionScaler, adamConfig, argmax, forwardOne, sampleFromLogits, type BatchTensors } from './learner-utils.js';

export interface BCConfig {
  /** Hidden layer widths of the policy network ([] gives a linear policy). */
  hiddenSizes: number[];
  learningRate: number;
  activation: 'relu' | 'tanh';
  /** Box action spaces only: 'deterministic' (MSE) or 'gaussian' (NLL). Ignored for Discrete. */
  policy: 'deterministic' | 'gaussian';
  /** Clip the global gradient norm (off when unset). */
  clipNorm?: number;
}

export const BC_DEFAULTS: Readonly<BCConfig> = Object.freeze({
  hiddenSizes: [256, 256],
  learningRate: 1e-3,
  activation: 'relu',
  policy: 'deterministic',
});

const BC_SCHEMA: ConfigSchema<BCConfig> = {
  hiddenSizes: { type: 'integerArray', minLength: 0 },
  learningRate: { type: 'number', min: 0, exclusiveMin: true },
  activation: { type: 'enum', values: ['relu', 'tanh'] },
  policy: { type: 'enum', values: ['deterministic', 'gaussian'] },
  clipNorm: { type: 'number', min: 0, exclusiveMin: true, optional: true },
};

const MIN_LOG_STD = -5;
const MAX_LOG_STD = 2;
const HALF_LOG_TWO_PI = 0.5 * Math.log(2 * Math.PI);

export class BC extends BaseLearner<BCConfig> {
  /** Logits (Discrete) or the pre-squash mean (Box). */
  readonly network: Mlp;
  /** Gaussian policy only: log standard deviation per action dimension. */
  readonly logStd: tf.Variable | null = null;
  private readonly optimizer: Adam;
  private readonly scaler: ActionScaler | null;

  constructor(init: LearnerInit<BCConfig>) {
    super(bcDefinition, init);
    const { hiddenSizes, activation, learningRate, clipNorm } = this.config;
    const outputDim = this.actionSpace.kind === 'discrete' ? this.actionSpace.n : this.actionDim;
    this.network = this.addNetwork('policy', new Mlp({ inputDim: this.observationDim, hiddenSizes: [...hiddenSizes], outputDim, activation }, this.rng));
    const params = [...this.network.variables];
    this.scaler = this.actionSpace.kind === 'box' ? new ActionScaler(this.actionSpace) : null;
    if (this.actionSpace.kind === 'box' && this.config.policy === 'gaussian') {
      this.logStd = this.addVariable('logStd', variableFrom(tf.zeros([this.actionDim]), true));
      params.push(this.logStd);
    }
    this.optimizer = this.addOptimizer('policy', new Adam(params, adamConfig(learningRate, clipNorm)));
  }

  protected trainStep(batch: BatchTensors): Metrics {
    if (this.actionSpace.kind === 'discrete') {
      return this.optimizer.minimize(() => {
        const logits = this.network.forward(batch.observations);
        const logProbs = tf.logSoftmax(logits);
        const loss = tf.neg(tf.mean(tf.sum(tf.mul(logProbs, batch.actionOneHot), 1))) as tf.Scalar;
        const accuracy = tf.mean(tf.cast(tf.equal(tf.argMax(logits, 1), batch.actionIndices), 'float32'));
        return { loss, metrics: { accuracy } };
      });
    }
    const scaler = this.scaler!;
    const logStd = this.logStd;
    if (!logStd) {
      return this.optimizer.minimize(() => {
        const mean = scaler.squash(this.network.forward(batch.observations));
        return { loss: tf.mean(tf.square(tf.sub(mean, batch.actions))) as tf.Scalar };
      });
    }
    return this.optimizer.minimize(() => {
      const mean = scaler.squash(this.network.forward(batch.observations));
      const clamped = tf.clipByValue(logStd, MIN_LOG_STD, MAX_LOG_STD);
      const z = tf.div(tf.sub(batch.actions, mean), tf.exp(clamped));
      // -log N(a; mean, std) summed over action dimensions, averaged over the batch.
      const perDim = tf.add(tf.add(tf.mul(0.5, tf.square(z)), clamped), HALF_LOG_TWO_PI);
      const loss = tf.mean(tf.sum(perDim, 1)) as tf.Scalar;
      return { loss, metrics: { mse: tf.mean(tf.square(tf.sub(mean, batch.actions))), std: tf.mean(tf.exp(clamped)) } };
    });
  }

  /** Greedy (argmax / mean) action when deterministic (the default); otherwise a sample drawn with `rng` or the learner's own. */
  act(observation: Float32Array, options: ActOptions = {}): Action {
    this.checkObservation(observation);
    const deterministic = options.deterministic ?? true;
    const out = forwardOne(this.network, observation);
    if (this.actionSpace.kind === 'discrete') {
      const index = deterministic ? argmax(out) : sampleFromLogits(out, options.rng ?? this.rng);
      return this.actionSpace.start + index;
    }
    const mean = this.scaler!.squashArray(out);
    if (deterministic || !this.logStd) return mean;
    const rng = options.rng ?? this.rng;
    const logStd = this.logStd.dataSync();
    const sample = new Float32Array(mean.length);
    for (let i = 0; i < mean.length; i++) {
      const std = Math.exp(Math.min(Math.max(logStd[i]!, MIN_LOG_STD), MAX_LOG_STD));
      sample[i] = mean[i]! + std * rng.normal();
    }
    return this.actionSpace.isBounded() ? this.actionSpace.clip(sample) : sample;
  }
}

export const bcDefinition = defineLearner({
  algo: 'bc',
  configName: 'BC',
  description: 'Behaviour cloning (cross-entropy for Discrete actions; MSE or Gaussian NLL for Box actions)',
  schema: BC_SCHEMA,
  defaults: BC_DEFAULTS,
  actionKinds: ['discrete', 'box'],
  create: (init) => new BC(init),
});
