/**
 * Implicit Q-Learning (Kostrikov et al. 2021): no action outside the dataset is ever queried by
 * the value updates.
 *
 * Per update, on a batch (s, a, r, s', d), in this order, as in the paper's Algorithm 1 and the
 * authors' code (V is stepped first, and the Q target and the advantage read the stepped V):
 * (r below is the reward times the reward scale: `rewardScale`, or with 'auto', the default, the
 * scale `autoRewardScale` derives from the dataset's episode statistics)
 *   value:   u = min_j Qtarget_j(s, a) - V(s),  L_V = mean |tau - 1(u < 0)| * u^2   (expectile tau)
 *            then one Adam step of V: V -> V'
 *   critic:  y = r + gamma * (1 - d) * V'(s')   (V' after this update's value step)
 *            L_Q = mean (Q_1(s,a) - y)^2 + mean (Q_2(s,a) - y)^2   (+ regularizer penalties)
 *   actor:   A = min_j Qtarget_j(s, a) - V'(s) (the target critics and V', held fixed),  w = min(exp(beta * A), maxWeight)
 *            L_pi = -mean w * log pi(a|s)   (advantage-weighted regression)
 *   targets: Qtarget_j <- tau_polyak * Q_j + (1 - tau_polyak) * Qtarget_j
 * The critic and actor steps are independent of each other (the actor reads the target critics,
 * which move only at the end), so their order within the update does not matter.
 * The policy is a Gaussian with mean squash(mu(s)) and a state-independent learned log-std
 * (gaussian-policy.ts GaussianActor), so dataset actions on the box edge have finite log pi.
 *
 * Regularizers: the Q backup uses V(s'), not Q(s', a'). phi(s, a) is the first critic's features at
 * the data; phi(s', a') is the same critic's features at s' and a' ~ pi(.|s') (a fresh policy sample,
 * of the policy before this update's actor step), the next state-action the policy would take.
 */
import * as tf from '@tensorflow/tfjs-core';
import {
  ConfigError,
  type ConfigSchema,
  type FieldSpec,
  type LearnerSnapshot,
  type Metrics,
} from '@bellman/core';
import { Adam, Mlp, serializeTensor, variableFrom } from '@bellman/nn';
import { AdvantageWeightedLearner } from './advantage-weighted.js';
import { defineLearner, type LearnerInit, type LearnerSpec } from './learner-base.js';
import type { BatchTensors } from './learner-utils.js';
import { normalNoise } from './gaussian-policy.js';
import { ACTOR_CRITIC_SCHEMA, POSITIVE_NUMBER, criticTDLoss, renameLoss } from './twin-critic.js';

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
  /**
   * Rewards are multiplied by a scale in the TD target (Q is then on the scaled reward's scale):
   * this number, or with 'auto' (the default) L / (max episode return - min episode return) of
   * the dataset handed in as `episodeStatistics`, L its longest episode (`autoRewardScale`).
   */
  rewardScale: 'auto' | number;
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
  rewardScale: 'auto',
});

/** The fields of IQL's schema other than `rewardScale`, on either action space. */
const IQL_SCHEMA_FIELDS: Omit<ConfigSchema<IQLConfig>, 'rewardScale'> = {
  ...ACTOR_CRITIC_SCHEMA,
  expectile: { type: 'number', min: 0, max: 1, exclusiveMin: true },
  beta: { type: 'number', min: 0 },
  maxWeight: POSITIVE_NUMBER,
  actorLearningRate: POSITIVE_NUMBER,
  criticLearningRate: POSITIVE_NUMBER,
  valueLearningRate: POSITIVE_NUMBER,
};

const AUTO: FieldSpec = { type: 'enum', values: ['auto'] };

/** IQL's schema as its definitions state it; `iqlSpec` swaps in the `rewardScale` field of the type given. */
const IQL_SCHEMA: ConfigSchema<IQLConfig> = { ...IQL_SCHEMA_FIELDS, rewardScale: AUTO };

/**
 * The spec of an IQL definition (iql-discrete.ts uses it too) for this init. `rewardScale` is
 * "auto" or a number greater than 0; a config schema field has one type, so it is checked here
 * and the schema gets the field spec of the type given.
 */
export function iqlSpec(definition: LearnerSpec<IQLConfig>, init: LearnerInit<IQLConfig>): LearnerSpec<IQLConfig> {
  const config = init.config;
  const given = config && typeof config === 'object' && !Array.isArray(config) ? (config as Record<string, unknown>).rewardScale : undefined;
  if (given !== undefined && given !== 'auto' && !(typeof given === 'number' && Number.isFinite(given) && given > 0)) {
    throw new ConfigError('IQL', 'rewardScale', `"rewardScale" must be "auto" or a number greater than 0, got ${JSON.stringify(given)}`);
  }
  return { ...definition, schema: { ...definition.schema, rewardScale: typeof given === 'number' ? POSITIVE_NUMBER : AUTO } };
}

/** What `rewardScale: 'auto'` reads (LearnerInit's `episodeStatistics`). */
export type EpisodeStatistics = NonNullable<LearnerInit['episodeStatistics']>;

/**
 * The reward scale of `rewardScale: 'auto'`: L / (returnMax - returnMin), L = lengthMax, so that
 * the dataset's episode returns span L, one unit of reward per step. The IQL authors scale D4RL
 * locomotion rewards by 1000 / (max return - min return), 1000 being those tasks' episode
 * length: this is their scale there, and the same per-step scale on shorter tasks (Pendulum's
 * 200 steps). 1 without statistics (online training) or when every episode returns the same
 * (one episode, say): there is no spread to scale by.
 */
export function autoRewardScale(statistics: EpisodeStatistics | undefined): number {
  if (statistics === undefined) return 1;
  const { returnMin, returnMax, lengthMax } = statistics;
  for (const [name, value] of [['returnMin', returnMin], ['returnMax', returnMax], ['lengthMax', lengthMax]] as const) {
    if (typeof value !== 'number' || !Number.isFinite(value)) {
      throw new TypeError(`iql: episodeStatistics.${name} must be a finite number, got ${JSON.stringify(value)} (an OfflineDataset's statistics() has it)`);
    }
  }
  if (returnMax < returnMin) throw new RangeError(`iql: episodeStatistics.returnMax (${returnMax}) is below returnMin (${returnMin})`);
  const spread = returnMax - returnMin;
  if (spread === 0) return 1;
  if (!Number.isInteger(lengthMax) || lengthMax < 1) throw new RangeError(`iql: episodeStatistics.lengthMax must be a positive integer, got ${lengthMax}`);
  return lengthMax / spread;
}

/** The reward scale an IQL learner starts with: the config's number, or the 'auto' scale of the statistics. */
export function resolveRewardScale(rewardScale: 'auto' | number, statistics: EpisodeStatistics | undefined): number {
  return rewardScale === 'auto' ? autoRewardScale(statistics) : rewardScale;
}

/** Name of the saved reward scale among a snapshot's weights. */
export const REWARD_SCALE_WEIGHT = 'rewardScale';

/**
 * Snapshots saved before the reward scale was a weight have a numeric `rewardScale` in their
 * config and no such weight: the weight is that number.
 */
export function withRewardScaleWeight(snapshot: LearnerSnapshot): LearnerSnapshot {
  const scale = (snapshot?.config as { rewardScale?: unknown } | undefined)?.rewardScale;
  if (!snapshot?.weights || REWARD_SCALE_WEIGHT in snapshot.weights || typeof scale !== 'number') return snapshot;
  const t = tf.scalar(scale);
  const weight = serializeTensor(t);
  t.dispose();
  return { ...snapshot, weights: { ...snapshot.weights, [REWARD_SCALE_WEIGHT]: weight } };
}

/** A learner's reward-scale variable: a float32 scalar, not trained, saved with the weights. */
export function rewardScaleVariable(config: IQLConfig, statistics: EpisodeStatistics | undefined): tf.Variable {
  return variableFrom(tf.scalar(resolveRewardScale(config.rewardScale, statistics)), false);
}

/**
 * The inputs of IQL's critic and actor losses, read after the value step (the paper's Algorithm 1
 * and the authors' code): A = Qt - V(s) and y = c r + gamma (1 - d) V(s'), with `v` the value
 * network as it is now and Qt = min_j Qtarget_j(s, a). No gradient flows into them.
 */
export function advantageAndTarget(
  v: (observations: tf.Tensor2D) => tf.Tensor1D,
  qTarget: tf.Tensor1D,
  batch: BatchTensors,
  rewardScale: tf.Tensor,
  gamma: number,
): { advantage: tf.Tensor1D; y: tf.Tensor1D } {
  return tf.tidy(() => ({
    advantage: tf.sub(qTarget, v(batch.observations)) as tf.Tensor1D,
    y: tf.add(tf.mul(rewardScale, batch.rewards), tf.mul(gamma, tf.mul(batch.continues, v(batch.nextObservations)))) as tf.Tensor1D,
  }));
}

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
  /** The reward scale in use (config number or 'auto' scale), saved with the weights. */
  private readonly rewardScaleVar: tf.Variable;

  constructor(init: LearnerInit<IQLConfig>) {
    super(iqlSpec(iqlDefinition, init), init, 2);
    const { hiddenSizes, valueLearningRate } = this.config;
    this.value = this.addNetwork('value', new Mlp({ inputDim: this.observationDim, hiddenSizes: [...hiddenSizes], outputDim: 1 }, this.rng));
    this.valueOptimizer = this.addOptimizer('value', new Adam(this.value.variables, { learningRate: valueLearningRate }));
    this.rewardScaleVar = this.addVariable(REWARD_SCALE_WEIGHT, rewardScaleVariable(this.config, init.episodeStatistics));
  }

  /** The factor rewards are multiplied by in the TD target (float32): the config's number, or what 'auto' gave. */
  get rewardScale(): number {
    return this.rewardScaleVar.dataSync()[0]!;
  }

  /** As BaseLearner's, and a snapshot from before the reward scale was saved gets its config's number. */
  override load(snapshot: LearnerSnapshot): void {
    super.load(withRewardScaleWeight(snapshot));
  }

  private v(observations: tf.Tensor2D): tf.Tensor1D {
    return tf.reshape(this.value.forward(observations), [-1]) as tf.Tensor1D;
  }

  protected trainStep(batch: BatchTensors): Metrics {
    // The update's tensors live only for the update.
    return tf.tidy(() => {
      const { gamma, tau, expectile, beta, maxWeight } = this.config;
      const s = batch.observations;
      const a = batch.actions;
      const sNext = batch.nextObservations;

      // Qt = min_j Qtarget_j(s, a), fixed for the whole update (the targets move at its end).
      const qTarget = this.critics.targetMin(s, a);
      // a' ~ pi(.|s') for phi(s', a') only; the noise is drawn every update so that adding a probe or a
      // regularizer leaves the learner's random stream unchanged.
      const nextNoise = normalNoise(this.rng, batch.size, this.actionDim);
      const nextAction = this.needsNextFeatures ? this.actor.sample(sNext, nextNoise) : null;

      const metrics: Metrics = {};
      // Value: L_V = mean |tau - 1(u < 0)| u^2,  u = Qt(s, a) - V(s).
      renameLoss(
        this.valueOptimizer.minimize(() => {
          const v = this.v(s);
          return { loss: expectileLoss(tf.sub(qTarget, v), expectile), metrics: { vMean: tf.mean(v) } };
        }),
        'valueLoss',
        metrics,
      );
      // With V' (after the step above): A = Qt - V'(s); y = r + gamma * (1 - d) * V'(s').
      const { advantage, y } = advantageAndTarget((obs) => this.v(obs), qTarget, batch, this.rewardScaleVar, gamma);

      // Critic: L_Q = mean (Q_1(s,a) - y)^2 + mean (Q_2(s,a) - y)^2 + regularizer penalties.
      const critic = this.minimizeCritic(this.criticOptimizer, batch, 'criticLoss', () => criticTDLoss(this.critics, s, a, y, sNext, nextAction!));
      Object.assign(metrics, critic.metrics);

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
      this.critics.updateTargets(tau);
      return Object.assign(metrics, critic.probe);
    });
  }
}

export const iqlDefinition = defineLearner({
  algo: 'iql',
  configName: 'IQL',
  description: 'Implicit Q-Learning: expectile value regression, V-based TD backup, advantage-weighted Gaussian policy (Box actions, offline)',
  schema: IQL_SCHEMA,
  defaults: IQL_DEFAULTS,
  actionKinds: ['box'],
  create: (init) => new IQL(init),
});
