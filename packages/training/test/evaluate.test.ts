import type { Action, Policy } from '@bellman/core';
import { SyncVectorEnv, make } from '@bellman/envs';
import { evaluatePolicy } from '../src/index.js';

// A weak CartPole controller: episodes of different lengths, so sub-envs finish out of step.
const leanPolicy: Policy<Float32Array, Action> = { act: (obs) => (obs[2]! > 0 ? 1 : 0) };
const pendulumPolicy: Policy<Float32Array, Action> = { act: (obs) => new Float32Array([Math.max(-2, Math.min(2, -3 * obs[1]! - obs[2]!))]) };

describe('evaluatePolicy over a vector env', () => {
  it.each([1, 3, 4])('gives the single-env returns and lengths with %i sub-envs (discrete actions)', (numEnvs) => {
    const single = evaluatePolicy(make('CartPole-v1'), leanPolicy, { episodes: 7, seed: 21 });
    const vec = new SyncVectorEnv(Array.from({ length: numEnvs }, () => () => make('CartPole-v1')));
    const batched = evaluatePolicy(vec, leanPolicy, { episodes: 7, seed: 21 });
    vec.close();
    expect(new Set(single.lengths).size).toBeGreaterThan(3);
    expect(batched).toEqual(single);
  });

  it('gives the single-env result with Box actions and with a step cap', () => {
    const single = evaluatePolicy(make('Pendulum-v1'), pendulumPolicy, { episodes: 3, seed: 4, maxSteps: 150 });
    const vec = new SyncVectorEnv([() => make('Pendulum-v1'), () => make('Pendulum-v1')]);
    const batched = evaluatePolicy(vec, pendulumPolicy, { episodes: 3, seed: 4, maxSteps: 150 });
    expect(single.lengths).toEqual([150, 150, 150]);
    expect(batched).toEqual(single);
    expect(() => evaluatePolicy(vec, pendulumPolicy, { episodes: 0 })).toThrow('evaluatePolicy: episodes must be a positive integer, got 0');
    vec.close();
  });
});

describe('evaluatePolicy and policies with per-episode state', () => {
  it('resets the policy before the first action of every episode', () => {
    const events: string[] = [];
    // Acts on the number of steps since its last reset, so a missing reset changes the returns.
    let sinceReset = 0;
    const countingPolicy: Policy<Float32Array, Action> = {
      reset: () => {
        events.push('reset');
        sinceReset = 0;
      },
      act: () => {
        events.push('act');
        sinceReset += 1;
        return sinceReset % 2;
      },
    };
    const result = evaluatePolicy(make('CartPole-v1'), countingPolicy, { episodes: 3, seed: 5 });
    const starts = events.flatMap((e, i) => (e === 'reset' ? [i] : []));
    expect(starts).toHaveLength(3);
    expect(starts[0]).toBe(0);
    expect(starts[1]).toBe(result.lengths[0]! + 1);
    expect(starts[2]).toBe(result.lengths[0]! + result.lengths[1]! + 2);
  });

  it('refuses a vector env for a policy with reset(), whose state one policy cannot keep per sub-env', () => {
    const vec = new SyncVectorEnv([() => make('CartPole-v1'), () => make('CartPole-v1')]);
    expect(() => evaluatePolicy(vec, { act: () => 0, reset: () => undefined }, { episodes: 2 })).toThrow('evaluate it on a single env');
    vec.close();
  });
});
