/**
 * DQN (Mnih et al. 2015) with the usual extensions: Double DQN targets (van Hasselt et al. 2016),
 * a dueling head (Wang et al. 2016), n-step returns, Huber or squared TD loss, and a target
 * network refreshed every `targetUpdateInterval` updates, hard (tau = 1) or Polyak (tau < 1).
 *
 * Loss, for a batch of B transitions (s, a, r, s', d), with n = nStep:
 *   y = r + gamma^n (1 - d) Q_target(s', a*),   a* = argmax_a Q(s', a) (double) or argmax_a Q_target(s', a)
 *   loss = mean_i l(Q(s_i, a_i) - y_i) + sum of regularizer penalties,   l = Huber (delta 1) or x^2 / 2
 * With nStep > 1, r is the discounted sum of n rewards and s' the n-th next observation: the
 * OnlineTrainer of @bellman/training aggregates transitions so (NStepLearner). Offline data is one-step: keep nStep 1.
 *
 * Regularized features (DR3, feature probes): phi(s, a) = the Q-network's penultimate features at
 * s (for the dueling head, the shared features under the value and advantage heads) and
 * phi(s', a') = the same network's features at s'. These are state features: the action of the
 * backup (a*) selects a Q value from them but does not change them. Gradients of a penalty flow
 * through both (s and s' go through the online network in one forward pass).
 *
 * Exploration: `act(obs, {deterministic: false})` is epsilon-greedy; epsilon decays linearly from
 * epsilonStart to epsilonEnd over epsilonDecaySteps environment steps, which the OnlineTrainer
 * reports through `onEnvStep` (EnvStepAware).
 *
 * Defaults: hidden [256, 256], Adam lr 1e-3, gamma 0.99, Huber, Double DQN, hard target updates
 * every 500 updates, epsilon 1 -> 0.05 over 10k steps. Online CartPole is solved faster with larger
 * learning rate and sparser updates (the README's example); the Atari setting of the papers /
 * d3rlpy is lr 6.25e-5, targetUpdateInterval 8000, batch 32.
 */
import * as tf from '@tensorflow/tfjs-core';
import { ConfigError, type ActOptions, type Action, type ConfigSchema, type Metrics, type Rng } from '@bellman/core';
import { Adam, Mlp } from '@bellman/nn';
import type { EnvStepAware, NStepLearner } from '@bellman/training';
import { BaseLearner, defineLearner, type CriticLoss, type LearnerInit, type LearnerSpec } from './learner-base.js';
import { adamConfig, argmax, floatOneHot, readAndDispose, refreshTarget, type BatchTensors } from './learner-utils.js';

/** What every discrete Q-network learner (DQN, discrete CQL) is configured with. */
export interface QNetworkConfig {
  /** Hidden layer widths; the last one is the width of phi. */
  hiddenSizes: number[];
  activation: 'relu' | 'tanh';
  learningRate: number;
  gamma: number;
  /** TD loss: Huber (delta 1) or half squared error. */
  loss: 'huber' | 'mse';
  /** Refresh the target network every this many updates. */
  targetUpdateInterval: number;
  /** Refresh weight: 1 copies (hard update), less averages (Polyak): target <- tau * online + (1 - tau) * target. */
  tau: number;
  /** Double DQN: the online network picks the next action, the target network values it. */
  doubleDqn: boolean;
  /** Value and advantage heads on the shared features: Q = V + A - mean_a A. */
  dueling: boolean;
  /** Clip the global gradient norm (off when unset). */
  clipNorm?: number;
}

export interface DQNConfig extends QNetworkConfig {
  /** Steps per return; batches must hold n-step transitions (the OnlineTrainer builds them). */
  nStep: number;
  epsilonStart: number;
  epsilonEnd: number;
  /** Environment steps over which epsilon goes linearly from epsilonStart to epsilonEnd. */
  epsilonDecaySteps: number;
}

export const Q_NETWORK_SCHEMA: ConfigSchema<QNetworkConfig> = {
  hiddenSizes: { type: 'integerArray', minLength: 0 },
  activation: { type: 'enum', values: ['relu', 'tanh'] },
  learningRate: { type: 'number', min: 0, exclusiveMin: true },
  gamma: { type: 'number', min: 0, max: 1 },
  loss: { type: 'enum', values: ['huber', 'mse'] },
  targetUpdateInterval: { type: 'number', integer: true, min: 1 },
  tau: { type: 'number', min: 0, max: 1, exclusiveMin: true },
  doubleDqn: { type: 'boolean' },
  dueling: { type: 'boolean' },
  clipNorm: { type: 'number', min: 0, exclusiveMin: true, optional: true },
};

const DQN_SCHEMA: ConfigSchema<DQNConfig> = {
  ...Q_NETWORK_SCHEMA,
  nStep: { type: 'number', integer: true, min: 1 },
  epsilonStart: { type: 'number', min: 0, max: 1 },
  epsilonEnd: { type: 'number', min: 0, max: 1 },
  epsilonDecaySteps: { type: 'number', integer: true, min: 0 },
};

export const DQN_DEFAULTS: Readonly<DQNConfig> = Object.freeze({
  hiddenSizes: [256, 256],
  activation: 'relu',
  learningRate: 1e-3,
  gamma: 0.99,
  loss: 'huber',
  targetUpdateInterval: 500,
  tau: 1,
  doubleDqn: true,
  dueling: false,
  nStep: 1,
  epsilonStart: 1,
  epsilonEnd: 0.05,
  epsilonDecaySteps: 10_000,
});

/**
 * Q(s, .) for every discrete action, with its penultimate features: one Mlp, or (dueling) a
 * trunk whose output is phi and two linear heads.
 */
export class QNetwork {
  private readonly plain: Mlp | null;
  private readonly trunk: Mlp | null;
  private readonly valueHead: Mlp | null;
  private readonly advantageHead: Mlp | null;

  constructor(
    readonly inputDim: number,
    hiddenSizes: readonly number[],
    readonly numActions: number,
    activation: 'relu' | 'tanh',
    readonly dueling: boolean,
    rng: Rng,
  ) {
    if (!dueling) {
      this.plain = new Mlp({ inputDim, hiddenSizes: [...hiddenSizes], outputDim: numActions, activation }, rng);
      this.trunk = this.valueHead = this.advantageHead = null;
      return;
    }
    const width = hiddenSizes[hiddenSizes.length - 1];
    if (width === undefined) throw new RangeError('QNetwork: a dueling network needs at least one hidden layer (hiddenSizes is empty)');
    this.plain = null;
    this.trunk = new Mlp(
      { inputDim, hiddenSizes: hiddenSizes.slice(0, -1), outputDim: width, activation, outputActivation: activation },
      rng,
    );
    this.valueHead = new Mlp({ inputDim: width, hiddenSizes: [], outputDim: 1 }, rng);
    this.advantageHead = new Mlp({ inputDim: width, hiddenSizes: [], outputDim: numActions }, rng);
  }

  /** The Mlps that hold the weights, by a part-name suffix ('' for the plain network). */
  get parts(): [string, Mlp][] {
    if (this.plain) return [['', this.plain]];
    return [
      ['Trunk', this.trunk!],
      ['Value', this.valueHead!],
      ['Advantage', this.advantageHead!],
    ];
  }

  get variables(): tf.Variable[] {
    return this.parts.flatMap(([, net]) => net.variables);
  }

  get featureDim(): number {
    return this.plain ? this.plain.featureDim : this.trunk!.config.outputDim;
  }

  /** q: [B, numActions]; features: phi(s), [B, featureDim]. */
  forward(x: tf.Tensor2D): { q: tf.Tensor2D; features: tf.Tensor2D } {
    if (this.plain) {
      const { output, features } = this.plain.forwardWithFeatures(x);
      return { q: output, features };
    }
    const features = this.trunk!.forward(x);
    const value = this.valueHead!.forward(features);
    const advantage = this.advantageHead!.forward(features);
    const q = tf.add(value, tf.sub(advantage, tf.mean(advantage, 1, true))) as tf.Tensor2D;
    return { q, features };
  }

  /** Polyak average towards `other` (tau = 1 copies). */
  updateFrom(other: QNetwork, tau: number): void {
    const mine = this.parts;
    const theirs = other.parts;
    mine.forEach(([, net], i) => refreshTarget(net, theirs[i]![1], tau));
  }

  /** Q values of one observation. */
  qValues(observation: ArrayLike<number>): Float32Array {
    return readAndDispose(tf.tidy(() => this.forward(tf.tensor2d(Float32Array.from(observation), [1, this.inputDim])).q));
  }
}

/** Element-wise TD loss of residuals x: Huber with delta 1, or x^2 / 2. */
export function tdElementLoss(residual: tf.Tensor, kind: 'huber' | 'mse'): tf.Tensor {
  if (kind === 'mse') return tf.mul(0.5, tf.square(residual));
  const magnitude = tf.abs(residual);
  const quadratic = tf.minimum(magnitude, 1);
  // 0.5 q^2 + (|x| - q): 0.5 x^2 inside [-1, 1], |x| - 0.5 outside.
  return tf.add(tf.mul(0.5, tf.square(quadratic)), tf.sub(magnitude, quadratic));
}

/** Rejects a dueling network without hidden layers with a ConfigError naming the field. */
export function checkDuelingConfig(configName: string, config: Pick<QNetworkConfig, 'dueling' | 'hiddenSizes'>): void {
  if (config.dueling && config.hiddenSizes.length === 0) {
    throw new ConfigError(configName, 'hiddenSizes', '"hiddenSizes" must have at least one layer when "dueling" is true (the heads sit on the last hidden layer), got []');
  }
}

/** An extra term of the critic loss (CQL's conservative penalty), computed from Q(s, .) of the batch. */
export interface ExtraLoss {
  loss: tf.Scalar;
  metrics: Record<string, tf.Tensor>;
}

/**
 * The shared machinery of DQN-style learners on a Discrete action space: online and target
 * Q-networks, the TD backup, the regularizer / probe wiring, target updates and greedy acting.
 */
export abstract class DiscreteQLearner<C extends QNetworkConfig> extends BaseLearner<C> {
  readonly q: QNetwork;
  readonly targetQ: QNetwork;
  readonly numActions: number;
  protected readonly optimizer: Adam;

  protected constructor(spec: LearnerSpec<C>, init: LearnerInit<C>) {
    super(spec, init);
    checkDuelingConfig(spec.configName, this.config);
    if (this.actionSpace.kind !== 'discrete') throw new TypeError(`${this.algo} needs a Discrete action space`);
    this.numActions = this.actionSpace.n;
    const { hiddenSizes, activation, dueling, learningRate, clipNorm } = this.config;
    this.q = new QNetwork(this.observationDim, hiddenSizes, this.numActions, activation, dueling, this.rng);
    this.targetQ = new QNetwork(this.observationDim, hiddenSizes, this.numActions, activation, dueling, this.rng);
    for (const [suffix, net] of this.q.parts) this.addNetwork(`q${suffix}`, net);
    for (const [suffix, net] of this.targetQ.parts) this.addNetwork(`qTarget${suffix}`, net);
    this.targetQ.updateFrom(this.q, 1);
    this.optimizer = this.addOptimizer('q', new Adam(this.q.variables, adamConfig(learningRate, clipNorm)));
  }

  /** Steps the batch's rewards span (the bootstrap is discounted by gamma to this power). */
  protected get returnSteps(): number {
    return 1;
  }

  /** Extra loss terms (none for DQN). Called inside the loss closure. */
  protected extraLoss(q: tf.Tensor2D, qTaken: tf.Tensor1D, batch: BatchTensors): ExtraLoss | null {
    void q;
    void qTaken;
    void batch;
    return null;
  }

  /** y = r + gamma^n (1 - d) Q_target(s', a*); `onlineNextQ` picks a* for Double DQN. */
  protected backup(batch: BatchTensors, onlineNextQ: tf.Tensor2D | null): tf.Tensor1D {
    const qNextTarget = this.targetQ.forward(batch.nextObservations).q;
    let nextValue: tf.Tensor1D;
    if (this.config.doubleDqn) {
      const best = floatOneHot(tf.argMax(onlineNextQ!, 1) as tf.Tensor1D, this.numActions);
      nextValue = tf.sum(tf.mul(qNextTarget, best), 1) as tf.Tensor1D;
    } else {
      nextValue = tf.max(qNextTarget, 1) as tf.Tensor1D;
    }
    const discount = this.config.gamma ** this.returnSteps;
    return tf.add(batch.rewards, tf.mul(tf.mul(batch.continues, nextValue), discount)) as tf.Tensor1D;
  }

  protected trainStep(batch: BatchTensors): Metrics {
    const regularized = this.regularizers.length > 0;
    const probing = this.probeDue;
    // The step's tensors live only for the step.
    const step = tf.tidy(() => {
      // Without a regularizer nothing needs gradients at s': the backup (and, when the probe is due,
      // phi(s')) come from a forward pass off the gradient tape.
      const onlineNext = !regularized && (this.config.doubleDqn || probing) ? this.q.forward(batch.nextObservations) : null;
      const offTapeTarget = regularized ? null : this.backup(batch, onlineNext ? onlineNext.q : null);
      return this.minimizeCritic(this.optimizer, batch, 'loss', (): CriticLoss => {
        const size = batch.size;
        let q: tf.Tensor2D;
        let phi: tf.Tensor2D;
        let phiNext: tf.Tensor2D | null;
        let target: tf.Tensor1D;
        if (regularized) {
          // s and s' through the online network in one pass: the penalty's gradient reaches both.
          const both = this.q.forward(tf.concat([batch.observations, batch.nextObservations], 0));
          const d = this.q.featureDim;
          q = tf.slice(both.q, [0, 0], [size, this.numActions]);
          phi = tf.slice(both.features, [0, 0], [size, d]);
          phiNext = tf.slice(both.features, [size, 0], [size, d]);
          // The double-DQN argmax carries no gradient (argMax / oneHot have zero gradients).
          target = this.backup(batch, this.config.doubleDqn ? tf.slice(both.q, [size, 0], [size, this.numActions]) : null);
        } else {
          ({ q, features: phi } = this.q.forward(batch.observations));
          target = offTapeTarget!;
          phiNext = probing ? onlineNext!.features : null;
        }
        const qTaken = tf.sum(tf.mul(q, batch.actionOneHot), 1) as tf.Tensor1D;
        const tdLoss = tf.mean(tdElementLoss(tf.sub(qTaken, target), this.config.loss)) as tf.Scalar;
        // A clone: Adam.minimize disposes the loss before reading the metrics.
        const report: Record<string, tf.Tensor> = { tdLoss: tf.clone(tdLoss), qMean: tf.mean(qTaken), targetMean: tf.mean(target) };
        const extra = this.extraLoss(q, qTaken, batch);
        return {
          total: extra ? (tf.add(tdLoss, extra.loss) as tf.Scalar) : tdLoss,
          report: { ...report, ...extra?.metrics },
          features: { phi, phiNext, q: qTaken },
        };
      });
    });
    if ((this.updates + 1) % this.config.targetUpdateInterval === 0) this.targetQ.updateFrom(this.q, this.config.tau);
    return { ...step.metrics, ...step.probe };
  }

  /** Q(s, .) of one observation. */
  qValues(observation: Float32Array): Float32Array {
    this.checkObservation(observation);
    return this.q.qValues(observation);
  }

  /** The exploration rate of `act(obs, {deterministic: false})`. */
  protected explorationRate(): number {
    return 0;
  }

  /** Greedy when deterministic (the default); otherwise epsilon-greedy with `rng` or the learner's own. */
  act(observation: Float32Array, options: ActOptions = {}): Action {
    this.checkObservation(observation);
    const space = this.actionSpace as { start: number };
    if (!(options.deterministic ?? true)) {
      const epsilon = this.explorationRate();
      const rng = options.rng ?? this.rng;
      if (epsilon > 0 && rng.uniform() < epsilon) return space.start + rng.int(this.numActions);
    }
    return space.start + argmax(this.q.qValues(observation));
  }
}

export class DQN extends DiscreteQLearner<DQNConfig> implements EnvStepAware, NStepLearner {
  private envStep = 0;

  constructor(init: LearnerInit<DQNConfig>) {
    super(dqnDefinition, init);
  }

  /** n of the n-step return: the OnlineTrainer aggregates transitions over this many steps. */
  get nStep(): number {
    return this.config.nStep;
  }

  get gamma(): number {
    return this.config.gamma;
  }

  protected override get returnSteps(): number {
    return this.config.nStep;
  }

  onEnvStep(envStep: number): void {
    this.envStep = envStep;
  }

  /** epsilon at the last reported environment step (linear schedule). */
  get epsilon(): number {
    const { epsilonStart, epsilonEnd, epsilonDecaySteps } = this.config;
    if (epsilonDecaySteps === 0) return epsilonEnd;
    const fraction = Math.min(1, this.envStep / epsilonDecaySteps);
    return epsilonStart + (epsilonEnd - epsilonStart) * fraction;
  }

  protected override explorationRate(): number {
    return this.epsilon;
  }

  protected override trainStep(batch: BatchTensors): Metrics {
    return { ...super.trainStep(batch), epsilon: this.epsilon };
  }
}

export const dqnDefinition = defineLearner({
  algo: 'dqn',
  configName: 'DQN',
  description: 'DQN with Double DQN targets, optional dueling head, n-step returns and epsilon-greedy exploration (Discrete actions)',
  schema: DQN_SCHEMA,
  defaults: DQN_DEFAULTS,
  actionKinds: ['discrete'],
  create: (init) => new DQN(init),
});
