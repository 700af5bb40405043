/**
 * The labelled states a classifier reward is fitted on: success examples (label 1) and visited
 * states (label 0), row-major, with the sampling the methods need.
 */
import { UsageError, type RewardBatch, type Rng, type SerializedTensor } from '@bellman/core';
import * as tf from '@tensorflow/tfjs-core';
import { deserializeTensor, serializeTensor } from '@bellman/nn';
import { distanceWeights, type WeightedBatch } from './classifier.js';

export class LabelledSet {
  /** Row indices of the positives and of the negatives. */
  readonly positiveRows: Int32Array;
  readonly negativeRows: Int32Array;

  constructor(
    readonly dim: number,
    /** [size * dim] */
    readonly points: Float32Array,
    /** P(label 1) per row, 0 or 1 here. */
    readonly labels: Float32Array,
  ) {
    if (points.length !== labels.length * dim) throw new RangeError(`LabelledSet: ${points.length} values for ${labels.length} rows of ${dim}`);
    const pos: number[] = [];
    const neg: number[] = [];
    labels.forEach((y, i) => (y >= 0.5 ? pos : neg).push(i));
    this.positiveRows = Int32Array.from(pos);
    this.negativeRows = Int32Array.from(neg);
  }

  get size(): number {
    return this.labels.length;
  }

  /** Positives then negatives, from two reward batches of the set's dimension. */
  static fromBatches(positives: RewardBatch, negatives: RewardBatch, owner: string): LabelledSet {
    const dim = positives.observationDim;
    if (negatives.observationDim !== dim) throw new UsageError(`${owner}: positives have ${dim} dimensions and negatives ${negatives.observationDim}`, { owner });
    for (const [name, batch] of [['positives', positives], ['negatives', negatives]] as const) {
      if (batch.size <= 0) throw new UsageError(`${owner}: update needs at least one of the ${name}`, { owner });
      if (batch.observations.length < batch.size * dim) throw new UsageError(`${owner}: ${name} hold ${batch.observations.length} values for ${batch.size} rows of ${dim}`, { owner });
    }
    const points = new Float32Array((positives.size + negatives.size) * dim);
    points.set(positives.observations.subarray(0, positives.size * dim));
    points.set(negatives.observations.subarray(0, negatives.size * dim), positives.size * dim);
    const labels = new Float32Array(positives.size + negatives.size);
    labels.fill(1, 0, positives.size);
    return new LabelledSet(dim, points, labels);
  }

  /** The rows `rows` as points [n, dim] and labels [n]. */
  gather(rows: ArrayLike<number>): { points: Float32Array; labels: Float32Array } {
    const n = rows.length;
    const points = new Float32Array(n * this.dim);
    const labels = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      const r = rows[i]!;
      points.set(this.points.subarray(r * this.dim, (r + 1) * this.dim), i * this.dim);
      labels[i] = this.labels[r]!;
    }
    return { points, labels };
  }

  toTensors(rows: ArrayLike<number>): { points: tf.Tensor2D; labels: tf.Tensor1D } {
    const { points, labels } = this.gather(rows);
    return { points: tf.tensor2d(points, [rows.length, this.dim]), labels: tf.tensor1d(labels) };
  }

  /**
   * The rows `rows`, each weighted exp(-decay * ||x - q|| / scale) by its distance to the query
   * q [1, dim] (decay 0: all 1), then (q, label) at `queryWeight`: a batch of CNML's refits and
   * meta-NML's tasks.
   */
  weightedAround(rows: ArrayLike<number>, q: tf.Tensor2D, label: 0 | 1, queryWeight: number, decay: number, scale: number): WeightedBatch {
    return tf.tidy(() => {
      const { points, labels } = this.toTensors(rows);
      const weights = tf.squeeze(distanceWeights(q, points, decay, scale), [0]) as tf.Tensor1D;
      return {
        points: tf.concat([points, q]) as tf.Tensor2D,
        labels: tf.concat([labels, tf.tensor1d([label])]) as tf.Tensor1D,
        weights: tf.concat([weights, tf.tensor1d([queryWeight])]) as tf.Tensor1D,
      };
    });
  }

  serialize(): Record<string, SerializedTensor> {
    const points = tf.tensor2d(this.points, [this.size, this.dim]);
    const labels = tf.tensor1d(this.labels);
    const out = { 'labelled.points': serializeTensor(points), 'labelled.labels': serializeTensor(labels) };
    points.dispose();
    labels.dispose();
    return out;
  }

  /** The set stored by `serialize`, or null when the snapshot has none (a model never updated). */
  static deserialize(weights: Record<string, SerializedTensor>): LabelledSet | null {
    const p = weights['labelled.points'];
    const l = weights['labelled.labels'];
    if (!p || !l) return null;
    const points = deserializeTensor(p);
    const labels = deserializeTensor(l);
    const set = new LabelledSet(points.shape[1]!, points.dataSync() as Float32Array, labels.dataSync() as Float32Array);
    points.dispose();
    labels.dispose();
    return set;
  }
}

/** `k` distinct indices of 0..n-1 (all of them, shuffled, when k >= n): a partial Fisher-Yates shuffle. */
export function sampleWithoutReplacement(n: number, k: number, rng: Rng): Int32Array {
  const pool = new Int32Array(n);
  for (let i = 0; i < n; i++) pool[i] = i;
  const m = Math.min(k, n);
  for (let i = 0; i < m; i++) {
    const j = i + rng.int(n - i);
    const t = pool[i]!;
    pool[i] = pool[j]!;
    pool[j] = t;
  }
  return pool.slice(0, m);
}

/** `k` picks from `rows` without replacement (all of them when there are fewer). */
export function pickRows(rows: Int32Array, k: number, rng: Rng): Int32Array {
  return sampleWithoutReplacement(rows.length, k, rng).map((i) => rows[i]!);
}
