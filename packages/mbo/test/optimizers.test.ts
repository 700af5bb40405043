import * as tf from '@tensorflow/tfjs';
import { initBackend } from '@bellman/nn';
import {
  ConservativeObjectiveModel,
  GaussianObjectiveModel,
  cmaEsOptimizer,
  comsAlpha0Optimizer,
  comsOptimizer,
  datasetBestOptimizer,
  evaluateDesigns,
  gradientAscentOptimizer,
  makeToyContinuous,
  makeToyDiscrete,
} from '../src/index.js';

beforeAll(async () => {
  await initBackend({ backend: 'wasm', quiet: true });
});

const small = { hiddenSizes: [32, 32] };

describe('GaussianObjectiveModel', () => {
  it('minimises the Gaussian negative log-likelihood of the standardised score', () => {
    const model = new GaussianObjectiveModel(3, small, 1);
    const z = tf.tensor2d([0.1, -0.4, 2, 1, 0, -1, 0.3, 0.3, 0.3], [3, 3]);
    const y = tf.tensor1d([0.5, -1, 2]);
    const { mean, logStd } = model.distribution(z);
    const mu = mean.dataSync();
    const ls = logStd.dataSync();
    const yv = [0.5, -1, 2];
    let expected = 0;
    for (let i = 0; i < 3; i++) expected += ((yv[i]! - mu[i]!) ** 2 / (2 * Math.exp(2 * ls[i]!)) + ls[i]! + 0.5 * Math.log(2 * Math.PI)) / 3;
    const { nll, mse } = model.computeLoss(z, y);
    expect(nll.dataSync()[0]!).toBeCloseTo(expected, 4);
    expect(mse.dataSync()[0]!).toBeCloseTo(yv.reduce((s, v, i) => s + (v - mu[i]!) ** 2 / 3, 0), 5);
    model.dispose();
  });

  it('holds log sigma softly above lo = log 0.1 and below lo + softplus(hi - lo), hi = log 0.2, at the start', () => {
    const model = new GaussianObjectiveModel(1, { hiddenSizes: [1] });
    const z = tf.tensor2d([[0]]);
    const lastBias = model.model.biases.at(-1)!;
    lastBias.assign(tf.tensor1d([0, 50])); // raw log sigma far above the upper bound
    // lo + softplus(log 2) = log 0.1 + log 3: the upper bound is soft too
    expect(model.distribution(z).logStd.dataSync()[0]!).toBeCloseTo(Math.log(0.3), 4);
    lastBias.assign(tf.tensor1d([0, -50])); // and far below the lower one
    expect(model.distribution(z).logStd.dataSync()[0]!).toBeCloseTo(Math.log(0.1), 4);
    model.dispose();
  });
});

describe('COMs without the conservative term', () => {
  it('fits the mse alone: alpha is 0 and the gap is not computed', () => {
    const coms = new ConservativeObjectiveModel(2, 'continuous', { ...small, conservative: false });
    const update = coms.update(tf.tensor2d([1, 2, 3, 4], [2, 2]), tf.tensor1d([0.5, -0.5]));
    expect(update.alpha).toBe(0);
    expect(coms.alpha).toBe(0);
    expect(update.gap).toBeNaN();
    expect(update.loss).toBe(update.mse);
    coms.dispose();
    expect(comsAlpha0Optimizer().name).toBe('grad-alpha0');
    expect(comsOptimizer().name).toBe('coms');
  });
});

describe('design optimizers on the toy tasks', () => {
  const task = makeToyContinuous(0);
  const trainBest = task.normalize(Math.max(...task.train.y));

  it("dataset-best proposes the training set's best designs unchanged: its score100 is D(best)", async () => {
    const evaluation = evaluateDesigns(task, await datasetBestOptimizer().optimize(task, { count: 16 }));
    expect(evaluation.scores).toHaveLength(16);
    expect(evaluation.score100).toBeCloseTo(trainBest, 6);
    expect(evaluation.trace).toEqual([]);
  });

  it("grad climbs its plain model's prediction from the best training designs, and the oracle scores each step", async () => {
    const solution = await gradientAscentOptimizer({ model: small, fit: { epochs: 2 }, steps: 20, recordEvery: 5 }).optimize(task, { count: 32, seed: 3 });
    expect(solution.path!.map((s) => s.step)).toEqual([0, 5, 10, 15, 20]);
    const evaluation = evaluateDesigns(task, solution);
    expect(evaluation.trace).toHaveLength(5);
    expect(evaluation.trace.at(-1)!.predicted).toBeGreaterThan(evaluation.trace[0]!.predicted);
    // step 0 is the starting designs: the oracle's mean of the 32 best training designs
    const start = evaluateDesigns(task, await datasetBestOptimizer().optimize(task, { count: 32 }));
    expect(evaluation.trace[0]!.actual).toBeCloseTo(start.scores.reduce((a, b) => a + b, 0) / 32, 6);
  }, 60_000);

  it('cma-es keeps each run at its best predicted point, so the predicted mean never falls; the same seed gives the same designs', async () => {
    const optimizer = cmaEsOptimizer({ model: small, fit: { epochs: 1 }, generations: 12, recordEvery: 4 });
    const first = await optimizer.optimize(task, { count: 8, seed: 5 });
    const predicted = first.path!.map((s) => s.predicted);
    expect(first.path!.map((s) => s.step)).toEqual([0, 4, 8, 12]);
    predicted.slice(1).forEach((p, i) => expect(p).toBeGreaterThanOrEqual(predicted[i]!));
    expect(predicted.at(-1)!).toBeGreaterThan(predicted[0]!);
    const again = await optimizer.optimize(task, { count: 8, seed: 5 });
    expect(Array.from(again.designs)).toEqual(Array.from(first.designs));
  }, 60_000);

  it('searches discrete designs in logit space and proposes valid sequences', async () => {
    const discrete = makeToyDiscrete();
    const solution = await cmaEsOptimizer({ model: small, fit: { epochs: 1 }, generations: 3 }).optimize(discrete, { count: 4 });
    expect(solution.designs).toBeInstanceOf(Int32Array);
    expect(solution.designs).toHaveLength(4 * 8);
    expect(Array.from(solution.designs).every((k) => k >= 0 && k < 4)).toBe(true);
    expect(Number.isFinite(evaluateDesigns(discrete, solution).score100)).toBe(true);
  }, 60_000);
});
