/**
 * Offline TD evaluation of a policy on a Discrete action space: SARSA and FQE.
 *
 * Both fit Q by TD regression, loss = mean_i l(Q(s_i, a_i) - y_i) + penalties, with a target
 * network (refreshed every `targetUpdateInterval` updates, hard or Polyak):
 * - SARSA (algo 'sarsa') evaluates the behaviour policy of the data, backing up the action the
 *   data took next: y = r + gamma (1 - d) Q_target(s', a'_data). Batches need `nextActions`. Where
 *   the batch says a row has no next action (`nextActionMask` 0, as Bellman's datasets and replay
 *   buffers report at episode ends), the row stays in the loss only if it is terminal (y = r);
 *   a row cut by a time limit has nothing to bootstrap from and is left out of the loss (the mean
 *   runs over the rows kept; `rowsUsed` reports their fraction).
 * - FQE (algo 'fqe') evaluates a given policy pi, supplied as `evaluationPolicy` (action
 *   probabilities per observation): y = r + gamma (1 - d) E_{a'~pi(s')} Q_target(s', a') in mode
 *   'expectation', or with one a' ~ pi(s') drawn afresh for each row on each update in mode
 *   'sample'. With pi the behaviour distribution, 'sample' is the "offline TD evaluation" of the
 *   DR3 experiment, to compare with SARSA's a'_data.
 *
 * Critics. 'state-action' (the default): an Mlp of [s, onehot(a)] with one output, so phi(s, a)
 * really depends on the action. 'state': an Mlp of s with one output per action (DQN-style), whose
 * features depend on the state alone.
 *
 * Regularized features (DR3, feature probes), computed with the online critic:
 * - phi(s, a): the penultimate features at (s, a_data), or at s for the 'state' critic.
 * - phi(s', a'): at (s', a') for the a' of the backup (a'_data for SARSA, the sampled a' for FQE
 *   'sample'), or at s' for the 'state' critic. For FQE 'expectation' with the 'state-action'
 *   critic it is E_{a'~pi} phi(s', a') (so phi(s,a).phi(s',a') is the expected dot product).
 *   For SARSA rows without a next action phi(s', a') uses a' = the first action; such rows are
 *   either terminal or out of the TD loss, but they do enter the penalty's batch mean.
 *
 * `act` is greedy in Q (deterministic or not), so an evaluator can be run as a policy too.
 * Defaults (d3rlpy's FQE): hidden [256, 256], Adam lr 1e-4, gamma 0.99, squared loss, hard target
 * updates every 100 updates.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { ActOptions, Action, ConfigSchema, DiscreteActionProbabilities, Metrics, Rng, TransitionBatch } from '@bellman/core';
import { Adam, Mlp } from '@bellman/nn';
import { tdElementLoss } from './dqn.js';
import { BaseLearner, defineLearner, type LearnerInit, type LearnerSpec } from './learner-base.js';
import { adamConfig, argmax, checkRows, readAndDispose, refreshTarget, type BatchTensors } from './learner-utils.js';
import { TD_REGRESSION_DEFAULTS, TD_REGRESSION_SCHEMA, keptRowsMean, sarsaRows, type TDRegressionConfig } from './td-evaluation.js';

export interface TDEvaluationConfig extends TDRegressionConfig {
  /** 'state-action': Q(s, a) = Mlp([s, onehot(a)]); 'state': Q(s, .) = Mlp(s) with one output per action. */
  critic: 'state-action' | 'state';
}

export type SARSAConfig = TDEvaluationConfig;

export interface FQEConfig extends TDEvaluationConfig {
  /** Back up the expectation over pi at s', or one action sampled from pi per row and update. */
  mode: 'expectation' | 'sample';
}

export type { DiscreteActionProbabilities };

/** What FQE takes: a LearnerInit plus the policy to evaluate. */
export interface FQEInit extends LearnerInit<FQEConfig> {
  evaluationPolicy: DiscreteActionProbabilities;
}

const TD_EVALUATION_SCHEMA: ConfigSchema<TDEvaluationConfig> = {
  critic: { type: 'enum', values: ['state-action', 'state'] },
  ...TD_REGRESSION_SCHEMA,
};

const FQE_SCHEMA: ConfigSchema<FQEConfig> = { ...TD_EVALUATION_SCHEMA, mode: { type: 'enum', values: ['expectation', 'sample'] } };

export const SARSA_DEFAULTS: Readonly<SARSAConfig> = Object.freeze({ critic: 'state-action', ...TD_REGRESSION_DEFAULTS });

export const FQE_DEFAULTS: Readonly<FQEConfig> = Object.freeze({ ...SARSA_DEFAULTS, mode: 'expectation' });

/** Q and phi of a Discrete action-value critic, in either layout. */
export class ActionValueCritic {
  readonly net: Mlp;

  constructor(
    readonly kind: 'state-action' | 'state',
    readonly observationDim: number,
    readonly numActions: number,
    hiddenSizes: readonly number[],
    activation: 'relu' | 'tanh',
    rng: Rng,
  ) {
    const inputDim = kind === 'state-action' ? observationDim + numActions : observationDim;
    const outputDim = kind === 'state-action' ? 1 : numActions;
    this.net = new Mlp({ inputDim, hiddenSizes: [...hiddenSizes], outputDim, activation }, rng);
  }

  get featureDim(): number {
    return this.net.featureDim;
  }

  /** Q(s, a) [B] and phi(s, a) [B, featureDim] for one-hot actions [B, n]. */
  at(observations: tf.Tensor2D, actionOneHot: tf.Tensor2D): { q: tf.Tensor1D; phi: tf.Tensor2D } {
    if (this.kind === 'state') {
      const { output, features } = this.net.forwardWithFeatures(observations);
      return { q: tf.sum(tf.mul(output, actionOneHot), 1) as tf.Tensor1D, phi: features };
    }
    const { output, features } = this.net.forwardWithFeatures(tf.concat([observations, actionOneHot], 1));
    return { q: tf.reshape(output, [-1]) as tf.Tensor1D, phi: features };
  }

  /** Q(s, .) [B, n]; features [B, n, featureDim] ('state-action') or [B, featureDim] ('state'). */
  all(observations: tf.Tensor2D): { q: tf.Tensor2D; features: tf.Tensor } {
    if (this.kind === 'state') {
      const { output, features } = this.net.forwardWithFeatures(observations);
      return { q: output, features };
    }
    const size = observations.shape[0];
    const n = this.numActions;
    // Row b * n + k pairs observation b with action k.
    const repeated = tf.reshape(tf.tile(tf.expandDims(observations, 1), [1, n, 1]), [size * n, this.observationDim]);
    const actions = tf.tile(tf.eye(n), [size, 1]);
    const { output, features } = this.net.forwardWithFeatures(tf.concat([repeated, actions], 1) as tf.Tensor2D);
    return { q: tf.reshape(output, [size, n]), features: tf.reshape(features, [size, n, this.featureDim]) };
  }

  /**
   * sum_a w(a) Q(s, a) [B] and the features the backup uses [B, featureDim], for action weights
   * w [B, n] (one-hot rows when `oneHot`, else probabilities).
   */
  under(observations: tf.Tensor2D, weights: tf.Tensor2D, oneHot: boolean): { q: tf.Tensor1D; phi: tf.Tensor2D } {
    if (this.kind === 'state' || oneHot) return this.at(observations, weights);
    const { q, features } = this.all(observations);
    return {
      q: tf.sum(tf.mul(q, weights), 1) as tf.Tensor1D,
      phi: tf.sum(tf.mul(features, tf.expandDims(weights, 2)), 1) as tf.Tensor2D,
    };
  }

  /** Q(s, .) of one observation. */
  qValues(observation: ArrayLike<number>): Float32Array {
    return readAndDispose(tf.tidy(() => this.all(tf.tensor2d(Float32Array.from(observation), [1, this.observationDim])).q));
  }

  updateFrom(other: ActionValueCritic, tau: number): void {
    refreshTarget(this.net, other.net, tau);
  }
}

/** The actions a backup uses at s': per-row weights [B * n] and which rows enter the loss. */
interface NextActionWeights {
  weights: Float32Array;
  oneHot: boolean;
  /** 1 for rows in the TD loss, 0 for rows left out; null keeps every row. */
  rowWeights: Float32Array | null;
}

/** SARSA and FQE: a critic, its target, and the TD loss with a pluggable choice of a'. */
export abstract class TDEvaluator<C extends TDEvaluationConfig> extends BaseLearner<C> {
  readonly critic: ActionValueCritic;
  readonly targetCritic: ActionValueCritic;
  readonly numActions: number;
  private readonly optimizer: Adam;

  protected constructor(spec: LearnerSpec<C>, init: LearnerInit<C>) {
    super(spec, init);
    if (this.actionSpace.kind !== 'discrete') throw new TypeError(`${this.algo} needs a Discrete action space`);
    this.numActions = this.actionSpace.n;
    const { critic, hiddenSizes, activation, learningRate, clipNorm } = this.config;
    this.critic = new ActionValueCritic(critic, this.observationDim, this.numActions, hiddenSizes, activation, this.rng);
    this.targetCritic = new ActionValueCritic(critic, this.observationDim, this.numActions, hiddenSizes, activation, this.rng);
    this.addNetwork('critic', this.critic.net);
    this.addNetwork('criticTarget', this.targetCritic.net);
    this.targetCritic.updateFrom(this.critic, 1);
    this.optimizer = this.addOptimizer('critic', new Adam(this.critic.net.variables, adamConfig(learningRate, clipNorm)));
  }

  /** Which a' each row backs up (and which rows the loss keeps). */
  protected abstract nextActionWeights(batch: TransitionBatch): NextActionWeights;

  protected trainStep(batch: BatchTensors): Metrics {
    const size = batch.size;
    const next = this.nextActionWeights(batch.batch);
    const regularized = this.regularizers.length > 0;
    const probing = this.probeDue;
    // The step's tensors live only for the step.
    const step = tf.tidy(() => {
      const weights = tf.tensor2d(next.weights, [size, this.numActions]);
      const rowWeights = next.rowWeights ? tf.tensor1d(next.rowWeights) : null;
      // The backup never needs gradients; phi(s', a') does only when a regularizer uses it.
      const phiNextOffTape = !regularized && probing ? this.critic.under(batch.nextObservations, weights, next.oneHot).phi : null;
      const nextValue = this.targetCritic.under(batch.nextObservations, weights, next.oneHot).q;
      const target = tf.add(batch.rewards, tf.mul(tf.mul(batch.continues, nextValue), this.config.gamma)) as tf.Tensor1D;
      return this.minimizeCritic(this.optimizer, batch, 'loss', () => {
        const { q, phi } = this.critic.at(batch.observations, batch.actionOneHot);
        const phiNext = regularized ? this.critic.under(batch.nextObservations, weights, next.oneHot).phi : phiNextOffTape;
        // TD loss over the rows the backup keeps, plus the feature penalties.
        const tdLoss = keptRowsMean(tdElementLoss(tf.sub(q, target), this.config.loss), rowWeights);
        // A clone: Adam.minimize disposes the loss before reading the metrics.
        const report: Record<string, tf.Tensor> = { tdLoss: tf.clone(tdLoss), qMean: tf.mean(q), targetMean: tf.mean(target) };
        if (rowWeights) report.rowsUsed = tf.mean(rowWeights);
        return { total: tdLoss, report, features: { phi, phiNext, q } };
      });
    });
    if ((this.updates + 1) % this.config.targetUpdateInterval === 0) this.targetCritic.updateFrom(this.critic, this.config.tau);
    return { ...step.metrics, ...step.probe };
  }

  /** Q(s, .) of one observation. */
  qValues(observation: Float32Array): Float32Array {
    this.checkObservation(observation);
    return this.critic.qValues(observation);
  }

  /** The greedy action in Q, whatever `deterministic` says. */
  act(observation: Float32Array, options: ActOptions = {}): Action {
    void options;
    return (this.actionSpace as { start: number }).start + argmax(this.qValues(observation));
  }
}

export class SARSA extends TDEvaluator<SARSAConfig> {
  constructor(init: LearnerInit<SARSAConfig>) {
    super(sarsaDefinition, init);
  }

  protected nextActionWeights(batch: TransitionBatch): NextActionWeights {
    const { nextActions, linked, rowWeights } = sarsaRows(batch, 'sarsa');
    const n = this.numActions;
    const start = (this.actionSpace as { start: number }).start;
    const weights = new Float32Array(batch.size * n);
    for (let i = 0; i < batch.size; i++) {
      if (linked(i)) {
        const index = nextActions[i]! - start;
        if (!Number.isInteger(index) || index < 0 || index >= n) {
          throw new RangeError(`sarsa.update: batch.nextActions row ${i} is ${nextActions[i]}, expected an integer in [${start}, ${start + n})`);
        }
        weights[i * n + index] = 1;
      } else {
        weights[i * n] = 1;
      }
    }
    return { weights, oneHot: true, rowWeights };
  }
}

/** Tolerance on the sum of a row of policy probabilities. */
const PROBABILITY_SUM_TOLERANCE = 1e-3;

export class FQE extends TDEvaluator<FQEConfig> {
  readonly evaluationPolicy: DiscreteActionProbabilities;

  constructor(init: FQEInit) {
    super(fqeDefinition, init);
    const policy = (init as Partial<FQEInit>).evaluationPolicy;
    if (!policy || typeof policy.policyProbabilities !== 'function') {
      throw new TypeError('fqe: init.evaluationPolicy must be an object with policyProbabilities(observations, count) (the policy to evaluate)');
    }
    this.evaluationPolicy = policy;
  }

  /** pi(.|s) for `count` observations, checked: [count * n], rows non-negative and summing to 1. */
  policyProbabilities(observations: Float32Array, count: number): Float32Array {
    const n = this.numActions;
    const probs = this.evaluationPolicy.policyProbabilities(observations, count);
    if (!probs || probs.length !== count * n) {
      throw new RangeError(`fqe: evaluationPolicy.policyProbabilities returned ${probs?.length} values for ${count} observations x ${n} actions`);
    }
    for (let i = 0; i < count; i++) {
      let sum = 0;
      for (let k = 0; k < n; k++) {
        const p = probs[i * n + k]!;
        if (!(p >= 0) || !Number.isFinite(p)) throw new RangeError(`fqe: evaluationPolicy probability of action ${k} at row ${i} is ${p}`);
        sum += p;
      }
      if (Math.abs(sum - 1) > PROBABILITY_SUM_TOLERANCE) throw new RangeError(`fqe: evaluationPolicy probabilities at row ${i} sum to ${Number(sum.toPrecision(6))}, not 1`);
    }
    return probs;
  }

  protected nextActionWeights(batch: TransitionBatch): NextActionWeights {
    const n = this.numActions;
    const probs = this.policyProbabilities(batch.nextObservations, batch.size);
    if (this.config.mode === 'expectation') return { weights: Float32Array.from(probs), oneHot: false, rowWeights: null };
    const weights = new Float32Array(batch.size * n);
    for (let i = 0; i < batch.size; i++) {
      let u = this.rng.uniform();
      let chosen = n - 1;
      for (let k = 0; k < n; k++) {
        u -= probs[i * n + k]!;
        if (u < 0) {
          chosen = k;
          break;
        }
      }
      weights[i * n + chosen] = 1;
    }
    return { weights, oneHot: true, rowWeights: null };
  }

  /** V^pi(s) = sum_a pi(a|s) Q(s, a) for `count` observations: the FQE estimate of the policy's value. */
  values(observations: Float32Array, count: number): Float32Array {
    checkRows('fqe.values', 'observations', observations, count, this.observationDim);
    const probs = this.policyProbabilities(observations, count);
    return readAndDispose(
      tf.tidy(() => {
        const { q } = this.critic.all(tf.tensor2d(observations, [count, this.observationDim]));
        return tf.sum(tf.mul(q, tf.tensor2d(probs, [count, this.numActions])), 1);
      }),
    );
  }
}

export const sarsaDefinition = defineLearner({
  algo: 'sarsa',
  configName: 'SARSA',
  description: "Offline SARSA: TD evaluation of the data's behaviour policy with the data's next actions (Discrete actions)",
  schema: TD_EVALUATION_SCHEMA,
  defaults: SARSA_DEFAULTS,
  actionKinds: ['discrete'],
  create: (init) => new SARSA(init),
});

export const fqeDefinition = defineLearner({
  algo: 'fqe',
  configName: 'FQE',
  description: 'Fitted Q evaluation of a given policy (init.evaluationPolicy), expected or sampled next actions (Discrete actions)',
  schema: FQE_SCHEMA,
  defaults: FQE_DEFAULTS,
  actionKinds: ['discrete'],
  requiredInit: ['evaluationPolicy'],
  create: (init: FQEInit) => new FQE(init),
});
