/**
 * Offline TD evaluation of a policy on a Box action space: continuous SARSA and FQE, the
 * counterparts of 'sarsa' and 'fqe' (sarsa.ts) for continuous actions.
 *
 * Both fit a critic Q(s, a) = Mlp([s, a]) -> 1 by TD regression with a target network (refreshed
 * every `targetUpdateInterval` updates, hard or Polyak):
 *   loss = mean_i l(Q(s_i, a_i) - y_i) + penalties
 * - SARSA (algo 'sarsa-continuous') evaluates the data's behaviour policy with the data's next
 *   action: y = r + gamma (1 - d) Q_target(s', a'_data). Rows without a next action
 *   (`nextActionMask` 0) stay in the loss only when terminal (y = r); rows cut by a time limit are
 *   left out (metric `rowsUsed`), as in the Discrete SARSA.
 * - FQE (algo 'fqe-continuous') evaluates a policy that can draw actions,
 *   `evaluationPolicy.sampleActions(observations, count, rng)`: y = r + gamma (1 - d) * mean_k
 *   Q_target(s', a'_k) over `nextActionSamples` draws a'_k ~ pi(s'), fresh on every update, drawn
 *   with the learner's seeded rng. With pi the behaviour distribution and one draw this is the
 *   "offline TD evaluation" of the DR3 experiment, to compare with SARSA's a'_data.
 *
 * Regularized features (DR3, feature probes), from the online critic: phi(s, a) at the data's
 * (s, a); phi(s', a') at the a' of the backup (the mean over the draws when there are several). For
 * SARSA rows without a next action, a' is the data's action a at s' (any action would do: such
 * rows are terminal or out of the TD loss, but they enter the penalty's batch mean).
 *
 * `act` picks the best of a fixed set of candidate actions under Q (an evaluator is not trained to
 * act, but can be run as a policy): `actCandidates` points evenly spaced on the interval for a
 * one-dimensional box, uniform draws fixed at construction otherwise. It needs a bounded box.
 * Defaults as the Discrete evaluators (d3rlpy's FQE): hidden [256, 256], Adam lr 1e-4, gamma 0.99,
 * squared loss, hard target updates every 100 updates.
 */
import * as tf from '@tensorflow/tfjs-core';
import { Rng, type ActOptions, type Action, type Box, type ConfigSchema, type ContinuousActionSampler, type Metrics, type TransitionBatch } from '@bellman/core';
import { Adam, Mlp } from '@bellman/nn';
import { tdElementLoss } from './dqn.js';
import { BaseLearner, defineLearner, type LearnerInit, type LearnerSpec } from './learner-base.js';
import { adamConfig, checkRows, readAndDispose, refreshTarget, type BatchTensors } from './learner-utils.js';
import { TD_REGRESSION_DEFAULTS, TD_REGRESSION_SCHEMA, keptRowsMean, sarsaRows, type TDRegressionConfig } from './td-evaluation.js';

export interface ContinuousTDEvaluationConfig extends TDRegressionConfig {
  /** How many candidate actions `act` compares. */
  actCandidates: number;
}

export type ContinuousSARSAConfig = ContinuousTDEvaluationConfig;

export interface ContinuousFQEConfig extends ContinuousTDEvaluationConfig {
  /** Draws a' ~ pi(s') per row and update; the backup averages Q_target over them. */
  nextActionSamples: number;
}

export type { ContinuousActionSampler };

/** What continuous FQE takes: a LearnerInit plus the policy to evaluate. */
export interface ContinuousFQEInit extends LearnerInit<ContinuousFQEConfig> {
  evaluationPolicy: ContinuousActionSampler;
}

const CONTINUOUS_TD_SCHEMA: ConfigSchema<ContinuousTDEvaluationConfig> = {
  ...TD_REGRESSION_SCHEMA,
  actCandidates: { type: 'number', integer: true, min: 1 },
};

const CONTINUOUS_FQE_SCHEMA: ConfigSchema<ContinuousFQEConfig> = {
  ...CONTINUOUS_TD_SCHEMA,
  nextActionSamples: { type: 'number', integer: true, min: 1 },
};

export const CONTINUOUS_SARSA_DEFAULTS: Readonly<ContinuousSARSAConfig> = Object.freeze({ ...TD_REGRESSION_DEFAULTS, actCandidates: 64 });

export const CONTINUOUS_FQE_DEFAULTS: Readonly<ContinuousFQEConfig> = Object.freeze({ ...CONTINUOUS_SARSA_DEFAULTS, nextActionSamples: 1 });

/** The next actions a backup uses: [B * samples * actionDim], row b * samples + k is draw k of row b. */
interface ContinuousNextActions {
  actions: Float32Array;
  samples: number;
  /** 1 for rows in the TD loss, 0 for rows left out; null keeps every row. */
  rowWeights: Float32Array | null;
}

/** Continuous SARSA and FQE: a state-action critic, its target, and the TD loss with a pluggable a'. */
export abstract class ContinuousTDEvaluator<C extends ContinuousTDEvaluationConfig> extends BaseLearner<C> {
  readonly critic: Mlp;
  readonly targetCritic: Mlp;
  private readonly optimizer: Adam;
  private readonly candidates: Float32Array | null;

  protected constructor(spec: LearnerSpec<C>, init: LearnerInit<C>) {
    super(spec, init);
    if (this.actionSpace.kind !== 'box') throw new TypeError(`${this.algo} needs a Box action space`);
    const { hiddenSizes, activation, learningRate, clipNorm } = this.config;
    const netConfig = { inputDim: this.observationDim + this.actionDim, hiddenSizes: [...hiddenSizes], outputDim: 1, activation };
    this.critic = this.addNetwork('critic', new Mlp(netConfig, this.rng));
    this.targetCritic = this.addNetwork('criticTarget', new Mlp(netConfig, this.rng));
    this.targetCritic.copyFrom(this.critic);
    this.optimizer = this.addOptimizer('critic', new Adam(this.critic.variables, adamConfig(learningRate, clipNorm)));
    // From their own stream, so that the candidates do not shift the learner's other draws.
    this.candidates = candidateActions(this.actionSpace, this.config.actCandidates, new Rng(init.seed ?? 0).split());
  }

  /** Which a' each row backs up (and which rows the loss keeps). */
  protected abstract nextActions(batch: TransitionBatch): ContinuousNextActions;

  protected trainStep(batch: BatchTensors): Metrics {
    const size = batch.size;
    const ad = this.actionDim;
    const next = this.nextActions(batch.batch);
    const k = next.samples;
    const regularized = this.regularizers.length > 0;
    const probing = this.probeDue;
    // The step's tensors live only for the step.
    const step = tf.tidy(() => {
      const rowWeights = next.rowWeights ? tf.tensor1d(next.rowWeights) : null;
      // [s'_b, a'_bk] in row b * k + k'.
      const repeated = k === 1 ? batch.nextObservations : tf.reshape(tf.tile(tf.expandDims(batch.nextObservations, 1), [1, k, 1]), [size * k, this.observationDim]);
      const nextInput = tf.concat([repeated, tf.tensor2d(next.actions, [size * k, ad])], 1) as tf.Tensor2D;
      const phiAtNext = (): tf.Tensor2D => {
        const phi = this.critic.features(nextInput);
        return k === 1 ? phi : (tf.mean(tf.reshape(phi, [size, k, phi.shape[1]]), 1) as tf.Tensor2D);
      };
      // The backup never needs gradients; phi(s', a') does only when a regularizer uses it.
      const phiNextOffTape = !regularized && probing ? phiAtNext() : null;
      const nextQ = tf.reshape(this.targetCritic.forward(nextInput), [size, k]);
      const target = tf.add(batch.rewards, tf.mul(tf.mul(batch.continues, tf.mean(nextQ, 1)), this.config.gamma)) as tf.Tensor1D;
      const input = tf.concat([batch.observations, batch.actions], 1) as tf.Tensor2D;
      return this.minimizeCritic(this.optimizer, batch, 'loss', () => {
        const { output, features: phi } = this.critic.forwardWithFeatures(input);
        const q = tf.reshape(output, [-1]) as tf.Tensor1D;
        const phiNext = regularized ? phiAtNext() : phiNextOffTape;
        // TD loss over the rows the backup keeps, plus the feature penalties.
        const tdLoss = keptRowsMean(tdElementLoss(tf.sub(q, target), this.config.loss), rowWeights);
        // A clone: Adam.minimize disposes the loss before reading the metrics.
        const report: Record<string, tf.Tensor> = { tdLoss: tf.clone(tdLoss), qMean: tf.mean(q), targetMean: tf.mean(target) };
        if (rowWeights) report.rowsUsed = tf.mean(rowWeights);
        return { total: tdLoss, report, features: { phi, phiNext, q } };
      });
    });
    if ((this.updates + 1) % this.config.targetUpdateInterval === 0) refreshTarget(this.targetCritic, this.critic, this.config.tau);
    return { ...step.metrics, ...step.probe };
  }

  /** Q(s, a) for `count` rows of observations and actions (row-major). */
  qValues(observations: Float32Array, actions: Float32Array, count: number): Float32Array {
    checkRows(`${this.algo}.qValues`, 'observations', observations, count, this.observationDim);
    checkRows(`${this.algo}.qValues`, 'actions', actions, count, this.actionDim);
    return readAndDispose(
      tf.tidy(() =>
        tf.reshape(this.critic.forward(tf.concat([tf.tensor2d(observations, [count, this.observationDim]), tf.tensor2d(actions, [count, this.actionDim])], 1) as tf.Tensor2D), [-1]),
      ),
    );
  }

  /** The candidate action with the highest Q(s, a), whatever `deterministic` says. */
  act(observation: Float32Array, options: ActOptions = {}): Action {
    void options;
    this.checkObservation(observation);
    if (!this.candidates) throw new Error(`${this.algo}.act: the action space ${String(this.actionSpace)} is unbounded; act needs finite bounds to choose candidates from`);
    const n = this.config.actCandidates;
    const ad = this.actionDim;
    const observations = new Float32Array(n * this.observationDim);
    for (let i = 0; i < n; i++) observations.set(observation, i * this.observationDim);
    const q = this.qValues(observations, this.candidates, n);
    let best = 0;
    for (let i = 1; i < n; i++) if (q[i]! > q[best]!) best = i;
    return this.candidates.slice(best * ad, (best + 1) * ad);
  }
}

/** `count` actions in the box: evenly spaced for one dimension, uniform draws otherwise; null when unbounded. */
function candidateActions(space: Box, count: number, rng: Rng): Float32Array | null {
  if (!space.isBounded()) return null;
  const ad = space.size;
  const out = new Float32Array(count * ad);
  if (ad === 1) {
    const low = space.low[0]!;
    const high = space.high[0]!;
    for (let i = 0; i < count; i++) out[i] = count === 1 ? (low + high) / 2 : low + ((high - low) * i) / (count - 1);
    return out;
  }
  for (let i = 0; i < count; i++) for (let j = 0; j < ad; j++) out[i * ad + j] = rng.uniformRange(space.low[j]!, space.high[j]!);
  return out;
}

export class ContinuousSARSA extends ContinuousTDEvaluator<ContinuousSARSAConfig> {
  constructor(init: LearnerInit<ContinuousSARSAConfig>) {
    super(continuousSarsaDefinition, init);
  }

  protected nextActions(batch: TransitionBatch): ContinuousNextActions {
    const { nextActions, linked, rowWeights } = sarsaRows(batch, 'sarsa-continuous');
    const ad = this.actionDim;
    if (nextActions.length !== batch.size * ad) {
      throw new RangeError(`sarsa-continuous.update: batch.nextActions has ${nextActions.length} values for ${batch.size} rows x ${ad}`);
    }
    const actions = Float32Array.from(nextActions);
    for (let i = 0; i < batch.size; i++) {
      if (!linked(i)) for (let j = 0; j < ad; j++) actions[i * ad + j] = batch.actions[i * ad + j]!;
      else {
        for (let j = 0; j < ad; j++) {
          const v = actions[i * ad + j]!;
          if (!Number.isFinite(v)) throw new RangeError(`sarsa-continuous.update: batch.nextActions row ${i} column ${j} is ${v}, expected a finite number`);
        }
      }
    }
    return { actions, samples: 1, rowWeights };
  }
}

export class ContinuousFQE extends ContinuousTDEvaluator<ContinuousFQEConfig> {
  readonly evaluationPolicy: ContinuousActionSampler;

  constructor(init: ContinuousFQEInit) {
    super(continuousFqeDefinition, init);
    const policy = (init as Partial<ContinuousFQEInit>).evaluationPolicy;
    if (!policy || typeof policy.sampleActions !== 'function') {
      throw new TypeError('fqe-continuous: init.evaluationPolicy must be an object with sampleActions(observations, count, rng) (the policy to evaluate)');
    }
    this.evaluationPolicy = policy;
  }

  /** Actions drawn from the evaluation policy at `count` observations, checked: [count * actionDim], finite. */
  sampleActions(observations: Float32Array, count: number): Float32Array {
    const ad = this.actionDim;
    const actions = this.evaluationPolicy.sampleActions(observations, count, this.rng);
    if (!actions || actions.length !== count * ad) {
      throw new RangeError(`fqe-continuous: evaluationPolicy.sampleActions returned ${actions?.length} values for ${count} observations x ${ad} action dims`);
    }
    for (let i = 0; i < actions.length; i++) {
      if (!Number.isFinite(actions[i]!)) {
        throw new RangeError(`fqe-continuous: evaluationPolicy action at row ${Math.floor(i / ad)} column ${i % ad} is ${actions[i]}, expected a finite number`);
      }
    }
    return actions;
  }

  protected nextActions(batch: TransitionBatch): ContinuousNextActions {
    const k = this.config.nextActionSamples;
    const od = this.observationDim;
    let observations = batch.nextObservations;
    if (k > 1) {
      observations = new Float32Array(batch.size * k * od);
      for (let i = 0; i < batch.size; i++) {
        const row = batch.nextObservations.subarray(i * od, (i + 1) * od);
        for (let j = 0; j < k; j++) observations.set(row, (i * k + j) * od);
      }
    }
    return { actions: this.sampleActions(observations, batch.size * k), samples: k, rowWeights: null };
  }

  /**
   * V^pi(s) estimated as the mean of Q(s, a) over `samples` draws a ~ pi(s) per observation (draws
   * use the learner's rng).
   */
  values(observations: Float32Array, count: number, samples = 16): Float32Array {
    checkRows('fqe-continuous.values', 'observations', observations, count, this.observationDim);
    if (!Number.isInteger(samples) || samples < 1) throw new RangeError(`fqe-continuous.values: samples must be a positive integer, got ${samples}`);
    const od = this.observationDim;
    const repeated = new Float32Array(count * samples * od);
    for (let i = 0; i < count; i++) for (let j = 0; j < samples; j++) repeated.set(observations.subarray(i * od, (i + 1) * od), (i * samples + j) * od);
    const q = this.qValues(repeated, this.sampleActions(repeated, count * samples), count * samples);
    const out = new Float32Array(count);
    for (let i = 0; i < count; i++) {
      let sum = 0;
      for (let j = 0; j < samples; j++) sum += q[i * samples + j]!;
      out[i] = sum / samples;
    }
    return out;
  }
}

export const continuousSarsaDefinition = defineLearner({
  algo: 'sarsa-continuous',
  configName: 'ContinuousSARSA',
  description: "Offline SARSA for Box actions: TD evaluation of the data's behaviour policy with the data's next actions, critic on [s, a]",
  schema: CONTINUOUS_TD_SCHEMA,
  defaults: CONTINUOUS_SARSA_DEFAULTS,
  actionKinds: ['box'],
  create: (init) => new ContinuousSARSA(init),
});

export const continuousFqeDefinition = defineLearner({
  algo: 'fqe-continuous',
  configName: 'ContinuousFQE',
  description: "Fitted Q evaluation for Box actions of a policy that samples actions (init.evaluationPolicy), a' drawn afresh each update",
  schema: CONTINUOUS_FQE_SCHEMA,
  defaults: CONTINUOUS_FQE_DEFAULTS,
  actionKinds: ['box'],
  requiredInit: ['evaluationPolicy'],
  create: (init: ContinuousFQEInit) => new ContinuousFQE(init),
});
