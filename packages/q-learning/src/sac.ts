/**
 * Soft Actor-Critic (Haarnoja et al. 2018), with automatic entropy tuning.
 *
 * Per update, on a batch (s, a, r, s', d):
 * (r below is the reward times `rewardScale`, 1 by default)
 *   critic:  y = r + gamma * (1 - d) * (min_j Qtarget_j(s', a') - alpha * log pi(a'|s')),  a' ~ pi(.|s')
 *            J_Q = mean (Q_1(s,a) - y)^2 + mean (Q_2(s,a) - y)^2   (+ regularizer penalties)
 *   actor:   J_pi = mean(alpha * log pi(a~|s) - min_j Q_j(s, a~)),  a~ ~ pi(.|s) reparameterised
 *   alpha:   J(log alpha) = -log alpha * (mean log pi(a~|s) + targetEntropy),  targetEntropy = -|A|
 *   targets: Qtarget_j <- tau * Q_j + (1 - tau) * Qtarget_j
 * The actor is a tanh-squashed Gaussian (gaussian-policy.ts); log pi includes the tanh log-det.
 *
 * Regularizers get phi(s, a) and phi(s', a') from the first critic, a' being the backup's sample.
 */
import * as tf from '@tensorflow/tfjs';
import type { ActOptions, Action, ConfigSchema, Metrics } from '@bellman/core';
import { Adam, Mlp, variableFrom } from '@bellman/nn';
import { learnerSpec, type LearnerDefinition, type LearnerInit, type LearnerSpec } from './learner-base.js';
import type { BatchTensors } from './learner-utils.js';
import { TanhGaussianActor, normalNoise } from './gaussian-policy.js';
import { ACTOR_CRITIC_SCHEMA, ContinuousCriticLearner, Critics, POSITIVE_NUMBER, mse, renameLoss } from './twin-critic.js';

/** What SAC and the learners built on it (CQL) share. */
export interface SoftActorCriticConfig {
  /** Hidden layer widths of the actor and of each critic. */
  hiddenSizes: number[];
  /** Discount. */
  gamma: number;
  /** Polyak rate of the target critics. */
  tau: number;
  actorLearningRate: number;
  criticLearningRate: number;
  /** Learning rate of log alpha (automatic entropy tuning). */
  alphaLearningRate: number;
  /** The entropy temperature alpha at the start (or throughout when `learnAlpha` is false). */
  initialAlpha: number;
  /** Tune alpha towards `targetEntropy` (true) or keep it at `initialAlpha`. */
  learnAlpha: boolean;
  /** Default: -|A| (minus the number of action dimensions). */
  targetEntropy?: number;
  /** Rewards are multiplied by this in the TD target (Q is then on the scaled reward's scale). */
  rewardScale: number;
}

export type SACConfig = SoftActorCriticConfig;

export const SAC_DEFAULTS: Readonly<SACConfig> = Object.freeze({
  hiddenSizes: [256, 256],
  gamma: 0.99,
  tau: 5e-3,
  actorLearningRate: 3e-4,
  criticLearningRate: 3e-4,
  alphaLearningRate: 3e-4,
  initialAlpha: 1,
  learnAlpha: true,
  rewardScale: 1,
});

export const SOFT_ACTOR_CRITIC_SCHEMA: ConfigSchema<SoftActorCriticConfig> = {
  ...ACTOR_CRITIC_SCHEMA,
  actorLearningRate: POSITIVE_NUMBER,
  criticLearningRate: POSITIVE_NUMBER,
  alphaLearningRate: POSITIVE_NUMBER,
  initialAlpha: POSITIVE_NUMBER,
  learnAlpha: { type: 'boolean' },
  targetEntropy: { type: 'number', optional: true },
  rewardScale: POSITIVE_NUMBER,
};

/**
 * The networks, optimizers, acting and actor / temperature step of SAC-style learners. Each
 * subclass writes its own critic update in `trainStep`.
 */
export abstract class SoftActorCritic<C extends SoftActorCriticConfig> extends ContinuousCriticLearner<C> {
  readonly actor: TanhGaussianActor;
  readonly critics: Critics;
  /** log alpha, the entropy temperature (a variable, saved with the learner). */
  readonly logAlpha: tf.Variable;
  readonly targetEntropy: number;
  protected readonly actorOptimizer: Adam;
  protected readonly criticOptimizer: Adam;
  protected readonly alphaOptimizer: Adam | null;

  protected constructor(spec: LearnerSpec<C>, init: LearnerInit<C>) {
    super(spec, init);
    const { hiddenSizes, actorLearningRate, criticLearningRate, alphaLearningRate, initialAlpha, learnAlpha, targetEntropy } = this.config;
    const actorNet = this.addNetwork('actor', new Mlp({ inputDim: this.observationDim, hiddenSizes: [...hiddenSizes], outputDim: 2 * this.actionDim }, this.rng));
    this.actor = new TanhGaussianActor(actorNet, this.box);
    this.critics = new Critics(
      { observationDim: this.observationDim, actionDim: this.actionDim, hiddenSizes, count: 2 },
      this.rng,
      (name, net) => this.addNetwork(name, net),
    );
    this.logAlpha = this.addVariable('logAlpha', variableFrom(tf.scalar(Math.log(initialAlpha)), learnAlpha));
    this.targetEntropy = targetEntropy ?? -this.actionDim;
    this.actorOptimizer = this.addOptimizer('actor', new Adam(actorNet.variables, { learningRate: actorLearningRate }));
    this.criticOptimizer = this.addOptimizer('critic', new Adam(this.critics.variables, { learningRate: criticLearningRate }));
    this.alphaOptimizer = learnAlpha ? this.addOptimizer('alpha', new Adam([this.logAlpha], { learningRate: alphaLearningRate })) : null;
  }

  /** The current temperature exp(log alpha). */
  get alpha(): number {
    return Math.exp(this.logAlpha.dataSync()[0]!);
  }

  /**
   * The actor step J_pi = mean(alpha * log pi(a~|s) - min_j Q_j(s, a~)), then the temperature step
   * J(log alpha) = -log alpha * (mean log pi(a~|s) + targetEntropy) with log pi held fixed.
   * With `cloneActions` (CQL's first `bcSteps` updates) the actor step clones them instead:
   * J_pi = mean(alpha * log pi(a~|s) - log pi(a_data|s)).
   */
  protected updateActorAndAlpha(observations: tf.Tensor2D, cloneActions?: tf.Tensor2D): Metrics {
    const alpha = this.alpha;
    const noise = normalNoise(this.rng, observations.shape[0], this.actionDim);
    const metrics: Metrics = { alpha };
    try {
      renameLoss(
        this.actorOptimizer.minimize(() => {
          const { action, logProb } = this.actor.sample(observations, noise);
          const objective = cloneActions ? this.actor.logProb(observations, cloneActions) : this.critics.min(observations, action);
          const loss = tf.mean(tf.sub(tf.mul(alpha, logProb), objective)) as tf.Scalar;
          return { loss, metrics: { entropy: tf.neg(tf.mean(logProb)) } };
        }),
        'actorLoss',
        metrics,
      );
    } finally {
      noise.dispose();
    }
    if (this.alphaOptimizer) {
      // -log alpha * (log pi + H_target) with the batch mean of log pi = -entropy.
      const meanLogProb = -metrics.entropy!;
      renameLoss(
        this.alphaOptimizer.minimize(() => ({ loss: tf.mul(tf.neg(this.logAlpha), meanLogProb + this.targetEntropy) as tf.Scalar })),
        'alphaLoss',
        metrics,
      );
    }
    return metrics;
  }

  /** squash(mu(s)) when deterministic (the default); otherwise a sample drawn with `rng` or the learner's own. */
  act(observation: Float32Array, options: ActOptions = {}): Action {
    this.checkObservation(observation);
    return this.actor.act(observation, options.deterministic ?? true, options.rng ?? this.rng);
  }
}

export class SAC extends SoftActorCritic<SACConfig> {
  constructor(init: LearnerInit<SACConfig>) {
    super(learnerSpec('sac', 'SAC', SOFT_ACTOR_CRITIC_SCHEMA, SAC_DEFAULTS, ['box']), init);
  }

  protected trainStep(batch: BatchTensors): Metrics {
    const { gamma, rewardScale, tau } = this.config;
    const s = batch.observations;
    const a = batch.actions;
    const sNext = batch.nextObservations;
    const alpha = this.alpha;

    // Target: y = r + gamma * (1 - d) * (min_j Qtarget_j(s', a') - alpha * log pi(a'|s')),  a' ~ pi(.|s')
    const nextNoise = normalNoise(this.rng, batch.size, this.actionDim);
    const next = this.actor.sample(sNext, nextNoise);
    const y = tf.tidy(() => {
      const softNextValue = tf.sub(this.critics.targetMin(sNext, next.action), tf.mul(alpha, next.logProb));
      return tf.add(tf.mul(rewardScale, batch.rewards), tf.mul(gamma, tf.mul(batch.continues, softNextValue))) as tf.Tensor1D;
    });

    // Critic: J_Q = mean (Q_1(s,a) - y)^2 + mean (Q_2(s,a) - y)^2 + regularizer penalties.
    const metrics: Metrics = {};
    const probe: Metrics = {};
    try {
      renameLoss(
        this.criticOptimizer.minimize(() => {
          const { values: [q1, q2], phi } = this.critics.valuesWithFeatures(s, a);
          const extra: Record<string, tf.Tensor> = { qMean: tf.mean(q1!), targetMean: tf.mean(y) };
          const tdLoss = tf.add(mse(q1!, y), mse(q2!, y)) as tf.Scalar;
          const loss = this.withFeatureTerms(tdLoss, phi, () => this.critics.features(sNext, next.action), q1!, batch, extra, probe);
          return { loss, metrics: extra };
        }),
        'criticLoss',
        metrics,
      );
    } finally {
      tf.dispose([nextNoise, next.action, next.logProb, y]);
    }

    // Actor and temperature, then the target critics.
    Object.assign(metrics, this.updateActorAndAlpha(s));
    this.critics.updateTargets(tau);
    return Object.assign(metrics, probe);
  }
}

export const sacDefinition: LearnerDefinition<SACConfig> = {
  algo: 'sac',
  description: 'Soft Actor-Critic: twin critics, tanh-Gaussian actor, automatic entropy tuning (Box actions, online)',
  actionKinds: ['box'],
  defaults: SAC_DEFAULTS,
  create: (init) => new SAC(init),
};
