import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UsageError } from '@bellman/core';
import { MountainCarContinuousEnv, PendulumEnv } from '@bellman/envs';
import { runExample } from '../../../tools/readme-examples/index.mjs';
import { CONTROLLER_TASK_IDS, DESIGN_TASK_IDS, makeControllerTask, type DesignTask } from '../src/index.js';

const sha = (...arrays: ArrayBufferView[]) => {
  const hash = createHash('sha256');
  for (const a of arrays) hash.update(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
  return hash.digest('hex');
};

/** Rows `rows` of a task's full dataset, as one block of designs. */
const rowsOf = (task: DesignTask<Float32Array>, rows: number[]) => {
  const dim = task.space.kind === 'continuous' ? task.space.dim : 0;
  const x = new Float32Array(rows.length * dim);
  rows.forEach((row, i) => x.set(task.full.x.subarray(row * dim, (row + 1) * dim), i * dim));
  return x;
};

const argmax = (values: Float32Array) => values.reduce((best, v, i) => (v > values[best]! ? i : best), 0);

// Small budgets keep this file fast; the default sizes are checked once, by a Node child process.
const PENDULUM_SMALL = { seed: 0, evaluations: 400 };
const MOUNTAINCAR_SMALL = { seed: 0, evaluations: 200 };

interface DefaultStats {
  count: number;
  train: number;
  dim: number;
  trainBest: number;
  bestReproduced: boolean;
  generationMs: number;
  cachedMs: number;
  cachedSame: boolean;
}

/** Builds the default tasks through the registry twice (the second from memory) and prints their DefaultStats. */
const DEFAULTS_SCRIPT = `
import { makeDesignTask } from '@bellman/mbo';
const stats: Record<string, unknown> = {};
for (const id of ['pendulum-controller-v0', 'mountaincar-controller-v0']) {
  let start = performance.now();
  const task = makeDesignTask(id, { seed: 0 });
  const generationMs = performance.now() - start;
  start = performance.now();
  const again = makeDesignTask(id, { seed: 0 });
  const cachedMs = performance.now() - start;
  const dim = task.space.kind === 'continuous' ? task.space.dim : 0;
  const best = task.full.y.indexOf(task.yMax);
  const x = task.full.x.subarray(best * dim, (best + 1) * dim) as Float32Array;
  stats[id] = {
    count: task.full.count,
    train: task.train.count,
    dim,
    trainBest: task.normalize(Math.max(...task.train.y)),
    bestReproduced: Math.fround(task.oracle(x)[0]!) === task.yMax,
    generationMs,
    cachedMs,
    cachedSame: Buffer.from(again.full.x.buffer).equals(Buffer.from(task.full.x.buffer)) && again.full.x !== task.full.x,
  };
}
console.log(JSON.stringify(stats));
`;

describe('controller tasks', () => {
  const pendulum = makeControllerTask('pendulum-controller-v0', PENDULUM_SMALL);
  const mountaincar = makeControllerTask('mountaincar-controller-v0', MOUNTAINCAR_SMALL);

  it('are registered, with 8-unit tanh policies: 41 weights for pendulum, 33 for mountain car', () => {
    for (const id of CONTROLLER_TASK_IDS) expect(DESIGN_TASK_IDS).toContain(id);
    expect(pendulum.space).toEqual({ kind: 'continuous', dim: 3 * 8 + 8 + 8 + 1 });
    expect(mountaincar.space).toEqual({ kind: 'continuous', dim: 2 * 8 + 8 + 8 + 1 });
    expect([pendulum.full.count, pendulum.full.x.length]).toEqual([400, 400 * 41]);
    expect([mountaincar.full.count, mountaincar.full.x.length]).toEqual([200, 200 * 33]);
  });

  it('score the all-zero policy (action 0) as the env scores it, run directly', () => {
    // pendulum: the mean return of 200 steps of zero torque from reset seeds 0..4
    let sum = 0;
    for (let seed = 0; seed < 5; seed++) {
      const env = new PendulumEnv();
      env.reset({ seed });
      let episodeReturn = 0;
      for (let t = 0; t < 200; t++) episodeReturn += env.step(Float32Array.of(0)).reward;
      sum += episodeReturn;
    }
    expect(pendulum.oracle(new Float32Array(41))[0]).toBe(sum / 5);
    // mountain car: no force never reaches the goal and costs nothing
    const car = new MountainCarContinuousEnv();
    car.reset({ seed: 0 });
    let carReturn = 0;
    for (let t = 0; t < 999; t++) carReturn += car.step(Float32Array.of(0)).reward;
    expect(carReturn).toBe(0);
    expect(mountaincar.oracle(new Float32Array(33))[0]).toBe(0);
  });

  it('store the oracle score of every design: a few rows and the best reproduce y exactly', () => {
    for (const task of [pendulum, mountaincar]) {
      const rows = [0, 1, 137, task.full.count - 1, argmax(task.full.y)];
      const scores = Float32Array.from(task.oracle(rowsOf(task, rows)));
      expect(Array.from(scores)).toEqual(rows.map((r) => task.full.y[r]!));
      expect(scores[rows.length - 1]).toBe(task.yMax);
    }
  });

  it('train on the designs at or below the 40th percentile, whose best is well below the full best', () => {
    for (const task of [pendulum, mountaincar]) {
      expect(task.split.maxPercentile).toBe(40);
      expect(task.train.count).toBeGreaterThanOrEqual(0.4 * task.full.count - 1);
      expect(task.train.count).toBeLessThan(0.45 * task.full.count);
      expect(Math.max(...task.train.y)).toBeLessThanOrEqual(task.split.threshold);
      expect(task.normalize(Math.max(...task.train.y))).toBeLessThan(0.8);
    }
  });

  it('are deterministic: the same seed gives the same bytes, another seed other designs', () => {
    const again = makeControllerTask('pendulum-controller-v0', PENDULUM_SMALL);
    expect(sha(again.full.x, again.full.y)).toBe(sha(pendulum.full.x, pendulum.full.y));
    const other = makeControllerTask('pendulum-controller-v0', { ...PENDULUM_SMALL, seed: 1 });
    expect(sha(other.full.x, other.full.y)).not.toBe(sha(pendulum.full.x, pendulum.full.y));
    // the oracle is the same function whatever the dataset seed
    expect(Array.from(other.oracle(pendulum.full.x.subarray(0, 41 * 3)))).toEqual(Array.from(pendulum.oracle(pendulum.full.x.subarray(0, 41 * 3))));
  });

  it('have stochastic variants: 10 episodes with fixed N(0, (0.2 bound)^2) action noise, deterministic per design', () => {
    const noisy = makeControllerTask('mountaincar-controller-stochastic-v0', { seed: 0, evaluations: 100 });
    const zero = new Float32Array(33);
    const score = noisy.oracle(zero)[0]!;
    expect(noisy.oracle(zero)[0]).toBe(score);
    // the zero policy's actions are the noise alone: 999 steps of cost 0.1 a^2, E a^2 = 0.2^2
    expect(score).toBeGreaterThan(-0.1 * 0.04 * 999 * 1.05);
    expect(score).toBeLessThan(-0.1 * 0.04 * 999 * 0.95);
    const rows = [0, argmax(noisy.full.y)];
    expect(Array.from(Float32Array.from(noisy.oracle(rowsOf(noisy, rows))))).toEqual(rows.map((r) => noisy.full.y[r]!));
  });

  it('default to 10,000 pendulum and 5,000 mountain car designs through makeDesignTask (run by Node itself)', async () => {
    // jest's vm context runs this CPU-bound generation about five times slower than Node does
    const dir = mkdtempSync(join(tmpdir(), 'bellman-controller-'));
    const script = join(dir, 'defaults.ts');
    writeFileSync(script, DEFAULTS_SCRIPT);
    try {
      const result = await runExample(script, { cwd: dir, timeoutMs: 60_000 });
      if (result.code !== 0) throw new Error(`defaults script failed: ${result.stderr}`);
      const stats = JSON.parse(result.stdout) as Record<string, DefaultStats>;
      expect(Object.keys(stats)).toEqual(['pendulum-controller-v0', 'mountaincar-controller-v0']);
      const [pendulumStats, carStats] = Object.values(stats) as [DefaultStats, DefaultStats];
      expect([pendulumStats.count, pendulumStats.train, pendulumStats.dim]).toEqual([10_000, 4_000, 41]);
      expect([carStats.count, carStats.train, carStats.dim]).toEqual([5_000, 2_000, 33]);
      for (const s of [pendulumStats, carStats]) {
        expect(s.trainBest).toBeLessThan(0.6); // normalised: the full dataset's best is 1
        expect(s.bestReproduced).toBe(true);
        expect(s.cachedMs).toBeLessThan(s.generationMs / 4);
        expect(s.cachedSame).toBe(true);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 90_000);

  it('reject unknown ids and bad budgets with UsageErrors', () => {
    expect(() => makeControllerTask('hopper-controller-v0')).toThrow(UsageError);
    expect(() => makeControllerTask('hopper-controller-v0')).toThrow('unknown controller task "hopper-controller-v0"; known: pendulum-controller-v0');
    expect(() => makeControllerTask('pendulum-controller-v0', { evaluations: 0 })).toThrow('evaluations must be a positive integer, got 0');
    expect(() => makeControllerTask('pendulum-controller-v0', { restarts: 1.5 })).toThrow('restarts must be a positive integer, got 1.5');
  });
});
