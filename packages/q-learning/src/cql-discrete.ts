/**
 * Discrete CQL, CQL(H) of Kumar et al. 2020: the (Double) DQN TD loss plus a conservative term that
 * pushes down a soft maximum of Q at the data's states and pushes up Q at the data's actions:
 *   loss = mean_i l(Q(s_i, a_i) - y_i) + alpha * mean_i (logsumexp_a Q(s_i, a) - Q(s_i, a_i)) + penalties
 * with y_i = r_i + gamma (1 - d_i) Q_target(s'_i, a*_i) as in DQN (one-step data).
 *
 * Regularized features are DQN's: phi(s, a) = the Q-network's penultimate features at s, and
 * phi(s', a') = its features at s' (a' is the backup's argmax, which selects a Q value from them).
 *
 * Defaults: alpha 1 (the paper uses 1 to 5 on Atari; d3rlpy's DiscreteCQL defaults to 1), Double
 * DQN targets, Huber loss, hidden [256, 256], Adam lr 3e-4, gamma 0.99, hard target updates every
 * 500 updates (d3rlpy's Atari setting is lr 6.25e-5, interval 8000, batch 32). Offline: `act` is
 * greedy whether or not `deterministic` is set.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { ConfigSchema } from '@bellman/core';
import { DiscreteQLearner, Q_NETWORK_SCHEMA, type ExtraLoss, type QNetworkConfig } from './dqn.js';
import { defineLearner, type LearnerInit } from './learner-base.js';
import type { BatchTensors } from './learner-utils.js';

export interface DiscreteCQLConfig extends QNetworkConfig {
  /** Weight of the conservative term. */
  alpha: number;
}

export const DISCRETE_CQL_DEFAULTS: Readonly<DiscreteCQLConfig> = Object.freeze({
  hiddenSizes: [256, 256],
  activation: 'relu',
  learningRate: 3e-4,
  gamma: 0.99,
  loss: 'huber',
  targetUpdateInterval: 500,
  tau: 1,
  doubleDqn: true,
  dueling: false,
  alpha: 1,
});

const DISCRETE_CQL_SCHEMA: ConfigSchema<DiscreteCQLConfig> = {
  ...Q_NETWORK_SCHEMA,
  alpha: { type: 'number', min: 0 },
};

export class DiscreteCQL extends DiscreteQLearner<DiscreteCQLConfig> {
  constructor(init: LearnerInit<DiscreteCQLConfig>) {
    super(discreteCqlDefinition, init);
  }

  /** alpha * mean(logsumexp_a Q(s, a) - Q(s, a_data)); reported as `cqlGap` (before alpha). */
  protected override extraLoss(q: tf.Tensor2D, qTaken: tf.Tensor1D, batch: BatchTensors): ExtraLoss {
    void batch;
    const gap = tf.mean(tf.sub(tf.logSumExp(q, 1), qTaken)) as tf.Scalar;
    return { loss: tf.mul(gap, this.config.alpha) as tf.Scalar, metrics: { cqlGap: gap } };
  }
}

export const discreteCqlDefinition = defineLearner({
  algo: 'cql-discrete',
  configName: 'DiscreteCQL',
  description: 'Conservative Q-learning for Discrete actions: Double DQN loss + alpha * (logsumexp Q - Q(s, a_data)) (offline)',
  schema: DISCRETE_CQL_SCHEMA,
  defaults: DISCRETE_CQL_DEFAULTS,
  actionKinds: ['discrete'],
  create: (init) => new DiscreteCQL(init),
});
