import { Rng } from '@bellman/core';
import type { Action, Box, Policy } from '@bellman/core';
import { make, controllerPolicy, controllerIds, mediumActionProbabilities, mediumActionSampler } from '../src/index.js';

function meanReturn(id: string, choose: (obs: Float32Array) => Action, episodes: number, seed = 100): number {
  const env = make(id);
  let total = 0;
  for (let k = 0; k < episodes; k++) {
    let { observation } = env.reset({ seed: seed + k });
    for (;;) {
      const r = env.step(choose(observation));
      total += r.reward;
      observation = r.observation;
      if (r.terminated || r.truncated) break;
    }
  }
  return total / episodes;
}

const policyFor = (id: string, level: 'expert' | 'medium', seed = 0): Policy<Float32Array, Action> =>
  controllerPolicy(id, { level, rng: new Rng(seed) });

describe('controllerPolicy', () => {
  it('has a controller for each built-in env', () => {
    expect(controllerIds().sort()).toEqual(['Acrobot-v1', 'CartPole-v1', 'MountainCar-v0', 'MountainCarContinuous-v0', 'Pendulum-v1']);
  });

  it('experts reach their expected returns', () => {
    const expected: Record<string, number> = {
      'CartPole-v1': 500,
      'MountainCar-v0': -125,
      'MountainCarContinuous-v0': 93,
      'Pendulum-v1': -220,
      'Acrobot-v1': -100,
    };
    for (const [id, floor] of Object.entries(expected)) {
      const expert = policyFor(id, 'expert');
      const mean = meanReturn(id, (o) => expert.act(o), 5);
      if (!(mean >= floor)) throw new Error(`${id}: expert mean return ${mean} is below ${floor}`);
    }
  });

  it('medium sits between random and expert', () => {
    for (const id of controllerIds()) {
      const env = make(id);
      const rng = new Rng(7);
      const random = meanReturn(id, () => env.actionSpace.sample(rng), 6);
      const medium = policyFor(id, 'medium', 7);
      const expert = policyFor(id, 'expert');
      const m = meanReturn(id, (o) => medium.act(o), 6);
      const e = meanReturn(id, (o) => expert.act(o), 6);
      if (!(random < m && m < e)) throw new Error(`${id}: expected random < medium < expert, got ${random}, ${m}, ${e}`);
    }
  });

  it('returns actions of the env action space, noise from the given rng only', () => {
    const obs = { cart: Float32Array.of(0.01, 0, 0.02, 0), pendulum: Float32Array.of(1, 0, 0) };
    expect(policyFor('CartPole-v1', 'expert').act(obs.cart)).toBe(1);
    const a = policyFor('Pendulum-v1', 'medium', 3);
    const b = policyFor('Pendulum-v1', 'medium', 3);
    const xs = Array.from({ length: 20 }, () => (a.act(obs.pendulum) as Float32Array)[0]!);
    expect(Array.from({ length: 20 }, () => (b.act(obs.pendulum) as Float32Array)[0]!)).toEqual(xs);
    expect(new Set(xs).size).toBeGreaterThan(5);
    expect(xs.every((x) => x >= -2 && x <= 2)).toBe(true);
    const expert = policyFor('Pendulum-v1', 'expert');
    // Near the top the stabiliser pushes back: u = -(10 theta + 3 theta_dot).
    const tilted = Float32Array.of(Math.cos(0.1), Math.sin(0.1), 0.2);
    expect((expert.act(tilted) as Float32Array)[0]).toBeCloseTo(-1.6, 5);
  });

  it('explains bad arguments', () => {
    expect(() => controllerPolicy('CartPole-v0', { level: 'expert', rng: new Rng(0) })).toThrow(
      /no controller for "CartPole-v0"; controllers exist for CartPole-v1/,
    );
    expect(() => controllerPolicy('CartPole-v1', { level: 'great' as never, rng: new Rng(0) })).toThrow(/level must be "expert" or "medium", got "great"/);
    expect(() => controllerPolicy('CartPole-v1', { level: 'expert', rng: 3 as never })).toThrow(/options.rng must be an Rng/);
  });
});

describe('the medium controllers as distributions', () => {
  const observations = (id: string, count: number) => {
    const env = make(id);
    const out = new Float32Array(count * env.observationSpace.shape[0]!);
    const rng = new Rng(5);
    for (let i = 0; i < count; i++) out.set(env.observationSpace.sample(rng), i * env.observationSpace.shape[0]!);
    env.close();
    return out;
  };

  it("Acrobot: the probabilities are the medium policy's action frequencies at each state", () => {
    const obs = observations('Acrobot-v1', 5);
    const probs = mediumActionProbabilities('Acrobot-v1', 6, 3).policyProbabilities(obs, 5);
    const policy = controllerPolicy('Acrobot-v1', { level: 'medium', rng: new Rng(11) });
    for (let i = 0; i < 5; i++) {
      const counts = [0, 0, 0];
      const draws = 4000;
      for (let k = 0; k < draws; k++) counts[policy.act(obs.subarray(6 * i, 6 * i + 6)) as number]! += 1;
      // 4000 draws: standard error of a frequency below 0.008
      for (let a = 0; a < 3; a++) expect(Math.abs(counts[a]! / draws - probs[3 * i + a]!)).toBeLessThan(0.03);
      expect(probs[3 * i]! + probs[3 * i + 1]! + probs[3 * i + 2]!).toBeCloseTo(1, 6);
    }
  });

  it('Pendulum: the sampler draws what the medium policy draws from the same stream', () => {
    const obs = observations('Pendulum-v1', 50);
    const sampled = mediumActionSampler('Pendulum-v1', 3, make('Pendulum-v1').actionSpace as Box).sampleActions(obs, 50, new Rng(8));
    const policy = controllerPolicy('Pendulum-v1', { level: 'medium', rng: new Rng(8) });
    for (let i = 0; i < 50; i++) expect(sampled[i]).toBeCloseTo((policy.act(obs.subarray(3 * i, 3 * i + 3)) as Float32Array)[0]!, 5);
  });
});
