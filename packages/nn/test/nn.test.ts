import * as tf from '@tensorflow/tfjs';
import { Rng } from '@bellman/core';
import { Mlp, Adam, initBackend } from '../src/index.js';

describe('nn', () => {
  beforeAll(async () => {
    await initBackend({ backend: 'cpu' });
  });

  it('initialises deterministically and exposes penultimate features', () => {
    const a = new Mlp({ inputDim: 3, hiddenSizes: [8, 5], outputDim: 2 }, new Rng(0));
    const b = new Mlp({ inputDim: 3, hiddenSizes: [8, 5], outputDim: 2 }, new Rng(0));
    const x = tf.tensor2d([[0.1, -0.2, 0.3]]);
    const { output, features } = a.forwardWithFeatures(x);
    expect(features.shape).toEqual([1, 5]);
    expect(output.shape).toEqual([1, 2]);
    expect(Array.from(b.forward(x).dataSync())).toEqual(Array.from(output.dataSync()));
    // The head is exactly phi W + b.
    const manual = tf.add(tf.matMul(features, a.weights[2]!), a.biases[2]!);
    expect(Array.from(manual.dataSync())).toEqual(Array.from(output.dataSync()).map((v) => expect.closeTo(v, 6)));
  });

  it('Adam matches the PyTorch update rule on a one-parameter problem', () => {
    // minimise (w - 3)^2 from w = 0, lr 0.1: after step 1, w = 0.1 exactly (m/sqrt(v) = 1 after bias correction).
    const w = tf.variable(tf.scalar(0), true, 'adam-test-w');
    const opt = new Adam([w], { learningRate: 0.1 });
    const m1 = opt.minimize(() => ({ loss: tf.square(tf.sub(w, 3)) as tf.Scalar }));
    expect(m1.loss).toBeCloseTo(9, 6);
    expect(w.dataSync()[0]).toBeCloseTo(0.1, 6);
    // Step 2 by hand: g1=-6, g2=-5.8; m=0.9*(-0.6)+0.1*(-5.8) ... computed in float64.
    const b1 = 0.9, b2 = 0.999, g1 = -6, g2 = 2 * (0.1 - 3);
    const m = (1 - b1) * (b1 * g1 + g2);
    const v = (1 - b2) * (b2 * g1 * g1 + g2 * g2);
    const expected = 0.1 - (0.1 / (1 - b1 ** 2)) * (m / (Math.sqrt(v) / Math.sqrt(1 - b2 ** 2) + 1e-8));
    opt.minimize(() => ({ loss: tf.square(tf.sub(w, 3)) as tf.Scalar }));
    expect(w.dataSync()[0]).toBeCloseTo(expected, 5);
  });

  it('serialises weights and optimizer state exactly', () => {
    const net = new Mlp({ inputDim: 2, hiddenSizes: [4], outputDim: 1 }, new Rng(5), 'ser');
    const opt = new Adam(net.variables, { learningRate: 0.01 });
    const x = tf.tensor2d([[1, 2], [3, -1]]);
    opt.minimize(() => ({ loss: tf.mean(tf.square(net.forward(x))) as tf.Scalar }));
    const saved = net.serialize();
    const savedOpt = opt.serialize();
    const other = new Mlp({ inputDim: 2, hiddenSizes: [4], outputDim: 1 }, new Rng(99), 'ser2');
    other.deserialize(saved, 'ser');
    expect(Array.from(other.forward(x).dataSync())).toEqual(Array.from(net.forward(x).dataSync()));
    const opt2 = new Adam(other.variables, { learningRate: 0.01 });
    opt2.deserialize(savedOpt);
    expect(opt2.steps).toBe(1);
    opt.minimize(() => ({ loss: tf.mean(tf.square(net.forward(x))) as tf.Scalar }));
    opt2.minimize(() => ({ loss: tf.mean(tf.square(other.forward(x))) as tf.Scalar }));
    expect(Array.from(other.forward(x).dataSync())).toEqual(Array.from(net.forward(x).dataSync()));
  });
});
