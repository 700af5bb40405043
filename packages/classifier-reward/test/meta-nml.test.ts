import * as tf from '@tensorflow/tfjs';
import { ConfigError, Rng, UsageError } from '@bellman/core';
import { initBackend } from '@bellman/nn';
import { MlpClassifier, metaNml, metaTaskLoss, weightedCrossEntropy } from '../src/index.js';
import { sampleWithoutReplacement } from '../src/labelled-set.js';
import { batchOf, cluster, maxAbsDifference, separable } from './helpers.js';

beforeAll(async () => {
  await initBackend({ backend: 'cpu' });
});

const SMALL = { hiddenSizes: [32, 32], queriesPerEpoch: 8, tasksPerStep: 4, outerPointsPerLabel: 31, innerBatchSize: 16 };

describe('meta-NML rewards for a batch of queries', () => {
  for (const innerLearningRate of [0.01, 2]) {
    it(`equal copying the classifier and stepping for each query alone, to 1e-5 (inner lr ${innerLearningRate})`, () => {
      const model = metaNml({ observationDim: 2, seed: 3, config: { ...SMALL, innerLearningRate } });
      const { positives, negatives } = separable(40, 40);
      model.update(positives, negatives);
      const queries = batchOf(cluster(12, 0, 0, 2, new Rng(9)));
      const rows = sampleWithoutReplacement(80, SMALL.innerBatchSize - 1, new Rng(5));
      const batched = model.adaptedProbabilities(queries, rows, 'batched');
      const reference = model.adaptedProbabilities(queries, rows, 'copy-and-step');
      expect(maxAbsDifference(batched.p0, reference.p0)).toBeLessThan(1e-5);
      expect(maxAbsDifference(batched.p1, reference.p1)).toBeLessThan(1e-5);
      // the step matters: p0 + p1 is not 1 (an unadapted model would give exactly 1)
      const sums = Array.from(batched.p0, (p, i) => p + batched.p1[i]!);
      expect(Math.max(...sums.map((s) => Math.abs(s - 1)))).toBeGreaterThan(innerLearningRate > 1 ? 0.05 : 1e-4);
      model.dispose();
    });
  }

  it('score near the examples above 0.5 and at often-visited states well below it', () => {
    // visited states everywhere in [-3, 3]^2, the examples at (2, 2): meta-NML's queries are
    // visited states, so the examples shape the reward only where visited states are near them
    const rng = new Rng(4);
    const positives = batchOf(cluster(64, 2, 2, 0.3, rng));
    const negatives = batchOf(rng.fillUniform(new Float32Array(128), -3, 3) as Float32Array);
    const model = metaNml({ observationDim: 2, seed: 1, config: SMALL });
    for (let epoch = 0; epoch < 40; epoch++) model.update(positives, negatives);
    const atExamples = model.rewards(batchOf(Float32Array.from([2, 2, 2.2, 1.8])));
    const atVisited = model.rewards(batchOf(Float32Array.from([-2, -2, -1.8, -2.3])));
    for (const r of atExamples) expect(r).toBeGreaterThan(0.52);
    for (const r of atVisited) expect(r).toBeLessThan(0.4);
    model.dispose();
  });

  it('refuses to score before any update, and rejects bad config fields by name', () => {
    const model = metaNml({ observationDim: 2, config: SMALL });
    expect(() => model.rewards(batchOf(new Float32Array(2)))).toThrow(UsageError);
    expect(() => model.rewards(batchOf(new Float32Array(2)))).toThrow('meta-nml: rewards() needs a labelled set: call update(positives, negatives) first');
    model.dispose();
    expect(() => metaNml({ observationDim: 2, config: { innerLearningRat: 0.1 } as never })).toThrow(ConfigError);
    expect(() => metaNml({ observationDim: 2, config: { innerBatchSize: 1 } })).toThrow(/innerBatchSize/);
  });
});

describe('meta-NML meta-gradient', () => {
  /** A fixed task on a tiny classifier: inner and outer batches of weighted labelled points. */
  function task(seed: number) {
    const rng = new Rng(seed);
    const batch = (n: number) => {
      const points = tf.tensor2d(cluster(n, 0, 0, 1, rng), [n, 2]);
      const labels = tf.tensor1d(Array.from({ length: n }, (_, i) => i % 2));
      const weights = tf.tensor1d(Array.from({ length: n }, () => 0.2 + rng.uniform()));
      return { points, labels, weights };
    };
    return { inner: batch(9), outer: batch(21) };
  }

  it('agrees with central finite differences when second order, and the first-order gradient does not', () => {
    const classifier = new MlpClassifier(2, { hiddenSizes: [6, 5], outputs: 2 }, new Rng(4));
    const params = classifier.params();
    const t = task(2);
    const lr = 1.5;
    const loss = (p: Record<string, tf.Tensor>) => metaTaskLoss(classifier, p, t, lr, true);
    const grads = tf.grads((...xs: tf.Tensor[]) => loss(Object.fromEntries(Object.keys(params).map((n, i) => [n, xs[i]!]))))(Object.values(params));
    const firstOrder = tf.grads((...xs: tf.Tensor[]) => metaTaskLoss(classifier, Object.fromEntries(Object.keys(params).map((n, i) => [n, xs[i]!])), t, lr, false))(Object.values(params));
    const direction = Object.values(params).map((p, i) => tf.randomNormal(p.shape, 0, 1, 'float32', 10 + i));
    // small enough that no ReLU of the 30 points changes sign along the path (3e-3 already crosses one)
    const eps = 3e-4;
    const shifted = (sign: number) =>
      loss(Object.fromEntries(Object.keys(params).map((n, i) => [n, tf.add(params[n]!, tf.mul(direction[i]!, sign * eps))]))).dataSync()[0]!;
    const finite = (shifted(1) - shifted(-1)) / (2 * eps);
    const along = (g: tf.Tensor[]) => g.reduce((s, gi, i) => s + tf.sum(tf.mul(gi, direction[i]!)).dataSync()[0]!, 0);
    const analytic = along(grads);
    expect(Math.abs(analytic - finite)).toBeLessThan(0.01 * Math.abs(finite) + 2e-4);
    expect(Math.abs(along(firstOrder) - finite)).toBeGreaterThan(0.05 * Math.abs(finite));
    classifier.dispose();
  });

  it('is the outer loss at the adapted weights: with a zero inner rate it is the plain weighted loss', () => {
    const classifier = new MlpClassifier(2, { hiddenSizes: [6], outputs: 2 }, new Rng(8));
    const t = task(5);
    const meta = metaTaskLoss(classifier, classifier.params(), t, 0, true).dataSync()[0]!;
    const plain = weightedCrossEntropy(classifier.logits(t.outer.points), t.outer.labels, t.outer.weights).dataSync()[0]!;
    expect(meta).toBeCloseTo(plain, 6);
    const stepped = metaTaskLoss(classifier, classifier.params(), t, 0.5, true).dataSync()[0]!;
    expect(Math.abs(stepped - plain)).toBeGreaterThan(1e-3);
    classifier.dispose();
  });
});

describe('meta-NML snapshots', () => {
  it('restore the weights, optimiser, labelled set and random stream, so the next update and rewards match', () => {
    const { positives, negatives } = separable(40, 40);
    const queries = batchOf(cluster(6, 0, 0, 2, new Rng(3)));
    const a = metaNml({ observationDim: 2, seed: 2, config: SMALL });
    a.update(positives, negatives);
    const snapshot = JSON.parse(JSON.stringify(a.save()));
    const b = metaNml({ observationDim: 2, seed: 99, config: SMALL });
    b.load(snapshot);
    expect(Array.from(b.rewards(queries))).toEqual(Array.from(a.rewards(queries)));
    expect(b.update(positives, negatives)).toEqual(a.update(positives, negatives));
    expect(Array.from(b.rewards(queries))).toEqual(Array.from(a.rewards(queries)));
    const other = metaNml({ observationDim: 2, config: { ...SMALL, innerLearningRate: 0.1 } });
    expect(() => other.load(snapshot)).toThrow(/config/);
    for (const m of [a, b, other]) m.dispose();
  });
});
