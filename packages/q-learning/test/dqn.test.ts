import * as tf from '@tensorflow/tfjs';
import { Box, Discrete } from '@bellman/core';
import { initBackend } from '@bellman/nn';
import { dr3, featureProbe } from '@bellman/regularizers';
import { ConfigError } from '@bellman/core';
import { OnlineTrainer, evaluatePolicy } from '@bellman/training';
import { DQN, createLearner, learnerFromSnapshot, type DQNConfig } from '../src/index.js';
import { ToyEnv } from '../../training/test/fixtures.js';
import { batchOf, dot, forward64, head64, hidden64, huber, mean, setMlp, variablesOf, type Row, type Weights } from './value-fixtures.js';

beforeAll(async () => {
  await initBackend({ backend: 'cpu' });
});

const ONLINE: Weights = {
  w0: [
    [1, -1],
    [0.5, 2],
  ],
  b0: [0, 0.1],
  w1: [
    [1, -0.5],
    [0.5, 1],
  ],
  b1: [0.1, -0.2],
};
const TARGET: Weights = {
  w0: [
    [0.5, 1],
    [-1, 0.5],
  ],
  b0: [0.2, 0],
  w1: [
    [0.3, 1.5],
    [2, -0.4],
  ],
  b1: [0, 0.3],
};
const ROWS: Row[] = [
  { obs: [1, 0.5], action: 0, reward: 1, next: [0.2, -0.3], terminal: 0 },
  { obs: [-0.3, 0.8], action: 1, reward: 0, next: [1.5, 1], terminal: 0 },
  { obs: [2, -1], action: 1, reward: -1, next: [0.3, 0.3], terminal: 1 },
  { obs: [0.4, 0.4], action: 0, reward: 0.5, next: [-1, 2], terminal: 0 },
];
const GAMMA = 0.9;

function makeDqn(config: Partial<DQNConfig> = {}, extra: Partial<ConstructorParameters<typeof DQN>[0]> = {}): DQN {
  const learner = new DQN({
    observationSpace: new Box(-5, 5, [2]),
    actionSpace: new Discrete(2),
    config: { hiddenSizes: [2], gamma: GAMMA, targetUpdateInterval: 1000, ...config },
    ...extra,
  });
  setMlp(learner.q.parts[0]![1], ONLINE);
  setMlp(learner.targetQ.parts[0]![1], TARGET);
  return learner;
}

function assignValues(v: tf.Variable, values: number[] | number[][]): void {
  v.assign(tf.tensor(values.flat(), v.shape));
}

const argmax = (v: number[]) => (v[1]! > v[0]! ? 1 : 0);

/** The float64 DQN loss of ROWS under ONLINE / TARGET. */
function expectedLoss(opts: { double: boolean; loss: 'huber' | 'mse'; nStep: number }): { loss: number; targets: number[]; residuals: number[] } {
  const targets = ROWS.map((r) => {
    const qt = forward64(r.next, TARGET);
    const best = opts.double ? argmax(forward64(r.next, ONLINE)) : argmax(qt);
    return r.reward + GAMMA ** opts.nStep * (1 - r.terminal) * qt[best]!;
  });
  const residuals = ROWS.map((r, i) => forward64(r.obs, ONLINE)[r.action]! - targets[i]!);
  const loss = mean(residuals.map((x) => (opts.loss === 'huber' ? huber(x) : 0.5 * x * x)));
  return { loss, targets, residuals };
}

describe('DQN loss', () => {
  it('the fixture makes double and vanilla targets differ and spans both Huber regions', () => {
    const differing = ROWS.filter((r) => r.terminal === 0 && argmax(forward64(r.next, ONLINE)) !== argmax(forward64(r.next, TARGET)));
    expect(differing.length).toBeGreaterThan(0);
    const { residuals } = expectedLoss({ double: true, loss: 'huber', nStep: 1 });
    expect(residuals.some((x) => Math.abs(x) < 1)).toBe(true);
    expect(residuals.some((x) => Math.abs(x) > 1)).toBe(true);
  });

  it.each([
    { double: true, loss: 'huber' as const, nStep: 1 },
    { double: false, loss: 'huber' as const, nStep: 1 },
    { double: true, loss: 'mse' as const, nStep: 1 },
    { double: true, loss: 'huber' as const, nStep: 3 },
  ])('equals the float64 loss (double %j)', ({ double, loss, nStep }) => {
    const learner = makeDqn({ doubleDqn: double, loss, nStep });
    const expected = expectedLoss({ double, loss, nStep });
    const metrics = learner.update(batchOf(ROWS));
    expect(metrics.loss).toBeCloseTo(expected.loss, 5);
    expect(metrics.tdLoss).toBeCloseTo(expected.loss, 5);
    expect(metrics.targetMean).toBeCloseTo(mean(expected.targets), 5);
    expect(metrics.qMean).toBeCloseTo(mean(ROWS.map((r) => forward64(r.obs, ONLINE)[r.action]!)), 5);
    learner.dispose();
  });

  it('double and vanilla DQN give different losses on the same batch', () => {
    const a = makeDqn({ doubleDqn: true });
    const b = makeDqn({ doubleDqn: false });
    const la = a.update(batchOf(ROWS)).loss!;
    const lb = b.update(batchOf(ROWS)).loss!;
    expect(Math.abs(la - lb)).toBeGreaterThan(1e-3);
    expect(la).toBeCloseTo(expectedLoss({ double: true, loss: 'huber', nStep: 1 }).loss, 5);
    expect(lb).toBeCloseTo(expectedLoss({ double: false, loss: 'huber', nStep: 1 }).loss, 5);
    a.dispose();
    b.dispose();
  });

  it('dueling: Q = V + A - mean(A) on the shared features', () => {
    const learner = new DQN({
      observationSpace: new Box(-5, 5, [2]),
      actionSpace: new Discrete(3),
      config: { hiddenSizes: [2], dueling: true },
    });
    const [trunk, value, advantage] = learner.q.parts.map(([, net]) => net);
    // Trunk: one layer, relu(x w0 + b0); heads: linear.
    assignValues(trunk!.variables[0]!, [[1, -1], [0.5, 2]]);
    assignValues(trunk!.variables[1]!, [0, 0.1]);
    assignValues(value!.variables[0]!, [[0.7], [-0.3]]);
    assignValues(value!.variables[1]!, [0.2]);
    assignValues(advantage!.variables[0]!, [[1, 0, -1], [0.5, -0.5, 2]]);
    assignValues(advantage!.variables[1]!, [0.1, 0, -0.2]);
    const h = hidden64([1, 0.5], { w0: [[1, -1], [0.5, 2]], b0: [0, 0.1], w1: [], b1: [] });
    const v = 0.2 + 0.7 * h[0]! - 0.3 * h[1]!;
    const a = head64(h, { w0: [], b0: [], w1: [[1, 0, -1], [0.5, -0.5, 2]], b1: [0.1, 0, -0.2] });
    const am = mean(a);
    const q = Array.from(learner.qValues(new Float32Array([1, 0.5])));
    a.forEach((ak, k) => expect(q[k]).toBeCloseTo(v + ak - am, 5));
    expect(learner.act(new Float32Array([1, 0.5]))).toBe(q.indexOf(Math.max(...q)));
    learner.dispose();
  });
});

describe('DQN target network', () => {
  it('hard update: unchanged until targetUpdateInterval updates, then a copy of the online network', () => {
    const learner = makeDqn({ targetUpdateInterval: 3 });
    const target = learner.targetQ.parts[0]![1];
    const online = learner.q.parts[0]![1];
    const before = variablesOf(target);
    learner.update(batchOf(ROWS));
    learner.update(batchOf(ROWS));
    expect(variablesOf(target)).toEqual(before);
    learner.update(batchOf(ROWS));
    expect(variablesOf(target)).toEqual(variablesOf(online));
    expect(variablesOf(target)).not.toEqual(before);
    learner.dispose();
  });

  it('Polyak update: target <- tau * online + (1 - tau) * target after each update', () => {
    const learner = makeDqn({ targetUpdateInterval: 1, tau: 0.25 });
    const before = variablesOf(learner.targetQ.parts[0]![1]);
    learner.update(batchOf(ROWS));
    const online = variablesOf(learner.q.parts[0]![1]);
    const after = variablesOf(learner.targetQ.parts[0]![1]);
    after.forEach((values, i) => values.forEach((x, j) => expect(x).toBeCloseTo(0.25 * online[i]![j]! + 0.75 * before[i]![j]!, 6)));
    learner.dispose();
  });
});

describe('DQN with DR3 and a feature probe', () => {
  const penalty = (c: number) => c * mean(ROWS.map((r) => dot(hidden64(r.obs, ONLINE), hidden64(r.next, ONLINE))));

  it.each([true, false])('DR3 adds exactly coefficient * mean phi(s).phi(s\') to the loss (double %s)', (double) => {
    const plain = makeDqn({ doubleDqn: double });
    const regularized = makeDqn({ doubleDqn: double }, { regularizers: [dr3({ coefficient: 0.1 })] });
    const base = plain.update(batchOf(ROWS));
    const metrics = regularized.update(batchOf(ROWS));
    expect(penalty(0.1)).toBeGreaterThan(0.05);
    expect(metrics['reg/dr3']).toBeCloseTo(penalty(0.1), 5);
    expect(metrics.loss! - base.loss!).toBeCloseTo(penalty(0.1), 5);
    expect(metrics.tdLoss).toBeCloseTo(base.tdLoss!, 5);
    // The penalty's gradient moved the weights differently.
    expect(variablesOf(regularized.q.parts[0]![1])).not.toEqual(variablesOf(plain.q.parts[0]![1]));
    plain.dispose();
    regularized.dispose();
  });

  it('a coefficient-0 DR3 changes nothing', () => {
    const plain = makeDqn();
    const zero = makeDqn({}, { regularizers: [dr3({ coefficient: 0 })] });
    for (let i = 0; i < 3; i++) {
      expect(zero.update(batchOf(ROWS)).loss).toBeCloseTo(plain.update(batchOf(ROWS)).loss!, 6);
    }
    variablesOf(zero.q.parts[0]![1]).forEach((v, i) => v.forEach((x, j) => expect(x).toBeCloseTo(variablesOf(plain.q.parts[0]![1])[i]![j]!, 6)));
    plain.dispose();
    zero.dispose();
  });

  it.each([true, false])('probe metrics appear on updates 0, k, 2k with the features of that update (regularized %s)', (withDr3) => {
    const learner = makeDqn({ doubleDqn: false }, { featureProbe: featureProbe({ every: 3 }), ...(withDr3 ? { regularizers: [dr3()] } : {}) });
    const seen: number[] = [];
    for (let u = 0; u < 7; u++) {
      const m = learner.update(batchOf(ROWS));
      if (u === 0) expect(m.featureDot).toBeCloseTo(penalty(1), 5);
      if ('featureDot' in m) {
        seen.push(u);
        expect(m.srank).toBeGreaterThanOrEqual(1);
        expect(m.featureNorm).toBeGreaterThan(0);
      }
    }
    expect(seen).toEqual([0, 3, 6]);
    learner.dispose();
  });
});

describe('DQN plumbing', () => {
  it('save / load round trip restores weights, optimizer and the next update exactly', () => {
    const a = makeDqn({ targetUpdateInterval: 2 });
    for (let i = 0; i < 3; i++) a.update(batchOf(ROWS));
    const snapshot = JSON.parse(JSON.stringify(a.save()));
    const b = learnerFromSnapshot(snapshot) as DQN;
    const obs = new Float32Array([0.3, -0.2]);
    expect(Array.from(b.qValues(obs))).toEqual(Array.from(a.qValues(obs)));
    expect(b.update(batchOf(ROWS))).toEqual(a.update(batchOf(ROWS)));
    expect(variablesOf(b.targetQ.parts[0]![1])).toEqual(variablesOf(a.targetQ.parts[0]![1]));
    a.dispose();
    b.dispose();
  });

  it('the same seed gives the same weights; another seed does not', () => {
    const make = (seed: number) => createLearner('dqn', { observationSpace: new Box(-5, 5, [2]), actionSpace: new Discrete(2), config: { hiddenSizes: [8] }, seed }) as DQN;
    const [a, b, c] = [make(1), make(1), make(2)];
    for (const l of [a, b, c]) for (let i = 0; i < 3; i++) l.update(batchOf(ROWS));
    expect(JSON.stringify(a.save().weights)).toBe(JSON.stringify(b.save().weights));
    expect(JSON.stringify(a.save().weights)).not.toBe(JSON.stringify(c.save().weights));
    for (const l of [a, b, c]) l.dispose();
  });

  it('epsilon decays linearly with the env steps and drives exploration', () => {
    const learner = makeDqn({ epsilonStart: 1, epsilonEnd: 0.1, epsilonDecaySteps: 100 });
    learner.onEnvStep(0);
    expect(learner.epsilon).toBe(1);
    learner.onEnvStep(50);
    expect(learner.epsilon).toBeCloseTo(0.55, 12);
    learner.onEnvStep(500);
    expect(learner.epsilon).toBeCloseTo(0.1, 12);
    expect(learner.update(batchOf(ROWS)).epsilon).toBeCloseTo(0.1, 12);
    const obs = new Float32Array([1, 0.5]);
    const greedy = learner.act(obs);
    learner.onEnvStep(0);
    const actions = Array.from({ length: 200 }, () => learner.act(obs, { deterministic: false }));
    const others = actions.filter((a) => a !== greedy).length;
    // epsilon 1 and 2 actions: about half are not the greedy one.
    expect(others).toBeGreaterThan(60);
    expect(others).toBeLessThan(140);
    expect(learner.act(obs, { deterministic: true })).toBe(greedy);
    learner.dispose();
  });

  it('rejects invalid config naming the field', () => {
    const make = (config: Record<string, unknown>) => () => new DQN({ observationSpace: new Box(-1, 1, [2]), actionSpace: new Discrete(2), config });
    expect(make({ nStep: 0 })).toThrow(/"nStep"/);
    expect(make({ gamma: 1.5 })).toThrow(/"gamma"/);
    expect(make({ tau: 0 })).toThrow(/"tau"/);
    expect(make({ epsilonEnd: -0.1 })).toThrow(ConfigError);
    expect(make({ targetUpdateInteval: 3 })).toThrow(/did you mean "targetUpdateInterval"/);
    expect(make({ dueling: true, hiddenSizes: [] })).toThrow(/"hiddenSizes"/);
    expect(() => new DQN({ observationSpace: new Box(-1, 1, [2]), actionSpace: new Box(-1, 1, [1]) })).toThrow(/Discrete/);
  });
});

describe('DQN learns online', () => {
  it('on the toy env (choose the expert action or the episode ends) within 1000 steps', async () => {
    const learner = new DQN({
      observationSpace: new Box(-1, 1, [2]),
      actionSpace: new Discrete(2),
      config: { hiddenSizes: [32], learningRate: 3e-3, epsilonDecaySteps: 500, targetUpdateInterval: 50, gamma: 0.9 },
      seed: 0,
    });
    const before = evaluatePolicy(new ToyEnv('discrete'), learner, { episodes: 20, seed: 500 }).mean;
    const trainer = new OnlineTrainer({ learner, envFactory: () => new ToyEnv('discrete'), steps: 1000, batchSize: 32, warmupSteps: 200, evalEvery: 0, evalEpisodes: 20, seed: 0 });
    const summary = await trainer.run();
    expect(summary.evalReturnMean).not.toBeNull();
    const after = evaluatePolicy(new ToyEnv('discrete'), learner, { episodes: 20, seed: 500 }).mean;
    expect(before).toBeLessThan(5);
    expect(after).toBeGreaterThan(15);
    learner.dispose();
  });
});
