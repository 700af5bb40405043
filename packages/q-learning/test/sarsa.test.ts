import { Box, Discrete } from '@bellman/core';
import { initBackend } from '@bellman/nn';
import { dr3, featureProbe } from '@bellman/regularizers';
import { FQE, SARSA, createLearnerByName, learnerFromSnapshot, type DiscreteActionProbabilities, type FQEConfig, type SARSAConfig } from '../src/index.js';
import { batchOf, dot, forward64, hidden64, mean, setMlp, variablesOf, type Row, type Weights } from './value-fixtures.js';

beforeAll(async () => {
  await initBackend({ backend: 'cpu' });
});

/** State-action critics: input [s0, s1, onehot(a) (2)], hidden 2, output 1. */
const ONLINE: Weights = {
  w0: [[1, -1], [0.5, 2], [0.3, -0.4], [-0.6, 0.8]],
  b0: [0, 0.1],
  w1: [[1.2], [-0.7]],
  b1: [0.1],
};
const TARGET: Weights = {
  w0: [[0.5, 1], [-1, 0.5], [0.2, 0.9], [-0.3, -0.5]],
  b0: [0.2, 0],
  w1: [[0.4], [1.5]],
  b1: [-0.1],
};
const GAMMA = 0.9;
const ROWS: Row[] = [
  { obs: [1, 0.5], action: 0, reward: 1, next: [0.2, -0.3], terminal: 0, nextAction: 1, linked: 1 },
  { obs: [-0.3, 0.8], action: 1, reward: 0, next: [1.5, 1], terminal: 0, nextAction: 0, linked: 1 },
  // Terminal, no next action: stays in the loss with y = r.
  { obs: [2, -1], action: 1, reward: -1, next: [0.3, 0.3], terminal: 1, linked: 0 },
  // Cut by a time limit, no next action: out of the loss.
  { obs: [0.4, 0.4], action: 0, reward: 5, next: [-1, 2], terminal: 0, linked: 0 },
];
const onehot = (a: number) => (a === 0 ? [1, 0] : [0, 1]);
const qsa = (s: number[], a: number, w: Weights) => forward64([...s, ...onehot(a)], w)[0]!;
const phisa = (s: number[], a: number, w: Weights) => hidden64([...s, ...onehot(a)], w);

/** pi(.|s) = softmax([s0, s1]). */
const softmaxPolicy: DiscreteActionProbabilities = {
  policyProbabilities(observations, count) {
    const out = new Float32Array(count * 2);
    for (let i = 0; i < count; i++) {
      const [a, b] = [observations[2 * i]!, observations[2 * i + 1]!];
      const m = Math.max(a, b);
      const ea = Math.exp(a - m);
      const eb = Math.exp(b - m);
      out[2 * i] = ea / (ea + eb);
      out[2 * i + 1] = eb / (ea + eb);
    }
    return out;
  },
};
const pi = (s: number[]) => Array.from(softmaxPolicy.policyProbabilities(Float32Array.from(s), 1)).map(Number);
const constantPolicy = (p: number[]): DiscreteActionProbabilities => ({
  policyProbabilities: (_obs, count) => Float32Array.from({ length: count * 2 }, (_, i) => p[i % 2]!),
});

const spaces = { observationSpace: new Box(-5, 5, [2]), actionSpace: new Discrete(2) };

function setCritics(learner: SARSA | FQE, online = ONLINE, target = TARGET): void {
  setMlp(learner.critic.net, online);
  setMlp(learner.targetCritic.net, target);
}

function makeSarsa(config: Partial<SARSAConfig> = {}, coefficient?: number): SARSA {
  const learner = new SARSA({ ...spaces, config: { hiddenSizes: [2], gamma: GAMMA, ...config }, ...(coefficient !== undefined ? { regularizers: [dr3({ coefficient })] } : {}) });
  setCritics(learner);
  return learner;
}

function makeFqe(config: Partial<FQEConfig> = {}, policy = softmaxPolicy, coefficient?: number, seed = 0): FQE {
  const learner = new FQE({
    ...spaces,
    config: { hiddenSizes: [2], gamma: GAMMA, ...config },
    evaluationPolicy: policy,
    seed,
    ...(coefficient !== undefined ? { regularizers: [dr3({ coefficient })] } : {}),
  });
  setCritics(learner);
  return learner;
}

describe('SARSA', () => {
  it("backs up Q_target(s', a'_data); keeps terminal rows without a next action, drops truncated ones", () => {
    const kept = ROWS.slice(0, 3);
    const residuals = kept.map((r) => {
      const y = r.reward + GAMMA * (1 - r.terminal) * (r.terminal ? 0 : qsa(r.next, r.nextAction!, TARGET));
      return qsa(r.obs, r.action, ONLINE) - y;
    });
    const learner = makeSarsa();
    const m = learner.update(batchOf(ROWS));
    expect(m.tdLoss).toBeCloseTo(mean(residuals.map((x) => 0.5 * x * x)), 5);
    expect(m.rowsUsed).toBeCloseTo(0.75, 6);
    expect(m.qMean).toBeCloseTo(mean(ROWS.map((r) => qsa(r.obs, r.action, ONLINE))), 5);
    learner.dispose();
  });

  it("uses the data's next action: swapping a'_data changes the target", () => {
    const swapped = ROWS.map((r) => (r.linked ? { ...r, nextAction: 1 - r.nextAction! } : r));
    const a = makeSarsa().update(batchOf(ROWS));
    const b = makeSarsa().update(batchOf(swapped));
    const expectedShift = mean([0, 1].map((i) => GAMMA * (qsa(ROWS[i]!.next, 1 - ROWS[i]!.nextAction!, TARGET) - qsa(ROWS[i]!.next, ROWS[i]!.nextAction!, TARGET)))) * (2 / 4);
    expect(b.targetMean! - a.targetMean!).toBeCloseTo(expectedShift, 5);
  });

  it('state critic: Q(s, .) = Mlp(s), phi = state features', () => {
    const W: Weights = { w0: [[1, -1], [0.5, 2]], b0: [0, 0.1], w1: [[1, -0.5], [0.5, 1]], b1: [0.1, -0.2] };
    const T: Weights = { w0: [[0.5, 1], [-1, 0.5]], b0: [0.2, 0], w1: [[0.3, 1.5], [2, -0.4]], b1: [0, 0.3] };
    const learner = new SARSA({ ...spaces, config: { critic: 'state', hiddenSizes: [2], gamma: GAMMA, loss: 'huber' }, regularizers: [dr3({ coefficient: 0.2 })] });
    setCritics(learner, W, T);
    const rows = ROWS.slice(0, 2);
    const residuals = rows.map((r) => forward64(r.obs, W)[r.action]! - (r.reward + GAMMA * forward64(r.next, T)[r.nextAction!]!));
    const penalty = 0.2 * mean(rows.map((r) => dot(hidden64(r.obs, W), hidden64(r.next, W))));
    const m = learner.update(batchOf(rows));
    expect(m.tdLoss).toBeCloseTo(mean(residuals.map((x) => (Math.abs(x) <= 1 ? 0.5 * x * x : Math.abs(x) - 0.5))), 5);
    expect(m['reg/dr3']).toBeCloseTo(penalty, 5);
    learner.dispose();
  });

  it("DR3 uses phi(s, a_data) . phi(s', a'_data) of the state-action critic", () => {
    // Rows without a next action use a' = the first action in the penalty.
    const penalty = 0.1 * mean(ROWS.map((r) => dot(phisa(r.obs, r.action, ONLINE), phisa(r.next, r.linked ? r.nextAction! : 0, ONLINE))));
    const plain = makeSarsa().update(batchOf(ROWS));
    const m = makeSarsa({}, 0.1).update(batchOf(ROWS));
    expect(m['reg/dr3']).toBeCloseTo(penalty, 5);
    expect(m.loss! - plain.loss!).toBeCloseTo(penalty, 5);
    // phi(s', a') depends on a': another a' gives another penalty.
    const other = 0.1 * mean(ROWS.map((r) => dot(phisa(r.obs, r.action, ONLINE), phisa(r.next, r.linked ? 1 - r.nextAction! : 1, ONLINE))));
    expect(Math.abs(other - penalty)).toBeGreaterThan(1e-3);
  });

  it('needs next actions and names a bad one', () => {
    const learner = makeSarsa();
    const noNext = batchOf(ROWS.map(({ nextAction: _a, linked: _l, ...r }) => r));
    expect(() => learner.update(noNext)).toThrow(/nextActions/);
    const bad = batchOf(ROWS);
    bad.nextActions![1] = 7;
    expect(() => learner.update(bad)).toThrow(/nextActions row 1 is 7/);
    learner.dispose();
  });
});

describe('FQE', () => {
  it("mode 'expectation' backs up sum_a pi(a|s') Q_target(s', a)", () => {
    const rows = ROWS.slice(0, 3);
    const targets = rows.map((r) => r.reward + GAMMA * (1 - r.terminal) * pi(r.next).reduce((s, p, a) => s + p * qsa(r.next, a, TARGET), 0));
    const m = makeFqe().update(batchOf(rows));
    expect(m.targetMean).toBeCloseTo(mean(targets), 5);
    expect(m.tdLoss).toBeCloseTo(mean(rows.map((r, i) => 0.5 * (qsa(r.obs, r.action, ONLINE) - targets[i]!) ** 2)), 5);
    expect(m.rowsUsed).toBeUndefined();
  });

  it("DR3 in mode 'expectation' uses E_pi phi(s', a')", () => {
    const rows = ROWS.slice(0, 3);
    const penalty = 0.3 * mean(rows.map((r) => {
      const p = pi(r.next);
      const expectedPhi = phisa(r.next, 0, ONLINE).map((x, j) => p[0]! * x + p[1]! * phisa(r.next, 1, ONLINE)[j]!);
      return dot(phisa(r.obs, r.action, ONLINE), expectedPhi);
    }));
    const m = makeFqe({}, softmaxPolicy, 0.3).update(batchOf(rows));
    expect(m['reg/dr3']).toBeCloseTo(penalty, 5);
  });

  it("mode 'sample' with a deterministic policy equals the expectation; with a stochastic one it is seeded", () => {
    const rows = ROWS.slice(0, 3);
    const certain = constantPolicy([0, 1]);
    const e = makeFqe({ mode: 'expectation' }, certain).update(batchOf(rows));
    const s = makeFqe({ mode: 'sample' }, certain).update(batchOf(rows));
    expect(s.loss).toBeCloseTo(e.loss!, 6);
    const run = (seed: number) => {
      const learner = makeFqe({ mode: 'sample' }, constantPolicy([0.5, 0.5]), undefined, seed);
      const targets = Array.from({ length: 6 }, () => learner.update(batchOf(rows)).targetMean!);
      learner.dispose();
      return targets;
    };
    expect(run(3)).toEqual(run(3));
    // The sampled targets are one of the two per-action values of row 0 and 1 (row 2 is terminal).
    const perAction = (a0: number, a1: number) => mean([1 + GAMMA * qsa(rows[0]!.next, a0, TARGET), 0 + GAMMA * qsa(rows[1]!.next, a1, TARGET), -1]);
    const first = run(3)[0]!;
    const candidates = [perAction(0, 0), perAction(0, 1), perAction(1, 0), perAction(1, 1)];
    expect(candidates.some((c) => Math.abs(c - first) < 1e-5)).toBe(true);
  });

  it('checks the evaluation policy', () => {
    expect(() => createLearnerByName('fqe', { ...spaces })).toThrow(/evaluationPolicy/);
    const learner = makeFqe({}, constantPolicy([0.7, 0.7]));
    expect(() => learner.update(batchOf(ROWS))).toThrow(/row 0 sum to 1.4/);
    learner.dispose();
  });

  it('values(s) = sum_a pi(a|s) Q(s, a); act is greedy in Q', () => {
    const learner = makeFqe();
    const obs = [0.3, -0.6];
    expect(learner.values(Float32Array.from(obs), 1)[0]).toBeCloseTo(pi(obs).reduce((s, p, a) => s + p * qsa(obs, a, ONLINE), 0), 5);
    const q = [qsa(obs, 0, ONLINE), qsa(obs, 1, ONLINE)];
    expect(learner.act(Float32Array.from(obs), { deterministic: false })).toBe(q[1]! > q[0]! ? 1 : 0);
    learner.dispose();
  });
});

describe('SARSA / FQE plumbing', () => {
  it('probe metrics every k updates, target update, snapshot round trip, determinism', () => {
    const learner = new SARSA({ ...spaces, config: { hiddenSizes: [4], targetUpdateInterval: 2 }, featureProbe: featureProbe({ every: 2 }), seed: 5 });
    const twin = new SARSA({ ...spaces, config: { hiddenSizes: [4], targetUpdateInterval: 2 }, seed: 5 });
    const probed: number[] = [];
    for (let u = 0; u < 5; u++) {
      const m = learner.update(batchOf(ROWS));
      const t = twin.update(batchOf(ROWS));
      expect(t.loss).toBe(m.loss);
      if ('featureDot' in m) probed.push(u);
      if (u === 1) expect(variablesOf(learner.targetCritic.net)).toEqual(variablesOf(learner.critic.net));
    }
    expect(probed).toEqual([0, 2, 4]);
    const copy = learnerFromSnapshot(JSON.parse(JSON.stringify(learner.save())));
    expect(copy.algo).toBe('sarsa');
    expect(copy.update(batchOf(ROWS)).loss).toBe(learner.update(batchOf(ROWS)).loss);
    // @ts-expect-error: not a critic kind; the config is checked at run time too
    expect(() => new SARSA({ ...spaces, config: { critic: 'state-actions' } })).toThrow(/"critic"/);
    expect(() => new FQE({ ...spaces, config: { mode: 'sampled' }, evaluationPolicy: softmaxPolicy } as never)).toThrow(/"mode"/);
    for (const l of [learner, twin, copy]) l.dispose();
  });
});
