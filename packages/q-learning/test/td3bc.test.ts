import { Box, Rng } from '@bellman/core';
import { initBackend } from '@bellman/nn';
import { TD3BC, createLearner, learnerFromSnapshot } from '../src/index.js';
import { forward64, mean, q64, readWeights, rows, setFixedWeights, tinyBatch } from './continuous-helpers.js';

beforeAll(async () => {
  await initBackend({ backend: 'cpu' });
});

const OBS = new Box(-5, 5, [2]);
const ACTIONS = new Box(-2, 2, [1]);
const normalization = { observationMean: [0.1, -0.2], observationStd: [2, 0.5] };
const norm = (s: number[]) => s.map((x, i) => (x - normalization.observationMean[i]!) / (normalization.observationStd[i]! + 1e-3));

function makeTd3bc(config: Record<string, unknown>) {
  const learner = new TD3BC({ observationSpace: OBS, actionSpace: ACTIONS, seed: 4, normalization, config: { hiddenSizes: [3], policyNoise: 1, noiseClip: 0.3, ...config } });
  const actor = setFixedWeights(learner.actor, 1);
  const actorTarget = setFixedWeights(learner.actorTarget, 2);
  const critics = learner.critics.members.map((m, j) => setFixedWeights(m, 10 + j));
  const targets = learner.critics.targets.map((t, j) => setFixedWeights(t, 20 + j));
  return { learner, actor, actorTarget, critics, targets };
}

describe('TD3+BC update', () => {
  it('critic target with clipped, range-scaled smoothing noise; actor -lambda Q + BC with lambda = alpha / mean|Q|', () => {
    const { learner, actor, actorTarget, critics, targets } = makeTd3bc({ policyDelay: 1 });
    const batch = tinyBatch();
    const data = rows(batch);
    const rng = new Rng(learner.save().rng);
    const ys = data.map(({ r, sNext, d }) => {
      const smoothing = Math.min(Math.max(rng.normal(), -0.3), 0.3) * 2; // clip(sigma * eps, -c, c) * halfRange
      const a = Math.min(Math.max(2 * Math.tanh(forward64(actorTarget, norm(sNext))[0]!) + smoothing, -2), 2);
      return r + 0.99 * (1 - d) * Math.min(q64(targets[0]!, norm(sNext), [a]), q64(targets[1]!, norm(sNext), [a]));
    });
    const criticLoss = [0, 1].map((j) => mean(data.map(({ s, a }, i) => (q64(critics[j]!, norm(s), a) - ys[i]!) ** 2))).reduce((x, y) => x + y);

    const metrics = learner.update(batch);
    expect(metrics.criticLoss).toBeCloseTo(criticLoss, 4);

    const after = readWeights(learner.critics.members[0]!);
    const pis = data.map(({ s }) => 2 * Math.tanh(forward64(actor, norm(s))[0]!));
    const qs = data.map(({ s }, i) => q64(after, norm(s), [pis[i]!]));
    const lambda = 2.5 / mean(qs.map(Math.abs));
    const bc = mean(data.map(({ a }, i) => (pis[i]! - a[0]!) ** 2));
    expect(metrics.lambda).toBeCloseTo(lambda, 4);
    expect(metrics.bcLoss).toBeCloseTo(bc, 5);
    expect(metrics.actorLoss).toBeCloseTo(-lambda * mean(qs) + bc, 4);
    learner.dispose();
  });

  it('updates the actor and the targets only every policyDelay updates', () => {
    const { learner, actorTarget, targets } = makeTd3bc({ policyDelay: 2, tau: 0.5 });
    const first = learner.update(tinyBatch());
    expect(first.actorLoss).toBeUndefined();
    expect(readWeights(learner.actorTarget)).toEqual(actorTarget);
    expect(readWeights(learner.critics.targets[0]!)).toEqual(targets[0]);
    const second = learner.update(tinyBatch());
    expect(second.actorLoss).toBeDefined();
    expect(readWeights(learner.actorTarget)).not.toEqual(actorTarget);
    learner.dispose();
  });
});

describe('TD3+BC learner', () => {
  it('acts on normalised observations, inside the box, and keeps the statistics in its snapshot', () => {
    const { learner, actor } = makeTd3bc({});
    const obs = [0.7, -1.1];
    const action = learner.act(Float32Array.from(obs)) as Float32Array;
    expect(action[0]).toBeCloseTo(2 * Math.tanh(forward64(actor, norm(obs))[0]!), 5);
    const restored = learnerFromSnapshot(JSON.parse(JSON.stringify(learner.save()))) as TD3BC;
    expect(Array.from(restored.observationStd.dataSync())).toEqual([2, 0.5]);
    expect(restored.act(Float32Array.from(obs))).toEqual(action);
    const rng = new Rng(0);
    for (let i = 0; i < 10; i++) expect(ACTIONS.contains(learner.act(new Float32Array([rng.normal(0, 9), 3]), { deterministic: false, rng }))).toBe(true);
    expect(learner.update(tinyBatch())).toEqual(restored.update(tinyBatch()));
    learner.dispose();
    restored.dispose();
  });

  it('validates the normalization statistics and its config', () => {
    expect(() => new TD3BC({ observationSpace: OBS, actionSpace: ACTIONS, normalization: { observationMean: [0], observationStd: [1, 1] } })).toThrow(
      'td3bc: normalization.observationMean has 1 values, the observation space has 2',
    );
    expect(() => new TD3BC({ observationSpace: OBS, actionSpace: ACTIONS, normalization: { observationMean: [0, 0], observationStd: [1, -1] } })).toThrow(
      'td3bc: normalization.observationStd[1] is -1, expected a finite, non-negative number',
    );
    expect(() => createLearner('td3bc', { observationSpace: OBS, actionSpace: ACTIONS, config: { policyDelay: 1.5 } })).toThrow('TD3+BC config: "policyDelay" must be an integer, got 1.5');
    const learner = createLearner('td3bc', { observationSpace: OBS, actionSpace: ACTIONS, config: { hiddenSizes: [4] } }) as TD3BC;
    expect(learner.config).toMatchObject({ alpha: 2.5, policyNoise: 0.2, noiseClip: 0.5, policyDelay: 2, tau: 5e-3, gamma: 0.99 });
    expect(Array.from(learner.observationStd.dataSync())).toEqual([1, 1]);
    learner.dispose();
  });
});
