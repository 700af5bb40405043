/**
 * The logits at many queries of a classifier adapted by one SGD step each, without building the
 * adapted weights.
 *
 * Query b's inner batch is shared data points j = 1..M (inputs x_j, labels y_j, weights w_bj)
 * plus the query itself (label y_b, weight u_b); its loss is sum_j c_bj l_j + c_b l_b with
 * c = w / (sum_j w_bj + u_b). For layer l (z_l = a_{l-1} W_l + b_l, a_l = relu(z_l)) the
 * gradient of that loss is a sum of outer products,
 *   dW_l = sum_j c_bj a_{l-1,j}^T d_{l,j} + c_b a_{l-1,b}^T d_{l,b},   db_l = sum_j c_bj d_{l,j} + c_b d_{l,b},
 * where d_{l,j} = dl_j / dz_l is point j's back-propagated error under the meta-weights (the
 * same for every query: the weights only scale it). So at an input h of the adapted layer,
 *   h (W_l - lr dW_l) + (b_l - lr db_l)
 *     = h W_l + b_l - lr [ sum_j c_bj (h . a_{l-1,j} + 1) d_{l,j} + c_b (h . a_{l-1,b} + 1) d_{l,b} ],
 * a few [B, M] and [M, width] matrix products per layer instead of B copies of W_l.
 *
 * With two logits the query's own error for a label y is a multiple of one vector:
 * softmax(z_L) - [1 - y, y] = (p1 - y) [-1, 1], and back-propagation is linear at fixed ReLU
 * masks, so d_{l,b}(y) = (p1_b - y) g_{l,b} with g the error of [-1, 1]. The query's forward and
 * backward passes are therefore done once for every label it is adapted towards; only the adapted
 * forward pass is done per label.
 */
import * as tf from '@tensorflow/tfjs-core';
import { MlpClassifier } from './classifier.js';
import type { ParamRecord } from '@bellman/nn';
import { param } from '@bellman/nn';

/** One batch of adaptation problems: B queries sharing M labelled points. */
export interface AdaptationProblems {
  /** The queries [B, d]. */
  queries: tf.Tensor2D;
  /** The weight of each query in its own inner batch [B]. */
  queryWeights: tf.Tensor1D;
  /** The shared labelled points [M, d] and their P(label 1) [M]. */
  dataPoints: tf.Tensor2D;
  dataLabels: tf.Tensor1D;
  /** The weight of data point j in query b's batch [B, M]. */
  dataWeights: tf.Tensor2D;
}

interface LayerTrace {
  /** The layer's inputs a_{l-1} [N, in]. */
  inputs: tf.Tensor2D;
  /** Its pre-activations z_l [N, out]. */
  preActivations: tf.Tensor2D;
}

/** Forward pass of a two-logit MLP classifier keeping each layer's inputs and pre-activations. */
function trace(classifier: MlpClassifier, params: ParamRecord, x: tf.Tensor2D): LayerTrace[] {
  const layers: LayerTrace[] = [];
  let h = x;
  classifier.layers.forEach((_, i) => {
    const { weight, bias } = MlpClassifier.layerNames(i);
    const z = tf.add(tf.matMul(h, param(params, weight, 'adaptedLogits') as tf.Tensor2D), param(params, bias, 'adaptedLogits')) as tf.Tensor2D;
    layers.push({ inputs: h, preActivations: z });
    h = i < classifier.layers.length - 1 ? tf.relu(z) : z;
  });
  return layers;
}

/**
 * d l / d z_l for every layer when the output error is `outputErrors` [N, 2]: back through the
 * weights and the ReLUs (for a soft-label cross-entropy, softmax(z_L) - [1 - y, y]).
 */
function backpropagate(classifier: MlpClassifier, params: ParamRecord, layers: LayerTrace[], outputErrors: tf.Tensor2D): tf.Tensor2D[] {
  const last = layers.length - 1;
  const errors: tf.Tensor2D[] = new Array(layers.length);
  errors[last] = outputErrors;
  for (let l = last - 1; l >= 0; l--) {
    // d_{l+1} W_{l+1}^T as a transposed product: on wasm, Bellman's matMul transposes with SIMD, 4-5x faster than tf.transpose
    const back = tf.matMul(errors[l + 1]!, param(params, MlpClassifier.layerNames(l + 1).weight, 'adaptedLogits') as tf.Tensor2D, false, true);
    errors[l] = tf.mul(back, tf.step(layers[l]!.preActivations)) as tf.Tensor2D;
  }
  return errors;
}

/** softmax(z_L) - [1 - y, y] per row. */
function crossEntropyOutputErrors(layers: LayerTrace[], labels: tf.Tensor1D): tf.Tensor2D {
  return tf.sub(tf.softmax(layers[layers.length - 1]!.preActivations), tf.stack([tf.sub(1, labels), labels], 1)) as tf.Tensor2D;
}

/**
 * For each label y of `labels` (P(label 1)), the logits [B, 2] at each query of the classifier
 * adapted by one SGD step of rate `lr` on that query's inner batch with the query labelled y (see
 * the file note). Equal, to float32 rounding, to copying the parameters, taking the step on that
 * one batch and evaluating at that query.
 */
export function adaptedLogitsAtQueries(classifier: MlpClassifier, params: ParamRecord, problems: AdaptationProblems, labels: readonly number[], lr: number): tf.Tensor2D[] {
  if (classifier.config.outputs !== 2) throw new Error('adaptedLogitsAtQueries: the classifier must have two logits');
  return tf.tidy(() => {
    const { queries, queryWeights, dataPoints, dataLabels, dataWeights } = problems;
    const dataTrace = trace(classifier, params, dataPoints);
    const dataErrors = backpropagate(classifier, params, dataTrace, crossEntropyOutputErrors(dataTrace, dataLabels));
    const queryTrace = trace(classifier, params, queries);
    const queryP1 = tf.squeeze(tf.slice(tf.softmax(queryTrace[queryTrace.length - 1]!.preActivations), [0, 1], [-1, 1]), [1]);
    // g_l: the query's back-propagated error of the output error [-1, 1]
    const unitErrors = backpropagate(classifier, params, queryTrace, tf.tile(tf.tensor2d([[-1, 1]]), [queries.shape[0], 1]) as tf.Tensor2D);
    const total = tf.add(tf.sum(dataWeights, 1), queryWeights);
    const dataCoefficients = tf.div(dataWeights, tf.expandDims(total, 1)); // c_bj
    const queryCoefficients = tf.div(queryWeights, total); // c_b
    return labels.map((label) => {
      const queryErrorScale = tf.mul(queryCoefficients, tf.sub(queryP1, label)); // c_b (p1_b - y)
      let h: tf.Tensor2D = queries;
      let z: tf.Tensor2D = queries;
      classifier.layers.forEach((_, l) => {
        const { weight, bias } = MlpClassifier.layerNames(l);
        const base = tf.add(tf.matMul(h, param(params, weight, 'adaptedLogits') as tf.Tensor2D), param(params, bias, 'adaptedLogits'));
        // data part: (c ∘ (h a_j^T + 1)) d_l
        const dataScale = tf.mul(dataCoefficients, tf.add(tf.matMul(h, dataTrace[l]!.inputs, false, true), 1)) as tf.Tensor2D;
        const dataCorrection = tf.matMul(dataScale, dataErrors[l]!);
        // the query's own part: c_b (h . a_{l-1,b} + 1) (p1_b - y) g_{l,b}
        const queryScale = tf.mul(queryErrorScale, tf.add(tf.sum(tf.mul(h, queryTrace[l]!.inputs), 1), 1));
        const queryCorrection = tf.mul(tf.expandDims(queryScale, 1), unitErrors[l]!);
        z = tf.sub(base, tf.mul(tf.add(dataCorrection, queryCorrection), lr)) as tf.Tensor2D;
        h = l < classifier.layers.length - 1 ? (tf.relu(z) as tf.Tensor2D) : z;
      });
      return z;
    });
  });
}
