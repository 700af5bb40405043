/**
 * The success classifiers behind every reward model here: an MLP of ReLU layers over the
 * observation, with one output (VICE's logit f(s)) or two (meta-NML's and CNML's logits over
 * the labels 0 and 1), and the weighted losses they are fitted with.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Rng } from '@bellman/core';
import { Dense, Sequential, logSoftmax, paramsOf, type ParamRecord } from '@bellman/nn';

export interface MlpClassifierConfig {
  /** Widths of the ReLU hidden layers. */
  hiddenSizes: number[];
  /** 1: a single logit f(s) (p = sigmoid(f)); 2: logits over the labels 0 and 1 (p = softmax). */
  outputs: 1 | 2;
}

/**
 * An MLP x -> logits. Layer i's variables are `i.weight` ([in, out], x W + b) and `i.bias`, so a
 * parameter record of the same names (adapted weights) can stand in for them.
 */
export class MlpClassifier {
  readonly net: Sequential;
  readonly layers: Dense[];

  constructor(
    readonly inputDim: number,
    readonly config: MlpClassifierConfig,
    rng: Rng,
  ) {
    const widths = [inputDim, ...config.hiddenSizes, config.outputs];
    this.layers = widths.slice(1).map((outputDim, i) => new Dense({ inputDim: widths[i]!, outputDim, activation: i < widths.length - 2 ? 'relu' : 'linear' }, rng));
    this.net = new Sequential(this.layers);
  }

  /** Logits [N, outputs] on the classifier's own weights, or on `params` of the same names. */
  logits(x: tf.Tensor2D, params: ParamRecord = paramsOf(this.net)): tf.Tensor2D {
    return this.net.applyWith(params, x) as tf.Tensor2D;
  }

  params(): ParamRecord {
    return paramsOf(this.net);
  }

  variables(): tf.Variable[] {
    return [...this.net.namedVariables().values()];
  }

  /** Names of layer i's weight and bias in a parameter record. */
  static layerNames(i: number): { weight: string; bias: string } {
    return { weight: `${i}.weight`, bias: `${i}.bias` };
  }

  dispose(): void {
    this.net.dispose();
  }
}

/** Labelled points with per-point weights, for a weighted cross-entropy. */
export interface WeightedBatch {
  points: tf.Tensor2D;
  /** P(label 1) per point. */
  labels: tf.Tensor1D;
  weights: tf.Tensor1D;
}

/**
 * Weighted soft-label cross-entropy of two-logit outputs: sum_i w_i l_i / sum_i w_i with
 * l_i = -sum_k y_ik log softmax(z_i)_k, where `labels` is P(label 1) per row (y_i = [1 - p, p]).
 */
export function weightedCrossEntropy(logits: tf.Tensor2D, labels: tf.Tensor1D, weights: tf.Tensor1D): tf.Scalar {
  return tf.tidy(() => {
    // nn's logSoftmax: tfjs's own drops second-order terms, which meta-NML's meta-gradient needs
    const logProbs = logSoftmax(logits);
    const [logP0, logP1] = tf.split(logProbs, 2, 1) as [tf.Tensor2D, tf.Tensor2D];
    const perPoint = tf.neg(tf.add(tf.mul(tf.sub(1, labels), tf.squeeze(logP0, [1])), tf.mul(labels, tf.squeeze(logP1, [1]))));
    return tf.div(tf.sum(tf.mul(weights, perPoint)), tf.sum(weights)) as tf.Scalar;
  });
}

/** Mean binary cross-entropy of single logits against P(label 1) per row: softplus(-f) y + softplus(f) (1 - y). */
export function binaryCrossEntropy(logits: tf.Tensor1D, labels: tf.Tensor1D): tf.Scalar {
  return tf.tidy(() => tf.mean(tf.add(tf.mul(labels, tf.softplus(tf.neg(logits))), tf.mul(tf.sub(1, labels), tf.softplus(logits)))) as tf.Scalar);
}

/**
 * The locality weights of meta-NML's batches: w = exp(-decay * ||x - q|| / scale) for each row
 * of `points` [N, d] around each query of `queries` [Q, d]; [Q, N].
 */
export function distanceWeights(queries: tf.Tensor2D, points: tf.Tensor2D, decay: number, scale: number): tf.Tensor2D {
  return tf.tidy(() => {
    // exact differences (not |q|^2 - 2 q.x + |x|^2, whose rounding moves a point at the query off weight 1)
    const diff = tf.sub(tf.expandDims(queries, 1), tf.expandDims(points, 0));
    return tf.exp(tf.mul(tf.sqrt(tf.sum(tf.square(diff), 2)), -decay / scale)) as tf.Tensor2D;
  });
}
