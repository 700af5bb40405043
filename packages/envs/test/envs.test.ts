import { Box, Discrete, UsageError } from '@bellman/core';
import { make, listEnvs, register, TimeLimit, CartPoleEnv, PendulumEnv, angleNormalize } from '../src/index.js';

const IDS = ['CartPole-v1', 'MountainCar-v0', 'MountainCarContinuous-v0', 'Pendulum-v1', 'Acrobot-v1'];

describe('make and the registry', () => {
  it('lists the five classic-control envs with Gymnasium limits, thresholds and spaces', () => {
    const rows = listEnvs();
    const byId = Object.fromEntries(rows.map((r) => [r.id, r]));
    for (const id of IDS) expect(byId[id]).toBeDefined();
    expect(byId['CartPole-v1']).toMatchObject({ maxEpisodeSteps: 500, rewardThreshold: 475, actionSpace: 'Discrete(2)' });
    expect(byId['MountainCar-v0']).toMatchObject({ maxEpisodeSteps: 200, rewardThreshold: -110, actionSpace: 'Discrete(3)' });
    expect(byId['MountainCarContinuous-v0']).toMatchObject({ maxEpisodeSteps: 999, rewardThreshold: 90, actionSpace: 'Box(-1, 1, [1])' });
    expect(byId['Pendulum-v1']).toMatchObject({ maxEpisodeSteps: 200, actionSpace: 'Box(-2, 2, [1])' });
    expect(byId['Pendulum-v1']!.rewardThreshold).toBeUndefined();
    expect(byId['Acrobot-v1']).toMatchObject({ maxEpisodeSteps: 500, rewardThreshold: -100, actionSpace: 'Discrete(3)' });
    expect(byId['Acrobot-v1']!.observationSpace).toContain('[6]');
  });

  it('returns a TimeLimit-wrapped env with spec.id and float32 observations', () => {
    for (const id of IDS) {
      const env = make(id);
      expect(env).toBeInstanceOf(TimeLimit);
      expect(env.spec?.id).toBe(id);
      const { observation } = env.reset({ seed: 1 });
      expect(observation).toBeInstanceOf(Float32Array);
      expect(env.observationSpace.contains(observation)).toBe(true);
      expect(env.getState()).toBeInstanceOf(Float64Array);
    }
    expect(make('CartPole-v1', { maxEpisodeSteps: 7 }).spec?.maxEpisodeSteps).toBe(7);
  });

  it('suggests the closest id for an unknown one', () => {
    expect(() => make('CartPole-v0')).toThrow(/Unknown environment id "CartPole-v0"; did you mean "CartPole-v1"\? Known ids: .*Acrobot-v1/);
    expect(() => make('Zzzzzzzzzzzzzz')).toThrow(/Unknown environment id "Zzzzzzzzzzzzzz"\. Known ids: CartPole-v1/);
    expect(() => make('CartPole-v0')).toThrow(UsageError);
    expect(() => make('CartPole-v0')).toThrow(
      expect.objectContaining({ context: { envId: 'CartPole-v0', suggestions: ['CartPole-v1'], known: expect.arrayContaining(IDS) } }),
    );
  });

  it('rejects a bad time limit, unknown options and duplicate registrations', () => {
    expect(() => make('CartPole-v1', { maxEpisodeSteps: 0 })).toThrow(/maxEpisodeSteps must be a positive integer, got 0/);
    expect(() => make('CartPole-v1', { maxSteps: 5 } as never)).toThrow(/unknown option "maxSteps"/);
    expect(() => register({ id: 'CartPole-v1', entryPoint: () => new CartPoleEnv() })).toThrow(/already registered/);
  });

  it('registers a custom env that make() then builds', () => {
    register({ id: 'ShortPendulum-v0', entryPoint: () => new PendulumEnv({ g: 9.81 }), maxEpisodeSteps: 3 });
    const env = make('ShortPendulum-v0');
    expect(env.spec).toMatchObject({ id: 'ShortPendulum-v0', maxEpisodeSteps: 3 });
    env.reset({ seed: 0 });
    expect(env.step(Float32Array.of(0)).truncated).toBe(false);
    expect(env.step(Float32Array.of(0)).truncated).toBe(false);
    expect(env.step(Float32Array.of(0)).truncated).toBe(true);
  });
});

describe('actions', () => {
  it('rejects a discrete action outside the space, naming env, action and space', () => {
    const env = make('CartPole-v1');
    env.reset({ seed: 0 });
    expect(() => env.step(2)).toThrow('CartPole-v1: action 2 is not in the action space Discrete(2)');
    expect(() => env.step(0.5)).toThrow(/CartPole-v1: action 0.5 is not in the action space Discrete\(2\)/);
    expect(() => env.step(Float32Array.of(1))).toThrow(/CartPole-v1: action Float32Array \[1\] is not in the action space Discrete\(2\)/);
    const acrobot = make('Acrobot-v1');
    acrobot.reset();
    expect(() => acrobot.step(-1)).toThrow(/Acrobot-v1: action -1 is not in the action space Discrete\(3\)/);
  });

  it('rejects wrong-length, NaN or scalar Box actions with a clear error', () => {
    const env = make('Pendulum-v1');
    env.reset({ seed: 0 });
    expect(() => env.step(Float32Array.of(1, 2))).toThrow(/Pendulum-v1: action has length 2, Box\(-2, 2, \[1\]\) needs 1/);
    expect(() => env.step(Float32Array.of(NaN))).toThrow(/Pendulum-v1: action value NaN is not a number/);
    expect(() => env.step(1)).toThrow(/Pendulum-v1: action must be a Float32Array of length 1/);
  });

  it('clips Box actions like Gymnasium: Pendulum torque and MountainCarContinuous force', () => {
    const a = make('Pendulum-v1');
    const b = make('Pendulum-v1');
    a.reset({ options: { state: [1, 0.5] } });
    b.reset({ options: { state: [1, 0.5] } });
    const big = a.step(Float32Array.of(50));
    const clipped = b.step(Float32Array.of(2));
    expect(a.getState()).toEqual(b.getState());
    // The cost uses the clipped torque, so the rewards agree too.
    expect(big.reward).toBe(clipped.reward);

    const c = make('MountainCarContinuous-v0');
    const d = make('MountainCarContinuous-v0');
    c.reset({ options: { state: [-0.5, 0] } });
    d.reset({ options: { state: [-0.5, 0] } });
    const over = c.step(Float32Array.of(3));
    const one = d.step(Float32Array.of(1));
    expect(c.getState()).toEqual(d.getState());
    // ...but MountainCarContinuous charges 0.1 a^2 on the action as given.
    expect(over.reward).toBeCloseTo(-0.9, 12);
    expect(one.reward).toBeCloseTo(-0.1, 12);
  });

  it('refuses to step before reset', () => {
    expect(() => make('MountainCar-v0').step(1)).toThrow(/MountainCar-v0: call reset\(\) before step\(\)/);
  });
});

describe('reset', () => {
  it('is reproducible with a seed and draws from Gymnasium ranges', () => {
    const ranges: Record<string, [number, number][]> = {
      'CartPole-v1': [[-0.05, 0.05], [-0.05, 0.05], [-0.05, 0.05], [-0.05, 0.05]],
      'MountainCar-v0': [[-0.6, -0.4], [0, 0]],
      'MountainCarContinuous-v0': [[-0.6, -0.4], [0, 0]],
      'Pendulum-v1': [[-Math.PI, Math.PI], [-1, 1]],
      'Acrobot-v1': [[-0.1, 0.1], [-0.1, 0.1], [-0.1, 0.1], [-0.1, 0.1]],
    };
    for (const [id, bounds] of Object.entries(ranges)) {
      const a = make(id);
      const b = make(id);
      const first = a.reset({ seed: 123 }).observation;
      expect(b.reset({ seed: 123 }).observation).toEqual(first);
      expect(b.reset({ seed: 124 }).observation).not.toEqual(first);
      // Without a seed, the env's stream continues: consecutive resets differ.
      const s1 = a.getState();
      a.reset();
      expect(a.getState()).not.toEqual(s1);
      for (let k = 0; k < 50; k++) {
        a.reset({ seed: k });
        const s = a.getState();
        bounds.forEach(([lo, hi], i) => {
          expect(s[i]).toBeGreaterThanOrEqual(lo);
          expect(s[i]).toBeLessThanOrEqual(hi);
        });
      }
    }
  });

  it('starts from a given physical state and validates it', () => {
    const env = make('Acrobot-v1');
    const { observation } = env.reset({ options: { state: [0.3, -0.2, 1, 2] } });
    expect(Array.from(env.getState())).toEqual([0.3, -0.2, 1, 2]);
    expect(observation[0]).toBeCloseTo(Math.cos(0.3), 6);
    expect(observation[3]).toBeCloseTo(Math.sin(-0.2), 6);
    expect(() => env.reset({ options: { state: [1, 2, 3] } })).toThrow(
      'Acrobot-v1: reset options.state must have 4 values [theta1, theta2, dtheta1, dtheta2], got 3',
    );
    expect(() => env.reset({ options: { state: [0, NaN, 0, 0] } })).toThrow(/options.state\[1\] \(theta2\) must be a finite number, got NaN/);
  });

  it('getState returns a copy', () => {
    const env = make('CartPole-v1');
    env.reset({ seed: 0 });
    const s = env.getState();
    s[0] = 99;
    expect(env.getState()[0]).not.toBe(99);
  });
});

describe('episodes', () => {
  it('CartPole pays 1 on the terminating step, 0 after it', () => {
    const env = make('CartPole-v1');
    env.reset({ options: { state: [2.39, 1, 0, 0] } });
    const last = env.step(1);
    expect(last).toMatchObject({ reward: 1, terminated: true });
    expect(env.step(1).reward).toBe(0);
  });

  it('truncates at the registered time limit, not before', () => {
    const env = make('Pendulum-v1');
    env.reset({ seed: 0 });
    let steps = 0;
    for (;;) {
      const r = env.step(Float32Array.of(0));
      steps++;
      if (r.truncated || r.terminated) {
        expect(r.truncated).toBe(true);
        expect(r.terminated).toBe(false);
        break;
      }
    }
    expect(steps).toBe(200);
  });

  it('Pendulum uses g = 10 by default and a normalised angle in its cost', () => {
    expect(new PendulumEnv().g).toBe(10);
    expect(angleNormalize(3 * Math.PI)).toBeCloseTo(-Math.PI, 12);
    expect(angleNormalize(-0.5)).toBeCloseTo(-0.5, 12);
    expect(angleNormalize(2 * Math.PI + 0.25)).toBeCloseTo(0.25, 12);
    const env = make('Pendulum-v1');
    env.reset({ options: { state: [2 * Math.PI + 0.1, 0] } });
    // Cost of theta = 2 pi + 0.1 is that of 0.1: 0.01.
    expect(env.step(Float32Array.of(0)).reward).toBeCloseTo(-0.01, 10);
  });
});

describe('render', () => {
  it('returns an SVG drawing for every built-in env, before and after stepping', () => {
    for (const id of IDS) {
      const env = make(id);
      env.reset({ seed: 3 });
      const space = env.actionSpace;
      const svg0 = env.render();
      env.step(space instanceof Discrete ? 1 : Float32Array.of((space as Box).high[0]!));
      const svg1 = env.render();
      for (const svg of [svg0, svg1]) {
        expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
        expect(svg.endsWith('</svg>')).toBe(true);
        expect(svg).not.toMatch(/NaN|undefined/);
      }
      expect(svg1).toContain(id);
    }
  });

  it('passes render options through the wrappers make() adds', () => {
    const env = make('ZigzagMaze-v0');
    env.reset({ seed: 0 });
    const plain = env.render();
    const titled = (env.render as (options: { title: string; size: number }) => string)({ title: 'through the wrappers', size: 123 });
    expect(plain).not.toContain('through the wrappers');
    expect(titled).toContain('through the wrappers');
    expect(titled).toContain('width="123"');
  });

  it('draws the pole where the state puts it', () => {
    const env = make('CartPole-v1');
    env.reset({ options: { state: [0, 0, 0, 0] } });
    // Upright pole at the centre: the pole line is vertical, from the axle up.
    expect(env.render()).toMatch(/<line x1="300" y1="285" x2="300" y2="160"/);
    env.reset({ options: { state: [1.2, 0, 0, 0] } });
    expect(env.render()).toMatch(/<rect x="425" /);
  });
});
