import * as tf from '@tensorflow/tfjs';
import { initBackend } from '@bellman/nn';
import { ConservativeObjectiveModel, fitEncoding, makeToyContinuous, makeToyDiscrete, evaluateDesigns, proposeDesigns, trainComs } from '../src/index.js';

beforeAll(async () => {
  await initBackend({ backend: 'wasm', quiet: true });
});

/** f(x) = 2 relu(x) + 0.5 on one input: a model whose ascent and loss are checked by hand. */
function handModel(config: { targetGap?: number } = {}) {
  const coms = new ConservativeObjectiveModel(1, 'continuous', { hiddenSizes: [1], ascentSteps: 3, particleLearningRate: 0.1, initialAlpha: 0.1, ...config });
  coms.model.weights[0]!.assign(tf.tensor2d([[1]]));
  coms.model.biases[0]!.assign(tf.tensor1d([0]));
  coms.model.weights[1]!.assign(tf.tensor2d([[2]]));
  coms.model.biases[1]!.assign(tf.tensor1d([0.5]));
  return coms;
}
const X = tf.tensor2d([[0.5], [1], [2], [-1]]);
const Y = tf.tensor1d([1, 3, 4, 0]);

describe('ConservativeObjectiveModel', () => {
  it('ascends x <- x + eta grad f(x) with eta = particleLearningRate sqrt(width)', () => {
    const coms = handModel();
    expect(coms.eta).toBeCloseTo(0.1, 12);
    // grad f = 2 where x > 0 and 0 where the ReLU is off: 3 steps of 0.2
    const negatives = coms.ascend(X);
    Array.from(negatives.dataSync()).forEach((v, i) => expect(v).toBeCloseTo([1.1, 1.6, 2.6, -1][i]!, 5));
    expect(new ConservativeObjectiveModel(4, 'continuous', { hiddenSizes: [2] }).eta).toBeCloseTo(0.05 * 2, 12);
    expect(new ConservativeObjectiveModel(9, 'discrete', { hiddenSizes: [2] }).eta).toBeCloseTo(2.0 * 3, 12);
    expect(new ConservativeObjectiveModel(9, 'discrete', { hiddenSizes: [2] }).targetGap).toBe(2.0);
  });

  it('computes mse + alpha (f(x_neg) - f(x)) on a hand-checked 4-point case', () => {
    const coms = handModel();
    const negatives = coms.ascend(X);
    const { mse, gap, loss } = coms.computeLoss(X, Y, negatives);
    // f(x) = [1.5, 2.5, 4.5, 0.5] against y = [1, 3, 4, 0]; f(x_neg) = [2.7, 3.7, 5.7, 0.5]
    expect(mse.dataSync()[0]).toBeCloseTo(0.25, 5);
    expect(gap.dataSync()[0]).toBeCloseTo(0.9, 5);
    expect(loss.dataSync()[0]).toBeCloseTo(0.25 + 0.1 * 0.9, 5);
  });

  it('pushes the ascent points down against the data: with y = f(x), one update shrinks the gap', () => {
    const coms = handModel();
    const fitted = coms.predict(X);
    const before = coms.computeLoss(X, fitted, coms.ascend(X)).gap.dataSync()[0]!;
    const update = coms.update(X, fitted);
    expect(update.gap).toBeCloseTo(before, 5);
    const after = coms.computeLoss(X, fitted, coms.ascend(X)).gap.dataSync()[0]!;
    expect(after).toBeLessThan(before);
    // the output bias moves f everywhere alike, so the gap does not reach it: it keeps its value
    expect(coms.model.biases[1]!.dataSync()[0]).toBeCloseTo(0.5, 6);
  });

  it('treats the negatives as constants (stop-gradient): d loss / d w2 by hand', () => {
    const coms = handModel();
    const negatives = coms.ascend(X); // [1.1, 1.6, 2.6, -1]
    const w2 = coms.model.weights[1]!;
    const { grads } = tf.variableGrads(() => coms.computeLoss(X, Y, negatives).loss, [w2]);
    // h = relu(x) = [0.5, 1, 2, 0], r = f - y = [0.5, -0.5, 0.5, 0.5]: d mse = mean(2 r h) = 0.375;
    // d gap = mean(relu(x_neg) - h) = 0.45, times alpha 0.1. Were the negatives differentiated
    // (x_neg = x + 3 eta w2 w1 where x > 0), d gap would gain mean(w2 * 0.3 * [1, 1, 1, 0]) = 0.45.
    expect(grads[w2.name]!.dataSync()[0]!).toBeCloseTo(0.375 + 0.1 * 0.45, 5);
  });

  it('raises alpha while the gap exceeds tau and lowers it below', () => {
    const above = handModel({ targetGap: 0.5 }); // the gap is 0.9
    expect(above.update(X, Y).alpha).toBeGreaterThan(0.1);
    const below = handModel({ targetGap: 2.0 });
    const alpha = below.update(X, Y).alpha;
    expect(alpha).toBeLessThan(0.1);
    // Adam's first step moves log alpha by its learning rate (0.01)
    expect(Math.log(alpha / 0.1)).toBeCloseTo(-0.01, 4);
  });

  it('names a bad config field', () => {
    expect(() => new ConservativeObjectiveModel(2, 'continuous', { ascentSteps: 0 })).toThrow(/coms config: .*ascentSteps/);
  });
});

describe('design encodings', () => {
  it('maps discrete designs to logits and back (argmax gives the original sequence)', () => {
    const task = makeToyDiscrete();
    const encoding = fitEncoding(task.space, task.train);
    expect(encoding.width).toBe(8 * 3);
    const x = Int32Array.of(0, 1, 2, 3, 3, 2, 1, 0);
    const z = encoding.encode(x);
    // probabilities 0.7 for the design's class and 0.1 for the others; each logit is log p_c - log p_0
    const log7 = Math.log(7);
    Array.from(z.subarray(0, 6)).forEach((v, i) => expect(v).toBeCloseTo([-log7, -log7, -log7, log7, 0, 0][i]!, 5));
    expect(Array.from(encoding.decode(z))).toEqual(Array.from(x));
  });

  it('standardises continuous designs with the training moments and decodes them back', () => {
    const task = makeToyContinuous(0);
    const encoding = fitEncoding(task.space, task.train);
    const z = encoding.encode(task.train.x);
    let mean = 0;
    for (let i = 0; i < task.train.count; i++) mean += z[i * 8]! / task.train.count;
    expect(Math.abs(mean)).toBeLessThan(1e-4);
    const back = encoding.decode(z.subarray(0, 16));
    Array.from(back).forEach((v, i) => expect(v).toBeCloseTo(task.train.x[i]!, 5));
  });
});

describe('COMs on toy-continuous-v0', () => {
  it("proposes designs whose best true score beats the training set's best (a small run)", () => {
    const task = makeToyContinuous(0);
    const trained = trainComs(task, { hiddenSizes: [64, 64], ascentSteps: 10 }, { epochs: 2, batchSize: 128, seed: 0 });
    expect(trained.history).toHaveLength(2);
    expect(trained.history[1]!.validationMse).toBeLessThan(trained.history[0]!.validationMse);
    const proposal = evaluateDesigns(task, proposeDesigns(task, trained, { count: 128, steps: 50 }));
    const trainBest = task.normalize(Math.max(...task.train.y));
    expect(proposal.trace[0]!.actual).toBeLessThan(proposal.trace.at(-1)!.actual);
    expect(proposal.score100).toBeGreaterThan(trainBest);
    expect(proposal.score50).toBeGreaterThan(trainBest);
    trained.coms.dispose();
  }, 120_000);
});
