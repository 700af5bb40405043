import { Box } from '@bellman/core';
import {
  make,
  TimeLimit,
  RecordEpisodeStatistics,
  NormalizeObservation,
  RescaleAction,
  CartPoleEnv,
  PendulumEnv,
  MountainCarContinuousEnv,
} from '../src/index.js';

describe('TimeLimit', () => {
  it('truncates at the limit and restarts the count on reset', () => {
    const env = new TimeLimit(new PendulumEnv(), 3);
    env.reset({ seed: 0 });
    expect([0, 1, 2].map(() => env.step(Float32Array.of(0)).truncated)).toEqual([false, false, true]);
    expect(env.elapsedSteps).toBe(3);
    env.reset();
    expect(env.elapsedSteps).toBe(0);
    expect(env.step(Float32Array.of(0)).truncated).toBe(false);
    expect(() => new TimeLimit(new PendulumEnv(), 1.5)).toThrow(/maxEpisodeSteps must be a positive integer, got 1.5/);
  });

  it('continues an episode from a saved state and step count (options.elapsedSteps)', () => {
    const env = new TimeLimit(new PendulumEnv(), 5);
    env.reset({ seed: 4 });
    env.step(Float32Array.of(1));
    env.step(Float32Array.of(-1));
    const state = env.getState();
    const rest = [0.5, 0.2, -2].map((a) => env.step(Float32Array.of(a)));
    expect(rest.map((r) => r.truncated)).toEqual([false, false, true]);

    const resumed = new TimeLimit(new PendulumEnv(), 5);
    resumed.reset({ options: { state, elapsedSteps: 2 } });
    expect(resumed.elapsedSteps).toBe(2);
    const again = [0.5, 0.2, -2].map((a) => resumed.step(Float32Array.of(a)));
    expect(again).toEqual(rest);
    expect(() => resumed.reset({ options: { elapsedSteps: 1 } })).toThrow(/elapsedSteps needs options.state/);
    expect(() => resumed.reset({ options: { state, elapsedSteps: 5 } })).toThrow(/elapsedSteps must be an integer in \[0, 5\), got 5/);
  });

  it('marks a step that both terminates and hits the limit as truncated too', () => {
    const env = new TimeLimit(new CartPoleEnv(), 1);
    env.reset({ options: { state: [2.39, 1, 0, 0] } });
    expect(env.step(1)).toMatchObject({ terminated: true, truncated: true });
  });
});

describe('RecordEpisodeStatistics', () => {
  it('reports return and length on the last step only', () => {
    const env = new RecordEpisodeStatistics(make('CartPole-v1', { maxEpisodeSteps: 5 }));
    env.reset({ seed: 0 });
    const infos = [];
    for (let t = 0; t < 5; t++) infos.push(env.step(t % 2).info);
    expect(infos.slice(0, 4).every((i) => i.episode === undefined)).toBe(true);
    expect(infos[4]!.episode).toEqual({ return: 5, length: 5 });
    expect(env.returnQueue).toEqual([5]);

    const pendulum = new RecordEpisodeStatistics(make('Pendulum-v1', { maxEpisodeSteps: 4 }));
    pendulum.reset({ seed: 2 });
    let sum = 0;
    let last;
    for (let t = 0; t < 4; t++) {
      last = pendulum.step(Float32Array.of(0.5));
      sum += last.reward;
    }
    expect(last!.info.episode).toEqual({ return: sum, length: 4 });
    expect(sum).toBeLessThan(0);
  });
});

describe('NormalizeObservation', () => {
  it('tracks the running mean and variance and normalises with them', () => {
    const env = new NormalizeObservation(make('MountainCar-v0'));
    const raws: Float32Array[] = [];
    const inner = env.env;
    const { observation: first } = env.reset({ seed: 4 });
    raws.push(Float32Array.from(inner.getState()));
    const outs = [first];
    for (let t = 0; t < 30; t++) {
      outs.push(env.step(t % 3).observation);
      raws.push(Float32Array.from(inner.getState()));
    }
    const stats = env.getStatistics();
    for (let d = 0; d < 2; d++) {
      const xs = raws.map((r) => r[d]!);
      const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
      const variance = xs.reduce((a, b) => a + (b - mean) ** 2, 0) / xs.length;
      // The 1e-4 prior count (mean 0, variance 1) shifts the estimates very slightly.
      expect(stats.mean[d]).toBeCloseTo(mean, 4);
      expect(stats.variance[d]).toBeCloseTo(variance, 4);
      const last = outs[outs.length - 1]![d]!;
      expect(last).toBeCloseTo((raws[raws.length - 1]![d]! - stats.mean[d]!) / Math.sqrt(stats.variance[d]! + 1e-8), 4);
    }
    expect(env.observationSpace).toBeInstanceOf(Box);
  });

  it('stops updating when frozen and can restore statistics', () => {
    const env = new NormalizeObservation(make('CartPole-v1'));
    env.reset({ seed: 0 });
    for (let t = 0; t < 10; t++) env.step(t % 2);
    env.frozen = true;
    const before = env.getStatistics();
    env.step(1);
    env.reset({ seed: 1 });
    expect(env.getStatistics()).toEqual(before);

    const other = new NormalizeObservation(make('CartPole-v1'), { frozen: true });
    other.setStatistics(before);
    expect(other.reset({ seed: 5 }).observation).toEqual(env.reset({ seed: 5 }).observation);
    expect(() => other.setStatistics({ mean: new Float64Array(2), variance: new Float64Array(2), count: 1 })).toThrow(/expected mean and variance of length 4/);
  });
});

describe('RescaleAction', () => {
  it('maps [-1, 1] onto the inner box and clips', () => {
    const env = new RescaleAction(make('Pendulum-v1'));
    expect(env.actionSpace.toJSON()).toMatchObject({ low: [-1], high: [1] });
    expect(Array.from(env.rescale(Float32Array.of(-1)))).toEqual([-2]);
    expect(Array.from(env.rescale(Float32Array.of(0.5)))).toEqual([1]);
    expect(Array.from(env.rescale(Float32Array.of(3)))).toEqual([2]);

    const direct = make('Pendulum-v1');
    direct.reset({ options: { state: [0.7, -0.3] } });
    env.reset({ options: { state: [0.7, -0.3] } });
    expect(env.step(Float32Array.of(0.25)).reward).toBe(direct.step(Float32Array.of(0.5)).reward);
    expect(env.getState()).toEqual(direct.getState());
  });

  it('supports a custom source range and rejects discrete envs and bad actions', () => {
    const env = new RescaleAction(new MountainCarContinuousEnv(), { min: 0, max: 10 });
    expect(Array.from(env.rescale(Float32Array.of(5)))).toEqual([0]);
    expect(Array.from(env.rescale(Float32Array.of(10)))).toEqual([1]);
    expect(() => new RescaleAction(make('CartPole-v1'))).toThrow(/action space must be a Box, got Discrete\(2\)/);
    expect(() => env.rescale(Float32Array.of(1, 2))).toThrow(/action must have length 1, got 2/);
    expect(() => env.rescale(Float32Array.of(NaN))).toThrow(/action\[0\] is NaN/);
  });
});

describe('wrapper plumbing', () => {
  it('exposes the innermost env and delegates state, render and spec', () => {
    const env = new RecordEpisodeStatistics(new NormalizeObservation(make('Acrobot-v1')));
    expect(env.unwrapped.constructor.name).toBe('AcrobotEnv');
    expect(env.spec?.id).toBe('Acrobot-v1');
    env.reset({ seed: 0 });
    expect(env.getState()).toHaveLength(4);
    expect(env.render()).toContain('<svg');
  });
});
