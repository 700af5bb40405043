import * as tf from '@tensorflow/tfjs';
import { ConfigError, Rng } from '@bellman/core';
import { initBackend, Mlp, Adam } from '@bellman/nn';
import type { TransitionBatch } from '@bellman/core';
import type { RegularizerContext } from '@bellman/nn';
import { dr3, Dr3Regularizer } from '../src/index.js';

function emptyBatch(size: number): TransitionBatch {
  return {
    size,
    observationDim: 1,
    actionDim: 1,
    observations: new Float32Array(size),
    actions: new Float32Array(size),
    rewards: new Float32Array(size),
    nextObservations: new Float32Array(size),
    terminals: new Float32Array(size),
  };
}

function context(phi: tf.Tensor2D, phiNext: tf.Tensor2D): RegularizerContext {
  return { phi, phiNext, batch: emptyBatch(phi.shape[0]), step: 0 };
}

// phi . phi' row by row: 1*2 + 2*(-1) = 0, 3*0.5 + (-1)*4 = -2.5, 0.5*6 + 2*1 = 5; mean 2.5/3.
const PHI = [
  [1, 2],
  [3, -1],
  [0.5, 2],
];
const PHI_NEXT = [
  [2, -1],
  [0.5, 4],
  [6, 1],
];

beforeAll(async () => {
  await initBackend({ backend: 'cpu' });
});

describe('dr3', () => {
  it('is a Regularizer named dr3 with the default coefficient 0.03', () => {
    const reg = dr3();
    expect(reg).toBeInstanceOf(Dr3Regularizer);
    expect(reg.name).toBe('dr3');
    expect(reg.coefficient).toBe(0.03);
    expect(dr3({ coefficient: 0.1 }).coefficient).toBe(0.1);
  });

  it('penalises coefficient * mean_i phi_i . phi\'_i on a hand-checked 3x2 batch', () => {
    const phi = tf.tensor2d(PHI);
    const phiNext = tf.tensor2d(PHI_NEXT);
    const value = dr3({ coefficient: 0.3 }).penalty(context(phi, phiNext));
    expect(value.rank).toBe(0);
    expect(value.dataSync()[0]).toBeCloseTo((0.3 * 2.5) / 3, 6);
    const defaultValue = dr3().penalty(context(phi, phiNext));
    expect(defaultValue.dataSync()[0]).toBeCloseTo((0.03 * 2.5) / 3, 7);
    expect(dr3({ coefficient: 0 }).penalty(context(phi, phiNext)).dataSync()[0]).toBe(0);
    tf.dispose([phi, phiNext, value, defaultValue]);
  });

  it('sends gradient c/B * phi\' to phi and c/B * phi to phi\'', () => {
    const coefficient = 0.3;
    const reg = dr3({ coefficient });
    const phi = tf.tensor2d(PHI);
    const phiNext = tf.tensor2d(PHI_NEXT);
    const [gradPhi, gradPhiNext] = tf.grads((a: tf.Tensor, b: tf.Tensor) =>
      reg.penalty(context(a as tf.Tensor2D, b as tf.Tensor2D)),
    )([phi, phiNext]);
    const scale = coefficient / 3;
    const expectedPhi = PHI_NEXT.flat().map((x) => scale * x);
    const expectedPhiNext = PHI.flat().map((x) => scale * x);
    Array.from(gradPhi!.dataSync()).forEach((g, i) => expect(g).toBeCloseTo(expectedPhi[i]!, 6));
    Array.from(gradPhiNext!.dataSync()).forEach((g, i) => expect(g).toBeCloseTo(expectedPhiNext[i]!, 6));
    tf.dispose([phi, phiNext, gradPhi!, gradPhiNext!]);
  });

  it('works inside an optimizer closure without leaking tensors and lowers the dot product', () => {
    const rng = new Rng(3);
    const net = new Mlp({ inputDim: 2, hiddenSizes: [8], outputDim: 1 }, rng);
    // The penalty reaches only the feature layers (the head does not shape phi).
    const adam = new Adam(net.variables.slice(0, 2), { learningRate: 0.05 });
    const x = tf.tensor2d([0.1, 0.2, -0.3, 0.4, 0.5, -0.6], [3, 2]);
    const xNext = tf.tensor2d([0.2, 0.1, -0.1, 0.3, 0.4, -0.2], [3, 2]);
    const reg = dr3({ coefficient: 1 });
    const before = tf.memory().numTensors;
    const first = adam.minimize(() => ({ loss: reg.penalty(context(net.features(x), net.features(xNext))) }));
    expect(tf.memory().numTensors).toBe(before);
    let last = first;
    for (let i = 0; i < 30; i++) last = adam.minimize(() => ({ loss: reg.penalty(context(net.features(x), net.features(xNext))) }));
    // Minimising the penalty alone drives the features' dot product down.
    expect(first.loss).toBeGreaterThan(0);
    expect(last.loss).toBeLessThan(first.loss! * 0.5);
    tf.dispose([x, xNext]);
    net.dispose();
    adam.dispose();
  });

  it('rejects bad coefficients and mismatched features with errors that name them', () => {
    expect(() => dr3({ coefficient: -0.1 })).toThrow(ConfigError);
    expect(() => dr3({ coefficient: -0.1 })).toThrow(/dr3 config: "coefficient" must be at least 0, got -0.1/);
    expect(() => dr3({ coefficient: Number.NaN })).toThrow(/"coefficient" must be a finite number/);
    expect(() => dr3({ coefficient: Infinity })).toThrow(/"coefficient" must be a finite number/);
    expect(() => dr3({ coeficient: 0.1 } as never)).toThrow(/unknown field "coeficient" \(did you mean "coefficient"\?\)/);
    const phi = tf.zeros([3, 2]) as tf.Tensor2D;
    const wide = tf.zeros([3, 4]) as tf.Tensor2D;
    expect(() => dr3().penalty(context(phi, wide))).toThrow(/ctx.phi has shape \[3,2\] and ctx.phiNext has shape \[3,4\]/);
    tf.dispose([phi, wide]);
  });
});
