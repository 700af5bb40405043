/**
 * Critic Regularized Regression (Wang et al. 2020): a policy trained by filtered / weighted
 * behaviour cloning, the weight a function of the critic's advantage.
 *
 * Per update, on a batch (s, a, r, s', d), with m policy samples per state:
 * (r below is the reward times `rewardScale`, 1 by default)
 *   critic:  y = r + gamma * (1 - d) * mean_k Qtarget(s', a'_k),  a'_k ~ pi(.|s'), k = 1..m
 *            (targetSamples = 1 gives the single-sample backup)
 *            L_Q = mean (Q(s,a) - y)^2   (+ regularizer penalties)
 *   actor:   A(s,a) = Q(s,a) - mean_k Q(s, a_k),  a_k ~ pi(.|s), k = 1..m   (held fixed)
 *            f = 1(A > 0) ('binary') or min(exp(A / beta), 20) ('exp')
 *            L_pi = -mean f * log pi(a|s)
 *   targets: Qtarget <- tau * Q + (1 - tau) * Qtarget
 * One critic (as in the paper), trained on the current policy's actions. The policy is a Gaussian
 * with mean squash(mu(s)) and a state-independent learned log-std (gaussian-policy.ts GaussianActor).
 *
 * Regularizers get phi(s, a) and phi(s', a'_1) from the critic: a'_1 is the first of the backup's samples.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { ConfigSchema, Metrics } from '@bellman/core';
import { AdvantageWeightedLearner } from './advantage-weighted.js';
import { defineLearner, type LearnerInit } from './learner-base.js';
import type { BatchTensors } from './learner-utils.js';
import { normalNoise } from './gaussian-policy.js';
import { ACTOR_CRITIC_SCHEMA, POSITIVE_NUMBER, criticTDLoss, renameLoss, repeatRows } from './twin-critic.js';

export interface CRRConfig {
  hiddenSizes: number[];
  gamma: number;
  /** Polyak rate of the target critic. */
  tau: number;
  /** f: 'binary' = 1(A > 0), 'exp' = min(exp(A / beta), maxWeight). */
  advantageFilter: 'binary' | 'exp';
  /** Temperature of the 'exp' filter. */
  beta: number;
  /** Clip of the 'exp' weights. */
  maxWeight: number;
  /** m: policy samples for the advantage baseline. */
  advantageSamples: number;
  /** Policy samples averaged in the TD target (1: a single sample). */
  targetSamples: number;
  actorLearningRate: number;
  criticLearningRate: number;
  /** Rewards are multiplied by this in the TD target (Q is then on the scaled reward's scale). */
  rewardScale: number;
}

export const CRR_DEFAULTS: Readonly<CRRConfig> = Object.freeze({
  hiddenSizes: [256, 256],
  gamma: 0.99,
  tau: 5e-3,
  advantageFilter: 'exp',
  beta: 1,
  maxWeight: 20,
  advantageSamples: 4,
  targetSamples: 4,
  actorLearningRate: 3e-4,
  criticLearningRate: 3e-4,
  rewardScale: 1,
});

const CRR_SCHEMA: ConfigSchema<CRRConfig> = {
  ...ACTOR_CRITIC_SCHEMA,
  advantageFilter: { type: 'enum', values: ['binary', 'exp'] },
  beta: POSITIVE_NUMBER,
  maxWeight: POSITIVE_NUMBER,
  advantageSamples: { type: 'number', integer: true, min: 1 },
  targetSamples: { type: 'number', integer: true, min: 1 },
  actorLearningRate: POSITIVE_NUMBER,
  criticLearningRate: POSITIVE_NUMBER,
  rewardScale: POSITIVE_NUMBER,
};

/** f(A): 1(A > 0), or min(exp(A / beta), maxWeight). */
export function advantageWeights(advantage: tf.Tensor, filter: 'binary' | 'exp', beta: number, maxWeight: number): tf.Tensor {
  return tf.tidy(() =>
    // step(A) is 1(A > 0); unlike a comparison it has a (zero) gradient in tfjs.
    filter === 'binary' ? tf.step(advantage) : tf.minimum(tf.exp(tf.div(advantage, beta)), maxWeight),
  );
}

/** The Gaussian actor, the critic (one, as in the paper) and their optimizers come from AdvantageWeightedLearner. */
export class CRR extends AdvantageWeightedLearner<CRRConfig> {
  constructor(init: LearnerInit<CRRConfig>) {
    super(crrDefinition, init, 1);
  }

  protected trainStep(batch: BatchTensors): Metrics {
    // The update's tensors live only for the update.
    return tf.tidy(() => {
      const { gamma, rewardScale, tau, advantageFilter, beta, maxWeight, advantageSamples: m, targetSamples: mTarget } = this.config;
      const s = batch.observations;
      const a = batch.actions;
      const sNext = batch.nextObservations;
      const size = batch.size;

      // Target: y = r + gamma * (1 - d) * mean_k Qtarget(s', a'_k),  a'_k ~ pi(.|s') (rows i*mTarget + k).
      const sNextRepeated = repeatRows(sNext, mTarget);
      const nextNoise = normalNoise(this.rng, size * mTarget, this.actionDim);
      // The policy's mean is computed once per state and repeated for its samples.
      const nextActions = this.actor.sampleAround(repeatRows(this.actor.mean(sNext), mTarget), nextNoise);
      const firstNextAction = tf.reshape(tf.slice(tf.reshape(nextActions, [size, mTarget, this.actionDim]), [0, 0, 0], [size, 1, this.actionDim]), [size, this.actionDim]) as tf.Tensor2D;
      const nextValue = tf.mean(tf.reshape(this.critics.targetMin(sNextRepeated, nextActions), [size, mTarget]), 1);
      const y = tf.add(tf.mul(rewardScale, batch.rewards), tf.mul(gamma, tf.mul(batch.continues, nextValue))) as tf.Tensor1D;

      // Advantage, before the critic step: A = Q(s, a) - mean_k Q(s, a_k),  a_k ~ pi(.|s).
      const sRepeated = repeatRows(s, m);
      const noise = normalNoise(this.rng, size * m, this.actionDim);
      const samples = this.actor.sampleAround(repeatRows(this.actor.mean(s), m), noise);
      const baseline = tf.mean(tf.reshape(this.critics.min(sRepeated, samples), [size, m]), 1);
      const advantage = tf.sub(this.critics.min(s, a), baseline) as tf.Tensor1D;

      // Critic: L_Q = mean (Q(s,a) - y)^2 + regularizer penalties.
      const { metrics, probe } = this.minimizeCritic(this.criticOptimizer, batch, 'criticLoss', () => criticTDLoss(this.critics, s, a, y, sNext, firstNextAction));

      // Actor: L_pi = -mean f(A) * log pi(a|s).
      renameLoss(
        this.actorOptimizer.minimize(() => {
          const weights = advantageWeights(advantage, advantageFilter, beta, maxWeight);
          const logProb = this.actor.logProb(s, a);
          const loss = tf.neg(tf.mean(tf.mul(weights, logProb))) as tf.Scalar;
          return { loss, metrics: { advantageMean: tf.mean(advantage), weightMean: tf.mean(weights), logProbMean: tf.mean(logProb) } };
        }),
        'actorLoss',
        metrics,
      );
      this.critics.updateTargets(tau);
      return Object.assign(metrics, probe);
    });
  }
}

export const crrDefinition = defineLearner({
  algo: 'crr',
  configName: 'CRR',
  description: 'Critic Regularized Regression: advantage-filtered (binary or exp) behaviour cloning with a TD critic (Box actions, offline)',
  schema: CRR_SCHEMA,
  defaults: CRR_DEFAULTS,
  actionKinds: ['box'],
  create: (init) => new CRR(init),
});
