/**
 * meta-NML (MURAL, Li et al. 2021): a classifier meta-trained with MAML so that one SGD step on
 * (labelled data + a query with a proposed label) approximates refitting on them, which makes
 * CNML's reward p1 / (p0 + p1) affordable.
 *
 * Task (query q, label y), on the labelled set D (N points, balanced):
 *   inner batch   B_q = {(q, y), weight 1 / ceil(N / innerBatchSize)} + (innerBatchSize - 1) points of D,
 *                 each weighted w(x) = exp(-distanceDecay * ||x - q|| / distanceScale)
 *   inner step    theta'  = theta - innerLearningRate * grad L_{B_q}(theta),  L = sum w l / sum w
 *   outer loss    L_out   = L over outerPointsPerLabel positives + as many negatives of D (weighted
 *                 by w) + (q, y) at weight outerQueryWeight, at theta' (second order through the step)
 *   meta-step     Adam on the mean of grad_theta L_out over tasksPerStep tasks
 * One update (a meta-epoch) runs the 2 x queriesPerEpoch tasks of queriesPerEpoch states of D: half
 * positives and half negatives (the public maze setting), or negatives only.
 * Reward at q: p_y = softmax(f_{theta'_y}(q))_y after one step towards each label, r = p1 / (p0 + p1),
 * for a whole batch of queries at once (one-step-adaptation.ts), the inner batch's data points
 * shared by the batch.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { ConfigSchema, Metrics, RewardBatch } from '@bellman/core';
import { innerStep, valueAndGrads, type ParamRecord } from '@bellman/nn';
import { MlpClassifier, distanceWeights, weightedCrossEntropy, type WeightedBatch } from './classifier.js';
import { LabelledSet, pickRows, sampleWithoutReplacement } from './labelled-set.js';
import { adaptedLogitsAtQueries } from './one-step-adaptation.js';
import { ClassifierRewardModel, type RewardModelInit } from './reward-model-base.js';

export interface MetaNmlConfig {
  /** Hidden ReLU widths of the two-logit classifier. */
  hiddenSizes: number[];
  /** SGD rate of the one adaptation step. */
  innerLearningRate: number;
  /** Points in an inner batch: the query plus innerBatchSize - 1 labelled points. */
  innerBatchSize: number;
  /** Query states per meta-epoch, drawn from the labelled set; each makes two tasks, one per label. */
  queriesPerEpoch: number;
  /** Draw half the queries from the positives (the public maze setting); false: negatives (replay states) only. */
  queriesFromPositives: boolean;
  /** Tasks whose meta-gradients are averaged into one Adam step. */
  tasksPerStep: number;
  outerLearningRate: number;
  /** Positives (and as many negatives) in each task's outer loss. */
  outerPointsPerLabel: number;
  /** The query's weight in the outer loss. */
  outerQueryWeight: number;
  /** Locality weights exp(-distanceDecay * ||x - q|| / distanceScale). */
  distanceDecay: number;
  distanceScale: number;
  /** Differentiate through the inner gradient (second-order MAML); false: first-order. */
  secondOrder: boolean;
}

/** The public implementation's defaults for the 2-D mazes. */
export const META_NML_DEFAULTS: Readonly<MetaNmlConfig> = Object.freeze({
  hiddenSizes: [2048, 2048],
  innerLearningRate: 0.01,
  innerBatchSize: 64,
  queriesPerEpoch: 256,
  queriesFromPositives: true,
  tasksPerStep: 16,
  outerLearningRate: 1e-3,
  outerPointsPerLabel: 1023,
  outerQueryWeight: 0.5,
  distanceDecay: 2.3,
  distanceScale: 0.5,
  secondOrder: true,
});

const POSITIVE = { type: 'number', min: 0, exclusiveMin: true } as const;
const COUNT = { type: 'number', min: 1, integer: true } as const;

export const META_NML_SCHEMA: ConfigSchema<MetaNmlConfig> = {
  hiddenSizes: { type: 'integerArray', minLength: 1 },
  innerLearningRate: POSITIVE,
  innerBatchSize: { type: 'number', min: 2, integer: true },
  queriesPerEpoch: COUNT,
  queriesFromPositives: { type: 'boolean' },
  tasksPerStep: COUNT,
  outerLearningRate: POSITIVE,
  outerPointsPerLabel: COUNT,
  outerQueryWeight: POSITIVE,
  distanceDecay: { type: 'number', min: 0 },
  distanceScale: POSITIVE,
  secondOrder: { type: 'boolean' },
};

/** One meta-learning task: the batch of the inner step and the batch the adapted model is judged on. */
export interface MetaTask {
  inner: WeightedBatch;
  outer: WeightedBatch;
}

/**
 * L_out(theta - innerLearningRate * grad L_inner(theta)): the outer weighted cross-entropy at
 * the weights one SGD step on the inner batch gives. Differentiating it with respect to
 * `params` goes through the inner gradient when `secondOrder` (MAML), around it otherwise.
 */
export function metaTaskLoss(classifier: MlpClassifier, params: ParamRecord, task: MetaTask, innerLearningRate: number, secondOrder: boolean): tf.Scalar {
  return tf.tidy(() => {
    const { inner, outer } = task;
    const adapted = innerStep(params, (p) => weightedCrossEntropy(classifier.logits(inner.points, p), inner.labels, inner.weights), innerLearningRate, { firstOrder: !secondOrder });
    return weightedCrossEntropy(classifier.logits(outer.points, adapted), outer.labels, outer.weights);
  });
}

/** p0 and p1 at each query: the probability each one-step adapted model gives its own label. */
export interface AdaptedProbabilities {
  p0: Float32Array;
  p1: Float32Array;
}

export class MetaNmlRewardModel extends ClassifierRewardModel<MetaNmlConfig> {
  readonly kind = 'meta-nml';

  constructor(init: RewardModelInit<MetaNmlConfig>) {
    super('metaNml', init, META_NML_SCHEMA, META_NML_DEFAULTS, (c) => ({ hiddenSizes: c.hiddenSizes, outputs: 2 }), (c) => c.outerLearningRate);
  }

  /** The query's weight in its own inner batch: 1 / ceil(N / innerBatchSize). */
  private innerQueryWeight(labelled: LabelledSet): number {
    return 1 / Math.ceil(labelled.size / this.config.innerBatchSize);
  }

  /** One meta-epoch on the labelled set positives + negatives, the queries drawn from it (see queriesFromPositives). */
  update(positives: RewardBatch, negatives: RewardBatch): Metrics {
    const labelled = LabelledSet.fromBatches(positives, negatives, this.kind);
    this.labelled = labelled;
    const c = this.config;
    const positiveQueries = c.queriesFromPositives ? Math.floor(c.queriesPerEpoch / 2) : 0;
    const queryRows = [...pickRows(labelled.negativeRows, c.queriesPerEpoch - positiveQueries, this.rng), ...pickRows(labelled.positiveRows, positiveQueries, this.rng)];
    const tasks: Array<readonly [number, 0 | 1]> = [...queryRows.map((row) => [row, 0] as const), ...queryRows.map((row) => [row, 1] as const)];
    const order = sampleWithoutReplacement(tasks.length, tasks.length, this.rng);
    const params = this.classifier.params();
    const names = Object.keys(params);
    let lossSum = 0;
    for (let start = 0; start < order.length; start += c.tasksPerStep) {
      const group = Array.from(order.subarray(start, start + c.tasksPerStep), (i) => tasks[i]!);
      const summed = names.map((name) => tf.zerosLike(params[name]!));
      for (const [row, label] of group) {
        const { value, grads } = this.metaGradient(labelled, params, row, label);
        lossSum += value;
        names.forEach((name, i) => {
          const next = tf.add(summed[i]!, grads[name]!);
          summed[i]!.dispose();
          grads[name]!.dispose();
          summed[i] = next;
        });
      }
      const means = summed.map((g) => tf.div(g, group.length));
      tf.dispose(summed);
      // `names` follow namedVariables(), as the optimiser's variables do
      this.optimizer.applyGradients(means);
      tf.dispose(means);
    }
    this.updates += 1;
    return { meta_loss: lossSum / tasks.length, meta_tasks: tasks.length, labelled_points: labelled.size };
  }

  /** The outer loss of task (query row, label) at the adapted weights, and its gradient with respect to the meta-weights. */
  private metaGradient(labelled: LabelledSet, params: ParamRecord, queryRow: number, label: 0 | 1): { value: number; grads: ParamRecord } {
    const c = this.config;
    const innerRows = sampleWithoutReplacement(labelled.size, c.innerBatchSize - 1, this.rng);
    const outerRows = Int32Array.from([...pickRows(labelled.positiveRows, c.outerPointsPerLabel, this.rng), ...pickRows(labelled.negativeRows, c.outerPointsPerLabel, this.rng)]);
    const query = labelled.gather([queryRow]).points;
    const innerQueryWeight = this.innerQueryWeight(labelled);
    return tf.tidy(() => {
      const q = tf.tensor2d(query, [1, labelled.dim]);
      const inner = this.weightedBatch(labelled, innerRows, q, label, innerQueryWeight);
      const outer = this.weightedBatch(labelled, outerRows, q, label, c.outerQueryWeight);
      const { value, grads } = valueAndGrads((meta) => metaTaskLoss(this.classifier, meta, { inner, outer }, c.innerLearningRate, c.secondOrder), params);
      const loss = value.dataSync()[0]!;
      return { value: loss, grads };
    });
  }

  /** Rows of the labelled set weighted by their distance to q, followed by (q, label) at `queryWeight`. */
  private weightedBatch(labelled: LabelledSet, rows: ArrayLike<number>, q: tf.Tensor2D, label: 0 | 1, queryWeight: number): WeightedBatch {
    return labelled.weightedAround(rows, q, label, queryWeight, this.config.distanceDecay, this.config.distanceScale);
  }

  /** r = p1 / (p0 + p1) at each row's observation, the inner batch's data points drawn once for the batch. */
  rewards(batch: RewardBatch): Float32Array {
    const labelled = this.requireLabelled();
    const dataRows = sampleWithoutReplacement(labelled.size, this.config.innerBatchSize - 1, this.rng);
    const { p0, p1 } = this.adaptedProbabilities(batch, dataRows);
    return p1.map((p, i) => p / (p0[i]! + p));
  }

  /**
   * p0 and p1 at each observation of `batch`, each query's inner batch being the labelled rows
   * `dataRows` plus the query. 'batched' evaluates every adapted model at once without building
   * it; 'copy-and-step' builds each adapted copy with an autograd step, one query at a time
   * (the reference the batched form is tested against, and what it is benchmarked against).
   */
  adaptedProbabilities(batch: RewardBatch, dataRows: ArrayLike<number>, method: 'batched' | 'copy-and-step' = 'batched'): AdaptedProbabilities {
    const labelled = this.requireLabelled();
    const c = this.config;
    const n = batch.size;
    const queryWeight = this.innerQueryWeight(labelled);
    const queries = this.observationsOf(batch);
    try {
      if (method === 'copy-and-step') return this.copyAndStep(labelled, queries, dataRows, queryWeight);
      const probabilities = tf.tidy(() => {
        const data = labelled.toTensors(dataRows);
        const [towards0, towards1] = adaptedLogitsAtQueries(
          this.classifier,
          this.classifier.params(),
          {
            queries,
            queryWeights: tf.fill([n], queryWeight) as tf.Tensor1D,
            dataPoints: data.points,
            dataLabels: data.labels,
            dataWeights: distanceWeights(queries, data.points, c.distanceDecay, c.distanceScale),
          },
          [0, 1],
          c.innerLearningRate,
        );
        // p0 from the model adapted towards label 0, p1 from the one adapted towards 1
        return tf.concat([tf.slice(tf.softmax(towards0!), [0, 0], [n, 1]), tf.slice(tf.softmax(towards1!), [0, 1], [n, 1])], 1);
      });
      const values = probabilities.dataSync() as Float32Array;
      probabilities.dispose();
      const p0 = new Float32Array(n);
      const p1 = new Float32Array(n);
      for (let i = 0; i < n; i++) {
        p0[i] = values[2 * i]!;
        p1[i] = values[2 * i + 1]!;
      }
      return { p0, p1 };
    } finally {
      queries.dispose();
    }
  }

  private copyAndStep(labelled: LabelledSet, queries: tf.Tensor2D, dataRows: ArrayLike<number>, queryWeight: number): AdaptedProbabilities {
    const n = queries.shape[0];
    const p = [new Float32Array(n), new Float32Array(n)] as const;
    const params = this.classifier.params();
    for (let i = 0; i < n; i++) {
      for (const label of [0, 1] as const) {
        const value = tf.tidy(() => {
          const q = tf.slice(queries, [i, 0], [1, labelled.dim]) as tf.Tensor2D;
          const inner = this.weightedBatch(labelled, dataRows, q, label, queryWeight);
          const copy = Object.fromEntries(Object.entries(params).map(([name, t]) => [name, tf.clone(t)]));
          const adapted = innerStep(copy, (w) => weightedCrossEntropy(this.classifier.logits(inner.points, w), inner.labels, inner.weights), this.config.innerLearningRate, { firstOrder: true });
          return tf.softmax(this.classifier.logits(q, adapted));
        });
        p[label][i] = value.dataSync()[label]!;
        value.dispose();
      }
    }
    return { p0: p[0], p1: p[1] };
  }
}

/** A meta-NML reward model (see the file note); `config` overrides META_NML_DEFAULTS. */
export function metaNml(init: RewardModelInit<MetaNmlConfig>): MetaNmlRewardModel {
  return new MetaNmlRewardModel(init);
}
