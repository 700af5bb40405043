/**
 * IQL's order of updates (Kostrikov et al. 2021, Algorithm 1, and the authors' code): V steps
 * first, on the expectile loss against min_j Qtarget_j(s, a); the Q target r + gamma (1 - d) V'(s')
 * and the advantage Qtarget(s, a) - V'(s) then read the stepped V'. The expected numbers are
 * computed here in float64 from known weights: V's gradient by hand-written backpropagation and
 * Adam's first step, then the critic and actor losses with V'. With V before its step (the order
 * Bellman used before) each checked loss is off by far more than the tolerance.
 */
import * as tf from '@tensorflow/tfjs';
import { Box, Discrete } from '@bellman/core';
import { initBackend } from '@bellman/nn';
import { DiscreteIQL } from '../src/index.js';
import { forward64, logSumExp, mean, normalLogPdf, q64, readWeights, rows, setFixedWeights, tinyBatch, type Net64 } from './continuous-helpers.js';
import { DISCRETE_ROWS, discreteRowsBatch, fixedWeightIql, valueAfterStep64 } from './iql-reference.js';

beforeAll(async () => {
  await initBackend({ backend: 'cpu' });
});

const OBS = new Box(-5, 5, [2]);
/** A large value step, so that V' and V differ clearly on these few rows. */
const VALUE_LR = 0.05;

function expectNetClose(actual: Net64, expected: Net64, digits: number): void {
  actual.weights.forEach((w, l) => w.forEach((row, k) => row.forEach((x, j) => expect(x).toBeCloseTo(expected.weights[l]![k]![j]!, digits))));
  actual.biases.forEach((b, l) => b.forEach((x, j) => expect(x).toBeCloseTo(expected.biases[l]![j]!, digits)));
}

interface IqlOptions {
  beta: number;
  maxWeight: number;
  rewardScale: number;
  gamma: number;
}

type IqlTerms = Record<'targetMean' | 'criticLoss' | 'advantageMean' | 'weightMean' | 'actorLoss', number>;

/**
 * IQL's critic and actor terms in float64 with value net `v`: y = c r + gamma (1 - d) V(s'),
 * sum_j mean (Q_j(s, a) - y)^2, A = Qtarget(s, a) - V(s), w = min(exp(beta A), maxWeight) and
 * -mean(w log pi(a|s)). `q(j, i)` is critic j at row i, `logp(i)` the actor's log pi(a_i|s_i).
 */
function iqlTerms64(
  v: Net64,
  data: readonly { s: number[]; r: number; sNext: number[]; d: number }[],
  qt: readonly number[],
  q: (j: number, i: number) => number,
  logp: (i: number) => number,
  opts: IqlOptions,
): IqlTerms {
  const V = (s: number[]) => forward64(v, s)[0]!;
  const ys = data.map(({ r, sNext, d }) => opts.rewardScale * r + opts.gamma * (1 - d) * V(sNext));
  const criticLoss = [0, 1].map((j) => mean(data.map((_, i) => (q(j, i) - ys[i]!) ** 2))).reduce((x, y) => x + y);
  const adv = data.map(({ s }, i) => qt[i]! - V(s));
  const weights = adv.map((x) => Math.min(Math.exp(opts.beta * x), opts.maxWeight));
  const actorLoss = -mean(data.map((_, i) => weights[i]! * logp(i)));
  return { targetMean: mean(ys), criticLoss, advantageMean: mean(adv), weightMean: mean(weights), actorLoss };
}

const TERM_KEYS = ['targetMean', 'criticLoss', 'advantageMean', 'weightMean', 'actorLoss'] as const;

/** The update's metrics are the terms with V after its step; with V before it (the old order) each is far outside the tolerance. */
function expectTermsOfSteppedValue(metrics: Record<string, number>, now: IqlTerms, before: IqlTerms): void {
  for (const key of TERM_KEYS) expect(Math.abs(now[key] - before[key])).toBeGreaterThan(1e-2);
  for (const key of TERM_KEYS) expect(metrics[key]).toBeCloseTo(now[key], 4);
}

describe('IQL (Box actions): the critic and actor read V after its step', () => {
  const opts = { expectile: 0.7, beta: 3, maxWeight: 100, rewardScale: 0.5, gamma: 0.99 };

  it('y = c r + gamma (1 - d) V\'(s\'), A = min_j Qtarget_j(s, a) - V\'(s), V\' = V after one Adam step on L_V', () => {
    const { iql, actor, critics, targets, value } = fixedWeightIql({ valueLearningRate: VALUE_LR, ...opts });
    const data = rows(tinyBatch());

    const qt = data.map(({ s, a }) => Math.min(q64(targets[0]!, s, a), q64(targets[1]!, s, a)));
    const after = valueAfterStep64(value, data.map(({ s }) => s), qt, opts.expectile, VALUE_LR);
    const logp = data.map(({ s, a }) => normalLogPdf(a[0]!, 2 * Math.tanh(forward64(actor, s)[0]!), 0));
    const expected = (v: Net64) =>
      iqlTerms64(v, data, qt, (j, i) => q64(critics[j]!, data[i]!.s, data[i]!.a), (i) => logp[i]!, opts);
    const now = expected(after);
    const before = expected(value);
    const u = data.map(({ s }, i) => qt[i]! - forward64(value, s)[0]!);
    expect(u.some((x) => x > 0) && u.some((x) => x < 0)).toBe(true); // both sides of the expectile in V's gradient

    const metrics = iql.update(tinyBatch());
    // The value loss and vMean are those of V before its step.
    expect(metrics.valueLoss).toBeCloseTo(mean(u.map((x) => (x < 0 ? 1 - opts.expectile : opts.expectile) * x * x)), 5);
    expect(metrics.vMean).toBeCloseTo(mean(data.map(({ s }) => forward64(value, s)[0]!)), 5);
    expectNetClose(readWeights(iql.value), after, 5);
    expectTermsOfSteppedValue(metrics, now, before);
    iql.dispose();
  });
});

describe('IQL (Discrete actions): the critic and actor read V after its step', () => {
  const opts = { expectile: 0.8, beta: 2, maxWeight: 1.3, rewardScale: 0.5, gamma: 0.9 };

  it('y = c r + gamma (1 - d) V\'(s\'), A = min_j Qtarget_j(s, a) - V\'(s), V\' = V after one Adam step on L_V', () => {
    const iql = new DiscreteIQL({ observationSpace: OBS, actionSpace: new Discrete(3), seed: 4, config: { hiddenSizes: [3], valueLearningRate: VALUE_LR, ...opts } });
    const actor = setFixedWeights(iql.actor, 1);
    const critics = iql.critics.map((m, j) => setFixedWeights(m, 10 + j));
    const targets = iql.targets.map((t, j) => setFixedWeights(t, 20 + j, 1.5));
    const value = setFixedWeights(iql.value, 30);
    value.biases[1]![0] = Math.fround(value.biases[1]![0]! + 0.1);
    iql.value.biases[1]!.assign(tf.tensor1d(value.biases[1]!));

    const qt = DISCRETE_ROWS.map(({ s, a }) => Math.min(forward64(targets[0]!, s)[a]!, forward64(targets[1]!, s)[a]!));
    const after = valueAfterStep64(value, DISCRETE_ROWS.map(({ s }) => s), qt, opts.expectile, VALUE_LR);
    const logp = DISCRETE_ROWS.map(({ s, a }) => {
      const logits = forward64(actor, s);
      return logits[a]! - logSumExp(logits);
    });
    const expected = (v: Net64) =>
      iqlTerms64(v, DISCRETE_ROWS, qt, (j, i) => forward64(critics[j]!, DISCRETE_ROWS[i]!.s)[DISCRETE_ROWS[i]!.a]!, (i) => logp[i]!, opts);
    const now = expected(after);
    const before = expected(value);

    const metrics = iql.update(discreteRowsBatch());
    expect(metrics.vMean).toBeCloseTo(mean(DISCRETE_ROWS.map(({ s }) => forward64(value, s)[0]!)), 5);
    expectNetClose(readWeights(iql.value), after, 5);
    expectTermsOfSteppedValue(metrics, now, before);
    iql.dispose();
  });
});
