import * as tf from '@tensorflow/tfjs';
import { Rng } from '@bellman/core';
import { Conv1d, ConvTranspose1d, Dense, GroupNorm, LayerNorm, Sequential, initBackend, mish, paramsOf, sinusoidalEmbedding } from '../src/index.js';
import type { Module, ParamRecord } from '../src/index.js';
import { gradientMismatches, waveTensor, weightedSum, ACTIVATIONS } from './helpers.js';

/**
 * Gradients of every layer, with respect to its weights and its input, against central finite
 * differences of a weighted sum of its output (helpers.ts says how the step and the tolerance
 * are chosen). Norm layers get affine parameters away from (1, 0) so that their gradients are
 * not the identity's.
 */

/** The loss of `module` as a function of its weights and its input `x`. */
function moduleLoss(module: Module, seed = 2.5): (p: ParamRecord) => tf.Scalar {
  return (p) => {
    const { x, ...weights } = p;
    return weightedSum(module.applyWith(weights, x!), seed);
  };
}

function perturbedAffine(module: Module): ParamRecord {
  const p = paramsOf(module);
  return {
    weight: tf.add(p.weight!, waveTensor(p.weight!.shape, 3.1, 0.4)),
    bias: tf.add(p.bias!, waveTensor(p.bias!.shape, 3.7, 0.3)),
  };
}

describe.each(['cpu', 'wasm'] as const)('gradients match finite differences on %s', (backend) => {
  beforeAll(async () => {
    await initBackend({ backend });
  });
  afterAll(async () => {
    await initBackend({ backend: 'cpu' });
  });

  const rng = new Rng(7);
  const cases: Array<[string, () => { module: Module; params: ParamRecord }]> = [
    ['Dense (gelu)', () => {
      const module = new Dense({ inputDim: 3, outputDim: 4, activation: 'gelu' }, rng);
      return { module, params: { ...paramsOf(module), x: waveTensor([2, 5, 3], 0.1) } };
    }],
    ['Conv1d (k 3, stride 2, padding 2, dilation 2)', () => {
      const module = new Conv1d({ inChannels: 2, outChannels: 3, kernelSize: 3, stride: 2, padding: 2, dilation: 2 }, rng);
      return { module, params: { ...paramsOf(module), x: waveTensor([2, 7, 2], 0.2) } };
    }],
    ['Conv1d (k 5, padding 2, no bias)', () => {
      const module = new Conv1d({ inChannels: 2, outChannels: 2, kernelSize: 5, padding: 2, bias: false }, rng);
      return { module, params: { ...paramsOf(module), x: waveTensor([1, 6, 2], 0.3) } };
    }],
    ['ConvTranspose1d (k 4, stride 2, padding 1)', () => {
      const module = new ConvTranspose1d({ inChannels: 2, outChannels: 3, kernelSize: 4, stride: 2, padding: 1 }, rng);
      return { module, params: { ...paramsOf(module), x: waveTensor([2, 4, 2], 0.4) } };
    }],
    ['ConvTranspose1d (k 3, stride 3, padding 2, dilation 2, outputPadding 1)', () => {
      const module = new ConvTranspose1d({ inChannels: 2, outChannels: 2, kernelSize: 3, stride: 3, padding: 2, dilation: 2, outputPadding: 1 }, rng);
      return { module, params: { ...paramsOf(module), x: waveTensor([1, 4, 2], 0.5) } };
    }],
    ['GroupNorm (2 groups of 2)', () => {
      const module = new GroupNorm({ groups: 2, channels: 4 });
      return { module, params: { ...perturbedAffine(module), x: waveTensor([2, 3, 4], 0.6, 1.2, 0.3) } };
    }],
    ['LayerNorm', () => {
      const module = new LayerNorm({ features: 4 });
      return { module, params: { ...perturbedAffine(module), x: waveTensor([3, 4], 0.7, 1.2, -0.2) } };
    }],
    ['Sequential: Conv1d, GroupNorm, Mish, Conv1d', () => {
      const module = new Sequential([
        new Conv1d({ inChannels: 2, outChannels: 4, kernelSize: 3, padding: 1 }, rng),
        new GroupNorm({ groups: 2, channels: 4 }),
        mish,
        new Conv1d({ inChannels: 4, outChannels: 1, kernelSize: 3, padding: 1 }, rng),
      ]);
      return { module, params: { ...paramsOf(module), x: waveTensor([2, 5, 2], 0.8) } };
    }],
  ];

  it.each(cases)('%s', (_, make) => {
    const { module, params } = make();
    expect(gradientMismatches(moduleLoss(module), params)).toEqual([]);
    module.dispose();
  });

  it.each(ACTIVATIONS)('%s', (_, fn) => {
    const x = tf.linspace(-4, 4, 17);
    expect(gradientMismatches((p) => weightedSum(fn(p.x!)), { x })).toEqual([]);
  });

  it('sinusoidal embedding, with respect to the timesteps', () => {
    const t = tf.tensor1d([0.3, 1.7, 4.2]);
    expect(gradientMismatches((p) => weightedSum(sinusoidalEmbedding(p.t as tf.Tensor1D, 8)), { t })).toEqual([]);
  });

  it('catches a wrong gradient (sum x^2 with a gradient of x instead of 2x)', () => {
    const halfGradient = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
      const [x, save] = args as [tf.Tensor, tf.GradSaveFunc];
      save([x]);
      return { value: tf.sum(tf.square(x)), gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => tf.mul(dy, saved[0]!) };
    });
    const mismatches = gradientMismatches((p) => halfGradient(p.x!) as tf.Scalar, { x: tf.tensor1d([0.5, -1.5]) });
    expect(mismatches.map((m) => m.index)).toEqual([0, 1]);
  });
});
