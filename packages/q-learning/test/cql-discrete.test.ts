import { Box, Discrete } from '@bellman/core';
import { initBackend } from '@bellman/nn';
import { dr3 } from '@bellman/regularizers';
import { DQN, DiscreteCQL, createLearner, learnerFromSnapshot, type DiscreteCQLConfig } from '../src/index.js';
import { batchOf, dot, forward64, hidden64, huber, mean, setMlp, type Row, type Weights } from './value-fixtures.js';

beforeAll(async () => {
  await initBackend({ backend: 'cpu' });
});

const ONLINE: Weights = { w0: [[1, -1, 0.3], [0.5, 2, -0.7]], b0: [0, 0.1, 0.2], w1: [[1, -0.5, 0.2], [0.5, 1, -1], [0.3, 0.3, 0.9]], b1: [0.1, -0.2, 0] };
const TARGET: Weights = { w0: [[0.5, 1, -0.2], [-1, 0.5, 0.4]], b0: [0.2, 0, -0.1], w1: [[0.3, 1.5, 0], [2, -0.4, 0.6], [-0.5, 0.2, 1]], b1: [0, 0.3, -0.1] };
const ROWS: Row[] = [
  { obs: [1, 0.5], action: 0, reward: 1, next: [0.2, -0.3], terminal: 0 },
  { obs: [-0.3, 0.8], action: 2, reward: 0, next: [1.5, 1], terminal: 0 },
  { obs: [2, -1], action: 1, reward: -1, next: [0.3, 0.3], terminal: 1 },
];
const GAMMA = 0.95;

function makeCql(config: Partial<DiscreteCQLConfig> = {}, regularized = false): DiscreteCQL {
  const learner = new DiscreteCQL({
    observationSpace: new Box(-5, 5, [2]),
    actionSpace: new Discrete(3),
    config: { hiddenSizes: [3], gamma: GAMMA, targetUpdateInterval: 1000, ...config },
    ...(regularized ? { regularizers: [dr3({ coefficient: 0.5 })] } : {}),
  });
  setMlp(learner.q.parts[0]![1], ONLINE);
  setMlp(learner.targetQ.parts[0]![1], TARGET);
  return learner;
}

const argmax = (v: number[]) => v.indexOf(Math.max(...v));
const logSumExp = (v: number[]) => {
  const m = Math.max(...v);
  return m + Math.log(v.reduce((s, x) => s + Math.exp(x - m), 0));
};

function expected(alpha: number): { td: number; gap: number } {
  const residuals = ROWS.map((r) => {
    const best = argmax(forward64(r.next, ONLINE));
    const y = r.reward + GAMMA * (1 - r.terminal) * forward64(r.next, TARGET)[best]!;
    return forward64(r.obs, ONLINE)[r.action]! - y;
  });
  const gap = mean(ROWS.map((r) => logSumExp(forward64(r.obs, ONLINE)) - forward64(r.obs, ONLINE)[r.action]!));
  void alpha;
  return { td: mean(residuals.map(huber)), gap };
}

describe('DiscreteCQL', () => {
  it('loss = double-DQN Huber TD loss + alpha * mean(logsumexp Q - Q(s, a_data))', () => {
    const { td, gap } = expected(2);
    expect(gap).toBeGreaterThan(0.3);
    const learner = makeCql({ alpha: 2 });
    const m = learner.update(batchOf(ROWS));
    expect(m.tdLoss).toBeCloseTo(td, 5);
    expect(m.cqlGap).toBeCloseTo(gap, 5);
    expect(m.loss).toBeCloseTo(td + 2 * gap, 5);
    learner.dispose();
  });

  it('alpha 0 is double DQN', () => {
    const cql = makeCql({ alpha: 0 });
    const dqn = new DQN({ observationSpace: new Box(-5, 5, [2]), actionSpace: new Discrete(3), config: { hiddenSizes: [3], gamma: GAMMA, targetUpdateInterval: 1000, learningRate: 3e-4 } });
    setMlp(dqn.q.parts[0]![1], ONLINE);
    setMlp(dqn.targetQ.parts[0]![1], TARGET);
    for (let i = 0; i < 3; i++) expect(cql.update(batchOf(ROWS)).loss).toBeCloseTo(dqn.update(batchOf(ROWS)).loss!, 6);
    cql.dispose();
    dqn.dispose();
  });

  it('DR3 adds coefficient * mean phi(s).phi(s\') on top of the CQL loss', () => {
    const { td, gap } = expected(1);
    const penalty = 0.5 * mean(ROWS.map((r) => dot(hidden64(r.obs, ONLINE), hidden64(r.next, ONLINE))));
    const learner = makeCql({ alpha: 1 }, true);
    const m = learner.update(batchOf(ROWS));
    expect(m['reg/dr3']).toBeCloseTo(penalty, 5);
    expect(m.loss).toBeCloseTo(td + gap + penalty, 5);
    learner.dispose();
  });

  it('is registered, validates its config and round-trips a snapshot', () => {
    expect(() => createLearner('cql-discrete', { observationSpace: new Box(-1, 1, [2]), actionSpace: new Discrete(3), config: { alpha: -1 } })).toThrow(/"alpha"/);
    const learner = makeCql();
    learner.update(batchOf(ROWS));
    const copy = learnerFromSnapshot(JSON.parse(JSON.stringify(learner.save()))) as DiscreteCQL;
    expect(copy.algo).toBe('cql-discrete');
    expect(copy.update(batchOf(ROWS))).toEqual(learner.update(batchOf(ROWS)));
    const obs = new Float32Array([0.1, 0.2]);
    expect(copy.act(obs, { deterministic: false })).toBe(argmax(Array.from(copy.qValues(obs))));
    learner.dispose();
    copy.dispose();
  });
});
