import * as tf from '@tensorflow/tfjs';
import { Rng } from '@bellman/core';
import { Mlp, gelu, gradsOf, initBackend, innerStep, logSoftmax, mish, paramsOf, silu, valueAndGrads } from '../src/index.js';
import type { ParamRecord } from '../src/index.js';
import { gradientMismatches, maxAbsDiff, waveTensor, weightedSum } from './helpers.js';

/** Mean squared error of `net` on explicit weights. */
function mse(net: Mlp, params: ParamRecord, x: tf.Tensor2D, y: tf.Tensor2D): tf.Scalar {
  return tf.mean(tf.square(tf.sub(net.applyWith(params, x), y)));
}

describe.each(['cpu', 'wasm'] as const)('gradients over explicit tensors and the MAML inner step on %s', (backend) => {
  beforeAll(async () => {
    await initBackend({ backend });
  });
  afterAll(async () => {
    await initBackend({ backend: 'cpu' });
  });

  it('valueAndGrads of plain tensors, and of a gradient (second derivative of w^3 is 6w)', () => {
    const w = tf.scalar(0.5);
    const { value, grads } = valueAndGrads((p) => tf.pow(p.w!, 3) as tf.Scalar, { w });
    expect(value.dataSync()[0]).toBeCloseTo(0.125, 6);
    expect(grads.w!.dataSync()[0]).toBeCloseTo(0.75, 6);
    const second = gradsOf((p) => gradsOf((q) => tf.pow(q.w!, 3) as tf.Scalar, p).w as tf.Scalar, { w });
    expect(second.w!.dataSync()[0]).toBeCloseTo(3, 5);
  });

  // The gradient of r . f'(x) is a Hessian-vector product; checked against differences of f'.
  const hessianMismatches = (f: (x: tf.Tensor) => tf.Tensor) =>
    gradientMismatches((p) => weightedSum(gradsOf((q) => weightedSum(f(q.x!)), p).x!, 4.1), { x: waveTensor([3, 4], 0.1, 1.5) });

  it.each([
    ['tanh', tf.tanh],
    ['sigmoid', tf.sigmoid],
    ['exp', tf.exp],
    ['elu', tf.elu],
    ['softmax', (x: tf.Tensor) => tf.softmax(x)],
    ['logSoftmax', logSoftmax],
    ['mish', mish],
    ['silu', silu],
    ['gelu', gelu],
  ] as const)('gradients of gradients through %s match finite differences', (_, f) => {
    expect(hessianMismatches(f)).toEqual([]);
  });

  it("tfjs's own tf.logSoftmax loses second-order terms (why nn has logSoftmax)", () => {
    expect(hessianMismatches((x) => tf.logSoftmax(x)).length).toBeGreaterThan(0);
  });

  it('a parameter the loss does not reach gets a zero gradient', () => {
    const grads = gradsOf((p) => tf.sum(tf.square(p.a!)), { a: tf.tensor1d([1, 2]), unused: tf.tensor1d([3]) });
    expect(Array.from(grads.a!.dataSync())).toEqual([2, 4]);
    expect(Array.from(grads.unused!.dataSync())).toEqual([0]);
  });

  it('one parameter by hand: inner loss w^3, outer loss (adapted w)^2', () => {
    // w' = w - a 3 w^2, so d (w')^2 / dw = 2 w' (1 - 6 a w) in second order and 2 w' in first order.
    const a = 0.1;
    const w0 = 0.5;
    const adapted = w0 - 3 * a * w0 * w0;
    const outer = (firstOrder: boolean) => (p: ParamRecord) => tf.square(innerStep(p, (q) => tf.pow(q.w!, 3) as tf.Scalar, a, { firstOrder }).w!) as tf.Scalar;
    const w = tf.scalar(w0);
    expect(gradsOf(outer(false), { w }).w!.dataSync()[0]).toBeCloseTo(2 * adapted * (1 - 6 * a * w0), 5);
    expect(gradsOf(outer(true), { w }).w!.dataSync()[0]).toBeCloseTo(2 * adapted, 5);
  });

  describe('an MLP adapted on a support set, scored on a query set', () => {
    const net = new Mlp({ inputDim: 2, hiddenSizes: [5], outputDim: 1, activation: 'tanh' }, new Rng(3));
    const xs = waveTensor([6, 2], 0.1) as tf.Tensor2D;
    const ys = waveTensor([6, 1], 0.2, 0.8) as tf.Tensor2D;
    const xq = waveTensor([5, 2], 0.3) as tf.Tensor2D;
    const yq = waveTensor([5, 1], 0.4, 0.8) as tf.Tensor2D;
    const lr = 0.5;
    const outerLoss = (firstOrder: boolean) => (p: ParamRecord) =>
      mse(net, innerStep(p, (q) => mse(net, q, xs, ys), lr, { firstOrder }), xq, yq);

    it('second order: the gradient matches finite differences of the outer loss', () => {
      expect(gradientMismatches(outerLoss(false), paramsOf(net))).toEqual([]);
    });

    it('first order: the gradient is the outer gradient at the adapted weights, and differs from second order', () => {
      const params = paramsOf(net);
      const firstOrder = gradsOf(outerLoss(true), params);
      const adapted = innerStep(params, (q) => mse(net, q, xs, ys), lr);
      const atAdapted = gradsOf((p) => mse(net, p, xq, yq), adapted);
      const secondOrder = gradsOf(outerLoss(false), params);
      for (const name of Object.keys(params)) {
        expect([name, maxAbsDiff(firstOrder[name]!.dataSync(), atAdapted[name]!.dataSync())]).toEqual([name, expect.closeTo(0, 6)]);
      }
      // The Hessian term is not negligible here, so the two orders are told apart.
      const gap = Math.max(...Object.keys(params).map((n) => maxAbsDiff(firstOrder[n]!.dataSync(), secondOrder[n]!.dataSync())));
      expect(gap).toBeGreaterThan(1e-2);
    });

    it('second order through an elu classifier with a log-softmax cross-entropy', () => {
      const classifier = new Mlp({ inputDim: 2, hiddenSizes: [4], outputDim: 3, activation: 'elu' }, new Rng(4));
      const labels = (n: number, shift: number) => tf.oneHot(tf.tensor1d(Array.from({ length: n }, (_, i) => (i + shift) % 3), 'int32'), 3);
      const [support, query] = [labels(6, 0), labels(5, 1)];
      const crossEntropy = (p: ParamRecord, x: tf.Tensor2D, y: tf.Tensor) => tf.neg(tf.mean(tf.sum(tf.mul(y, logSoftmax(classifier.applyWith(p, x))), 1))) as tf.Scalar;
      const outer = (p: ParamRecord) => crossEntropy(innerStep(p, (q) => crossEntropy(q, xs, support), 1.0), xq, query);
      expect(gradientMismatches(outer, paramsOf(classifier))).toEqual([]);
      classifier.dispose();
    });

    it('tf.variableGrads (what Adam.minimize uses) through innerStep gives the same gradients as gradsOf', () => {
      const params = paramsOf(net);
      const expected = gradsOf(outerLoss(false), params);
      const { grads } = tf.variableGrads(() => outerLoss(false)(paramsOf(net)), net.variables);
      for (const [name, v] of net.namedVariables()) {
        expect([name, maxAbsDiff(grads[v.name]!.dataSync(), expected[name]!.dataSync())]).toEqual([name, expect.closeTo(0, 6)]);
      }
    });
  });
});
