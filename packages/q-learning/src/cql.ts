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
import * as tf from '@tensorflow/tfjs-core';
import type { ConfigSchema } from '@bellman/core';
import { Adam, variableFrom } from '@bellman/nn';
import { defineLearner, type CriticLoss, type CriticStep, type LearnerInit } from './learner-base.js';
import type { BatchTensors } from './learner-utils.js';
import { normalNoise } from './gaussian-policy.js';
import { SAC_DEFAULTS, SOFT_ACTOR_CRITIC_SCHEMA, SoftActorCritic, type SoftActorCriticConfig, type SoftTarget } from './sac.js';
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

/** CQL's critic loss: each critic's TD and conservative terms and what they add up to. */
export interface CQLCriticLoss extends CriticLoss {
  /** mean (Q_j(s,a) - y)^2, per critic. */
  td: tf.Scalar[];
  /** gap_j, per critic (before alpha_cql). */
  gaps: tf.Scalar[];
  /** alpha_cql * gap_j, or alpha' * (alpha_cql * gap_j - targetActionGap) in the Lagrange version, per critic. */
  conservative: tf.Scalar[];
}

export class CQL extends SoftActorCritic<CQLConfig> {
  /** log alpha' of the Lagrange version (present, but unused, with a fixed alpha). */
  readonly logAlphaPrime: tf.Variable;
  private readonly alphaPrimeOptimizer: Adam | null;
  /** -log volume(box): the log-density of the uniform proposal. */
  readonly uniformLogDensity: number;

  constructor(init: LearnerInit<CQLConfig>) {
    super(cqlDefinition, init);
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

  protected override get entropyInBackup(): boolean {
    return this.config.backupEntropy;
  }

  /**
   * The whole critic step of CQL(H). With y the SAC target (`target`) and, per critic j, one pass
   * over the data rows and the 3N proposals a_k of every state:
   *   td_j           = mean_i (Q_j(s_i, a_i) - y_i)^2
   *   gap_j          = mean_i logsumexp_k (Q_j(s_i, a_k) - log mu(a_k)) - mean_i Q_j(s_i, a_i)
   *   conservative_j = alpha_cql * gap_j,  or (Lagrange) alpha' * (alpha_cql * gap_j - targetActionGap)
   *   J_Q            = sum_j (td_j + conservative_j)   (regularizer penalties are added by minimizeCritic)
   * then the Lagrange step J(log alpha') = -alpha' * (alpha_cql * mean_j gap_j - targetActionGap),
   * the gaps held fixed; the critic used alpha' from before it.
   */
  protected override criticStep(batch: BatchTensors, target: SoftTarget): CriticStep {
    const { cqlSamples: n, cqlAlpha, lagrange, targetActionGap } = this.config;
    const size = batch.size;
    const alphaPrime = this.conservativeWeight;
    const { criticInput, logDensities } = this.proposalRows(batch, target.nextPolicy);
    let gapValues: number[] = [];

    const step = this.minimizeCritic(this.criticOptimizer, batch, 'criticLoss', (): CQLCriticLoss => {
      // One pass per critic over the data rows and all 3N proposals of every state.
      const { values, phi } = this.critics.valuesWithFeaturesOfInput(criticInput);
      const features = { phi: tf.slice(phi, [0, 0], [size, -1]) as tf.Tensor2D, phiNext: () => this.critics.features(batch.nextObservations, target.nextAction) };
      const qData: tf.Tensor1D[] = [];
      const td: tf.Scalar[] = [];
      const gaps: tf.Scalar[] = [];
      const conservative: tf.Scalar[] = [];
      let total = tf.scalar(0);
      let penalty = tf.scalar(0);
      for (const qAll of values) {
        const q = tf.slice(qAll, [0], [size]) as tf.Tensor1D; // Q_j(s_i, a_i)
        const qProposals = tf.reshape(tf.slice(qAll, [size], [-1]), [size, 3 * n]); // Q_j(s_i, a_k)
        const gap = tf.sub(tf.mean(tf.logSumExp(tf.sub(qProposals, logDensities), 1)), tf.mean(q)) as tf.Scalar;
        const conservativeTerm = (lagrange ? tf.mul(alphaPrime, tf.sub(tf.mul(cqlAlpha, gap), targetActionGap)) : tf.mul(alphaPrime, gap)) as tf.Scalar;
        const tdTerm = mse(q, target.y);
        qData.push(q);
        gaps.push(gap);
        conservative.push(conservativeTerm);
        td.push(tdTerm);
        penalty = tf.add(penalty, conservativeTerm) as tf.Scalar;
        total = tf.add(total, tf.add(tdTerm, conservativeTerm)) as tf.Scalar;
      }
      // Read here, while the tensors live: the Lagrange step below holds them fixed.
      if (lagrange) gapValues = gaps.map((g) => g.dataSync()[0]!);
      return {
        total,
        td,
        gaps,
        conservative,
        report: { qMean: tf.mean(qData[0]!), targetMean: tf.mean(target.y), cqlPenalty: penalty, cqlGap: tf.div(tf.addN(gaps), gaps.length) },
        features: { ...features, q: qData[0]! },
      };
    });
    step.metrics.alphaPrime = alphaPrime;

    if (this.alphaPrimeOptimizer) {
      const meanGap = gapValues.reduce((x, g) => x + g, 0) / gapValues.length;
      renameLoss(
        this.alphaPrimeOptimizer.minimize(() => ({
          loss: tf.neg(tf.mul(tf.clipByValue(tf.exp(this.logAlphaPrime), 0, MAX_ALPHA_PRIME), cqlAlpha * meanGap - targetActionGap)) as tf.Scalar,
        })),
        'alphaPrimeLoss',
        step.metrics,
      );
    }
    return step;
  }

  /** During the first `bcSteps` updates the actor clones the data, log pi(a|s) (the authors' policy_eval_start); then as SAC. */
  protected override actorObjective(batch: BatchTensors, sampled: tf.Tensor2D): tf.Tensor1D {
    return this.updates < this.config.bcSteps ? this.actor.logProb(batch.observations, batch.actions) : super.actorObjective(batch, sampled);
  }

  /**
   * The critic input of one update and the proposals' log-densities. Rows 0..B-1 are the data
   * [s_i, a_i]; then, for each state i, its 3N proposals [s_i, a_k]: N uniform, N from pi(.|s_i),
   * N from pi(.|s'_i), in that order. logDensities [B, 3N] holds log mu(a_k) in the same order.
   * pi's mean and log-std are computed once per state and repeated for its N samples.
   */
  private proposalRows(batch: BatchTensors, atNext: SoftTarget['nextPolicy']): { criticInput: tf.Tensor2D; logDensities: tf.Tensor2D } {
    const n = this.config.cqlSamples;
    const { size, observations: s, actions: a } = batch;
    const actionDim = this.actionDim;
    const uniformActions = this.uniformActions(size * n);
    const noiseAtS = normalNoise(this.rng, size * n, actionDim);
    const noiseAtNext = normalNoise(this.rng, size * n, actionDim);
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

export const cqlDefinition = defineLearner({
  algo: 'cql',
  configName: 'CQL',
  description: 'Conservative Q-Learning on SAC: importance-sampled logsumexp penalty, fixed or Lagrange alpha (Box actions, offline)',
  schema: CQL_SCHEMA,
  defaults: CQL_DEFAULTS,
  actionKinds: ['box'],
  create: (init) => new CQL(init),
});
