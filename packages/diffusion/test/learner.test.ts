import { Rng } from '@bellman/core';
import { initBackend } from '@bellman/nn';
import { Diffuser, PlanningLearner, ValueGuidedPlanner, ValueModel, fitTrajectoryNormalizer } from '../src/index.js';
import { lineWindows } from './helpers.js';

beforeAll(async () => {
  await initBackend({ backend: 'cpu', quiet: true });
});

const horizon = 8;
const normalizer = fitTrajectoryNormalizer(lineWindows(128, horizon, new Rng(100)));
const net = { horizon, nDiffusionSteps: 4, dim: 8, dimMults: [1, 2], learningRate: 1e-3 };

function learnerOf(seed: number): PlanningLearner {
  const diffuser = new Diffuser({ observationDim: 4, actionDim: 2, normalizer, seed, config: { ...net, emaStart: 1, emaEvery: 1 } });
  const value = new ValueModel({ observationDim: 4, actionDim: 2, normalizer, seed: seed + 1, config: { ...net, hiddenSizes: [8] } });
  return new PlanningLearner({ diffuser, value }, new ValueGuidedPlanner({ diffuser, value, samples: 2, seed: 0 }));
}

describe('PlanningLearner', () => {
  it('updates every model on each batch and resumes both exactly from its snapshot', () => {
    const data = new Rng(5);
    const batches = Array.from({ length: 5 }, () => lineWindows(4, horizon, data));
    const a = learnerOf(3);
    const metrics = a.update(batches[0]!);
    expect(Object.keys(metrics).sort()).toEqual(['firstActionLoss', 'loss', 'valueLoss']);
    for (const b of batches.slice(1, 3)) a.update(b);
    const snapshot = JSON.parse(JSON.stringify(a.save())) as ReturnType<PlanningLearner['save']>;
    expect(snapshot.updates).toBe(3);
    expect(Object.keys(snapshot.optimizers).sort()).toEqual(['diffuser', 'value']);
    expect(Object.keys(snapshot.weights).every((k) => k.startsWith('diffuser/') || k.startsWith('value/'))).toBe(true);
    for (const b of batches.slice(3)) a.update(b);
    const b = learnerOf(40);
    b.load(snapshot);
    for (const batch of batches.slice(3)) b.update(batch);
    expect(JSON.stringify(b.save())).toEqual(JSON.stringify(a.save()));
    // the resumed learner plans the same action (the planners' own streams start alike)
    expect(Array.from(b.act(Float32Array.of(-0.5, 0, 0, 0)))).toEqual(Array.from(a.act(Float32Array.of(-0.5, 0, 0, 0))));
    expect(() => learnerOf(1).load({ ...snapshot, config: {} })).toThrow(/no model "diffuser"/);
    a.dispose();
    b.dispose();
  });
});
