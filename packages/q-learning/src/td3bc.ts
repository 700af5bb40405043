/**
 * TD3+BC (Fujimoto and Gu 2021): TD3 with a behaviour-cloning term in the actor loss.
 *
 * Observations are normalised, s <- (s - mean) / (std + 1e-3), with the dataset's statistics
 * (handed in as `normalization`, saved with the learner); `act` applies the same map.
 * Per update, on a batch (s, a, r, s', d):
 * (r below is the reward times `rewardScale`, 1 by default)
 *   target:  a' = clip(pi_target(s') + clip(eps, -c, c), low, high),  eps ~ N(0, (sigma * halfRange)^2),  c = noiseClip * halfRange
 *            y = r + gamma * (1 - d) * min_j Qtarget_j(s', a')
 *   critic:  J_Q = mean (Q_1(s,a) - y)^2 + mean (Q_2(s,a) - y)^2   (+ regularizer penalties)
 *   every `policyDelay` updates:
 *     actor: lambda = alpha / mean|Q_1(s, pi(s))| (held fixed),  J_pi = -lambda * mean Q_1(s, pi(s)) + mean (pi(s) - a)^2
 *     targets: actor and critics by Polyak averaging with tau.
 * Regularizers get phi(s, a) and phi(s', a') from the first critic, a' being the smoothed target action.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { ActOptions, Action, Box, ConfigSchema, Metrics } from '@bellman/core';
import { Adam, Mlp, variableFrom } from '@bellman/nn';
import { BaseLearner, defineLearner, type LearnerInit } from './learner-base.js';
import { ActionScaler, boxActionSpace, forwardOne, type BatchTensors } from './learner-utils.js';
import { clipTensorToBox, clipToBox, normalNoise } from './gaussian-policy.js';
import { ACTOR_CRITIC_SCHEMA, Critics, POSITIVE_NUMBER, criticTDLoss, renameLoss } from './twin-critic.js';

export interface TD3BCConfig {
  hiddenSizes: number[];
  gamma: number;
  /** Polyak rate of the target actor and critics. */
  tau: number;
  actorLearningRate: number;
  criticLearningRate: number;
  /** sigma: std of the target policy smoothing noise, as a fraction of the action half-range. */
  policyNoise: number;
  /** c: clip of that noise, as a fraction of the action half-range. */
  noiseClip: number;
  /** Actor and target updates every this many critic updates. */
  policyDelay: number;
  /** alpha: lambda = alpha / mean|Q| weighs the Q term against the BC term. */
  alpha: number;
  /** Normalise observations with the `normalization` statistics (identity when none are given). */
  normalizeObservations: boolean;
  /** Rewards are multiplied by this in the TD target (Q is then on the scaled reward's scale). */
  rewardScale: number;
}

export const TD3BC_DEFAULTS: Readonly<TD3BCConfig> = Object.freeze({
  hiddenSizes: [256, 256],
  gamma: 0.99,
  tau: 5e-3,
  actorLearningRate: 3e-4,
  criticLearningRate: 3e-4,
  policyNoise: 0.2,
  noiseClip: 0.5,
  policyDelay: 2,
  alpha: 2.5,
  normalizeObservations: true,
  rewardScale: 1,
});

const TD3BC_SCHEMA: ConfigSchema<TD3BCConfig> = {
  ...ACTOR_CRITIC_SCHEMA,
  actorLearningRate: POSITIVE_NUMBER,
  criticLearningRate: POSITIVE_NUMBER,
  policyNoise: { type: 'number', min: 0 },
  noiseClip: { type: 'number', min: 0 },
  policyDelay: { type: 'number', integer: true, min: 1 },
  alpha: { type: 'number', min: 0 },
  normalizeObservations: { type: 'boolean' },
  rewardScale: POSITIVE_NUMBER,
};

/** Added to the dataset's std before dividing (as in the paper). */
export const NORMALIZATION_STD_EPSILON = 1e-3;

/** Observation statistics; `dataset.statistics()` has this shape. */
export interface ObservationNormalization {
  observationMean: ArrayLike<number>;
  observationStd: ArrayLike<number>;
}

export interface TD3BCInit extends LearnerInit<TD3BCConfig> {
  /** The dataset's observation mean and std (e.g. `dataset.statistics()`). Without it: mean 0, std 1. */
  normalization?: ObservationNormalization;
}

export class TD3BC extends BaseLearner<TD3BCConfig> {
  /** The action space as a Box (the constructor rejects anything else). */
  protected readonly box: Box;
  /** pi(s) = squash(Mlp(normalised s)). */
  readonly actor: Mlp;
  readonly actorTarget: Mlp;
  readonly critics: Critics;
  readonly observationMean: tf.Variable;
  readonly observationStd: tf.Variable;
  private readonly scaler: ActionScaler;
  private readonly actorOptimizer: Adam;
  private readonly criticOptimizer: Adam;

  constructor(init: TD3BCInit) {
    super(td3bcDefinition, init);
    this.box = boxActionSpace(this.algo, this.actionSpace);
    if (!this.box.isBounded()) throw new RangeError(`td3bc: the action space must be bounded, got ${String(this.box)}`);
    const { hiddenSizes, actorLearningRate, criticLearningRate } = this.config;
    const { mean, std } = checkNormalization(init.normalization, this.observationDim);
    this.observationMean = this.addVariable('observationMean', variableFrom(tf.tensor1d(mean), false));
    this.observationStd = this.addVariable('observationStd', variableFrom(tf.tensor1d(std), false));
    const actorConfig = { inputDim: this.observationDim, hiddenSizes: [...hiddenSizes], outputDim: this.actionDim };
    this.actor = this.addNetwork('actor', new Mlp(actorConfig, this.rng));
    this.actorTarget = this.addNetwork('actorTarget', new Mlp(actorConfig, this.rng));
    this.actorTarget.copyFrom(this.actor);
    this.critics = new Critics(
      { observationDim: this.observationDim, actionDim: this.actionDim, hiddenSizes, count: 2 },
      this.rng,
      (name, net) => this.addNetwork(name, net),
    );
    this.scaler = new ActionScaler(this.box);
    this.actorOptimizer = this.addOptimizer('actor', new Adam(this.actor.variables, { learningRate: actorLearningRate }));
    this.criticOptimizer = this.addOptimizer('critic', new Adam(this.critics.variables, { learningRate: criticLearningRate }));
  }

  /** (s - mean) / (std + 1e-3), or s itself when `normalizeObservations` is off. */
  normalize(observations: tf.Tensor2D): tf.Tensor2D {
    if (!this.config.normalizeObservations) return tf.clone(observations);
    return tf.tidy(() => tf.div(tf.sub(observations, this.observationMean), tf.add(this.observationStd, NORMALIZATION_STD_EPSILON)) as tf.Tensor2D);
  }

  protected trainStep(batch: BatchTensors): Metrics {
    // The update's tensors live only for the update.
    return tf.tidy(() => {
      const { gamma, rewardScale, tau, policyNoise, noiseClip, policyDelay, alpha } = this.config;
      const s = this.normalize(batch.observations);
      const sNext = this.normalize(batch.nextObservations);
      const a = batch.actions;

      // Target: a' = clip(pi_target(s') + clip(eps, -c, c)), y = r + gamma * (1 - d) * min_j Qtarget_j(s', a')
      const noise = normalNoise(this.rng, batch.size, this.actionDim);
      const smoothing = tf.clipByValue(tf.mul(noise, policyNoise), -noiseClip, noiseClip);
      const nextAction = clipTensorToBox(this.box, tf.add(this.scaler.squash(this.actorTarget.forward(sNext)), tf.mul(smoothing, tf.tensor1d(this.scaler.halfRange))) as tf.Tensor2D);
      const y = tf.add(tf.mul(rewardScale, batch.rewards), tf.mul(gamma, tf.mul(batch.continues, this.critics.targetMin(sNext, nextAction)))) as tf.Tensor1D;

      // Critic: J_Q = mean (Q_1(s,a) - y)^2 + mean (Q_2(s,a) - y)^2 + regularizer penalties.
      const { metrics, probe } = this.minimizeCritic(this.criticOptimizer, batch, 'criticLoss', () => criticTDLoss(this.critics, s, a, y, sNext, nextAction));

      // Actor every `policyDelay` updates: J_pi = -lambda * mean Q_1(s, pi(s)) + mean (pi(s) - a)^2, lambda = alpha / mean|Q| detached.
      if ((this.updates + 1) % policyDelay === 0) {
        renameLoss(
          this.actorOptimizer.minimize(() => {
            const pi = this.scaler.squash(this.actor.forward(s));
            const q = this.critics.firstValue(s, pi);
            const lambda = tf.div(alpha, tf.add(tf.mean(tf.abs(q)), 1e-8)).dataSync()[0]!;
            const bc = tf.mean(tf.square(tf.sub(pi, a)));
            const loss = tf.add(tf.mul(-lambda, tf.mean(q)), bc) as tf.Scalar;
            return { loss, metrics: { lambda: tf.scalar(lambda), bcLoss: bc } };
          }),
          'actorLoss',
          metrics,
        );
        this.actorTarget.softUpdateFrom(this.actor, tau);
        this.critics.updateTargets(tau);
      }
      return Object.assign(metrics, probe);
    });
  }

  /** The deterministic policy pi(s) (exploration noise, when not deterministic, has std policyNoise * halfRange). */
  act(observation: Float32Array, options: ActOptions = {}): Action {
    this.checkObservation(observation);
    const normalized = new Float32Array(this.observationDim);
    const mean = this.observationMean.dataSync();
    const std = this.observationStd.dataSync();
    for (let i = 0; i < normalized.length; i++) {
      normalized[i] = this.config.normalizeObservations ? (observation[i]! - mean[i]!) / (std[i]! + NORMALIZATION_STD_EPSILON) : observation[i]!;
    }
    const action = this.scaler.squashArray(forwardOne(this.actor, normalized));
    if (options.deterministic ?? true) return clipToBox(this.box, action);
    const rng = options.rng ?? this.rng;
    for (let i = 0; i < action.length; i++) action[i] = action[i]! + this.config.policyNoise * this.scaler.halfRange[i]! * rng.normal();
    return clipToBox(this.box, action);
  }
}

function checkNormalization(normalization: ObservationNormalization | undefined, dim: number): { mean: Float32Array; std: Float32Array } {
  if (!normalization) return { mean: new Float32Array(dim), std: new Float32Array(dim).fill(1) };
  const out = { mean: Float32Array.from(normalization.observationMean ?? []), std: Float32Array.from(normalization.observationStd ?? []) };
  for (const [name, values] of [
    ['observationMean', out.mean],
    ['observationStd', out.std],
  ] as const) {
    if (values.length !== dim) throw new RangeError(`td3bc: normalization.${name} has ${values.length} values, the observation space has ${dim}`);
    values.forEach((v, i) => {
      if (!Number.isFinite(v) || (name === 'observationStd' && v < 0)) throw new RangeError(`td3bc: normalization.${name}[${i}] is ${v}, expected a finite${name === 'observationStd' ? ', non-negative' : ''} number`);
    });
  }
  return out;
}

export const td3bcDefinition = defineLearner({
  algo: 'td3bc',
  configName: 'TD3+BC',
  description: 'TD3+BC: twin critics, delayed deterministic actor with a behaviour-cloning term, normalised observations (Box actions, offline)',
  schema: TD3BC_SCHEMA,
  defaults: TD3BC_DEFAULTS,
  actionKinds: ['box'],
  create: (init: TD3BCInit) => new TD3BC(init),
});
