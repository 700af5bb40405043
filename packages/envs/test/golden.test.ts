import { readFileSync } from 'node:fs';
import { make } from '../src/index.js';
import type { Action } from '@bellman/core';

interface GoldenCase {
  note: string;
  state: number[];
  action: number | number[];
  nextState: number[];
  observation: number[];
  reward: number;
  terminated: boolean;
}

const golden = JSON.parse(readFileSync(new URL('./fixtures/golden.json', import.meta.url), 'utf8')) as {
  provenance: string;
  envs: Record<string, GoldenCase[]>;
};

const TOLERANCE = 1e-6;

function expectClose(actual: ArrayLike<number>, expected: number[], what: string): void {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    const diff = Math.abs(actual[i]! - expected[i]!);
    if (!(diff <= TOLERANCE)) throw new Error(`${what}[${i}]: got ${actual[i]}, expected ${expected[i]} (diff ${diff})`);
  }
}

describe('golden one-step transitions (Gymnasium equations, float64)', () => {
  it('covers all five envs with about 20 cases each', () => {
    expect(Object.keys(golden.envs).sort()).toEqual(['Acrobot-v1', 'CartPole-v1', 'MountainCar-v0', 'MountainCarContinuous-v0', 'Pendulum-v1']);
    for (const cases of Object.values(golden.envs)) expect(cases.length).toBeGreaterThanOrEqual(18);
    expect(golden.provenance).toMatch(/Gymnasium 1\.0/);
  });

  for (const [id, cases] of Object.entries(golden.envs)) {
    it(`${id}: next state, observation, reward and terminated match to 1e-6`, () => {
      const env = make(id);
      for (const c of cases) {
        const label = `${id} "${c.note}" from [${c.state.join(', ')}] with action ${JSON.stringify(c.action)}`;
        env.reset({ options: { state: c.state } });
        expectClose(env.getState(), c.state, `${label}: restored state`);
        const action: Action = Array.isArray(c.action) ? Float32Array.from(c.action) : c.action;
        const result = env.step(action);
        try {
          expectClose(env.getState(), c.nextState, 'next state');
          expectClose(result.observation, c.observation, 'observation');
          expect(result.observation).toBeInstanceOf(Float32Array);
          expect(Math.abs(result.reward - c.reward)).toBeLessThanOrEqual(TOLERANCE);
          expect(result.terminated).toBe(c.terminated);
          expect(result.truncated).toBe(false);
        } catch (err) {
          throw new Error(`${label}: ${(err as Error).message}`);
        }
      }
    });
  }

  it('includes the edge cases that a wrong implementation gets wrong', () => {
    const notes = Object.values(golden.envs).flatMap((cases) => cases.map((c) => c.note));
    for (const needle of ['terminates', 'clipped', 'goal', 'wraps', 'left wall', 'bounded']) {
      expect(notes.some((n) => n.includes(needle))).toBe(true);
    }
  });
});
