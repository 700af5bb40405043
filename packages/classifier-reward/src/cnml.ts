/**
 * Conditional normalised maximum likelihood (CNML), the reward MURAL approximates: for a query
 * s and each label y, fit the classifier on the data plus (s, y); p_y is that fit's probability
 * of y at s, and
 *   r(s) = p1 / (p0 + p1).
 * A state unlike the data gets about 0.5 (either label is easy to fit there); one near the
 * examples gets more. Two fits per query: exact, and slow by nature.
 *
 * `cnmlReward` runs the definition over any `ConditionalFit`; `TabularFit` fits one probability
 * per grid cell exactly (CNML is then the Laplace rule (n1 + 1) / (n1 + n0 + 2)), and
 * `CnmlRewardModel` refits a copy of an MLP classifier by SGD for each query and label.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { ConfigSchema, Metrics, RewardBatch } from '@bellman/core';
import { innerStep, type ParamRecord } from '@bellman/nn';
import { weightedCrossEntropy } from './classifier.js';
import { GridCells, type GridSpec } from './grid.js';
import { LabelledSet, sampleWithoutReplacement } from './labelled-set.js';
import { ClassifierRewardModel, type RewardModelInit } from './reward-model-base.js';

/** A model family that can be refitted on its data plus one labelled query. */
export interface ConditionalFit {
  /** The probability of `label` at the query (row `offset` of `query`) under the model fitted to the data plus (query, label). */
  fittedProbability(query: ArrayLike<number>, offset: number, label: 0 | 1): number;
}

/** r = p1 / (p0 + p1) for each of the `count` rows of `queries` [count, dim]. */
export function cnmlReward(fit: ConditionalFit, queries: ArrayLike<number>, count: number, dim: number): Float64Array {
  const out = new Float64Array(count);
  for (let i = 0; i < count; i++) {
    const p0 = fit.fittedProbability(queries, i * dim, 0);
    const p1 = fit.fittedProbability(queries, i * dim, 1);
    out[i] = p1 / (p0 + p1);
  }
  return out;
}

/**
 * A tabular classifier, one P(label 1) per grid cell, fitted exactly: the maximum-likelihood
 * value is the cell's fraction of positives.
 */
export class TabularFit implements ConditionalFit {
  private readonly cells: GridCells;
  private readonly positives: Float64Array;
  private readonly totals: Float64Array;

  constructor(grid: GridSpec, labelled: LabelledSet) {
    this.cells = new GridCells(grid);
    if (this.cells.dim !== labelled.dim) throw new RangeError(`TabularFit: the grid has ${this.cells.dim} dimensions, the data ${labelled.dim}`);
    this.positives = new Float64Array(this.cells.cellCount);
    this.totals = new Float64Array(this.cells.cellCount);
    for (let i = 0; i < labelled.size; i++) {
      const cell = this.cells.cellOf(labelled.points, i * labelled.dim);
      this.positives[cell]! += labelled.labels[i]!;
      this.totals[cell]! += 1;
    }
  }

  /** The maximum-likelihood fit on the data plus (query, label), read at the query's cell. */
  fittedProbability(query: ArrayLike<number>, offset: number, label: 0 | 1): number {
    const cell = this.cells.cellOf(query, offset);
    const positives = this.positives[cell]! + label;
    const total = this.totals[cell]! + 1;
    const pLabel1 = positives / total;
    return label === 1 ? pLabel1 : 1 - pLabel1;
  }
}

export interface CnmlConfig {
  /** Hidden ReLU widths of the two-logit classifier. */
  hiddenSizes: number[];
  /** Adam rate of the classifier's own fit on the labelled set (one step per update). */
  learningRate: number;
  /** SGD steps of each refit, and their rate. */
  refitSteps: number;
  refitLearningRate: number;
  /** Points per refit step: the query plus refitBatchSize - 1 labelled points, drawn afresh each step. */
  refitBatchSize: number;
  /** The query's weight in a refit batch; 0: 1 / ceil(N / refitBatchSize), as meta-NML's inner batch. */
  queryWeight: number;
  /** Data weights exp(-distanceDecay * ||x - q|| / distanceScale) in refit batches (decay 0: all 1). */
  distanceDecay: number;
  distanceScale: number;
}

/** The public implementation's naive reference: 10 SGD steps at 0.01, 31 data points + the query. */
export const CNML_DEFAULTS: Readonly<CnmlConfig> = Object.freeze({
  hiddenSizes: [2048, 2048],
  learningRate: 1e-3,
  refitSteps: 10,
  refitLearningRate: 0.01,
  refitBatchSize: 32,
  queryWeight: 0,
  distanceDecay: 2.3,
  distanceScale: 0.5,
});

export const CNML_SCHEMA: ConfigSchema<CnmlConfig> = {
  hiddenSizes: { type: 'integerArray', minLength: 1 },
  learningRate: { type: 'number', min: 0, exclusiveMin: true },
  refitSteps: { type: 'number', min: 1, integer: true },
  refitLearningRate: { type: 'number', min: 0, exclusiveMin: true },
  refitBatchSize: { type: 'number', min: 2, integer: true },
  queryWeight: { type: 'number', min: 0 },
  distanceDecay: { type: 'number', min: 0 },
  distanceScale: { type: 'number', min: 0, exclusiveMin: true },
};

export class CnmlRewardModel extends ClassifierRewardModel<CnmlConfig> {
  readonly kind = 'cnml';

  constructor(init: RewardModelInit<CnmlConfig>) {
    super('cnml', init, CNML_SCHEMA, CNML_DEFAULTS, (c) => ({ hiddenSizes: c.hiddenSizes, outputs: 2 }), (c) => c.learningRate);
  }

  /** One Adam step of the classifier on positives + negatives (unweighted cross-entropy); they become the data refits use. */
  update(positives: RewardBatch, negatives: RewardBatch): Metrics {
    const labelled = LabelledSet.fromBatches(positives, negatives, this.kind);
    this.labelled = labelled;
    const variables = this.classifier.variables();
    const loss = tf.tidy(() => {
      const x = tf.tensor2d(labelled.points, [labelled.size, labelled.dim]);
      const y = tf.tensor1d(labelled.labels);
      const { value, grads } = tf.variableGrads(() => weightedCrossEntropy(this.classifier.logits(x), y, tf.onesLike(y)), variables);
      this.optimizer.applyGradients(variables.map((v) => grads[v.name]!));
      return value.dataSync()[0]!;
    });
    this.updates += 1;
    return { classifier_loss: loss };
  }

  rewards(batch: RewardBatch): Float32Array {
    return Float32Array.from(cnmlReward(this.sgdRefit(), batch.observations, batch.size, this.observationDim));
  }

  /** A ConditionalFit that copies the classifier and takes `refitSteps` SGD steps on data + query. */
  private sgdRefit(): ConditionalFit {
    const labelled = this.requireLabelled();
    const c = this.config;
    const queryWeight = c.queryWeight > 0 ? c.queryWeight : 1 / Math.ceil(labelled.size / c.refitBatchSize);
    return {
      fittedProbability: (query, offset, label) => {
        const q = this.observationsOf({ size: 1, observationDim: this.observationDim, observations: Float32Array.from({ length: this.observationDim }, (_, k) => query[offset + k]!) });
        let params: ParamRecord = Object.fromEntries(Object.entries(this.classifier.params()).map(([name, t]) => [name, tf.clone(t)]));
        try {
          for (let step = 0; step < c.refitSteps; step++) {
            const rows = sampleWithoutReplacement(labelled.size, c.refitBatchSize - 1, this.rng);
            const next = tf.tidy(() => {
              const refitBatch = labelled.weightedAround(rows, q, label, queryWeight, c.distanceDecay, c.distanceScale);
              return innerStep(params, (p) => weightedCrossEntropy(this.classifier.logits(refitBatch.points, p), refitBatch.labels, refitBatch.weights), c.refitLearningRate);
            });
            tf.dispose(Object.values(params));
            params = next;
          }
          const probs = tf.tidy(() => tf.softmax(this.classifier.logits(q, params)));
          const value = probs.dataSync()[label]!;
          probs.dispose();
          return value;
        } finally {
          tf.dispose(Object.values(params));
          q.dispose();
        }
      },
    };
  }
}

/** An exact-CNML reward model (see the file note); `config` overrides CNML_DEFAULTS. */
export function cnml(init: RewardModelInit<CnmlConfig>): CnmlRewardModel {
  return new CnmlRewardModel(init);
}
