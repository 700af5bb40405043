import { Box, Discrete, Rng } from '@bellman/core';
import type { Action, ResetOptions, StepResult } from '@bellman/core';
import { checkEnv, make } from '../src/index.js';

/** A small correct env: a point on a line pushed left or right, seeded start. */
// Spaces are typed loosely so that tests can break them.
class LineEnv {
  observationSpace: unknown = new Box(-10, 10, [2]);
  actionSpace: unknown = new Discrete(2);
  protected position = 0;
  protected velocity = 0;
  protected rng = new Rng(0);

  reset(opts?: ResetOptions): { observation: Float32Array; info: Record<string, unknown> } {
    if (opts?.seed !== undefined) this.rng = new Rng(opts.seed);
    const state = opts?.options?.state;
    if (state) {
      this.position = state[0]!;
      this.velocity = state[1]!;
    } else {
      this.position = this.rng.uniformRange(-1, 1);
      this.velocity = 0;
    }
    return { observation: this.observe(), info: {} };
  }

  step(action: Action): StepResult<Float32Array> {
    this.velocity = 0.9 * this.velocity + ((action as number) === 1 ? 0.1 : -0.1);
    this.position += this.velocity;
    const terminated = Math.abs(this.position) > 5;
    return { observation: this.observe(), reward: -Math.abs(this.position), terminated, truncated: false, info: {} };
  }

  observe(): Float32Array {
    return Float32Array.of(this.position, this.velocity);
  }

  getState(): Float64Array {
    return Float64Array.of(this.position, this.velocity);
  }

  render(): string {
    return `<svg xmlns="http://www.w3.org/2000/svg"><circle cx="${this.position}" cy="0" r="1"/></svg>`;
  }

  close(): void {}
}

function problemsOf(env: unknown): string[] {
  const { ok, problems } = checkEnv(env);
  expect(ok).toBe(problems.length === 0);
  return problems;
}

describe('checkEnv', () => {
  it('passes every built-in env and a correct custom env', () => {
    for (const id of ['CartPole-v1', 'MountainCar-v0', 'MountainCarContinuous-v0', 'Pendulum-v1', 'Acrobot-v1']) {
      expect(checkEnv(make(id))).toEqual({ ok: true, problems: [] });
    }
    expect(checkEnv(new LineEnv())).toEqual({ ok: true, problems: [] });
  });

  it('reports spaces that are not Space instances', () => {
    const env = new LineEnv();
    env.observationSpace = { shape: [2], contains: () => true };
    env.actionSpace = { n: 2 };
    const problems = problemsOf(env);
    expect(problems).toContain('observationSpace is Object, not a Space (a Box or Discrete instance from @bellman/core)');
    expect(problems).toContain('actionSpace is Object, not a Space (a Box or Discrete instance from @bellman/core)');
  });

  it('reports a reset that does not return {observation, info}', () => {
    class Bare extends LineEnv {
      override reset(opts?: ResetOptions) {
        return super.reset(opts).observation as never;
      }
    }
    expect(problemsOf(new Bare())[0]).toMatch(/^reset\(\{seed: 0\}\) returned Float32Array \[.*\]; it must return \{observation, info\}$/);
  });

  it('reports observations of the wrong dtype, length, or outside the space', () => {
    class Float64Obs extends LineEnv {
      override observe() {
        return Float64Array.of(this.position, this.velocity) as unknown as Float32Array;
      }
    }
    expect(problemsOf(new Float64Obs()).join('\n')).toMatch(/observation from reset\(\{seed: 0\}\) is Float64Array \[.*\], expected a Float32Array/);

    class PlainArrayObs extends LineEnv {
      override observe() {
        return [this.position, this.velocity] as unknown as Float32Array;
      }
    }
    expect(problemsOf(new PlainArrayObs()).join('\n')).toMatch(/is a plain Array \[.*\], expected a Float32Array/);

    class ShortObs extends LineEnv {
      override observe() {
        return Float32Array.of(this.position);
      }
    }
    expect(problemsOf(new ShortObs()).join('\n')).toMatch(/has length 1, the observation space Box\(-10, 10, \[2\]\) has 2/);

    class OutOfBounds extends LineEnv {
      override observe() {
        return Float32Array.of(this.position + 50, this.velocity);
      }
    }
    expect(problemsOf(new OutOfBounds()).join('\n')).toMatch(/outside the observation space: element 0 is 5\d\.\d+, bounds \[-10, 10\]/);
  });

  it('reports step results with missing fields or wrong types, and non-finite rewards', () => {
    class NoTruncated extends LineEnv {
      override step(action: Action) {
        const { observation, reward, terminated, info } = super.step(action);
        return { observation, reward, done: terminated, info } as unknown as StepResult<Float32Array>;
      }
    }
    const p1 = problemsOf(new NoTruncated());
    expect(p1).toContain('step() result lacks terminated, truncated; it must return {observation, reward, terminated, truncated, info}');
    expect(p1).toContain('step() returned terminated = undefined; it must be true or false');

    class NumericFlags extends LineEnv {
      override step(action: Action) {
        const r = super.step(action);
        return { ...r, terminated: r.terminated ? 1 : 0, reward: String(r.reward) } as unknown as StepResult<Float32Array>;
      }
    }
    const p2 = problemsOf(new NumericFlags());
    expect(p2).toContain('step() returned terminated = 0; it must be true or false');
    expect(p2.some((p) => p.startsWith('step() returned reward = "-'))).toBe(true);

    class NaNReward extends LineEnv {
      override step(action: Action) {
        return { ...super.step(action), reward: NaN };
      }
    }
    expect(problemsOf(new NaNReward()).join('\n')).toMatch(/step\(\) returned a reward that is not finite \(NaN\)/);
  });

  it('reports resets that ignore the seed', () => {
    class IgnoresSeed extends LineEnv {
      private calls = 0;
      override reset(opts?: ResetOptions) {
        this.calls++;
        return super.reset({ ...opts, seed: this.calls });
      }
    }
    expect(problemsOf(new IgnoresSeed()).join('\n')).toMatch(/reset\(\{seed: 1\}\) twice gave different observations .*; a seed must make the reset reproducible/);
  });

  it('reports steps that depend on something other than state and action', () => {
    let calls = 0;
    class Drifting extends LineEnv {
      override step(action: Action) {
        calls++;
        const r = super.step(action);
        return { ...r, reward: r.reward + (calls % 7) * 1e-3 };
      }
    }
    expect(problemsOf(new Drifting()).join('\n')).toMatch(/the same seed and the same actions gave different results at step/);
  });

  it('reports getState / reset(state) that do not round-trip', () => {
    class IgnoresState extends LineEnv {
      override reset(opts?: ResetOptions) {
        return super.reset(opts?.seed === undefined ? {} : { seed: opts.seed });
      }
    }
    expect(problemsOf(new IgnoresState()).join('\n')).toMatch(/reset\(\{options: \{state\}\}\) does not restore the state/);

    class SharedState extends LineEnv {
      // The physical state lives in one array, and getState hands that array out.
      private readonly state = new Float64Array(2);
      override reset(opts?: ResetOptions) {
        const r = super.reset(opts);
        this.state[0] = this.position;
        this.state[1] = this.velocity;
        return r;
      }
      override getState() {
        return this.state;
      }
    }
    expect(problemsOf(new SharedState()).join('\n')).toMatch(/getState\(\) returns the env's own array, not a copy/);

    class PlainState extends LineEnv {
      override getState() {
        return [this.position, this.velocity] as unknown as Float64Array;
      }
    }
    expect(problemsOf(new PlainState())).toContain(
      `getState() returned ${'a plain Array'} [${new PlainStateProbe().values()}]; it must return a Float64Array with the physical state`,
    );
  });

  it('reports exceptions, missing methods and non-SVG renders in plain words', () => {
    class Throws extends LineEnv {
      override step(): StepResult<Float32Array> {
        throw new Error('boom');
      }
    }
    expect(problemsOf(new Throws())[0]).toMatch(/^step\(\) with action \d threw: boom$/);
    class NoRender extends LineEnv {
      override render() {
        return 42 as unknown as string;
      }
    }
    expect(problemsOf(new NoRender())).toContain('render() returned 42; it must return an SVG string');
    expect(checkEnv(null)).toEqual({ ok: false, problems: ['the env is null, not an object with reset() and step()'] });
    const missing = checkEnv({ observationSpace: new Box(0, 1, [1]), actionSpace: new Discrete(2) });
    expect(missing.problems).toContain('reset() is missing (it is a undefined)');
  });
});

/** The state the round-trip check reads: after reset({seed: 2}) and one sampled step. */
class PlainStateProbe {
  values(): string {
    const env = new LineEnv();
    env.reset({ seed: 2 });
    env.step(new Discrete(2).sample(new Rng(2)));
    return Array.from(env.getState(), (v) => +v.toPrecision(6)).join(', ');
  }
}
