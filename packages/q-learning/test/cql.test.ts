import { Box } from '@bellman/core';
import { initBackend } from '@bellman/nn';
import { CQL, createLearner, learnerFromSnapshot } from '../src/index.js';
import { forward64, logOneMinusTanh2, mean, normalLogPdf, rows, tanhGaussian64, tinyBatch } from './continuous-helpers.js';
import { expectedTerms, fixCqlWeights } from './cql-reference.js';

beforeAll(async () => {
  await initBackend({ backend: 'cpu' });
});

const OBS = new Box(-5, 5, [2]);
const ACTIONS = new Box(-2, 2, [1]);

function makeCql(config: Record<string, unknown>) {
  return fixCqlWeights(new CQL({ observationSpace: OBS, actionSpace: ACTIONS, seed: 3, config: { hiddenSizes: [3], initialAlpha: 0.5, cqlSamples: 2, ...config } }));
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

  it('Lagrange version: penalty alpha\' (cqlAlpha gap - target), log alpha\' descends while cqlAlpha gap is below the target', () => {
    // cqlAlpha is the default, 5 (cql-lagrange.test.ts checks another value, and alpha' other than 1).
    const setup = makeCql({ lagrange: true, targetActionGap: 1000, cqlSamples: 3 });
    const { batch, tdLoss, gaps } = expectedTerms(setup, 3);
    const metrics = setup.cql.update(batch);
    expect(metrics.alphaPrime).toBeCloseTo(1, 6);
    expect(metrics.cqlPenalty).toBeCloseTo(5 * gaps[0]! - 1000 + 5 * gaps[1]! - 1000, 3);
    expect(metrics.criticLoss).toBeCloseTo(tdLoss[0]! + tdLoss[1]! + 5 * (gaps[0]! + gaps[1]!) - 2000, 2);
    expect(metrics.alphaPrimeLoss).toBeCloseTo(-(5 * mean(gaps) - 1000), 3);
    expect(setup.cql.logAlphaPrime.dataSync()[0]).toBeCloseTo(-3e-4, 6);
    // ... and ascends when the gap is above it.
    const above = makeCql({ lagrange: true, targetActionGap: -1000 });
    above.cql.update(tinyBatch());
    expect(above.cql.logAlphaPrime.dataSync()[0]).toBeCloseTo(3e-4, 6);
    setup.cql.dispose();
    above.cql.dispose();
  });
});

describe('CQL behaviour-cloning start (bcSteps)', () => {
  it('for the first bcSteps updates the actor loss is mean(alpha log pi(a~|s) - log pi(a_data|s)); then SAC\'s', () => {
    const setup = makeCql({ cqlAlpha: 1, bcSteps: 1 });
    const { batch, rng } = expectedTerms(setup, 2);
    const data = rows(batch);
    // the actor has not stepped yet, and the temperature is still initialAlpha = 0.5
    const expected = mean(
      data.map(({ s, a }) => {
        const sampled = tanhGaussian64(setup.actor, s, rng.normal());
        const [mu, rawLogStd] = forward64(setup.actor, s) as [number, number];
        const logStd = Math.min(Math.max(rawLogStd, -20), 2);
        const u = Math.atanh(a[0]! / 2);
        const dataLogp = normalLogPdf(u, mu, logStd) - Math.log(2) - logOneMinusTanh2(u);
        return 0.5 * sampled.logp - dataLogp;
      }),
    );
    expect(setup.cql.update(batch).actorLoss).toBeCloseTo(expected, 4);
    // Without bcSteps the first actor loss is SAC's, another number.
    const plain = makeCql({ cqlAlpha: 1 });
    expect(plain.cql.update(batch).actorLoss).not.toBeCloseTo(expected, 2);
    // The switch comes after exactly bcSteps updates: bcSteps 1 and 2 agree on update 1, not on update 2.
    const longer = makeCql({ cqlAlpha: 1, bcSteps: 2 });
    const once = makeCql({ cqlAlpha: 1, bcSteps: 1 });
    expect(longer.cql.update(batch).actorLoss).toBe(once.cql.update(batch).actorLoss);
    expect(longer.cql.update(batch).actorLoss).not.toBeCloseTo(once.cql.update(batch).actorLoss!, 3);
    for (const learner of [setup, plain, longer, once]) learner.cql.dispose();
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
