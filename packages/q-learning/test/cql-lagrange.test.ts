/**
 * CQL's Lagrange version as in the authors' code (CQL, Kumar et al. 2020, sac/cql.py with
 * with_lagrange): alpha' = clamp(exp(log alpha'), 0, 1e6), the critic's penalty per critic is
 * alpha' * (cqlAlpha * gap_j - target), and log alpha' minimises -alpha' * (cqlAlpha * mean_j gap_j - target).
 * The gaps are computed in float64 from known weights (cql-reference.ts); cqlAlpha = 3 and
 * alpha' = 0.5 make every term differ from the form without cqlAlpha, alpha' * (gap - target).
 */
import * as tf from '@tensorflow/tfjs';
import { Box } from '@bellman/core';
import { initBackend } from '@bellman/nn';
import { CQL } from '../src/index.js';
import { mean } from './continuous-helpers.js';
import { expectedTerms, fixCqlWeights } from './cql-reference.js';

beforeAll(async () => {
  await initBackend({ backend: 'cpu' });
});

const OBS = new Box(-5, 5, [2]);
const ACTIONS = new Box(-2, 2, [1]);
const CQL_ALPHA = 3;
const N = 2;
const LR = 3e-4; // alphaPrimeLearningRate's default

function makeCql(targetActionGap: number, logAlphaPrime: number) {
  const cql = new CQL({
    observationSpace: OBS,
    actionSpace: ACTIONS,
    seed: 3,
    config: { hiddenSizes: [3], initialAlpha: 0.5, cqlSamples: N, cqlAlpha: CQL_ALPHA, lagrange: true, targetActionGap },
  });
  cql.logAlphaPrime.assign(tf.scalar(logAlphaPrime));
  return fixCqlWeights(cql);
}

/** The float64 gaps of the fixed weights (they do not depend on the target or on alpha'). */
function gapsOfFixedWeights(): number[] {
  const probe = makeCql(0, 0);
  const { gaps } = expectedTerms(probe, N);
  probe.cql.dispose();
  return gaps;
}

describe("CQL Lagrange: alpha' (cqlAlpha * gap - target)", () => {
  it("in the critic loss and in the loss of log alpha', which ascends while cqlAlpha * gap is above the target", () => {
    const gaps = gapsOfFixedWeights();
    const meanGap = mean(gaps);
    expect(meanGap).toBeGreaterThan(0.5);
    // A target between the gap and cqlAlpha * gap: alpha' must grow here (cqlAlpha * gap > target),
    // where the form without cqlAlpha (gap < target) would shrink it.
    const target = 2 * meanGap;
    const alphaPrime = 0.5;
    const setup = makeCql(target, Math.log(alphaPrime));
    const { batch, tdLoss } = expectedTerms(setup, N);
    const penalties = gaps.map((g) => alphaPrime * (CQL_ALPHA * g - target));

    const metrics = setup.cql.update(batch);
    expect(metrics.alphaPrime).toBeCloseTo(alphaPrime, 6);
    expect(metrics.cqlGap).toBeCloseTo(meanGap, 4);
    expect(metrics.cqlPenalty).toBeCloseTo(penalties[0]! + penalties[1]!, 4);
    expect(metrics.criticLoss).toBeCloseTo(tdLoss[0]! + tdLoss[1]! + penalties[0]! + penalties[1]!, 3);
    expect(metrics.alphaPrimeLoss).toBeCloseTo(-alphaPrime * (CQL_ALPHA * meanGap - target), 4);
    // Adam's first step moves log alpha' by the learning rate against the sign of its gradient,
    // d/dlog alpha' = -alpha' (cqlAlpha * mean gap - target) < 0.
    expect(setup.cql.logAlphaPrime.dataSync()[0]).toBeCloseTo(Math.log(alphaPrime) + LR, 6);
    // The form without cqlAlpha, alpha' (gap - target), is far from these numbers and moves log alpha' the other way.
    const without = gaps.reduce((sum, g) => sum + alphaPrime * (g - target), 0);
    expect(Math.abs(without - (penalties[0]! + penalties[1]!))).toBeGreaterThan(0.1);
    expect(-alphaPrime * (meanGap - target)).toBeGreaterThan(0);
    setup.cql.dispose();
  });

  it("descends while cqlAlpha * gap is below the target", () => {
    const gaps = gapsOfFixedWeights();
    const target = 4 * mean(gaps); // above cqlAlpha * gap
    const setup = makeCql(target, 0);
    const metrics = setup.cql.update(expectedTerms(setup, N).batch);
    expect(metrics.alphaPrimeLoss).toBeCloseTo(-(CQL_ALPHA * mean(gaps) - target), 4);
    expect(setup.cql.logAlphaPrime.dataSync()[0]).toBeCloseTo(-LR, 6);
    setup.cql.dispose();
  });

  it("clamps alpha' at 1e6, where log alpha' gets no gradient", () => {
    const gaps = gapsOfFixedWeights();
    const target = 2 * mean(gaps);
    const logAlphaPrime = Math.fround(Math.log(2e6));
    const setup = makeCql(target, logAlphaPrime);
    const metrics = setup.cql.update(expectedTerms(setup, N).batch);
    expect(metrics.alphaPrime).toBe(1e6);
    const penalty = gaps.reduce((sum, g) => sum + 1e6 * (CQL_ALPHA * g - target), 0);
    expect(Math.abs(metrics.cqlPenalty! - penalty) / Math.abs(penalty)).toBeLessThan(1e-4);
    expect(setup.cql.logAlphaPrime.dataSync()[0]).toBe(logAlphaPrime);
    setup.cql.dispose();
  });
});
