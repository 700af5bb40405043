import * as tf from '@tensorflow/tfjs';
import { Box, Discrete, Rng, type TransitionBatch } from '@bellman/core';
import { initBackend } from '@bellman/nn';
import { evaluatePolicy } from '@bellman/training';
import { BC, createLearner, createLearnerByName, learnerFromSnapshot, listAlgorithms } from '../src/index.js';
import { ArrayDataset, ToyEnv, collectDataset, toyExpertPolicy } from '../../training/test/fixtures.js';

beforeAll(async () => {
  await initBackend({ backend: 'wasm' });
});

function setWeights(net: BC['network'], values: number[][][]): void {
  net.variables.forEach((v, i) => v.assign(tf.tensor(values[i]!.flat(), v.shape)));
}

function weightBytes(learner: BC): string {
  return JSON.stringify(learner.save().weights);
}

/** float64 forward pass of a one-hidden-layer relu network. */
function forward64(x: number[], w0: number[][], b0: number[], w1: number[][], b1: number[]): number[] {
  const h = b0.map((b, j) => Math.max(0, b + x.reduce((s, xi, i) => s + xi * w0[i]![j]!, 0)));
  return b1.map((b, k) => b + h.reduce((s, hj, j) => s + hj * w1[j]![k]!, 0));
}

describe('BC loss', () => {
  const w0 = [
    [1, -1],
    [0.5, 2],
  ];
  const b0 = [0, 0.1];
  const w1 = [
    [1, 0, -1],
    [0.5, -0.5, 2],
  ];
  const b1 = [0.1, 0, -0.2];

  it('is the mean cross-entropy of the data actions under the logits (discrete)', () => {
    const bc = new BC({ observationSpace: new Box(-5, 5, [2]), actionSpace: new Discrete(3), config: { hiddenSizes: [2] } });
    setWeights(bc.network, [w0, [b0], w1, [b1]]);
    const obs = [
      [1, 0.5],
      [-0.3, 0.8],
      [2, -1],
    ];
    const actions = [0, 2, 1];
    const data = new ArrayDataset(2, 1);
    obs.forEach((o, i) => data.add(o, actions[i]!, 0, o, false));
    let expected = 0;
    let correct = 0;
    obs.forEach((o, i) => {
      const logits = forward64(o, w0, b0, w1, b1);
      const max = Math.max(...logits);
      const logZ = max + Math.log(logits.reduce((s, l) => s + Math.exp(l - max), 0));
      expected += (logZ - logits[actions[i]!]!) / obs.length;
      if (logits.indexOf(max) === actions[i]) correct += 1;
    });
    // Hand check of row 0: h = relu([1 + 0.25, -1 + 1 + 0.1]) = [1.25, 0.1]; logits = [1.4, -0.05, -1.25].
    expect(forward64(obs[0]!, w0, b0, w1, b1).map((v) => +v.toFixed(10))).toEqual([1.4, -0.05, -1.25]);
    const metrics = bc.update(data.batchOf([0, 1, 2]));
    expect(metrics.loss).toBeCloseTo(expected, 5);
    expect(metrics.accuracy).toBeCloseTo(correct / 3, 6);
    // The step moved the weights.
    expect(Array.from(bc.network.biases[1]!.dataSync())).not.toEqual(b1.map(Math.fround));
    bc.dispose();
  });

  it('is the squared error to actions scaled into the box (deterministic, Box [0, 4])', () => {
    const bc = new BC({ observationSpace: new Box(-5, 5, [2]), actionSpace: new Box(0, 4, [1]), config: { hiddenSizes: [2] } });
    const w1c = [[0.3], [-0.7]];
    setWeights(bc.network, [w0, [b0], w1c, [[0.05]]]);
    const obs = [
      [1, 0.5],
      [-0.3, 0.8],
    ];
    const actions = [3.5, 0.25];
    const data = new ArrayDataset(2, 1);
    obs.forEach((o, i) => data.add(o, new Float32Array([actions[i]!]), 0, o, false));
    let expected = 0;
    obs.forEach((o, i) => {
      const u = forward64(o, w0, b0, w1c, [0.05])[0]!;
      const a = 2 + 2 * Math.tanh(u);
      expected += (a - actions[i]!) ** 2 / obs.length;
    });
    expect(bc.update(data.batchOf([0, 1])).loss).toBeCloseTo(expected, 5);
    bc.dispose();
  });

  it('is the Gaussian negative log-likelihood with a learned log-std (gaussian policy)', () => {
    const bc = new BC({
      observationSpace: new Box(-5, 5, [2]),
      actionSpace: new Box(-1, 1, [1]),
      config: { hiddenSizes: [2], policy: 'gaussian' },
    });
    const w1c = [[0.3], [-0.7]];
    setWeights(bc.network, [w0, [b0], w1c, [[0.05]]]);
    bc.logStd!.assign(tf.tensor1d([Math.log(0.5)]));
    const obs = [
      [1, 0.5],
      [-0.3, 0.8],
    ];
    const actions = [0.9, -1];
    const data = new ArrayDataset(2, 1);
    obs.forEach((o, i) => data.add(o, new Float32Array([actions[i]!]), 0, o, false));
    let expected = 0;
    obs.forEach((o, i) => {
      const mean = Math.tanh(forward64(o, w0, b0, w1c, [0.05])[0]!);
      const z = (actions[i]! - mean) / 0.5;
      expected += (0.5 * z * z + Math.log(0.5) + 0.5 * Math.log(2 * Math.PI)) / obs.length;
    });
    const metrics = bc.update(data.batchOf([0, 1]));
    expect(metrics.loss).toBeCloseTo(expected, 5);
    expect(metrics.std).toBeCloseTo(0.5, 6);
    bc.dispose();
  });
});

describe('BC training', () => {
  it('gives identical weights for the same seed and different ones for another seed', () => {
    const env = new ToyEnv('discrete');
    const data = collectDataset(env, toyExpertPolicy('discrete'), 5, 0);
    const train = (seed: number) => {
      const bc = new BC({ observationSpace: env.observationSpace, actionSpace: env.actionSpace, config: { hiddenSizes: [16, 16] }, seed });
      const rng = new Rng(123);
      for (let i = 0; i < 20; i++) bc.update(data.sampleTransitions(32, rng));
      const bytes = weightBytes(bc);
      bc.dispose();
      return bytes;
    };
    const a = train(7);
    expect(train(7)).toBe(a);
    expect(train(8)).not.toBe(a);
  });

  it('learns the toy expert from its data (discrete)', () => {
    const env = new ToyEnv('discrete');
    const data = collectDataset(env, toyExpertPolicy('discrete'), 50, 0);
    const bc = new BC({ observationSpace: env.observationSpace, actionSpace: env.actionSpace, config: { hiddenSizes: [32, 32] }, seed: 1 });
    const before = evaluatePolicy(env, bc, { episodes: 10, seed: 500 });
    const rng = new Rng(0);
    let metrics = { loss: NaN, accuracy: NaN } as Record<string, number>;
    for (let i = 0; i < 400; i++) metrics = bc.update(data.sampleTransitions(64, rng));
    const after = evaluatePolicy(env, bc, { episodes: 10, seed: 500 });
    expect(before.mean).toBeLessThan(10);
    expect(metrics.accuracy).toBeGreaterThan(0.95);
    expect(after.mean).toBeGreaterThanOrEqual(18);
    bc.dispose();
  });

  it('learns the toy expert from its data (continuous, deterministic and gaussian)', () => {
    const env = new ToyEnv('continuous');
    const data = collectDataset(env, toyExpertPolicy('continuous'), 20, 0);
    for (const policy of ['deterministic', 'gaussian'] as const) {
      const bc = new BC({ observationSpace: env.observationSpace, actionSpace: env.actionSpace, config: { hiddenSizes: [32, 32], policy }, seed: 2 });
      const rng = new Rng(0);
      for (let i = 0; i < 400; i++) bc.update(data.sampleTransitions(64, rng));
      const result = evaluatePolicy(env, bc, { episodes: 5, seed: 900 });
      // Each step scores 1 - |error|: 19 of 20 means a mean absolute error under 0.05.
      expect(result.mean).toBeGreaterThan(19);
      bc.dispose();
    }
  });

  it('does not leak tensors across updates and actions', () => {
    const env = new ToyEnv('continuous');
    const data = collectDataset(env, toyExpertPolicy('continuous'), 2, 0);
    const bc = new BC({ observationSpace: env.observationSpace, actionSpace: env.actionSpace, config: { hiddenSizes: [8], policy: 'gaussian' } });
    const rng = new Rng(0);
    bc.update(data.sampleTransitions(16, rng));
    bc.act(new Float32Array([0.1, 0.2]));
    const count = tf.memory().numTensors;
    for (let i = 0; i < 5; i++) {
      bc.update(data.sampleTransitions(16, rng));
      bc.act(new Float32Array([0.1, 0.2]), { deterministic: false, rng });
    }
    expect(tf.memory().numTensors).toBe(count);
    bc.dispose();
  });
});

describe('BC acting', () => {
  it('returns action values of Discrete spaces with a start offset, greedy or sampled reproducibly', () => {
    const bc = new BC({ observationSpace: new Box(-1, 1, [2]), actionSpace: new Discrete(3, 1), config: { hiddenSizes: [4] }, seed: 3 });
    const obs = new Float32Array([0.5, -0.5]);
    const logits = Array.from(bc.network.forward(tf.tensor2d([[0.5, -0.5]])).dataSync());
    expect(bc.act(obs)).toBe(1 + logits.indexOf(Math.max(...logits)));
    const draw = (seed: number) => {
      const rng = new Rng(seed);
      return Array.from({ length: 30 }, () => bc.act(obs, { deterministic: false, rng }) as number);
    };
    const sampled = draw(4);
    expect(draw(4)).toEqual(sampled);
    expect(new Set(sampled).size).toBeGreaterThan(1);
    for (const a of sampled) expect([1, 2, 3]).toContain(a);
    // Discrete batch values are offset by start as well.
    const data = new ArrayDataset(2, 1);
    data.add(obs, 3, 0, obs, false);
    expect(() => bc.update(data.batchOf([0]))).not.toThrow();
    data.add(obs, 0, 0, obs, false);
    expect(() => bc.update(data.batchOf([1]))).toThrow('batch.actions row 0 is 0, expected an integer in [1, 4)');
    bc.dispose();
  });

  it('keeps continuous actions inside the box', () => {
    const box = new Box([-2, 0], [2, 1]);
    const bc = new BC({ observationSpace: new Box(-1, 1, [3]), actionSpace: box, config: { hiddenSizes: [4], policy: 'gaussian' } });
    const rng = new Rng(0);
    for (let i = 0; i < 20; i++) {
      const obs = new Float32Array([rng.normal(0, 10), rng.normal(0, 10), rng.normal(0, 10)]);
      expect(box.contains(bc.act(obs))).toBe(true);
      expect(box.contains(bc.act(obs, { deterministic: false, rng }))).toBe(true);
    }
    expect(() => bc.act(new Float32Array([1, 2]))).toThrow('bc.act: observation has 2 values, the observation space has 3');
    bc.dispose();
  });
});

describe('BC snapshots', () => {
  const env = new ToyEnv('discrete');
  const data = collectDataset(env, toyExpertPolicy('discrete'), 3, 0);
  const make = (config: Record<string, unknown> = { hiddenSizes: [8] }, seed = 0) =>
    createLearner('bc', { observationSpace: env.observationSpace, actionSpace: env.actionSpace, config, seed }) as BC;

  it('round-trips weights, optimizer state, rng and update count', () => {
    const a = make();
    const rng = new Rng(0);
    for (let i = 0; i < 5; i++) a.update(data.sampleTransitions(16, rng));
    const snapshot = JSON.parse(JSON.stringify(a.save()));
    const b = learnerFromSnapshot(snapshot) as BC;
    expect(b).toBeInstanceOf(BC);
    expect(b.updates).toBe(5);
    expect(weightBytes(b)).toBe(weightBytes(a));
    // Training on from the snapshot matches training on the original: Adam's moments came along.
    const batch: TransitionBatch = data.sampleTransitions(16, rng);
    expect(b.update(batch)).toEqual(a.update(batch));
    expect(weightBytes(b)).toBe(weightBytes(a));
    // The learner's own sampling stream came along too.
    const draws = (l: BC) => Array.from({ length: 10 }, () => l.act(new Float32Array([0.2, 0.1]), { deterministic: false }));
    expect(draws(b)).toEqual(draws(a));
    a.dispose();
    b.dispose();
  });

  it('rejects snapshots of another algorithm, config, space or shape, and leaves the learner unchanged', () => {
    const a = make();
    const good = a.save();
    const before = weightBytes(a);
    expect(() => a.load({ ...good, algo: 'cql' })).toThrow('cannot load a "cql" snapshot into a "bc" learner');
    expect(() => a.load({ ...good, config: { ...(good.config as object), hiddenSizes: [16] } })).toThrow(
      'bc.load: snapshot config differs in "hiddenSizes" (snapshot [16], learner [8])',
    );
    expect(() => a.load({ ...good, actionSpace: new Discrete(3).toJSON() })).toThrow(/bc.load: snapshot actionSpace is .*"n":3/);
    const bad = JSON.parse(JSON.stringify(good));
    bad.weights['policy/2'].shape = [8, 3];
    expect(() => a.load(bad)).toThrow('bc.load: weight "policy/2" has shape [8,3], this learner expects [8,2]');
    const missing = JSON.parse(JSON.stringify(good));
    delete missing.weights['policy/3'];
    expect(() => a.load(missing)).toThrow('bc.load: snapshot is missing weight "policy/3"');
    const noOpt = JSON.parse(JSON.stringify(good));
    delete noOpt.optimizers.policy;
    expect(() => a.load(noOpt)).toThrow('bc.load: snapshot has no state for optimizer "policy"');
    expect(weightBytes(a)).toBe(before);
    expect(() => learnerFromSnapshot({ ...good, algo: 'bcq' })).toThrow(/unknown algorithm "bcq" \(did you mean "bc"[^)]*\); available: .*\bbc\b/);
    a.dispose();
  });
});

describe('registry and config', () => {
  it('lists bc and builds learners by name with validated config', () => {
    const bc = listAlgorithms().find((a) => a.algo === 'bc');
    expect(bc?.actionKinds).toEqual(['discrete', 'box']);
    expect(bc?.defaults).toMatchObject({ hiddenSizes: [256, 256], learningRate: 1e-3 });
    const spaces = { observationSpace: new Box(-1, 1, [2]), actionSpace: new Discrete(2) };
    expect(() => createLearner('bc', { ...spaces, config: { learningRate: -1 } })).toThrow('BC config: "learningRate" must be greater than 0, got -1');
    expect(() => createLearnerByName('bc', { ...spaces, config: { hidenSizes: [8] } })).toThrow(/BC config: unknown field "hidenSizes" \(did you mean "hiddenSizes"\?\)/);
    expect(() => createLearnerByName('bc', { ...spaces, config: { policy: 'stochastic' } })).toThrow('BC config: "policy" must be one of "deterministic", "gaussian", got "stochastic"');
    expect(() => createLearnerByName('BC', spaces)).toThrow(/unknown algorithm "BC" \(did you mean "bc"/);
    const fromJson = createLearner('bc', { observationSpace: spaces.observationSpace.toJSON(), actionSpace: spaces.actionSpace.toJSON(), config: { hiddenSizes: [] } });
    expect(fromJson.act(new Float32Array([0, 0]))).toBeLessThan(2);
    fromJson.dispose();
  });
});
