/**
 * Implicit Q-Learning (Kostrikov et al. 2021) for Discrete action spaces, the counterpart of iql.ts
 * (Box actions). The registry builds this one for `createLearner('iql', ...)` on a Discrete action space.
 *
 * Networks, all Mlps on the observation s:
 *   twin critics  Q_j(s, .)        one output per action (critic1, critic2), each with a Polyak target copy
 *   value         V(s)             one output (value)
 *   policy        logits(s)        one output per action (actor); pi(a|s) = softmax(logits(s))[a]
 *
 * Per update, on a batch (s, a, r, s', d), in this order, as in the paper's Algorithm 1 and the
 * authors' code (V is stepped first, and the Q target and the advantage read the stepped V; r
 * below is the reward times the reward scale: `rewardScale`, or with 'auto', the default,
 * `autoRewardScale` of the dataset's statistics):
 *   value:   u = min_j Qtarget_j(s, a) - V(s),  L_V = mean |tau - 1(u < 0)| * u^2   (expectile tau)
 *            then one Adam step of V: V -> V'
 *   critic:  y = r + gamma * (1 - d) * V'(s')   (V' after this update's value step)
 *            L_Q = mean (Q_1(s,a) - y)^2 + mean (Q_2(s,a) - y)^2   (+ regularizer penalties)
 *   actor:   A = min_j Qtarget_j(s, a) - V'(s) (the target critics and V', held fixed),  w = min(exp(beta * A), maxWeight)
 *            L_pi = -mean w * log pi(a|s)   (advantage-weighted cross-entropy)
 *   targets: Qtarget_j <- tau_polyak * Q_j + (1 - tau_polyak) * Qtarget_j
 * The critic and actor steps do not read each other's networks, so their order does not matter.
 * Only the data's actions are ever valued: the backup needs V(s'), never a max over actions.
 *
 * Regularizers: phi(s, a) is the first critic's penultimate features at s and phi(s', a') the same
 * network's features at s'. As in DQN these are state features: an action selects one output of
 * the last layer and does not change them. With a regularizer, s and s' go through the first
 * critic in one pass, so the penalty's gradient reaches both.
 *
 * `act` gives argmax_a logits(s) when deterministic (the default) and otherwise draws from
 * softmax(logits(s)) with the given rng (or the learner's own). Config fields and defaults are
 * those of continuous IQL (IQL_DEFAULTS).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { ActOptions, Action, Discrete, LearnerSnapshot, Metrics } from '@bellman/core';
import { Adam, Mlp } from '@bellman/nn';
import { BaseLearner, defineLearner, type LearnerInit } from './learner-base.js';
import { argmax, forwardOne, readAndDispose, sampleFromLogits, type BatchTensors } from './learner-utils.js';
import {
  IQL_DEFAULTS,
  REWARD_SCALE_WEIGHT,
  advantageAndTarget,
  iqlDefinition,
  expectileLoss,
  iqlSpec,
  rewardScaleVariable,
  withRewardScaleWeight,
  type IQLConfig,
} from './iql.js';
import { mse, renameLoss } from './twin-critic.js';

/** The same fields as continuous IQL: typed against IQLConfig, so a field added there must be added here. */
export type DiscreteIQLConfig = IQLConfig;

export const DISCRETE_IQL_DEFAULTS: Readonly<DiscreteIQLConfig> = IQL_DEFAULTS;

/** Q(s, a) of the data's actions from Q(s, .): [B, n] x one-hot [B, n] -> [B]. */
function taken(qAll: tf.Tensor2D, actionOneHot: tf.Tensor2D): tf.Tensor1D {
  return tf.sum(tf.mul(qAll, actionOneHot), 1) as tf.Tensor1D;
}

export class DiscreteIQL extends BaseLearner<DiscreteIQLConfig> {
  /** Logits of pi(.|s), one per action. */
  readonly actor: Mlp;
  /** Q_1(s, .) and Q_2(s, .). */
  readonly critics: readonly [Mlp, Mlp];
  /** Their Polyak targets. */
  readonly targets: readonly [Mlp, Mlp];
  /** V(s). */
  readonly value: Mlp;
  readonly numActions: number;
  private readonly actorOptimizer: Adam;
  private readonly criticOptimizer: Adam;
  private readonly valueOptimizer: Adam;
  /** The reward scale in use (config number or 'auto' scale), saved with the weights. */
  private readonly rewardScaleVar: tf.Variable;

  constructor(init: LearnerInit<DiscreteIQLConfig>) {
    super(iqlSpec(discreteIqlDefinition, init), init);
    const { hiddenSizes, actorLearningRate, criticLearningRate, valueLearningRate } = this.config;
    this.numActions = (this.actionSpace as Discrete).n;
    const net = (outputDim: number) => new Mlp({ inputDim: this.observationDim, hiddenSizes: [...hiddenSizes], outputDim }, this.rng);
    this.actor = this.addNetwork('actor', net(this.numActions));
    const critic = (j: number): [Mlp, Mlp] => {
      const member = this.addNetwork(`critic${j}`, net(this.numActions));
      const target = this.addNetwork(`critic${j}Target`, net(this.numActions));
      target.copyFrom(member);
      return [member, target];
    };
    const [critic1, target1] = critic(1);
    const [critic2, target2] = critic(2);
    this.critics = [critic1, critic2];
    this.targets = [target1, target2];
    this.value = this.addNetwork('value', net(1));
    this.actorOptimizer = this.addOptimizer('actor', new Adam(this.actor.variables, { learningRate: actorLearningRate }));
    this.criticOptimizer = this.addOptimizer('critic', new Adam([...critic1.variables, ...critic2.variables], { learningRate: criticLearningRate }));
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
      const sNext = batch.nextObservations;
      const oneHot = batch.actionOneHot;
      const size = batch.size;
      const [critic1, critic2] = this.critics;

      // Qt = min_j Qtarget_j(s, a), fixed for the whole update (the targets move at its end).
      const qTarget = tf.minimum(taken(this.targets[0].forward(s), oneHot), taken(this.targets[1].forward(s), oneHot)) as tf.Tensor1D;

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
      const critic = this.minimizeCritic(this.criticOptimizer, batch, 'criticLoss', () => {
        let q1All: tf.Tensor2D;
        let phi: tf.Tensor2D;
        let phiNext: tf.Tensor2D | null = null;
        if (this.needsNextFeatures) {
          const both = critic1.forwardWithFeatures(tf.concat([s, sNext], 0));
          const d = critic1.featureDim;
          q1All = tf.slice(both.output, [0, 0], [size, this.numActions]);
          phi = tf.slice(both.features, [0, 0], [size, d]);
          phiNext = tf.slice(both.features, [size, 0], [size, d]);
        } else {
          ({ output: q1All, features: phi } = critic1.forwardWithFeatures(s));
        }
        const q1 = taken(q1All, oneHot);
        const q2 = taken(critic2.forward(s), oneHot);
        return {
          total: tf.add(mse(q1, y), mse(q2, y)) as tf.Scalar,
          report: { qMean: tf.mean(q1), targetMean: tf.mean(y) },
          features: { phi, phiNext, q: q1 },
        };
      });
      Object.assign(metrics, critic.metrics);

      // Actor: L_pi = -mean min(exp(beta * A), maxWeight) * log pi(a|s).
      renameLoss(
        this.actorOptimizer.minimize(() => {
          const weights = tf.minimum(tf.exp(tf.mul(beta, advantage)), maxWeight);
          const logProb = taken(tf.logSoftmax(this.actor.forward(s)), oneHot);
          const loss = tf.neg(tf.mean(tf.mul(weights, logProb))) as tf.Scalar;
          return { loss, metrics: { advantageMean: tf.mean(advantage), weightMean: tf.mean(weights), logProbMean: tf.mean(logProb) } };
        }),
        'actorLoss',
        metrics,
      );
      this.targets.forEach((target, j) => target.softUpdateFrom(this.critics[j]!, tau));
      return Object.assign(metrics, critic.probe);
    });
  }

  /** pi(.|s) for `count` observations (row-major [count, observationDim]): [count * n], each row a softmax. */
  policyProbabilities(observations: Float32Array, count: number): Float32Array {
    if (!Number.isInteger(count) || count < 0 || observations.length !== count * this.observationDim) {
      throw new RangeError(`iql.policyProbabilities: ${observations.length} observation values for count ${count} x ${this.observationDim}`);
    }
    if (count === 0) return new Float32Array(0);
    return readAndDispose(tf.tidy(() => tf.softmax(this.actor.forward(tf.tensor2d(observations, [count, this.observationDim])))));
  }

  /** argmax of the policy's logits when deterministic (the default); otherwise a draw from softmax(logits) with `rng` or the learner's own. */
  act(observation: Float32Array, options: ActOptions = {}): Action {
    this.checkObservation(observation);
    const logits = forwardOne(this.actor, observation);
    const index = (options.deterministic ?? true) ? argmax(logits) : sampleFromLogits(logits, options.rng ?? this.rng);
    return (this.actionSpace as Discrete).start + index;
  }
}

export const discreteIqlDefinition = defineLearner({
  algo: 'iql',
  configName: iqlDefinition.configName,
  description: 'Implicit Q-Learning for Discrete actions: expectile value regression, V-based TD backup, advantage-weighted categorical policy (offline)',
  schema: iqlDefinition.schema,
  defaults: DISCRETE_IQL_DEFAULTS,
  actionKinds: ['discrete'],
  create: (init) => new DiscreteIQL(init),
});
