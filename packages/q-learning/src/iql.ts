/**
 * Implicit Q-Learning (Kostrikov et al. 2021): no action outside the dataset is ever queried by
 * the value updates.
 *
 * Per update, on a batch (s, a, r, s', d), in this order:
 * (r below is the reward times `rewardScale`, 1 by default)
 *   value:   u = min_j Qtarget_j(s, a) - V(s),  L_V = mean |tau - 1(u < 0)| * u^2   (expectile tau)
 *   critic:  y = r + gamma * (1 - d) * V(s')   (V before this update's value step)
 *            L_Q = mean (Q_1(s,a) - y)^2 + mean (Q_2(s,a) - y)^2   (+ regularizer penalties)
 *   actor:   A = min_j Qtarget_j(s, a) - V(s) (V before its step, held fixed),  w = min(exp(beta * A), 100)
 *            L_pi = -mean w * log pi(a|s)   (advantage-weighted regression)
 *   targets: Qtarget_j <- tau_polyak * Q_j + (1 - tau_polyak) * Qtarget_j
 * The policy is a Gaussian with mean squash(mu(s)) and a state-independent learned log-std
 * (gaussian-policy.ts GaussianActor), so dataset actions on the box edge have finite log pi.
 *
 * Regularizers: the Q backup uses V(s'), not Q(s', a'). phi(s, a) is the first critic's features at
 * the data; phi(s', a') is the same critic's features at s' and a' ~ pi(.|s') (a fresh policy sample),
 * the next state-action the policy would take.
 */
import * as tf from '@tensorflow/tfjs';
import { Adam, Mlp, type ConfigSchema, type Metrics } from '@bellman/core';
import { AdvantageWeightedLearner } from './advantage-weighted.js';
import { learnerSpec, type LearnerDefinition, type LearnerInit } from './learner-base.js';
import type { BatchTensors } from './learner-utils.js';
import { normalNoise } from './gaussian-policy.js';
import { ACTOR_CRITIC_SCHEMA, POSITIVE_NUMBER, mse, renameLoss } from './twin-critic.js';

export interface IQLConfig {
  hiddenSizes: number[];
  gamma: number;
  /** Polyak rate of the target critics. */
  tau: number;
  /** The expectile of the value regression (0.7 locomotion, 0.9 AntMaze). */
  expectile: number;
  /** Inverse temperature of the advantage weights (3 locomotion, 10 AntMaze). */
  beta: number;
  /** Advantage weights are clipped at this value. */
  maxWeight: number;
  actorLearningRate: number;
  criticLearningRate: number;
  valueLearningRate: number;
  /** Rewards are multiplied by this in the TD target (Q is then on the scaled reward's scale). */
  rewardScale: number;
}

export const IQL_DEFAULTS: Readonly<IQLConfig> = Object.freeze({
  hiddenSizes: [256, 256],
  gamma: 0.99,
  tau: 5e-3,
  expectile: 0.7,
  beta: 3,
  maxWeight: 100,
  actorLearningRate: 3e-4,
  criticLearningRate: 3e-4,
  valueLearningRate: 3e-4,
  rewardScale: 1,
});

/** The schema of IQL on either action space (iql-discrete.ts uses it too). */
export const IQL_SCHEMA: ConfigSchema<IQLConfig> = {
  ...ACTOR_CRITIC_SCHEMA,
  expectile: { type: 'number', min: 0, max: 1, exclusiveMin: true },
  beta: { type: 'number', min: 0 },
  maxWeight: POSITIVE_NUMBER,
  actorLearningRate: POSITIVE_NUMBER,
  criticLearningRate: POSITIVE_NUMBER,
  valueLearningRate: POSITIVE_NUMBER,
  rewardScale: POSITIVE_NUMBER,
};

/** Expectile loss of residuals u: mean |tau - 1(u < 0)| * u^2. */
export function expectileLoss(u: tf.Tensor, expectile: number): tf.Scalar {
  return tf.tidy(() => {
    // |tau - 1(u < 0)|; step(-u) is the indicator and, unlike a comparison, has a (zero) gradient in tfjs.
    const weight = tf.abs(tf.sub(expectile, tf.step(tf.neg(u))));
    return tf.mean(tf.mul(weight, tf.square(u))) as tf.Scalar;
  });
}

/** The Gaussian actor, twin critics and their optimizers come from AdvantageWeightedLearner; IQL adds V(s). */
export class IQL extends AdvantageWeightedLearner<IQLConfig> {
  /** V(s). */
  readonly value: Mlp;
  private readonly valueOptimizer: Adam;

  constructor(init: LearnerInit<IQLConfig>) {
    super(learnerSpec('iql', 'IQL', IQL_SCHEMA, IQL_DEFAULTS, ['box']), init, 2);
    const { hiddenSizes, valueLearningRate } = this.config;
    this.value = this.addNetwork('value', new Mlp({ inputDim: this.observationDim, hiddenSizes: [...hiddenSizes], outputDim: 1 }, this.rng));
    this.valueOptimizer = this.addOptimizer('value', new Adam(this.value.variables, { learningRate: valueLearningRate }));
  }

  private v(observations: tf.Tensor2D): tf.Tensor1D {
    return tf.reshape(this.value.forward(observations), [-1]) as tf.Tensor1D;
  }

  protected trainStep(batch: BatchTensors): Metrics {
    const { gamma, rewardScale, tau, expectile, beta, maxWeight } = this.config;
    const s = batch.observations;
    const a = batch.actions;
    const sNext = batch.nextObservations;

    // Fixed inputs of the three losses, all from the networks before this update:
    // Qt = min_j Qtarget_j(s, a); A = Qt - V(s); y = r + gamma * (1 - d) * V(s').
    const qTarget = tf.tidy(() => this.critics.targetMin(s, a));
    const advantage = tf.tidy(() => tf.sub(qTarget, this.v(s)) as tf.Tensor1D);
    const y = tf.tidy(() => tf.add(tf.mul(rewardScale, batch.rewards), tf.mul(gamma, tf.mul(batch.continues, this.v(sNext)))) as tf.Tensor1D);
    // a' ~ pi(.|s') for phi(s', a') only; the noise is drawn every update so that adding a probe or a
    // regularizer leaves the learner's random stream unchanged.
    const nextNoise = normalNoise(this.rng, batch.size, this.actionDim);
    const nextAction = this.needsNextFeatures ? this.actor.sample(sNext, nextNoise) : null;

    const metrics: Metrics = {};
    const probe: Metrics = {};
    try {
      // Value: L_V = mean |tau - 1(u < 0)| u^2,  u = Qt(s, a) - V(s).
      renameLoss(
        this.valueOptimizer.minimize(() => {
          const v = this.v(s);
          return { loss: expectileLoss(tf.sub(qTarget, v), expectile), metrics: { vMean: tf.mean(v) } };
        }),
        'valueLoss',
        metrics,
      );

      // Critic: L_Q = mean (Q_1(s,a) - y)^2 + mean (Q_2(s,a) - y)^2 + regularizer penalties.
      renameLoss(
        this.criticOptimizer.minimize(() => {
          const { values: [q1, q2], phi } = this.critics.valuesWithFeatures(s, a);
          const extra: Record<string, tf.Tensor> = { qMean: tf.mean(q1!), targetMean: tf.mean(y) };
          const tdLoss = tf.add(mse(q1!, y), mse(q2!, y)) as tf.Scalar;
          const loss = this.withFeatureTerms(
            tdLoss,
            phi,
            () => this.critics.features(sNext, nextAction!),
            q1!,
            batch,
            extra,
            probe,
          );
          return { loss, metrics: extra };
        }),
        'criticLoss',
        metrics,
      );

      // Actor: L_pi = -mean min(exp(beta * A), maxWeight) * log pi(a|s).
      renameLoss(
        this.actorOptimizer.minimize(() => {
          const weights = tf.minimum(tf.exp(tf.mul(beta, advantage)), maxWeight);
          const logProb = this.actor.logProb(s, a);
          const loss = tf.neg(tf.mean(tf.mul(weights, logProb))) as tf.Scalar;
          return { loss, metrics: { advantageMean: tf.mean(advantage), weightMean: tf.mean(weights), logProbMean: tf.mean(logProb) } };
        }),
        'actorLoss',
        metrics,
      );
    } finally {
      tf.dispose([qTarget, advantage, y, nextNoise]);
      if (nextAction) nextAction.dispose();
    }
    this.critics.updateTargets(tau);
    return Object.assign(metrics, probe);
  }
}

export const iqlDefinition: LearnerDefinition<IQLConfig> = {
  algo: 'iql',
  description: 'Implicit Q-Learning: expectile value regression, V-based TD backup, advantage-weighted Gaussian policy (Box actions, offline)',
  actionKinds: ['box'],
  defaults: IQL_DEFAULTS,
  create: (init) => new IQL(init),
};
