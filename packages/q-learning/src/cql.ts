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
 *            Lagrange version, as the authors' code (sac/cql.py, with_lagrange): alpha' = clamp(exp(log alpha'), 0, 1e6),
 *            penalty alpha' * (alpha_cql * gap_j - targetActionGap), and the loss of log alpha' is
 *            -alpha' * (alpha_cql * mean_j gap_j - targetActionGap) (gaps held fixed), so alpha' grows while
 *            alpha_cql * gap exceeds the target. alpha_cql (`cqlAlpha`) scales the gap in both; the critic
 *            uses alpha' from before its own step.
 *   actor and temperature: as SAC (sac.ts), with the actor's own learning rate (1e-4 by default);
 *            during the first `bcSteps` updates the actor clones the data instead,
 *            J_pi = mean(alpha * log pi(a~|s) - log pi(a|s)) (the authors' policy_eval_start).
 *   targets: Polyak averaging with tau.
 *
 * The logsumexp is over the 3N importance-weighted terms without a log(3N) normaliser (a constant
 * shift of the gap; `targetActionGap` is on this scale).
 * Regularizers get phi(s, a) and phi(s', a') from the first critic, a' being the backup's sample.
 */
import * as tf from '@tensorflow/tfjs';
import type { ConfigSchema, Metrics } from '@bellman/core';
import { Adam, variableFrom } from '@bellman/nn';
import type { LearnerDefinition, LearnerInit } from './learner-base.js';
import type { BatchTensors } from './learner-utils.js';
import { normalNoise } from './gaussian-policy.js';
import { SAC_DEFAULTS, SOFT_ACTOR_CRITIC_SCHEMA, SoftActorCritic, type SoftActorCriticConfig } from './sac.js';
import { mse, renameLoss, repeatRows, stateAction } from './twin-critic.js';

export interface CQLConfig extends SoftActorCriticConfig {
  /**
   * alpha_cql: weight of the conservative gap in the critic loss. In the Lagrange version the gap is
   * scaled by it before the target is subtracted: alpha' * (cqlAlpha * gap - targetActionGap).
   */
  cqlAlpha: number;
  /** N: proposals per state from each of U(box), pi(.|s) and pi(.|s'). */
  cqlSamples: number;
  /** Multiply the penalty by a learned alpha' (dual ascent), which pushes cqlAlpha * gap towards `targetActionGap`. */
  lagrange: boolean;
  /** The value of cqlAlpha * gap the Lagrange version aims for. */
  targetActionGap: number;
  /** Learning rate of log alpha' (Lagrange version). */
  alphaPrimeLearningRate: number;
  /** Keep SAC's entropy term in the TD target. */
  backupEntropy: boolean;
  /** Updates at the start whose actor step is behaviour cloning (the critics learn as usual). 0: none. */
  bcSteps: number;
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
  bcSteps: 0,
});

const CQL_SCHEMA: ConfigSchema<CQLConfig> = {
  ...SOFT_ACTOR_CRITIC_SCHEMA,
  cqlAlpha: { type: 'number', min: 0 },
  cqlSamples: { type: 'number', integer: true, min: 1 },
  lagrange: { type: 'boolean' },
  targetActionGap: { type: 'number' },
  alphaPrimeLearningRate: { type: 'number', min: 0, exclusiveMin: true },
  backupEntropy: { type: 'boolean' },
  bcSteps: { type: 'number', integer: true, min: 0 },
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
    this.logAlphaPrime = this.addVariable('logAlphaPrime', variableFrom(tf.scalar(0), this.config.lagrange));
    this.alphaPrimeOptimizer = this.config.lagrange
      ? this.addOptimizer('alphaPrime', new Adam([this.logAlphaPrime], { learningRate: this.config.alphaPrimeLearningRate }))
      : null;
  }

  /** The multiplier of the penalty: alpha' (Lagrange; the gap inside it is scaled by cqlAlpha) or cqlAlpha. */
  get conservativeWeight(): number {
    return this.config.lagrange ? Math.min(Math.exp(this.logAlphaPrime.dataSync()[0]!), MAX_ALPHA_PRIME) : this.config.cqlAlpha;
  }

  protected trainStep(batch: BatchTensors): Metrics {
    const { gamma, rewardScale, tau, cqlSamples: n, cqlAlpha, lagrange, targetActionGap, backupEntropy } = this.config;
    const s = batch.observations;
    const a = batch.actions;
    const sNext = batch.nextObservations;
    const size = batch.size;
    const alpha = this.alpha;
    const weight = this.conservativeWeight;

    // pi(.|s') is computed once per state: the backup's sample and the N proposals at s' share it.
    const atNext = this.actor.distribution(sNext);
    // Target: y = r + gamma * (1 - d) * (min_j Qtarget_j(s', a') [- alpha * log pi(a'|s')]),  a' ~ pi(.|s')
    const nextNoise = normalNoise(this.rng, size, this.actionDim);
    const next = this.actor.sampleFrom(atNext.mean, atNext.logStd, nextNoise);
    const y = tf.tidy(() => {
      const nextQ = this.critics.targetMin(sNext, next.action);
      const nextValue = backupEntropy ? tf.sub(nextQ, tf.mul(alpha, next.logProb)) : nextQ;
      return tf.add(tf.mul(rewardScale, batch.rewards), tf.mul(gamma, tf.mul(batch.continues, nextValue))) as tf.Tensor1D;
    });

    // Proposals, N per state, each minus its log-density: uniform in the box, pi(.|s), pi(.|s').
    const uniformActions = this.uniformActions(size * n);
    const noiseAtS = normalNoise(this.rng, size * n, this.actionDim);
    const noiseAtNext = normalNoise(this.rng, size * n, this.actionDim);
    const { criticInput, logDensities } = this.proposalRows(s, a, atNext, uniformActions, noiseAtS, noiseAtNext);

    const metrics: Metrics = {};
    const probe: Metrics = {};
    let gaps: number[] = [];
    try {
      renameLoss(
        this.criticOptimizer.minimize(() => {
          // One pass per critic over the data rows and all 3N proposals of every state.
          const { values, phi: phiAll } = this.critics.valuesWithFeaturesOfInput(criticInput);
          const phi = tf.slice(phiAll, [0, 0], [size, -1]) as tf.Tensor2D;
          const qData: tf.Tensor1D[] = [];
          let loss = tf.scalar(0);
          const gapTensors: tf.Scalar[] = [];
          let penaltySum = tf.scalar(0);
          values.forEach((qAll) => {
            const q = tf.slice(qAll, [0], [size]) as tf.Tensor1D;
            // log sum_k exp(Q_j(s, a_k) - log mu(a_k)) over the 3N proposals, per state.
            const qProposals = tf.reshape(tf.slice(qAll, [size], [-1]), [size, 3 * n]);
            const gap = tf.sub(tf.mean(tf.logSumExp(tf.sub(qProposals, logDensities), 1)), tf.mean(q)) as tf.Scalar;
            // Lagrange: alpha' * (cqlAlpha * gap - target); fixed: cqlAlpha * gap.
            const penalty = lagrange ? tf.mul(weight, tf.sub(tf.mul(cqlAlpha, gap), targetActionGap)) : tf.mul(weight, gap);
            qData.push(q);
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
      tf.dispose([atNext.mean, atNext.logStd, nextNoise, next.action, next.logProb, y, uniformActions, noiseAtS, noiseAtNext, criticInput, logDensities]);
    }
    metrics.alphaPrime = weight;

    // Lagrange: J(log alpha') = -alpha' * (cqlAlpha * mean_j gap_j - targetActionGap), gaps held fixed.
    if (this.alphaPrimeOptimizer) {
      const meanGap = gaps.reduce((x, g) => x + g, 0) / gaps.length;
      renameLoss(
        this.alphaPrimeOptimizer.minimize(() => ({
          loss: tf.neg(tf.mul(tf.clipByValue(tf.exp(this.logAlphaPrime), 0, MAX_ALPHA_PRIME), cqlAlpha * meanGap - targetActionGap)) as tf.Scalar,
        })),
        'alphaPrimeLoss',
        metrics,
      );
    }

    // Actor and temperature as in SAC (cloning a during the first bcSteps updates), then the target critics.
    Object.assign(metrics, this.updateActorAndAlpha(s, this.updates < this.config.bcSteps ? a : undefined));
    this.critics.updateTargets(tau);
    return Object.assign(metrics, probe);
  }

  /**
   * The critic input of one update and the proposals' log-densities. Rows 0..B-1 are the data
   * [s_i, a_i]; then, for each state i, its 3N proposals [s_i, a_k]: N uniform, N from pi(.|s_i),
   * N from pi(.|s'_i), in that order. logDensities [B, 3N] holds log mu(a_k) in the same order.
   * pi's mean and log-std are computed once per state and repeated for its N samples.
   */
  private proposalRows(
    s: tf.Tensor2D,
    a: tf.Tensor2D,
    atNext: { mean: tf.Tensor2D; logStd: tf.Tensor2D },
    uniformActions: tf.Tensor2D,
    noiseAtS: tf.Tensor2D,
    noiseAtNext: tf.Tensor2D,
  ): { criticInput: tf.Tensor2D; logDensities: tf.Tensor2D } {
    const n = this.config.cqlSamples;
    return tf.tidy(() => {
      const [size, actionDim] = a.shape;
      const atS = this.actor.distribution(s);
      const piAtS = this.actor.sampleFrom(repeatRows(atS.mean, n), repeatRows(atS.logStd, n), noiseAtS);
      const piAtNext = this.actor.sampleFrom(repeatRows(atNext.mean, n), repeatRows(atNext.logStd, n), noiseAtNext);
      const perState = (t: tf.Tensor, width: number) => tf.reshape(t, [size, width]);
      const proposalActions = tf.reshape(
        tf.concat([perState(uniformActions, n * actionDim), perState(piAtS.action, n * actionDim), perState(piAtNext.action, n * actionDim)], 1),
        [size * 3 * n, actionDim],
      ) as tf.Tensor2D;
      const criticInput = tf.concat([stateAction(s, a), stateAction(repeatRows(s, 3 * n), proposalActions)], 0) as tf.Tensor2D;
      const logDensities = tf.concat([tf.fill([size, n], this.uniformLogDensity), perState(piAtS.logProb, n), perState(piAtNext.logProb, n)], 1) as tf.Tensor2D;
      return { criticInput, logDensities };
    });
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
