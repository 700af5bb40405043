import { ConfigError, Rng } from '@bellman/core';
import { initBackend } from '@bellman/nn';
import { Diffuser, GoalPlanner, ValueGuidedPlanner, ValueModel, fitTrajectoryNormalizer, type DiffuserConfig } from '../src/index.js';
import { lineWindows, meanDeviationFromLine } from './helpers.js';

beforeAll(async () => {
  await initBackend({ backend: 'wasm', quiet: true });
});

const horizon = 16;
const tinyConfig: Partial<DiffuserConfig> = { horizon, nDiffusionSteps: 16, dim: 16, dimMults: [1, 2], normGroups: 8, learningRate: 1e-3, emaStart: 0 };
const normalizer = fitTrajectoryNormalizer(lineWindows(512, horizon, new Rng(100)));
const make = (config: Partial<DiffuserConfig> = tinyConfig, seed = 0) => new Diffuser({ observationDim: 4, actionDim: 2, normalizer, config, seed });

const start = Float32Array.from([-0.6, -0.4, 0, 0]);
const goalState = Float32Array.from([0.7, 0.5, 0, 0]);
const conditions = new Map([
  [0, start],
  [horizon - 1, goalState],
]);

it('rejects a horizon the U-Net cannot halve, naming H', () => {
  expect(() => make({ ...tinyConfig, horizon: 18, dimMults: [1, 2, 4] })).toThrow(ConfigError);
  expect(() => make({ ...tinyConfig, horizon: 18, dimMults: [1, 2, 4] })).toThrow(/H = 18/);
  expect(() => make({ ...tinyConfig, horizn: 16 } as Partial<DiffuserConfig>)).toThrow(/did you mean "horizon"/);
});

it('learns straight lines: conditioned samples meet start and goal and lie close to the line between them', () => {
  const diffuser = make();
  const rng = new Rng(1);
  const untrained = diffuser.plan(conditions, { batch: 8, rng: new Rng(5), useEma: false });
  const before = meanDeviationFromLine(untrained.observations, 8, horizon);
  let firstLoss = 0;
  let lastLoss = 0;
  for (let i = 0; i < 300; i++) {
    const { loss } = diffuser.trainStep(lineWindows(32, horizon, rng));
    if (i === 0) firstLoss = loss;
    lastLoss = loss;
  }
  expect(lastLoss).toBeLessThan(firstLoss / 5);
  const plans = diffuser.plan(conditions, { batch: 8, rng: new Rng(5), useEma: false });
  const after = meanDeviationFromLine(plans.observations, 8, horizon);
  for (let b = 0; b < 8; b++) {
    expect(Array.from(plans.observations.subarray(b * horizon * 4, b * horizon * 4 + 4))).toEqual(Array.from(start));
    expect(Array.from(plans.observations.subarray(((b + 1) * horizon - 1) * 4, (b + 1) * horizon * 4))).toEqual(Array.from(goalState));
  }
  expect(after).toBeLessThan(before / 3);
  expect(after).toBeLessThan(0.15);
  // DDIM with a quarter of the steps plans the same kind of line
  const fast = diffuser.plan(conditions, { batch: 8, rng: new Rng(5), useEma: false, sampler: { kind: 'ddim', steps: 4 } });
  expect(meanDeviationFromLine(fast.observations, 8, horizon)).toBeLessThan(before / 2);

  // The goal planner follows the plan with the maze2d controller.
  const planner = new GoalPlanner({ diffuser, goal: [0.7, 0.5], seed: 3 });
  planner.reset();
  const obs = Float32Array.from(start);
  const action = planner.act(obs);
  const plan = planner.plan!.observations;
  expect(action[0]).toBeCloseTo(plan[4]! - obs[0]! + (plan[6]! - obs[2]!), 6);
  expect(action[1]).toBeCloseTo(plan[5]! - obs[1]! + (plan[7]! - obs[3]!), 6);
  for (let t = 1; t < horizon + 2; t++) planner.act(obs);
  const last = planner.act(obs); // past the plan's end: its last state at zero velocity
  expect(last[0]).toBeCloseTo(plan[(horizon - 1) * 4]! - obs[0]! - obs[2]!, 6);
  expect(planner.metrics().plans).toBe(1);
  expect(planner.metrics().plan_ms).toBeGreaterThan(0);
  const replanning = new GoalPlanner({ diffuser, goal: [0.7, 0.5], replanEvery: 4, sampler: { kind: 'ddim', steps: 4 } });
  for (let t = 0; t < 9; t++) replanning.act(obs);
  expect(replanning.metrics().plans).toBe(3);
  replanning.reset();
  expect(replanning.metrics().plans).toBe(0);
  diffuser.dispose();
}, 120000);

it('resumes exactly from a snapshot: weights, moving average, Adam and randomness', () => {
  const config = { ...tinyConfig, dim: 8, emaStart: 2, emaEvery: 1 };
  const data = new Rng(7);
  const batches = Array.from({ length: 5 }, () => lineWindows(4, horizon, data));
  const a = make(config, 3);
  for (const b of batches.slice(0, 3)) a.trainStep(b);
  const snapshot = JSON.parse(JSON.stringify(a.snapshot())) as ReturnType<Diffuser['snapshot']>;
  for (const b of batches.slice(3)) a.trainStep(b);
  const b = make(config, 99);
  b.restore(snapshot);
  for (const batch of batches.slice(3)) b.trainStep(batch);
  expect(b.step).toBe(5);
  expect(JSON.stringify(b.snapshot())).toEqual(JSON.stringify(a.snapshot()));
  expect(() => make({ ...config, actionWeight: 3 }).restore(snapshot)).toThrow(/differ/);
  a.dispose();
  b.dispose();
});

it('value-guided planning acts with the first action of the best-valued plan, reproducibly', () => {
  const config = { ...tinyConfig, dim: 8 };
  const diffuser = make(config);
  const value = new ValueModel({ observationDim: 4, actionDim: 2, normalizer, config: { horizon, nDiffusionSteps: 16, dim: 8, dimMults: [1, 2], hiddenSizes: [16], learningRate: 1e-3 } });
  const rng = new Rng(2);
  const losses = Array.from({ length: 40 }, () => value.trainStep(lineWindows(32, horizon, rng)).loss);
  expect(losses.slice(-5).reduce((s, v) => s + v, 0)).toBeLessThan(losses.slice(0, 5).reduce((s, v) => s + v, 0));
  const planner = () => new ValueGuidedPlanner({ diffuser, value, samples: 8, seed: 4 });
  const p = planner();
  const action = p.act(start);
  expect(action).toHaveLength(2);
  expect(Array.from(p.act(start))).not.toEqual(Array.from(action)); // a new plan every step
  expect(p.metrics().plans).toBe(2);
  expect(Number.isFinite(p.metrics().best_value)).toBe(true);
  expect(Array.from(planner().act(start))).toEqual(Array.from(action));
  diffuser.dispose();
  value.dispose();
}, 60000);
