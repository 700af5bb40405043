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
import * as tf from '@tensorflow/tfjs-core';
import type { ActOptions, Action, Box, ConfigSchema, Metrics } from '@bellman/core';
import { Adam, Mlp, variableFrom } from '@bellman/nn';
import { BaseLearner, defineLearner, type CriticLoss, type CriticStep, type LearnerInit, type LearnerSpec } from './learner-base.js';
import { boxActionSpace, type BatchTensors } from './learner-utils.js';
import { TanhGaussianActor, normalNoise } from './gaussian-policy.js';
import { ACTOR_CRITIC_SCHEMA, Critics, POSITIVE_NUMBER, criticTDLoss, renameLoss } from './twin-critic.js';

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

/** The TD target of one SAC-family update. */
export interface SoftTarget {
  /** y = r + gamma * (1 - d) * (min_j Qtarget_j(s', a') [- alpha * log pi(a'|s')]), [B]. */
  y: tf.Tensor1D;
  /** a' ~ pi(.|s'), the action the backup values; regularizers read phi(s', a') there. */
  nextAction: tf.Tensor2D;
  /** pi(.|s'): mu and the clamped log sigma, [B, A] each, computed once per state (CQL samples from it again). */
  nextPolicy: { mean: tf.Tensor2D; logStd: tf.Tensor2D };
}

/**
 * The networks, optimizers and acting of SAC-style learners, and the order of their update:
 * `target`, then the critic step on `criticLoss`, then the actor step on `actorObjective` and the
 * temperature step, then the target critics. An algorithm overrides the pieces it changes.
 */
export abstract class SoftActorCritic<C extends SoftActorCriticConfig> extends BaseLearner<C> {
  /** The action space as a Box (the constructor rejects anything else). */
  protected readonly box: Box;
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
    this.box = boxActionSpace(this.algo, this.actionSpace);
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

  /** Whether the TD target keeps the entropy term -alpha * log pi(a'|s'). */
  protected get entropyInBackup(): boolean {
    return true;
  }

  protected trainStep(batch: BatchTensors): Metrics {
    // The target's and the critic step's tensors live only for the critic step.
    const critic = tf.tidy(() => this.criticStep(batch, this.target(batch)));
    Object.assign(critic.metrics, this.actorStep(batch));
    this.critics.updateTargets(this.config.tau);
    return Object.assign(critic.metrics, critic.probe);
  }

  /** y = r + gamma * (1 - d) * (min_j Qtarget_j(s', a') - alpha * log pi(a'|s')),  a' ~ pi(.|s'). */
  protected target(batch: BatchTensors): SoftTarget {
    const { gamma, rewardScale } = this.config;
    const sNext = batch.nextObservations;
    const nextPolicy = this.actor.distribution(sNext);
    const next = this.actor.sampleFrom(nextPolicy.mean, nextPolicy.logStd, normalNoise(this.rng, batch.size, this.actionDim));
    const nextQ = this.critics.targetMin(sNext, next.action);
    const nextValue = this.entropyInBackup ? tf.sub(nextQ, tf.mul(this.alpha, next.logProb)) : nextQ;
    const y = tf.add(tf.mul(rewardScale, batch.rewards), tf.mul(gamma, tf.mul(batch.continues, nextValue))) as tf.Tensor1D;
    return { y, nextAction: next.action, nextPolicy };
  }

  /** One step of the critics on `criticLoss`, regularizers included. */
  protected criticStep(batch: BatchTensors, target: SoftTarget): CriticStep {
    return this.minimizeCritic(this.criticOptimizer, batch, 'criticLoss', () => this.criticLoss(batch, target));
  }

  /** J_Q = mean (Q_1(s,a) - y)^2 + mean (Q_2(s,a) - y)^2; phi(s', a') at the backup's a'. */
  protected criticLoss(batch: BatchTensors, target: SoftTarget): CriticLoss {
    return criticTDLoss(this.critics, batch.observations, batch.actions, target.y, batch.nextObservations, target.nextAction);
  }

  /**
   * What the actor maximises besides its entropy, at the reparameterised a~ ~ pi(.|s):
   * min_j Q_j(s, a~), so that J_pi = mean(alpha * log pi(a~|s) - min_j Q_j(s, a~)).
   */
  protected actorObjective(batch: BatchTensors, sampled: tf.Tensor2D): tf.Tensor1D {
    return this.critics.min(batch.observations, sampled);
  }

  /**
   * The actor step J_pi = mean(alpha * log pi(a~|s) - actorObjective), then the temperature step
   * J(log alpha) = -log alpha * (mean log pi(a~|s) + targetEntropy) with log pi held fixed.
   */
  protected actorStep(batch: BatchTensors): Metrics {
    const s = batch.observations;
    const alpha = this.alpha;
    const metrics: Metrics = { alpha };
    renameLoss(
      this.actorOptimizer.minimize(() => {
        const { action, logProb } = this.actor.sample(s, normalNoise(this.rng, batch.size, this.actionDim));
        const loss = tf.mean(tf.sub(tf.mul(alpha, logProb), this.actorObjective(batch, action))) as tf.Scalar;
        return { loss, metrics: { entropy: tf.neg(tf.mean(logProb)) } };
      }),
      'actorLoss',
      metrics,
    );
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

/** SAC is the family's base with every piece as written there. */
export class SAC extends SoftActorCritic<SACConfig> {
  constructor(init: LearnerInit<SACConfig>) {
    super(sacDefinition, init);
  }
}

export const sacDefinition = defineLearner({
  algo: 'sac',
  configName: 'SAC',
  description: 'Soft Actor-Critic: twin critics, tanh-Gaussian actor, automatic entropy tuning (Box actions, online)',
  schema: SOFT_ACTOR_CRITIC_SCHEMA,
  defaults: SAC_DEFAULTS,
  actionKinds: ['box'],
  create: (init) => new SAC(init),
});
