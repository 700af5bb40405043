import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UsageError, type ActOptions } from '@bellman/core';
import { make } from '@bellman/envs';
import { collect, randomPolicy } from '../src/collect.js';
import type { OfflineDataset } from '../src/offline.js';
import { generateRecipe, listRecipes, recipeInfo, RECIPE_VERSION } from '../src/recipe-generation.js';
import { makeRecipe, makeRecipeAsync } from '../src/recipes.js';
import { loadRecipe, recipeCachePath, defaultDataDir } from '../src/cache.js';
import { biasedPolicy, LineWalkEnv } from './helpers/tiny-env.js';

function bytesOf(ds: OfflineDataset): Buffer {
  const a = ds.toArrays();
  return Buffer.concat([a.observations, a.actions, a.rewards, a.terminals, a.timeouts, a.nextObservations].map((x) => Buffer.from(x.buffer, x.byteOffset, x.byteLength)));
}

describe('collect', () => {
  it('records episodes as the env plays them', () => {
    const ds = collect(new LineWalkEnv({ maxSteps: 6 }), biasedPolicy(0.7), { episodes: 30, seed: 4 });
    expect(ds.numEpisodes).toBe(30);
    expect(ds.metadata).toMatchObject({ envId: 'LineWalk-v0', seed: 4 });
    const bad: string[] = [];
    for (const ep of ds.episodes()) {
      const positions = [...Array.from({ length: ep.length }, (_, t) => ep.observations[2 * t]!), ep.finalObservation![0]!];
      for (let t = 0; t < ep.length; t++) {
        const moved = positions[t + 1]! - positions[t]!;
        if (moved !== (ep.actions[t] === 1 ? 1 : -1)) bad.push(`ep ${ep.index} step ${t} moved ${moved}`);
        if (ep.observations[2 * t + 1] !== t) bad.push(`ep ${ep.index} step ${t} counter`);
        if (ep.rewards[t] !== (t === ep.length - 1 && ep.terminated ? 1 : Math.fround(-0.1))) bad.push(`ep ${ep.index} step ${t} reward`);
      }
      if (ep.terminated !== positions[ep.length]! >= 3) bad.push(`ep ${ep.index} terminated`);
      if (!ep.terminated && ep.length !== 6) bad.push(`ep ${ep.index} truncated early`);
    }
    expect(bad).toEqual([]);
    expect(ds.statistics().terminals).toBeGreaterThan(0);
    expect(ds.statistics().timeouts).toBeGreaterThan(0);
  });

  it('resets a policy that keeps state at the start of every episode, before its first act', () => {
    const calls: string[] = [];
    const inner = biasedPolicy(0.7);
    const policy = {
      act: (obs: Float32Array, opts?: ActOptions) => {
        calls.push(`act ${obs[1]}`);
        return inner.act(obs, opts);
      },
      reset: () => calls.push('reset'),
    };
    const ds = collect(new LineWalkEnv({ maxSteps: 6 }), policy, { episodes: 5, seed: 4 });
    const expected = [...ds.episodes()].flatMap((ep) => ['reset', ...Array.from({ length: ep.length }, (_, t) => `act ${t}`)]);
    expect(calls).toEqual(expected);
    expect(calls.filter((c) => c === 'reset')).toHaveLength(5);
  });

  it('is deterministic: same seed, same bytes; other seed, other data', () => {
    const run = (seed: number) => collect(new LineWalkEnv(), biasedPolicy(0.6), { steps: 500, seed });
    const a = run(11);
    expect(a.size).toBe(500);
    expect(bytesOf(run(11)).equals(bytesOf(a))).toBe(true);
    expect(bytesOf(run(12)).equals(bytesOf(a))).toBe(false);
    // The step limit cuts the running episode, which then counts as a timeout.
    expect(a.episode(a.numEpisodes - 1).truncated).toBe(true);
  });

  it('clips continuous actions into the action box and stops at the first limit reached', () => {
    const ds = collect(new LineWalkEnv({ continuous: true }), { act: () => Float32Array.of(3) }, { steps: 1000, episodes: 5, seed: 0 });
    expect(ds.numEpisodes).toBe(5);
    expect(Math.max(...ds.toArrays().actions)).toBe(1);
    expect(() => collect(new LineWalkEnv(), biasedPolicy(0.5), { seed: 1 })).toThrow(/give steps or episodes/);
  });

  it('collects from a real env with a seeded random policy', () => {
    const env = make('CartPole-v1');
    const a = collect(env, randomPolicy(env.actionSpace), { steps: 2000, seed: 5 });
    const b = collect(make('CartPole-v1'), randomPolicy(env.actionSpace), { steps: 2000, seed: 5 });
    expect(bytesOf(a).equals(bytesOf(b))).toBe(true);
    expect(a.metadata.envId).toBe('CartPole-v1');
    expect(a.statistics().returnMean).toBeGreaterThan(8);
    expect(a.statistics().returnMean).toBeLessThan(60);
  });
});

describe('recipes', () => {
  it('lists every built-in env with four kinds, and the six maze2d recipes', () => {
    const names = listRecipes().map((r) => r.name);
    expect(names).toHaveLength(26);
    for (const env of ['cartpole', 'mountaincar', 'mountaincarcontinuous', 'pendulum', 'acrobot']) {
      for (const kind of ['random', 'medium', 'expert', 'mixed']) expect(names).toContain(`${env}-${kind}-v0`);
    }
    expect(recipeInfo('pendulum-medium-v0')).toMatchObject({ envId: 'Pendulum-v1', kind: 'medium', minTransitions: 50000 });
  });

  it('names close recipes for an unknown name', () => {
    expect(() => recipeInfo('cartpole-mixd-v0')).toThrow(/unknown dataset recipe "cartpole-mixd-v0"; did you mean "cartpole-mixed-v0"/);
    expect(() => makeRecipe('pendulm-expert-v0')).toThrow(/did you mean "pendulum-expert-v0"/);
    expect(() => recipeInfo('cartpole-mixd-v0')).toThrow(UsageError);
    const known = listRecipes().map((r) => r.name);
    expect(() => recipeInfo('cartpole-mixd-v0')).toThrow(
      expect.objectContaining({
        context: { recipe: 'cartpole-mixd-v0', suggestions: expect.arrayContaining(['cartpole-mixed-v0']), known: expect.arrayContaining(known) },
      }),
    );
  });

  it('generates deterministically from the seed', () => {
    const a = makeRecipe('acrobot-mixed-v0', { minTransitions: 3000 });
    expect(bytesOf(makeRecipe('acrobot-mixed-v0', { minTransitions: 3000 })).equals(bytesOf(a))).toBe(true);
    expect(bytesOf(makeRecipe('acrobot-mixed-v0', { minTransitions: 3000, seed: 1 })).equals(bytesOf(a))).toBe(false);
    expect(a.metadata).toMatchObject({ recipe: 'acrobot-mixed-v0', seed: 0, envId: 'Acrobot-v1', recipeVersion: RECIPE_VERSION });
  });

  it('mixes one third of the episodes from each source', () => {
    const seen: string[] = [];
    const env = () => new LineWalkEnv();
    const info = { ...recipeInfo('cartpole-mixed-v0'), envId: 'LineWalk-v0' };
    const ds = generateRecipe(info, { minTransitions: 200 }, {
      make: () => env(),
      controllerPolicy: (_id, { level }) => ({ act: () => (seen.push(level), level === 'expert' ? 1 : 0) }),
    });
    expect(ds.numEpisodes % 3).toBe(0);
    expect(ds.size).toBeGreaterThanOrEqual(200);
    // Round-robin: random, medium (always left: truncated after 10 steps), expert (always right).
    const eps = [...ds.episodes()];
    for (let i = 1; i < eps.length; i += 3) expect(Array.from(eps[i]!.actions).every((a) => a === 0)).toBe(true);
    for (let i = 2; i < eps.length; i += 3) expect(Array.from(eps[i]!.actions).every((a) => a === 1)).toBe(true);
    expect(seen).toContain('medium');
  });

  it('has sensible statistics: expert > medium > random, mixed in between', () => {
    // A fifth of the full size keeps this test quick; the README lists the full-size figures.
    for (const env of ['cartpole', 'pendulum']) {
      const mean = (kind: string) => makeRecipe(`${env}-${kind}-v0`, { minTransitions: 10000 }).statistics().returnMean;
      const [random, medium, expert, mixed] = ['random', 'medium', 'expert', 'mixed'].map(mean) as [number, number, number, number];
      expect(expert).toBeGreaterThan(medium);
      expect(medium).toBeGreaterThan(random);
      expect(mixed).toBeGreaterThan(random);
      expect(mixed).toBeLessThan(expert);
    }
    const s = makeRecipe('cartpole-expert-v0').statistics();
    expect(s.transitions).toBeGreaterThanOrEqual(50000);
    expect(s.transitions).toBeLessThan(51000);
    expect(s.returnMean).toBeGreaterThanOrEqual(475);
  });
});

describe('loadRecipe', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'bellman-recipes-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('caches to disk in the Minari layout, and a hit returns identical data', async () => {
    const opts = { cacheDir: dir, minTransitions: 2000 };
    const path = recipeCachePath('mountaincar-mixed-v0', opts);
    expect(path).toBe(join(dir, 'mountaincar-mixed-v0-n2000', 'data', 'main_data.hdf5'));
    const generated = await loadRecipe('mountaincar-mixed-v0', opts);
    expect(existsSync(path)).toBe(true);
    expect(readdirSync(join(dir, 'mountaincar-mixed-v0-n2000', 'data'))).toEqual(['main_data.hdf5']);
    const mtime = statSync(path).mtimeMs;
    const cached = await loadRecipe('mountaincar-mixed-v0', opts);
    expect(statSync(path).mtimeMs).toBe(mtime);
    expect(cached.metadata.format).toBe('minari');
    expect(bytesOf(cached).equals(bytesOf(generated))).toBe(true);
    expect(cached.actionSpace.toJSON()).toEqual(generated.actionSpace.toJSON());
    expect(cached.observationSpace.toJSON()).toEqual(generated.observationSpace.toJSON());
    expect([...cached.episodes()].map((e) => e.seed)).toEqual([...generated.episodes()].map((e) => e.seed));
    expect(cached.statistics()).toEqual(generated.statistics());
  });

  it('regenerates a damaged cache file, and defaults to $BELLMAN_DATA_DIR', async () => {
    const { writeFileSync } = await import('node:fs');
    const opts = { cacheDir: dir, minTransitions: 1000, seed: 3 };
    const path = recipeCachePath('pendulum-random-v0', opts);
    expect(path).toContain('pendulum-random-v0-seed3-n1000');
    const first = await loadRecipe('pendulum-random-v0', opts);
    writeFileSync(path, 'garbage');
    const again = await loadRecipe('pendulum-random-v0', opts);
    expect(bytesOf(again).equals(bytesOf(first))).toBe(true);
    expect(statSync(path).size).toBeGreaterThan(1000);
    const saved = process.env.BELLMAN_DATA_DIR;
    process.env.BELLMAN_DATA_DIR = join(dir, 'from-env');
    try {
      expect(defaultDataDir()).toBe(join(dir, 'from-env'));
      await loadRecipe('cartpole-random-v0', { minTransitions: 500 });
      expect(existsSync(join(dir, 'from-env', 'cartpole-random-v0-n500', 'data', 'main_data.hdf5'))).toBe(true);
    } finally {
      if (saved === undefined) delete process.env.BELLMAN_DATA_DIR;
      else process.env.BELLMAN_DATA_DIR = saved;
    }
    await expect(loadRecipe('cartpol-random-v0', { cacheDir: dir })).rejects.toThrow(/did you mean "cartpole-random-v0"/);
  });
});

describe('maze2d recipes (generated by @bellman/envs-mujoco)', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'bellman-maze2d-recipes-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("are listed with D4RL's sizes, and makeRecipe says to use the async forms", () => {
    const maze = listRecipes().filter((r) => r.name.startsWith('maze2d-'));
    expect(maze.map((r) => [r.name, r.minTransitions, r.kind, r.provider])).toEqual([
      ['maze2d-large-dense-v1', 4_000_000, 'waypoint', '@bellman/envs-mujoco'],
      ['maze2d-large-v1', 4_000_000, 'waypoint', '@bellman/envs-mujoco'],
      ['maze2d-medium-dense-v1', 2_000_000, 'waypoint', '@bellman/envs-mujoco'],
      ['maze2d-medium-v1', 2_000_000, 'waypoint', '@bellman/envs-mujoco'],
      ['maze2d-umaze-dense-v1', 1_000_000, 'waypoint', '@bellman/envs-mujoco'],
      ['maze2d-umaze-v1', 1_000_000, 'waypoint', '@bellman/envs-mujoco'],
    ]);
    expect(() => makeRecipe('maze2d-umaze-v1')).toThrow(UsageError);
    expect(() => makeRecipe('maze2d-umaze-v1')).toThrow(/await makeRecipeAsync\("maze2d-umaze-v1"\)/);
  });

  it('generate one continuous trajectory split into segments at each reached target, and cache like the others', async () => {
    const opts = { cacheDir: dir, minTransitions: 3000 };
    const generated = await makeRecipeAsync('maze2d-medium-v1', { minTransitions: 3000 });
    expect(generated.size).toBe(3000);
    expect([generated.observationDim, generated.actionDim]).toEqual([4, 2]);
    expect(generated.metadata).toMatchObject({ recipe: 'maze2d-medium-v1', envId: 'maze2d-medium-v1', seed: 0 });
    const arrays = generated.toArrays();
    expect(generated.numEpisodes).toBe(arrays.timeouts.reduce((s, t) => s + t, 0));
    expect(generated.numEpisodes).toBeGreaterThan(5);
    for (let i = 0; i + 1 < generated.size; i++) {
      expect(Array.from(arrays.nextObservations.subarray(4 * i, 4 * i + 4))).toEqual(Array.from(arrays.observations.subarray(4 * i + 4, 4 * i + 8)));
    }
    const loaded = await loadRecipe('maze2d-medium-v1', opts);
    expect(bytesOf(loaded).equals(bytesOf(generated))).toBe(true);
    const cached = await loadRecipe('maze2d-medium-v1', opts);
    expect(cached.metadata.format).toBe('minari');
    expect(bytesOf(cached).equals(bytesOf(generated))).toBe(true);
  });
});
