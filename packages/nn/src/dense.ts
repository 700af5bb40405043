import * as tf from '@tensorflow/tfjs-core';
import type { Rng } from '@bellman/core';
import { activate } from './activations.js';
import type { ActivationName } from './activations.js';
import { Layer, param, uniformVariable } from './module.js';
import type { ParamRecord } from './module.js';
import { dense } from './nn.js';

export interface DenseConfig {
  inputDim: number;
  outputDim: number;
  /** Applied to x W + b; 'linear' by default. */
  activation?: ActivationName;
}

/**
 * A fully connected layer over the last axis of [..., inputDim]: variables `weight`
 * [inputDim, outputDim] (the transpose of PyTorch's nn.Linear weight) and `bias`, initialised as
 * nn.Linear, U(-1/sqrt(inputDim), 1/sqrt(inputDim)). Runs Bellman's fused dense kernel where the
 * backend has it.
 */
export class Dense extends Layer {
  readonly config: Required<DenseConfig>;

  constructor(config: DenseConfig, rng: Rng) {
    super();
    for (const key of ['inputDim', 'outputDim'] as const) {
      if (!Number.isInteger(config[key]) || config[key] <= 0) throw new RangeError(`Dense: ${key} must be a positive integer, got ${config[key]}`);
    }
    this.config = { activation: 'linear', ...config };
    const bound = 1 / Math.sqrt(config.inputDim);
    this.own.set('weight', uniformVariable(rng, [config.inputDim, config.outputDim], bound, 'dense/weight'));
    this.own.set('bias', uniformVariable(rng, [config.outputDim], bound, 'dense/bias'));
  }

  applyWith(params: ParamRecord, x: tf.Tensor): tf.Tensor {
    const { inputDim, outputDim, activation } = this.config;
    if (x.rank < 1 || x.shape[x.rank - 1] !== inputDim) throw new Error(`Dense: expected [..., ${inputDim}], got [${x.shape}]`);
    const w = param(params, 'weight', 'Dense');
    const b = param(params, 'bias', 'Dense');
    return tf.tidy(() => {
      const rows = x.rank === 2 ? (x as tf.Tensor2D) : (tf.reshape(x, [-1, inputDim]) as tf.Tensor2D);
      const fusedActivation = activation === 'relu' || activation === 'tanh' || activation === 'elu' ? activation : 'linear';
      const y = activate(dense(rows, w, b, fusedActivation), fusedActivation === activation ? 'linear' : activation);
      return x.rank === 2 ? y : tf.reshape(y, [...x.shape.slice(0, -1), outputDim]);
    });
  }
}
