import * as tf from '@tensorflow/tfjs-core';
import type { ParamRecord } from './module.js';
import { registerSecondOrderGradients } from './second-order.js';

/** The value of a scalar loss of explicit parameter tensors and its gradient with respect to each. */
export interface ValueAndGrads {
  value: tf.Scalar;
  grads: ParamRecord;
}

/**
 * d loss / d params for tensors that need not be Variables (tfjs's tf.grads over the record's
 * entries). A parameter the loss does not reach gets a zero gradient. Called while an outer
 * gradient is being recorded, the computation of these gradients is itself recorded, so the
 * outer gradient differentiates through them (second order). The first call registers
 * registerSecondOrderGradients(), without which tfjs drops the second-order terms through tanh,
 * sigmoid, exp, elu and softmax.
 */
export function valueAndGrads(lossFn: (params: ParamRecord) => tf.Scalar, params: ParamRecord): ValueAndGrads {
  registerSecondOrderGradients();
  const names = Object.keys(params);
  if (names.length === 0) throw new Error('valueAndGrads: no parameters given');
  const xs = names.map((n) => params[n]!);
  const { value, grads } = tf.engine().gradients(() => {
    const loss = lossFn(params);
    if (loss.rank !== 0) throw new Error(`valueAndGrads: the loss must be a scalar, got shape [${loss.shape}]`);
    return loss;
  }, xs, undefined, true);
  const out: ParamRecord = {};
  names.forEach((n, i) => {
    out[n] = grads[i] ?? tf.zerosLike(xs[i]!);
  });
  return { value: value as tf.Scalar, grads: out };
}

/** Only the gradients of `valueAndGrads`. */
export function gradsOf(lossFn: (params: ParamRecord) => tf.Scalar, params: ParamRecord): ParamRecord {
  const { value, grads } = valueAndGrads(lossFn, params);
  value.dispose();
  return grads;
}

export interface InnerStepOptions {
  /**
   * Treat the inner gradient as a constant (first-order MAML): the adapted parameters depend on
   * the originals only through the identity. Its values are read back and rebuilt as new
   * tensors, which cuts them from any outer gradient (a synchronous read on cpu and wasm).
   */
  firstOrder?: boolean;
}

/**
 * One gradient step on an inner loss: params - lr * d innerLoss / d params. Inside an outer
 * gradient (tf.grads, Adam.minimize, valueAndGrads) the outer loss of the adapted parameters is
 * differentiated back to `params` through the inner gradient, Hessian-vector terms included
 * (second-order MAML), unless `firstOrder` is set.
 */
export function innerStep(params: ParamRecord, innerLoss: (params: ParamRecord) => tf.Scalar, lr: number, options: InnerStepOptions = {}): ParamRecord {
  if (!Number.isFinite(lr)) throw new RangeError(`innerStep: lr must be a finite number, got ${lr}`);
  const grads = gradsOf(innerLoss, params);
  const adapted: ParamRecord = {};
  for (const [name, p] of Object.entries(params)) {
    const g = grads[name]!;
    const step = options.firstOrder ? tf.tensor(g.dataSync(), g.shape, g.dtype) : g;
    adapted[name] = tf.sub(p, tf.mul(step, lr));
    if (step !== g) step.dispose();
    g.dispose();
  }
  return adapted;
}
