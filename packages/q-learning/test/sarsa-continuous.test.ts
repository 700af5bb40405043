import { Box, type Rng, type TransitionBatch } from '@bellman/core';
import { initBackend } from '@bellman/nn';
import { dr3, featureProbe } from '@bellman/regularizers';
import { ContinuousFQE, ContinuousSARSA, createLearner, createLearnerByName, learnerFromSnapshot, type ContinuousActionSampler } from '../src/index.js';
import { dot, forward64, hidden64, mean, setMlp, type Weights } from './value-fixtures.js';

beforeAll(async () => {
  await initBackend({ backend: 'cpu' });
});

/** Critics on [s0, s1, a]: hidden 2, output 1. */
const ONLINE: Weights = { w0: [[1, -1], [0.5, 2], [0.7, -0.4]], b0: [0, 0.1], w1: [[1.2], [-0.7]], b1: [0.1] };
const TARGET: Weights = { w0: [[0.5, 1], [-1, 0.5], [-0.6, 0.9]], b0: [0.2, 0], w1: [[0.4], [1.5]], b1: [-0.1] };
const GAMMA = 0.9;

interface ContinuousRow {
  obs: number[];
  action: number;
  reward: number;
  next: number[];
  terminal: 0 | 1;
  nextAction: number;
  linked: 0 | 1;
}

const ROWS: ContinuousRow[] = [
  { obs: [1, 0.5], action: 0.3, reward: 1, next: [0.2, -0.3], terminal: 0, nextAction: -1.2, linked: 1 },
  { obs: [-0.3, 0.8], action: -0.5, reward: 0, next: [1.5, 1], terminal: 0, nextAction: 1.7, linked: 1 },
  // Terminal without a next action: in the loss with y = r.
  { obs: [2, -1], action: 1, reward: -1, next: [0.3, 0.3], terminal: 1, nextAction: 0, linked: 0 },
  // Cut by a time limit without a next action: out of the loss.
  { obs: [0.4, 0.4], action: -2, reward: 5, next: [-1, 2], terminal: 0, nextAction: 0, linked: 0 },
];

function batchOf(rows: ContinuousRow[]): TransitionBatch & { nextActionMask: Float32Array } {
  return {
    size: rows.length,
    observationDim: 2,
    actionDim: 1,
    observations: Float32Array.from(rows.flatMap((r) => r.obs)),
    actions: Float32Array.from(rows.map((r) => r.action)),
    rewards: Float32Array.from(rows.map((r) => r.reward)),
    nextObservations: Float32Array.from(rows.flatMap((r) => r.next)),
    terminals: Float32Array.from(rows.map((r) => r.terminal)),
    nextActions: Float32Array.from(rows.map((r) => r.nextAction)),
    nextActionMask: Float32Array.from(rows.map((r) => r.linked)),
  };
}

const q = (s: number[], a: number, w: Weights) => forward64([...s, a], w)[0]!;
const phi = (s: number[], a: number, w: Weights) => hidden64([...s, a], w);
const spaces = { observationSpace: new Box(-5, 5, [2]), actionSpace: new Box(-2, 2, [1]) };

/** a' = s'_0 - s'_1: a deterministic policy. */
const linearPolicy: ContinuousActionSampler = {
  sampleActions: (obs, count) => Float32Array.from({ length: count }, (_, i) => obs[2 * i]! - obs[2 * i + 1]!),
};
/** a' uniform in [-2, 2]. */
const uniformPolicy: ContinuousActionSampler = {
  sampleActions: (_obs, count, rng: Rng) => Float32Array.from({ length: count }, () => rng.uniformRange(-2, 2)),
};

function makeSarsa(coefficient?: number): ContinuousSARSA {
  const learner = new ContinuousSARSA({ ...spaces, config: { hiddenSizes: [2], gamma: GAMMA }, ...(coefficient !== undefined ? { regularizers: [dr3({ coefficient })] } : {}) });
  setMlp(learner.critic, ONLINE);
  setMlp(learner.targetCritic, TARGET);
  return learner;
}

function makeFqe(policy: ContinuousActionSampler, config: Record<string, unknown> = {}, coefficient?: number, seed = 0): ContinuousFQE {
  const learner = new ContinuousFQE({
    ...spaces,
    config: { hiddenSizes: [2], gamma: GAMMA, ...config },
    evaluationPolicy: policy,
    seed,
    ...(coefficient !== undefined ? { regularizers: [dr3({ coefficient })] } : {}),
  });
  setMlp(learner.critic, ONLINE);
  setMlp(learner.targetCritic, TARGET);
  return learner;
}

describe('continuous SARSA', () => {
  it("backs up Q_target(s', a'_data); keeps terminal rows without a next action, drops truncated ones", () => {
    const kept = ROWS.slice(0, 3);
    const residuals = kept.map((r) => q(r.obs, r.action, ONLINE) - (r.reward + (r.terminal ? 0 : GAMMA * q(r.next, r.nextAction, TARGET))));
    const m = makeSarsa().update(batchOf(ROWS));
    expect(m.tdLoss).toBeCloseTo(mean(residuals.map((x) => 0.5 * x * x)), 5);
    expect(m.rowsUsed).toBeCloseTo(0.75, 6);
    expect(m.qMean).toBeCloseTo(mean(ROWS.map((r) => q(r.obs, r.action, ONLINE))), 5);
  });

  it("DR3 penalises phi(s, a) . phi(s', a'_data), with a' = a where the data has no next action", () => {
    const penalty = 0.2 * mean(ROWS.map((r) => dot(phi(r.obs, r.action, ONLINE), phi(r.next, r.linked ? r.nextAction : r.action, ONLINE))));
    const plain = makeSarsa().update(batchOf(ROWS));
    const m = makeSarsa(0.2).update(batchOf(ROWS));
    expect(m['reg/dr3']).toBeCloseTo(penalty, 5);
    expect(m.loss! - plain.loss!).toBeCloseTo(penalty, 5);
  });

  it('needs next actions', () => {
    const { nextActions: _n, ...noNext } = batchOf(ROWS);
    expect(() => makeSarsa().update(noNext)).toThrow(/nextActions/);
  });
});

describe('continuous FQE', () => {
  it("backs up Q_target at a' drawn from the policy (a deterministic policy equals SARSA on those a')", () => {
    const rows = ROWS.slice(0, 3).map((r) => ({ ...r, nextAction: r.next[0]! - r.next[1]!, linked: 1 as const }));
    const targets = rows.map((r) => r.reward + (r.terminal ? 0 : GAMMA * q(r.next, r.nextAction, TARGET)));
    const m = makeFqe(linearPolicy, {}, 0.1).update(batchOf(rows));
    expect(m.targetMean).toBeCloseTo(mean(targets), 5);
    expect(m['reg/dr3']).toBeCloseTo(0.1 * mean(rows.map((r) => dot(phi(r.obs, r.action, ONLINE), phi(r.next, r.nextAction, ONLINE)))), 5);
    expect(m.rowsUsed).toBeUndefined();
    const sarsa = makeSarsa(0.1).update(batchOf(rows));
    expect(m.loss).toBeCloseTo(sarsa.loss!, 5);
  });

  it('draws fresh actions each update with its seeded rng; several draws are averaged', () => {
    const rows = ROWS.slice(0, 2);
    const run = (seed: number, samples = 1) => {
      const learner = makeFqe(uniformPolicy, { nextActionSamples: samples }, undefined, seed);
      const out = Array.from({ length: 4 }, () => learner.update(batchOf(rows)).targetMean!);
      learner.dispose();
      return out;
    };
    expect(run(5)).toEqual(run(5));
    expect(run(5)).not.toEqual(run(6));
    const once = run(5);
    expect(new Set(once.map((x) => x.toFixed(6))).size).toBeGreaterThan(1);
    // Replaying the learner's draws by hand: seed 7, two draws per row, rows in order.
    const learner = makeFqe(uniformPolicy, { nextActionSamples: 2 }, undefined, 7);
    const probe = new ContinuousFQE({ ...spaces, config: { hiddenSizes: [2] }, evaluationPolicy: uniformPolicy, seed: 7 });
    // Both learners consumed the same rng draws while initialising, so the probe replays the draws.
    const draws = probe.sampleActions(new Float32Array(8), 4);
    const target = mean(rows.map((r, i) => r.reward + GAMMA * mean([q(r.next, draws[2 * i]!, TARGET), q(r.next, draws[2 * i + 1]!, TARGET)])));
    expect(learner.update(batchOf(rows)).targetMean).toBeCloseTo(target, 5);
  });

  it('checks the evaluation policy and what it returns', () => {
    expect(() => createLearnerByName('fqe-continuous', { ...spaces })).toThrow(/evaluationPolicy/);
    const bad = makeFqe({ sampleActions: () => new Float32Array([Number.NaN, 0, 0]) });
    expect(() => bad.update(batchOf(ROWS.slice(0, 3)))).toThrow(/row 0 column 0 is NaN/);
    const short = makeFqe({ sampleActions: () => new Float32Array(1) });
    expect(() => short.update(batchOf(ROWS))).toThrow(/returned 1 values for 4 observations/);
  });
});

describe('continuous evaluators: acting, probes, snapshots', () => {
  it('act picks the best of the evenly spaced candidates', () => {
    const learner = makeSarsa();
    const s = [0.3, -0.6];
    const grid = Array.from({ length: 64 }, (_, i) => -2 + (4 * i) / 63);
    const best = grid.reduce((b, a) => (q(s, a, ONLINE) > q(s, b, ONLINE) ? a : b));
    expect((learner.act(Float32Array.from(s)) as Float32Array)[0]).toBeCloseTo(best, 5);
  });

  it('probe metrics every k updates; the snapshot round trip resumes exactly', () => {
    const make = () =>
      createLearner('sarsa-continuous', { ...spaces, config: { hiddenSizes: [8, 8], targetUpdateInterval: 2 }, seed: 3, featureProbe: featureProbe({ every: 2 }) });
    const learner = make();
    const metrics = [0, 1, 2].map(() => learner.update(batchOf(ROWS)));
    expect(Number.isFinite(metrics[0]!.featureDot!)).toBe(true);
    expect(metrics[0]!.srank).toBeGreaterThanOrEqual(1);
    expect(metrics[1]!.featureDot).toBeUndefined();
    expect(metrics[2]!.featureDot).toBeDefined();
    const copy = learnerFromSnapshot(learner.save());
    expect(copy.update(batchOf(ROWS)).loss).toBeCloseTo(learner.update(batchOf(ROWS)).loss!, 6);
    expect(make().update(batchOf(ROWS)).loss).toBeCloseTo(metrics[0]!.loss!, 6);
  });
});
