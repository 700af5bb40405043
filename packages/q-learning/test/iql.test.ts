import * as tf from '@tensorflow/tfjs';
import { Box, Rng } from '@bellman/core';
import type { RegularizerContext } from '@bellman/nn';
import { initBackend } from '@bellman/nn';
import { IQL, createLearner, expectileLoss, learnerFromSnapshot } from '../src/index.js';
import { features64, forward64, mean, normalLogPdf, q64, rows, tinyBatch } from './continuous-helpers.js';
import { fixedWeightIql, valueAfterStep64 } from './iql-reference.js';

beforeAll(async () => {
  await initBackend({ backend: 'cpu' });
});

const OBS = new Box(-5, 5, [2]);
const ACTIONS = new Box(-2, 2, [1]);


describe('IQL losses', () => {
  it('expectile loss weighs positive residuals by tau and negative ones by 1 - tau', () => {
    expect(expectileLoss(tf.tensor1d([-1, 2]), 0.7).dataSync()[0]).toBeCloseTo((0.3 * 1 + 0.7 * 4) / 2, 6);
    expect(expectileLoss(tf.tensor1d([-1, 2]), 0.9).dataSync()[0]).toBeCloseTo((0.1 * 1 + 0.9 * 4) / 2, 6);
  });

  it('value (expectile of min Qtarget - V), critic (target r + gamma (1 - d) V\'(s\'), V\' after the value step) and AWR actor losses', () => {
    const maxWeight = 1.5;
    const { iql, actor, critics, targets, value } = fixedWeightIql({ maxWeight, beta: 3, expectile: 0.7, rewardScale: 0.5 });
    const batch = tinyBatch();
    const data = rows(batch);
    const v = (s: number[]) => forward64(value, s)[0]!;
    const qt = data.map(({ s, a }) => Math.min(q64(targets[0]!, s, a), q64(targets[1]!, s, a)));
    const u = data.map(({ s }, i) => qt[i]! - v(s));
    expect(u.some((x) => x > 0) && u.some((x) => x < 0)).toBe(true); // both sides of the expectile are exercised
    const valueLoss = mean(u.map((x) => (x < 0 ? 0.3 : 0.7) * x * x));
    // The critic's target and the advantage read V' = V after its Adam step (default lr 3e-4).
    const stepped = valueAfterStep64(value, data.map(({ s }) => s), qt, 0.7, 3e-4);
    const v2 = (s: number[]) => forward64(stepped, s)[0]!;
    const ys = data.map(({ r, sNext, d }) => 0.5 * r + 0.99 * (1 - d) * v2(sNext));
    const criticLoss = [0, 1].map((j) => mean(data.map(({ s, a }, i) => (q64(critics[j]!, s, a) - ys[i]!) ** 2))).reduce((x, y) => x + y);
    const advantage = data.map(({ s }, i) => qt[i]! - v2(s));
    const weights = advantage.map((x) => Math.min(Math.exp(3 * x), maxWeight));
    expect(weights.some((w) => w === maxWeight) && weights.some((w) => w < maxWeight)).toBe(true); // the clip is exercised
    const logp = data.map(({ s, a }) => normalLogPdf(a[0]!, 2 * Math.tanh(forward64(actor, s)[0]!), 0));
    const actorLoss = -mean(logp.map((l, i) => weights[i]! * l));

    const metrics = iql.update(batch);
    expect(metrics.valueLoss).toBeCloseTo(valueLoss, 4);
    expect(metrics.criticLoss).toBeCloseTo(criticLoss, 4);
    expect(metrics.targetMean).toBeCloseTo(mean(ys), 5);
    expect(metrics.actorLoss).toBeCloseTo(actorLoss, 4);
    expect(metrics.advantageMean).toBeCloseTo(mean(advantage), 5);
    iql.dispose();
  });

  it('regularizes phi(s,a) of the first critic and phi(s\', a\') at a\' ~ pi(.|s\')', () => {
    const seen: number[][][] = [];
    const regularizer = {
      name: 'dot',
      penalty: (ctx: RegularizerContext) => {
        seen.push(ctx.phi.arraySync(), ctx.phiNext.arraySync());
        return tf.mean(tf.sum(tf.mul(ctx.phi, ctx.phiNext), 1)) as tf.Scalar;
      },
    };
    const plain = fixedWeightIql({});
    const { iql, actor, critics } = fixedWeightIql({}, { regularizers: [regularizer] });
    const rng = new Rng(iql.save().rng);
    const data = rows(tinyBatch());
    const phi = data.map(({ s, a }) => features64(critics[0]!, [...s, ...a]));
    const phiNext = data.map(({ sNext }) => {
      const a = Math.min(Math.max(2 * Math.tanh(forward64(actor, sNext)[0]!) + rng.normal(), -2), 2); // std exp(0) = 1
      return features64(critics[0]!, [...sNext, a]);
    });
    const penalty = mean(phi.map((p, i) => p.reduce((s, x, k) => s + x * phiNext[i]![k]!, 0)));
    const base = plain.iql.update(tinyBatch());
    const metrics = iql.update(tinyBatch());
    seen[1]!.forEach((row, i) => row.forEach((x, k) => expect(x).toBeCloseTo(phiNext[i]![k]!, 5)));
    expect(metrics['reg/dot']).toBeCloseTo(penalty, 5);
    expect(metrics.criticLoss).toBeCloseTo(base.criticLoss! + penalty, 4);
    // Drawing a' does not depend on whether a regularizer is set: the random streams stay in step.
    expect(iql.save().rng).toEqual(plain.iql.save().rng);
    plain.iql.dispose();
    iql.dispose();
  });
});

describe('IQL learner', () => {
  it('round-trips, is deterministic and acts inside the box', () => {
    const make = () => createLearner('iql', { observationSpace: OBS, actionSpace: ACTIONS, seed: 2, config: { hiddenSizes: [8] } }) as IQL;
    const a = make();
    const b = make();
    expect(a.config).toMatchObject({ expectile: 0.7, beta: 3, maxWeight: 100, tau: 5e-3, actorLearningRate: 3e-4 });
    for (let i = 0; i < 3; i++) expect(b.update(tinyBatch())).toEqual(a.update(tinyBatch()));
    const restored = learnerFromSnapshot(JSON.parse(JSON.stringify(a.save()))) as IQL;
    const count = tf.memory().numTensors;
    expect(restored.update(tinyBatch())).toEqual(a.update(tinyBatch()));
    expect(tf.memory().numTensors).toBe(count);
    const rng = new Rng(1);
    for (let i = 0; i < 10; i++) expect(ACTIONS.contains(a.act(new Float32Array([rng.normal(0, 9), 1]), { deterministic: i % 2 === 0, rng }))).toBe(true);
    expect(() => createLearner('iql', { observationSpace: OBS, actionSpace: ACTIONS, config: { expectile: 1.5 } })).toThrow('IQL config: "expectile" must be at most 1, got 1.5');
    for (const l of [a, b, restored]) l.dispose();
  });
});
