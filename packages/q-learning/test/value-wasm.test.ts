/** The value learners' losses on the wasm backend (the embedded default), against float64 references. */
import { Box, Discrete } from '@bellman/core';
import { initBackend } from '@bellman/nn';
import { dr3 } from '@bellman/regularizers';
import { DQN, DiscreteCQL, FQE, SARSA, type DiscreteActionProbabilities } from '../src/index.js';
import { batchOf, dot, forward64, hidden64, huber, mean, setMlp, type Row, type Weights } from './value-fixtures.js';

beforeAll(async () => {
  await initBackend({ backend: 'wasm' });
});

const W: Weights = { w0: [[1, -1], [0.5, 2]], b0: [0, 0.1], w1: [[1, -0.5], [0.5, 1]], b1: [0.1, -0.2] };
const T: Weights = { w0: [[0.5, 1], [-1, 0.5]], b0: [0.2, 0], w1: [[0.3, 1.5], [2, -0.4]], b1: [0, 0.3] };
const ROWS: Row[] = [
  { obs: [1, 0.5], action: 0, reward: 1, next: [0.2, -0.3], terminal: 0, nextAction: 1 },
  { obs: [-0.3, 0.8], action: 1, reward: 0, next: [1.5, 1], terminal: 0, nextAction: 0 },
  { obs: [2, -1], action: 1, reward: -1, next: [0.3, 0.3], terminal: 1, nextAction: 0 },
];
const spaces = { observationSpace: new Box(-5, 5, [2]), actionSpace: new Discrete(2) };
const argmax = (v: number[]) => (v[1]! > v[0]! ? 1 : 0);
const lse = (v: number[]) => Math.log(v.reduce((s, x) => s + Math.exp(x), 0));

function doubleTd(): number {
  return mean(ROWS.map((r) => forward64(r.obs, W)[r.action]! - (r.reward + 0.9 * (1 - r.terminal) * forward64(r.next, T)[argmax(forward64(r.next, W))]!)).map(huber));
}

it('DQN (double, DR3) and discrete CQL losses match float64 on wasm', () => {
  const penalty = 0.1 * mean(ROWS.map((r) => dot(hidden64(r.obs, W), hidden64(r.next, W))));
  for (const regularized of [false, true]) {
    const dqn = new DQN({ ...spaces, config: { hiddenSizes: [2], gamma: 0.9 }, ...(regularized ? { regularizers: [dr3({ coefficient: 0.1 })] } : {}) });
    setMlp(dqn.q.parts[0]![1], W);
    setMlp(dqn.targetQ.parts[0]![1], T);
    expect(dqn.update(batchOf(ROWS)).loss).toBeCloseTo(doubleTd() + (regularized ? penalty : 0), 4);
    dqn.dispose();
  }
  const cql = new DiscreteCQL({ ...spaces, config: { hiddenSizes: [2], gamma: 0.9, alpha: 1.5 } });
  setMlp(cql.q.parts[0]![1], W);
  setMlp(cql.targetQ.parts[0]![1], T);
  const gap = mean(ROWS.map((r) => lse(forward64(r.obs, W)) - forward64(r.obs, W)[r.action]!));
  expect(cql.update(batchOf(ROWS)).loss).toBeCloseTo(doubleTd() + 1.5 * gap, 4);
  cql.dispose();
});

it('SARSA and FQE (state-action critic) match float64 on wasm', () => {
  const SA: Weights = { w0: [[1, -1], [0.5, 2], [0.3, -0.4], [-0.6, 0.8]], b0: [0, 0.1], w1: [[1.2], [-0.7]], b1: [0.1] };
  const SAT: Weights = { w0: [[0.5, 1], [-1, 0.5], [0.2, 0.9], [-0.3, -0.5]], b0: [0.2, 0], w1: [[0.4], [1.5]], b1: [-0.1] };
  const q = (s: number[], a: number, w: Weights) => forward64([...s, a === 0 ? 1 : 0, a === 1 ? 1 : 0], w)[0]!;
  const sarsa = new SARSA({ ...spaces, config: { hiddenSizes: [2], gamma: 0.9 } });
  setMlp(sarsa.critic.net, SA);
  setMlp(sarsa.targetCritic.net, SAT);
  const sarsaLoss = mean(ROWS.map((r) => 0.5 * (q(r.obs, r.action, SA) - (r.reward + 0.9 * (1 - r.terminal) * q(r.next, r.nextAction!, SAT))) ** 2));
  expect(sarsa.update(batchOf(ROWS)).loss).toBeCloseTo(sarsaLoss, 4);
  const policy: DiscreteActionProbabilities = { policyProbabilities: (_o, count) => Float32Array.from({ length: 2 * count }, (_, i) => (i % 2 === 0 ? 0.25 : 0.75)) };
  const fqe = new FQE({ ...spaces, config: { hiddenSizes: [2], gamma: 0.9 }, evaluationPolicy: policy });
  setMlp(fqe.critic.net, SA);
  setMlp(fqe.targetCritic.net, SAT);
  const fqeLoss = mean(ROWS.map((r) => 0.5 * (q(r.obs, r.action, SA) - (r.reward + 0.9 * (1 - r.terminal) * (0.25 * q(r.next, 0, SAT) + 0.75 * q(r.next, 1, SAT)))) ** 2));
  expect(fqe.update(batchOf(ROWS)).loss).toBeCloseTo(fqeLoss, 4);
  sarsa.dispose();
  fqe.dispose();
});
