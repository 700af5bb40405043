import { Box, Discrete, Rng, spaceFromJSON, resolveConfig, ConfigError, closestMatches } from '../src/index.js';

describe('Rng', () => {
  it('gives the same stream for the same seed and a different one for another seed', () => {
    const a = new Rng(42);
    const b = new Rng(42);
    const c = new Rng(43);
    const xs = Array.from({ length: 5 }, () => a.nextUint32());
    expect(Array.from({ length: 5 }, () => b.nextUint32())).toEqual(xs);
    expect(Array.from({ length: 5 }, () => c.nextUint32())).not.toEqual(xs);
  });

  it('restores from its state and splits into an independent stream', () => {
    const a = new Rng(7);
    a.uniform();
    const state = a.getState();
    const next = a.uniform();
    const b = new Rng(state);
    expect(b.uniform()).toBe(next);
    // A pending Box-Muller value survives a save and restore.
    a.normal();
    const withSpare = new Rng(a.getState());
    expect(withSpare.normal()).toBe(a.normal());
    expect(withSpare.uniform()).toBe(a.uniform());
    const child = a.split();
    expect(child.uniform()).not.toBe(a.uniform());
  });

  it('has the right first two moments for uniform and normal draws', () => {
    const rng = new Rng(1);
    const n = 20000;
    let su = 0;
    let sn = 0;
    let sn2 = 0;
    for (let i = 0; i < n; i++) {
      su += rng.uniform();
      const z = rng.normal();
      sn += z;
      sn2 += z * z;
    }
    expect(su / n).toBeCloseTo(0.5, 1);
    expect(sn / n).toBeCloseTo(0, 1);
    expect(sn2 / n).toBeCloseTo(1, 1);
    const counts = [0, 0, 0];
    for (let i = 0; i < 3000; i++) counts[rng.int(3)]!++;
    for (const c of counts) expect(Math.abs(c - 1000)).toBeLessThan(120);
  });
});

describe('spaces', () => {
  it('Box samples inside itself and rejects outside points and wrong lengths', () => {
    const box = new Box([-1, 0], [1, 2]);
    const rng = new Rng(3);
    for (let i = 0; i < 100; i++) expect(box.contains(box.sample(rng))).toBe(true);
    expect(box.contains(new Float32Array([2, 1]))).toBe(false);
    expect(box.contains(new Float32Array([0]))).toBe(false);
    expect(box.contains([0, NaN])).toBe(false);
    expect(Array.from(box.clip([5, -5]))).toEqual([1, 0]);
    expect(() => new Box([1], [0])).toThrow(/low\[0\]=1 must not exceed high\[0\]=0/);
  });

  it('Discrete contains integers in range only and round-trips through JSON', () => {
    const d = new Discrete(3);
    expect(d.contains(2)).toBe(true);
    expect(d.contains(3)).toBe(false);
    expect(d.contains(1.5)).toBe(false);
    expect(spaceFromJSON(d.toJSON())).toEqual(d);
    const box = new Box(-2, 2, [3]);
    expect(spaceFromJSON(box.toJSON()).toJSON()).toEqual(box.toJSON());
  });
});

describe('resolveConfig', () => {
  interface Cfg { gamma: number; hidden: number[]; loss: string; double: boolean }
  const schema = {
    gamma: { type: 'number', min: 0, max: 1 },
    hidden: { type: 'integerArray', minLength: 1 },
    loss: { type: 'enum', values: ['huber', 'mse'] },
    double: { type: 'boolean' },
  } as const;
  const defaults: Cfg = { gamma: 0.99, hidden: [256, 256], loss: 'huber', double: true };

  it('merges overrides over defaults', () => {
    expect(resolveConfig('DQN', schema, defaults, { gamma: 0.9 })).toEqual({ ...defaults, gamma: 0.9 });
  });

  it('names the field for a bad value or an unknown field', () => {
    expect(() => resolveConfig('DQN', schema, defaults, { gamma: 1.5 })).toThrow('DQN config: "gamma" must be at most 1, got 1.5');
    expect(() => resolveConfig('DQN', schema, defaults, { loss: 'l1' })).toThrow(/"loss" must be one of "huber", "mse"/);
    expect(() => resolveConfig('DQN', schema, defaults, { gama: 0.9 })).toThrow(/unknown field "gama" \(did you mean "gamma"\?\)/);
    expect(() => resolveConfig('DQN', schema, defaults, { hidden: [0] })).toThrow(ConfigError);
  });

  it('suggests close names', () => {
    expect(closestMatches('CartPole-v0', ['CartPole-v1', 'Pendulum-v1', 'Acrobot-v1'])[0]).toBe('CartPole-v1');
  });
});
