import * as tf from '@tensorflow/tfjs';
import { Box, Rng } from '@bellman/core';
import { initBackend } from '@bellman/nn';
import { CRR, advantageWeights, createLearner, createLearnerByName, learnerFromSnapshot } from '../src/index.js';
import { forward64, mean, normalLogPdf, q64, rows, setFixedWeights, tinyBatch } from './continuous-helpers.js';

beforeAll(async () => {
  await initBackend({ backend: 'cpu' });
});

const OBS = new Box(-5, 5, [2]);
const ACTIONS = new Box(-2, 2, [1]);

describe('CRR losses', () => {
  it('f(A) is 1(A > 0) or min(exp(A / beta), maxWeight)', () => {
    const a = tf.tensor1d([-0.5, 0, 0.2, 3]);
    expect(Array.from(advantageWeights(a, 'binary', 1, 20).dataSync())).toEqual([0, 0, 1, 1]);
    const got = Array.from(advantageWeights(a, 'exp', 0.5, 20).dataSync());
    [Math.exp(-1), 1, Math.exp(0.4), 20].forEach((x, i) => expect(got[i]).toBeCloseTo(x, 5));
  });

  for (const filter of ['binary', 'exp'] as const) {
    it(`critic target averages Qtarget over m policy samples at s'; actor loss -f(A) log pi(a|s) (${filter})`, () => {
      const crr = new CRR({
        observationSpace: OBS,
        actionSpace: ACTIONS,
        seed: 8,
        config: { hiddenSizes: [3], advantageFilter: filter, beta: 0.5, maxWeight: 1.3, advantageSamples: 3, targetSamples: 2, rewardScale: 2 },
      });
      const actor = setFixedWeights(crr.actor.net, 1);
      const critic = setFixedWeights(crr.critics.members[0]!, 12);
      const target = setFixedWeights(crr.critics.targets[0]!, 20);
      const batch = tinyBatch();
      const data = rows(batch);
      const rng = new Rng(crr.save().rng);
      const sample = (s: number[]) => Math.min(Math.max(2 * Math.tanh(forward64(actor, s)[0]!) + rng.normal(), -2), 2); // std exp(0)
      const ys = data.map(({ r, sNext, d }) => {
        const qs = [0, 1].map(() => q64(target, sNext, [sample(sNext)]));
        return 2 * r + 0.99 * (1 - d) * mean(qs);
      });
      const advantages = data.map(({ s, a }) => q64(critic, s, a) - mean([0, 1, 2].map(() => q64(critic, s, [sample(s)]))));
      expect(advantages.some((x) => x > 0) && advantages.some((x) => x < 0)).toBe(true);
      const weights = advantages.map((x) => (filter === 'binary' ? (x > 0 ? 1 : 0) : Math.min(Math.exp(x / 0.5), 1.3)));
      const logp = data.map(({ s, a }) => normalLogPdf(a[0]!, 2 * Math.tanh(forward64(actor, s)[0]!), 0));
      const metrics = crr.update(batch);
      expect(metrics.criticLoss).toBeCloseTo(mean(data.map(({ s, a }, i) => (q64(critic, s, a) - ys[i]!) ** 2)), 4);
      expect(metrics.advantageMean).toBeCloseTo(mean(advantages), 4);
      expect(metrics.actorLoss).toBeCloseTo(-mean(logp.map((l, i) => weights[i]! * l)), 4);
      crr.dispose();
    });
  }
});

describe('CRR learner', () => {
  it('round-trips, is deterministic, acts inside the box and validates its config', () => {
    const make = () => createLearner('crr', { observationSpace: OBS, actionSpace: ACTIONS, seed: 2, config: { hiddenSizes: [8] } }) as CRR;
    const a = make();
    const b = make();
    expect(a.config).toMatchObject({ advantageFilter: 'exp', beta: 1, maxWeight: 20, advantageSamples: 4 });
    for (let i = 0; i < 3; i++) expect(b.update(tinyBatch())).toEqual(a.update(tinyBatch()));
    const restored = learnerFromSnapshot(JSON.parse(JSON.stringify(a.save()))) as CRR;
    const count = tf.memory().numTensors;
    expect(restored.update(tinyBatch())).toEqual(a.update(tinyBatch()));
    expect(tf.memory().numTensors).toBe(count);
    expect(ACTIONS.contains(a.act(new Float32Array([30, -30]), { deterministic: false }))).toBe(true);
    expect(() => createLearnerByName('crr', { observationSpace: OBS, actionSpace: ACTIONS, config: { advantageFilter: 'max' } })).toThrow(
      'CRR config: "advantageFilter" must be one of "binary", "exp", got "max"',
    );
    for (const l of [a, b, restored]) l.dispose();
  });
});
