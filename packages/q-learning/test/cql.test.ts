import { Box, Rng, initBackend } from '@bellman/core';
import { CQL, createLearner, learnerFromSnapshot } from '../src/index.js';
import { logSumExp, mean, q64, rows, setFixedWeights, tanhGaussian64, tinyBatch } from './continuous-helpers.js';

beforeAll(async () => {
  await initBackend({ backend: 'cpu' });
});

const OBS = new Box(-5, 5, [2]);
const ACTIONS = new Box(-2, 2, [1]);

function makeCql(config: Record<string, unknown>) {
  const cql = new CQL({ observationSpace: OBS, actionSpace: ACTIONS, seed: 3, config: { hiddenSizes: [3], initialAlpha: 0.5, cqlSamples: 2, ...config } });
  const actor = setFixedWeights(cql.actor.net, 1);
  const critics = cql.critics.members.map((m, j) => setFixedWeights(m, 10 + j));
  const targets = cql.critics.targets.map((t, j) => setFixedWeights(t, 20 + j));
  return { cql, actor, critics, targets };
}

/** The TD terms and conservative gaps of both critics in float64, replaying the learner's noise stream. */
function expectedTerms(setup: ReturnType<typeof makeCql>, n: number, backupEntropy = true) {
  const { cql, actor, critics, targets } = setup;
  const batch = tinyBatch();
  const data = rows(batch);
  const rng = new Rng(cql.save().rng);
  const ys = data.map(({ r, sNext, d }) => {
    const { a, logp } = tanhGaussian64(actor, sNext, rng.normal());
    const qNext = Math.min(q64(targets[0]!, sNext, [a]), q64(targets[1]!, sNext, [a]));
    return r + 0.99 * (1 - d) * (qNext - (backupEntropy ? 0.5 * logp : 0));
  });
  const uniform = data.flatMap(() => Array.from({ length: n }, () => rng.uniformRange(-2, 2)));
  const noiseAtS = uniform.map(() => rng.normal());
  const noiseAtNext = uniform.map(() => rng.normal());
  const logUniform = -Math.log(4); // density 1 / volume of [-2, 2]
  const tdLoss = [0, 1].map((j) => mean(data.map(({ s, a }, i) => (q64(critics[j]!, s, a) - ys[i]!) ** 2)));
  const gaps = [0, 1].map((j) => {
    const lse = data.map(({ s, sNext }, b) => {
      const terms: number[] = [];
      for (let k = 0; k < n; k++) {
        const row = b * n + k;
        terms.push(q64(critics[j]!, s, [uniform[row]!]) - logUniform);
        const atS = tanhGaussian64(actor, s, noiseAtS[row]!);
        terms.push(q64(critics[j]!, s, [atS.a]) - atS.logp);
        const atNext = tanhGaussian64(actor, sNext, noiseAtNext[row]!);
        terms.push(q64(critics[j]!, s, [atNext.a]) - atNext.logp);
      }
      return logSumExp(terms);
    });
    return mean(lse) - mean(data.map(({ s, a }) => q64(critics[j]!, s, a)));
  });
  return { batch, tdLoss, gaps };
}

describe('CQL critic loss', () => {
  it('adds alpha * (importance-weighted logsumexp over 3N proposals - Q(s, a_data)) per critic (fixed alpha)', () => {
    const setup = makeCql({ cqlAlpha: 2 });
    const { batch, tdLoss, gaps } = expectedTerms(setup, 2);
    const metrics = setup.cql.update(batch);
    expect(metrics.cqlPenalty).toBeCloseTo(2 * (gaps[0]! + gaps[1]!), 4);
    expect(metrics.cqlGap).toBeCloseTo((gaps[0]! + gaps[1]!) / 2, 4);
    expect(metrics.criticLoss).toBeCloseTo(tdLoss[0]! + tdLoss[1]! + 2 * (gaps[0]! + gaps[1]!), 3);
    expect(metrics.alphaPrime).toBe(2);
    expect(metrics.actorLoss).toBeDefined();
    setup.cql.dispose();
  });

  it('drops the entropy term from the target when backupEntropy is false', () => {
    const setup = makeCql({ cqlAlpha: 0.5, backupEntropy: false });
    const { batch, tdLoss, gaps } = expectedTerms(setup, 2, false);
    expect(setup.cql.update(batch).criticLoss).toBeCloseTo(tdLoss[0]! + tdLoss[1]! + 0.5 * (gaps[0]! + gaps[1]!), 3);
    setup.cql.dispose();
  });

  it('Lagrange version: penalty alpha\' (gap - target), log alpha\' descends while the gap is below the target', () => {
    const setup = makeCql({ lagrange: true, targetActionGap: 1000, cqlSamples: 3 });
    const { batch, tdLoss, gaps } = expectedTerms(setup, 3);
    const metrics = setup.cql.update(batch);
    expect(metrics.alphaPrime).toBeCloseTo(1, 6);
    expect(metrics.cqlPenalty).toBeCloseTo(gaps[0]! - 1000 + gaps[1]! - 1000, 3);
    expect(metrics.criticLoss).toBeCloseTo(tdLoss[0]! + tdLoss[1]! + gaps[0]! + gaps[1]! - 2000, 2);
    expect(metrics.alphaPrimeLoss).toBeCloseTo(-(mean(gaps) - 1000), 3);
    expect(setup.cql.logAlphaPrime.dataSync()[0]).toBeCloseTo(-3e-4, 6);
    // ... and ascends when the gap is above it.
    const above = makeCql({ lagrange: true, targetActionGap: -1000 });
    above.cql.update(tinyBatch());
    expect(above.cql.logAlphaPrime.dataSync()[0]).toBeCloseTo(3e-4, 6);
    setup.cql.dispose();
    above.cql.dispose();
  });
});

describe('CQL critic loss on wasm (the default backend, on Bellman\'s SIMD GEMM)', () => {
  beforeAll(async () => {
    await initBackend({ backend: 'wasm' });
  });
  afterAll(async () => {
    await initBackend({ backend: 'cpu' });
  });

  // 12 hidden units and 3 + 3 * 3 * 3 = 30 critic rows use the GEMM's 8- and 4-column tiles and its row remainders.
  it.each([[false], [true]])('matches the float64 reference (backupEntropy %s)', (backupEntropy) => {
    const setup = makeCql({ cqlAlpha: 2, cqlSamples: 3, hiddenSizes: [12], backupEntropy });
    const { batch, tdLoss, gaps } = expectedTerms(setup, 3, backupEntropy);
    const metrics = setup.cql.update(batch);
    expect(metrics.cqlGap).toBeCloseTo((gaps[0]! + gaps[1]!) / 2, 4);
    expect(metrics.cqlPenalty).toBeCloseTo(2 * (gaps[0]! + gaps[1]!), 4);
    expect(metrics.criticLoss).toBeCloseTo(tdLoss[0]! + tdLoss[1]! + 2 * (gaps[0]! + gaps[1]!), 3);
    setup.cql.dispose();
  });
});

describe('CQL learner', () => {
  it('has the papers\' defaults, rejects unbounded boxes, round-trips and is deterministic', () => {
    const a = createLearner('cql', { observationSpace: OBS, actionSpace: ACTIONS, seed: 1, config: { hiddenSizes: [8], lagrange: true } }) as CQL;
    expect(a.config).toMatchObject({ cqlAlpha: 5, cqlSamples: 10, actorLearningRate: 1e-4, criticLearningRate: 3e-4, gamma: 0.99, tau: 5e-3, hiddenSizes: [8] });
    expect(() => createLearner('cql', { observationSpace: OBS, actionSpace: new Box(-Infinity, Infinity, [1]) })).toThrow(/cql: the action space must be bounded/);
    expect(() => createLearner('cql', { observationSpace: OBS, actionSpace: ACTIONS, config: { cqlSamples: 0 } })).toThrow('CQL config: "cqlSamples" must be at least 1, got 0');
    const b = createLearner('cql', { observationSpace: OBS, actionSpace: ACTIONS, seed: 1, config: { hiddenSizes: [8], lagrange: true } }) as CQL;
    for (let i = 0; i < 3; i++) expect(b.update(tinyBatch())).toEqual(a.update(tinyBatch()));
    const restored = learnerFromSnapshot(JSON.parse(JSON.stringify(a.save()))) as CQL;
    expect(restored.logAlphaPrime.dataSync()[0]).toBe(a.logAlphaPrime.dataSync()[0]);
    expect(restored.update(tinyBatch())).toEqual(a.update(tinyBatch()));
    expect(ACTIONS.contains(restored.act(new Float32Array([9, -9])))).toBe(true);
    for (const l of [a, b, restored]) l.dispose();
  });
});
