/**
 * Conservative Q-Learning for continuous actions (Kumar et al. 2020), CQL(H) on top of SAC.
 *
 * Per update, on a batch (s, a, r, s', d), with N proposals per state of each kind:
 * (r below is the reward times `rewardScale`, 1 by default)
 *   target:  y = r + gamma * (1 - d) * (min_j Qtarget_j(s', a') - alpha * log pi(a'|s')),  a' ~ pi(.|s')
 *            (the entropy term only when `backupEntropy`)
 *   proposals (no gradient): a_unif ~ U(box) with log mu = -log volume(box);
 *            a_pi ~ pi(.|s) and a_pi' ~ pi(.|s'), each with its log pi (tanh log-det included)
 *   gap_j = mean_i [ logsumexp_k (Q_j(s_i, a_k) - log mu(a_k)) ] - mean_i Q_j(s_i, a_i)   (k over the 3N proposals)
 *   critic:  J_Q = sum_j [ mean (Q_j(s,a) - y)^2 + alpha_cql * gap_j ]   (+ regularizer penalties)
 *            Lagrange version: alpha_cql = alpha' = exp(log alpha'), penalty alpha' * (gap_j - targetActionGap),
 *            and log alpha' ascends alpha' * (mean_j gap_j - targetActionGap) (alpha' grows while the gap exceeds the target).
 *   actor and temperature: as SAC (sac.ts), with the actor's own learning rate (1e-4 by default).
 *   targets: Polyak averaging with tau.
 *
 * The logsumexp is over the 3N importance-weighted terms without a log(3N) normaliser (a constant
 * shift of the gap; `targetActionGap` is on this scale).
 * Regularizers get phi(s, a) and phi(s', a') from the first critic, a' being the backup's sample.
 */
import * as tf from '@tensorflow/tfjs';
import { Adam, type ConfigSchema, type Metrics } from '@bellman/core';
import type { LearnerDefinition, LearnerInit } from './learner-base.js';
import type { BatchTensors } from './learner-utils.js';
import { normalNoise } from './gaussian-policy.js';
import { SAC_DEFAULTS, SOFT_ACTOR_CRITIC_SCHEMA, SoftActorCritic, type SoftActorCriticConfig } from './sac.js';
import { mse, renameLoss, repeatRows } from './twin-critic.js';

export interface CQLConfig extends SoftActorCriticConfig {
  /** alpha_cql: weight of the conservative gap in the critic loss (fixed-alpha version). */
  cqlAlpha: number;
  /** N: proposals per state from each of U(box), pi(.|s) and pi(.|s'). */
  cqlSamples: number;
  /** Learn alpha' by dual ascent towards `targetActionGap` instead of a fixed `cqlAlpha`. */
  lagrange: boolean;
  /** The gap the Lagrange version aims for. */
  targetActionGap: number;
  /** Learning rate of log alpha' (Lagrange version). */
  alphaPrimeLearningRate: number;
  /** Keep SAC's entropy term in the TD target. */
  backupEntropy: boolean;
}

export const CQL_DEFAULTS: Readonly<CQLConfig> = Object.freeze({
  ...SAC_DEFAULTS,
  actorLearningRate: 1e-4,
  criticLearningRate: 3e-4,
  cqlAlpha: 5,
  cqlSamples: 10,
  lagrange: false,
  targetActionGap: 10,
  alphaPrimeLearningRate: 3e-4,
  backupEntropy: true,
});

const CQL_SCHEMA: ConfigSchema<CQLConfig> = {
  ...SOFT_ACTOR_CRITIC_SCHEMA,
  cqlAlpha: { type: 'number', min: 0 },
  cqlSamples: { type: 'number', integer: true, min: 1 },
  lagrange: { type: 'boolean' },
  targetActionGap: { type: 'number' },
  alphaPrimeLearningRate: { type: 'number', min: 0, exclusiveMin: true },
  backupEntropy: { type: 'boolean' },
};

/** alpha' is kept in [0, 1e6], as exp(log alpha') can overflow when the gap stays above target. */
const MAX_ALPHA_PRIME = 1e6;

export class CQL extends SoftActorCritic<CQLConfig> {
  /** log alpha' of the Lagrange version (present, but unused, with a fixed alpha). */
  readonly logAlphaPrime: tf.Variable;
  private readonly alphaPrimeOptimizer: Adam | null;
  /** -log volume(box): the log-density of the uniform proposal. */
  readonly uniformLogDensity: number;

  constructor(init: LearnerInit<CQLConfig>) {
    super({ algo: 'cql', configName: 'CQL', schema: CQL_SCHEMA, defaults: { ...CQL_DEFAULTS, hiddenSizes: [...CQL_DEFAULTS.hiddenSizes] }, actionKinds: ['box'] }, init);
    if (!this.box.isBounded()) throw new RangeError(`cql: the action space must be bounded for uniform proposals, got ${String(this.box)}`);
    let logVolume = 0;
    for (let i = 0; i < this.box.size; i++) logVolume += Math.log(this.box.high[i]! - this.box.low[i]!);
    this.uniformLogDensity = -logVolume;
    this.logAlphaPrime = this.addVariable('logAlphaPrime', tf.variable(tf.scalar(0), this.config.lagrange));
    this.alphaPrimeOptimizer = this.config.lagrange
      ? this.addOptimizer('alphaPrime', new Adam([this.logAlphaPrime], { learningRate: this.config.alphaPrimeLearningRate }))
      : null;
  }

  /** The weight of the gap: alpha' (Lagrange) or cqlAlpha. */
  get conservativeWeight(): number {
    return this.config.lagrange ? Math.min(Math.exp(this.logAlphaPrime.dataSync()[0]!), MAX_ALPHA_PRIME) : this.config.cqlAlpha;
  }

  protected trainStep(batch: BatchTensors): Metrics {
    const { gamma, rewardScale, tau, cqlSamples: n, lagrange, targetActionGap, backupEntropy } = this.config;
    const s = batch.observations;
    const a = batch.actions;
    const sNext = batch.nextObservations;
    const size = batch.size;
    const alpha = this.alpha;
    const weight = this.conservativeWeight;

    // Target: y = r + gamma * (1 - d) * (min_j Qtarget_j(s', a') [- alpha * log pi(a'|s')]),  a' ~ pi(.|s')
    const nextNoise = normalNoise(this.rng, size, this.actionDim);
    const next = this.actor.sample(sNext, nextNoise);
    const y = tf.tidy(() => {
      const nextQ = this.critics.targetMin(sNext, next.action);
      const nextValue = backupEntropy ? tf.sub(nextQ, tf.mul(alpha, next.logProb)) : nextQ;
      return tf.add(tf.mul(rewardScale, batch.rewards), tf.mul(gamma, tf.mul(batch.continues, nextValue))) as tf.Tensor1D;
    });

    // Proposals, N per state, each minus its log-density: uniform in the box, pi(.|s), pi(.|s').
    const sRepeated = repeatRows(s, n);
    const sNextRepeated = repeatRows(sNext, n);
    const uniformActions = this.uniformActions(size * n);
    const noiseAtS = normalNoise(this.rng, size * n, this.actionDim);
    const noiseAtNext = normalNoise(this.rng, size * n, this.actionDim);
    const piAtS = this.actor.sample(sRepeated, noiseAtS);
    const piAtNext = this.actor.sample(sNextRepeated, noiseAtNext);
    const toRows = (t: tf.Tensor1D) => tf.reshape(t, [size, n]) as tf.Tensor2D;

    const metrics: Metrics = {};
    const probe: Metrics = {};
    let gaps: number[] = [];
    try {
      renameLoss(
        this.criticOptimizer.minimize(() => {
          const { values: qData, phi } = this.critics.valuesWithFeatures(s, a);
          const qUniform = this.critics.values(sRepeated, uniformActions);
          const qPiAtS = this.critics.values(sRepeated, piAtS.action);
          const qPiAtNext = this.critics.values(sRepeated, piAtNext.action);
          let loss = tf.scalar(0);
          const gapTensors: tf.Scalar[] = [];
          let penaltySum = tf.scalar(0);
          qData.forEach((q, j) => {
            // log sum_k exp(Q_j(s, a_k) - log mu(a_k)) over the 3N proposals, per state.
            const weighted = tf.concat(
              [
                tf.sub(toRows(qUniform[j]!), this.uniformLogDensity),
                tf.sub(toRows(qPiAtS[j]!), toRows(piAtS.logProb)),
                tf.sub(toRows(qPiAtNext[j]!), toRows(piAtNext.logProb)),
              ],
              1,
            );
            const gap = tf.sub(tf.mean(tf.logSumExp(weighted, 1)), tf.mean(q)) as tf.Scalar;
            const penalty = lagrange ? tf.mul(weight, tf.sub(gap, targetActionGap)) : tf.mul(weight, gap);
            gapTensors.push(gap);
            penaltySum = tf.add(penaltySum, penalty) as tf.Scalar;
            loss = tf.add(loss, tf.add(mse(q, y), penalty)) as tf.Scalar;
          });
          const extra: Record<string, tf.Tensor> = {
            qMean: tf.mean(qData[0]!),
            targetMean: tf.mean(y),
            cqlPenalty: penaltySum,
            cqlGap: tf.div(tf.addN(gapTensors), gapTensors.length),
          };
          gapTensors.forEach((g, j) => (extra[`cqlGap${j + 1}`] = g));
          loss = this.withFeatureTerms(loss, phi, () => this.critics.features(sNext, next.action), qData[0]!, batch, extra, probe);
          return { loss, metrics: extra };
        }),
        'criticLoss',
        metrics,
      );
      gaps = this.critics.members.map((_, j) => metrics[`cqlGap${j + 1}`]!);
      for (let j = 0; j < gaps.length; j++) delete metrics[`cqlGap${j + 1}`];
    } finally {
      tf.dispose([nextNoise, next.action, next.logProb, y, sRepeated, sNextRepeated, uniformActions, noiseAtS, noiseAtNext, piAtS.action, piAtS.logProb, piAtNext.action, piAtNext.logProb]);
    }
    metrics.alphaPrime = weight;

    // Lagrange: J(log alpha') = -alpha' * (mean_j gap_j - targetActionGap), gaps held fixed.
    if (this.alphaPrimeOptimizer) {
      const meanGap = gaps.reduce((x, g) => x + g, 0) / gaps.length;
      renameLoss(
        this.alphaPrimeOptimizer.minimize(() => ({
          loss: tf.neg(tf.mul(tf.clipByValue(tf.exp(this.logAlphaPrime), 0, MAX_ALPHA_PRIME), meanGap - targetActionGap)) as tf.Scalar,
        })),
        'alphaPrimeLoss',
        metrics,
      );
    }

    // Actor and temperature as in SAC, then the target critics.
    Object.assign(metrics, this.updateActorAndAlpha(s));
    this.critics.updateTargets(tau);
    return Object.assign(metrics, probe);
  }

  /** [rows, |A|] uniform in the box, from the learner's Rng. */
  private uniformActions(rows: number): tf.Tensor2D {
    const d = this.actionDim;
    const values = new Float32Array(rows * d);
    for (let r = 0; r < rows; r++) {
      for (let i = 0; i < d; i++) values[r * d + i] = this.rng.uniformRange(this.box.low[i]!, this.box.high[i]!);
    }
    return tf.tensor2d(values, [rows, d]);
  }
}

export const cqlDefinition: LearnerDefinition<CQLConfig> = {
  algo: 'cql',
  description: 'Conservative Q-Learning on SAC: importance-sampled logsumexp penalty, fixed or Lagrange alpha (Box actions, offline)',
  actionKinds: ['box'],
  defaults: CQL_DEFAULTS,
  create: (init) => new CQL(init),
};
