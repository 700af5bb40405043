import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Rng } from '@bellman/core';
import { makeRecipe } from '@bellman/datasets';
import { MEDIUM_NOISE, expertAction, mediumActionProbabilities, mediumActionSampler, uniformActionProbabilities, uniformActionSampler } from '@bellman/envs';
import type { Box } from '@bellman/core';
import { CommandContext } from '../src/context.js';
import { applyDr3Scale, dr3Command, selectDr3Parts } from '../src/commands/experiment.js';
import * as tf from '@tensorflow/tfjs';
import { CQL } from '@bellman/q-learning';
import { DR3_FULL, pairedDifference, policyCriticConfig, probeBatchOf, probeOnBatch, probeSteps, type Dr3ExperimentConfig, type Dr3MethodSummary } from '../src/experiments/dr3.js';
import { captureIo, lines, runCli, tempDir } from './helpers.js';

/** The smallest config that still runs every part: a few seconds on the cpu backend. */
const TINY: Dr3ExperimentConfig = {
  ...DR3_FULL,
  seeds: 1,
  datasetTransitions: 600,
  evaluation: { ...DR3_FULL.evaluation, steps: 12, batchSize: 32, probeEvery: 4, probeBatchSize: 64, hiddenSizes: [16, 16] },
  cql: { ...DR3_FULL.cql!, steps: 12, batchSize: 32, probeEvery: 4, hiddenSizes: [16, 16], evalEpisodes: 1 },
};

describe('bellman experiment dr3', () => {
  it('--json ends stdout with the five methods and finite numbers; writes results and plots', async () => {
    const dir = tempDir();
    const { io, stdout } = captureIo(dir);
    const code = await dr3Command(new CommandContext(io), { json: true, backend: 'cpu', out: 'dr3' }, TINY);
    expect(code).toBe(0);
    const all = lines(stdout());
    expect(all).toHaveLength(1);
    const { methods, cqlDifference } = JSON.parse(all[0]!) as { methods: Dr3MethodSummary[]; cqlDifference: { seeds: number[]; differences: number[] } };
    expect(cqlDifference.seeds).toEqual([0]);
    expect(cqlDifference.differences[0]).toBeCloseTo(methods.find((m) => m.name === 'cql+dr3')!.evalReturnMean! - methods.find((m) => m.name === 'cql')!.evalReturnMean!, 9);
    expect(methods.map((m) => `${m.task}/${m.name}`)).toEqual([
      'cartpole/sarsa',
      'cartpole/td',
      'cartpole/td+dr3',
      'pendulum/sarsa',
      'pendulum/td',
      'pendulum/td+dr3',
      'cartpole/cql',
      'cartpole/cql+dr3',
    ]);
    for (const m of methods) {
      for (const key of ['dotStart', 'dotEnd', 'srankStart', 'srankEnd'] as const) expect(Number.isFinite(m[key])).toBe(true);
      expect(m.srankStart).toBeGreaterThanOrEqual(1);
      expect(m.srankStart).toBeLessThanOrEqual(16);
    }
    for (const m of methods.filter((x) => x.name.startsWith('cql'))) expect(Number.isFinite(m.evalReturnMean)).toBe(true);
    for (const m of methods.filter((x) => !x.name.startsWith('cql'))) expect(m.evalReturnMean).toBeUndefined();
    // The first probe comes before any update, on the fixed probe batch: the same seed gives every
    // evaluation method the same weights, so all three start equal; the updates then part them.
    const get = (task: string, name: string) => methods.find((m) => m.task === task && m.name === name)!;
    for (const task of ['cartpole', 'pendulum']) {
      expect(get(task, 'td+dr3').dotStart).toBe(get(task, 'td').dotStart);
      expect(get(task, 'sarsa').dotStart).toBe(get(task, 'td').dotStart);
    }
    expect(get('cartpole', 'td+dr3').dotEnd).not.toBe(get('cartpole', 'td').dotEnd);
    expect(get('cartpole', 'cql+dr3').dotStart).toBe(get('cartpole', 'cql').dotStart);

    const out = join(dir, 'dr3');
    const results = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as { runs: { method: string; probes: { step: number }[] }[] };
    expect(results.runs).toHaveLength(8);
    // evaluation runs: log-spaced probes, then every probeEvery; CQL runs: every probeEvery inside the update
    expect(results.runs[0]!.probes.map((p) => p.step)).toEqual([0, 1, 2, 3, 4, 8, 12]);
    expect(results.runs.find((r) => r.method === 'cql')!.probes.map((p) => p.step)).toEqual([0, 4, 8]);
    for (const name of ['dr3-features-cartpole', 'dr3-features-pendulum', 'dr3-features-cql', 'dr3-cql-returns']) {
      expect(existsSync(join(out, `${name}.svg`))).toBe(true);
      expect(existsSync(join(out, `${name}.png`))).toBe(true);
    }
  });

  it('a second invocation reuses the runs finished with the same settings, and trains those whose settings changed', async () => {
    const dir = tempDir();
    const first = captureIo(dir);
    const evaluationOnly = { ...TINY, cql: null, evaluation: { ...TINY.evaluation, tasks: ['pendulum' as const] } };
    expect(await dr3Command(new CommandContext(first.io), { json: true, backend: 'cpu', out: 'dr3' }, evaluationOnly)).toBe(0);
    const again = captureIo(dir);
    expect(await dr3Command(new CommandContext(again.io), { json: true, backend: 'cpu', out: 'dr3' }, evaluationOnly)).toBe(0);
    expect(lines(again.stderr()).filter((l) => l.startsWith('reusing'))).toEqual(
      ['pendulum-sarsa-seed0', 'pendulum-td-seed0', 'pendulum-td-dr3-seed0'].map((id) => `reusing ${id} from ${join(dir, 'dr3', 'runs')} (finished earlier with the same settings)`),
    );
    expect(lines(again.stdout())).toEqual(lines(first.stdout()));
    // --saved-only trains nothing: the cartpole runs have not been made, so they are left out
    const saved = captureIo(dir);
    const bothTasks = { ...evaluationOnly, evaluation: { ...evaluationOnly.evaluation, tasks: ['cartpole' as const, 'pendulum' as const] } };
    expect(await dr3Command(new CommandContext(saved.io), { json: true, backend: 'cpu', out: 'dr3', savedOnly: true }, bothTasks)).toBe(0);
    expect(lines(saved.stderr()).filter((l) => l.startsWith('no saved run'))).toEqual(
      ['cartpole-sarsa-seed0', 'cartpole-td-seed0', 'cartpole-td-dr3-seed0'].map((id) => `no saved run ${id} with these settings: left out (--saved-only)`),
    );
    expect((JSON.parse(lines(saved.stdout())[0]!) as { methods: Dr3MethodSummary[] }).methods.map((m) => `${m.task}/${m.name}`)).toEqual(['pendulum/sarsa', 'pendulum/td', 'pendulum/td+dr3']);
    const longer = captureIo(dir);
    expect(await dr3Command(new CommandContext(longer.io), { json: true, backend: 'cpu', out: 'dr3', updates: '16' }, evaluationOnly)).toBe(0);
    expect(longer.stderr()).not.toContain('reusing');
    expect(JSON.parse(lines(longer.stdout())[0]!)).toMatchObject({ updates: 16, cqlUpdates: null });
  });

  it('probeSteps: 0, ten a decade up to probeEvery, then every probeEvery, and the last update', () => {
    expect(probeSteps(1000, 100)).toEqual([0, 1, 2, 3, 4, 5, 6, 8, 10, 13, 16, 20, 25, 32, 40, 50, 63, 79, 100, 200, 300, 400, 500, 600, 700, 800, 900, 1000]);
    expect(probeSteps(250, 100)).toEqual([0, 1, 2, 3, 4, 5, 6, 8, 10, 13, 16, 20, 25, 32, 40, 50, 63, 79, 100, 200, 250]);
  });

  it('--updates, --critic-layers, --gamma, --target-update-interval, --tasks and --cql-updates set the scale and the conditions', () => {
    const config = applyDr3Scale(DR3_FULL, { updates: '100000', criticLayers: '4', gamma: '0.999', targetUpdateInterval: '1', tasks: 'pendulum', cqlUpdates: '20000' });
    expect(config.evaluation).toMatchObject({ steps: 100_000, probeEvery: 1000, hiddenSizes: [256, 256, 256, 256], targetUpdateInterval: 1, tasks: ['pendulum'] });
    expect(config.gamma).toBe(0.999);
    expect(config.cql).toMatchObject({ steps: 20_000, probeEvery: 200 });
    expect(() => applyDr3Scale(DR3_FULL, { gamma: '1' })).toThrow('--gamma must be a number in [0, 1), got "1"');
    expect(() => applyDr3Scale(DR3_FULL, { tasks: 'cartpole,hopper' })).toThrow('--tasks: unknown task "hopper" (choose from cartpole, pendulum)');
    expect(() => applyDr3Scale({ ...DR3_FULL, cql: null }, { cqlUpdates: '5' })).toThrow('--cql-updates: this configuration has no CQL part');
    expect(applyDr3Scale(DR3_FULL, { methods: 'sarsa,td-policy', data: 'random', tasks: 'pendulum' }).evaluation).toMatchObject({ methods: ['sarsa', 'td-policy'], data: 'random' });
    expect(() => applyDr3Scale(DR3_FULL, { methods: 'sarsa,dqn' })).toThrow('--methods: unknown method "dqn" (choose from sarsa, td, td+dr3, td-policy)');
    expect(() => applyDr3Scale(DR3_FULL, { methods: 'td-policy' })).toThrow('--methods td-policy runs on continuous tasks only; drop cartpole from --tasks');
    expect(() => applyDr3Scale(DR3_FULL, { data: 'mixed' })).toThrow('--data: unknown behaviour data "mixed" (choose medium or random)');
  });

  it('--data random --methods sarsa,td-policy: the random recipe, and the CQL critic probed at the policy\'s action', async () => {
    const dir = tempDir();
    const { io, stdout } = captureIo(dir);
    const code = await dr3Command(new CommandContext(io), { json: true, backend: 'cpu', out: 'dr3', only: 'evaluation', tasks: 'pendulum', methods: 'sarsa,td-policy', data: 'random' }, TINY);
    expect(code).toBe(0);
    const { methods } = JSON.parse(lines(stdout())[0]!) as { methods: Dr3MethodSummary[] };
    expect(methods.map((m) => `${m.name}/${m.dataset}`)).toEqual(['sarsa/pendulum-random-v0', 'td-policy/pendulum-random-v0']);
    for (const m of methods) expect(Number.isFinite(m.dotEnd) && Number.isFinite(m.qEnd)).toBe(true);
  });

  it('--only cql --cql-dataset runs the CQL part alone on the chosen recipe', async () => {
    const dir = tempDir();
    const { io, stdout } = captureIo(dir);
    const code = await dr3Command(new CommandContext(io), { json: true, backend: 'cpu', out: 'dr3', only: 'cql', cqlDataset: 'cartpole-random-v0' }, TINY);
    expect(code).toBe(0);
    const { methods } = JSON.parse(lines(stdout())[0]!) as { methods: Dr3MethodSummary[] };
    expect(methods.map((m) => `${m.name}/${m.dataset}`)).toEqual(['cql/cartpole-random-v0', 'cql+dr3/cartpole-random-v0']);
    const out = join(dir, 'dr3');
    expect(existsSync(join(out, 'dr3-cql-returns.png'))).toBe(true);
    expect(existsSync(join(out, 'dr3-features-cartpole.png'))).toBe(false);
  });

  it('--cql-dataset pendulum-medium-v0 makes the CQL part continuous CQL, with its own alpha 5 unless --cql-alpha', async () => {
    const dir = tempDir();
    const { io, stdout } = captureIo(dir);
    const opts = { json: true, backend: 'cpu', out: 'dr3', only: 'cql', cqlDataset: 'pendulum-medium-v0', cqlHidden: '8,8' };
    expect(await dr3Command(new CommandContext(io), opts, TINY)).toBe(0);
    const { methods } = JSON.parse(lines(stdout())[0]!) as { methods: Dr3MethodSummary[] };
    expect(methods.map((m) => `${m.task}/${m.name}/${m.dataset}`)).toEqual(['pendulum/cql/pendulum-medium-v0', 'pendulum/cql+dr3/pendulum-medium-v0']);
    // Pendulum returns are negative: -16 per step at worst, over 200 steps
    for (const m of methods) expect(m.evalReturnMean!).toBeLessThan(0);
    expect(methods[0]!.dotStart).toBe(methods[1]!.dotStart);
    const results = JSON.parse(readFileSync(join(dir, 'dr3', 'results.json'), 'utf8')) as { config: Dr3ExperimentConfig };
    expect(results.config.cql).toMatchObject({ task: 'pendulum', envId: 'Pendulum-v1', alpha: 5, hiddenSizes: [8, 8] });
    expect(existsSync(join(dir, 'dr3', 'dr3-cql-returns.png'))).toBe(true);
    const chosen = applyDr3Scale(selectDr3Parts(DR3_FULL, { cqlDataset: 'pendulum-medium-v0' }), { cqlAlpha: '0.5' });
    expect(chosen.cql).toMatchObject({ alpha: 0.5 });
    expect(selectDr3Parts(DR3_FULL, { cqlDataset: 'cartpole-random-v0' }).cql).toMatchObject({ task: 'cartpole', alpha: 1 });
  });

  it('usage errors exit 2 with one line', async () => {
    for (const [argv, pattern] of [
      [['experiment', 'dr3', '--seeds', '0'], /--seeds must be at least 1, got 0/],
      [['experiment', 'dr3', '--seeds', 'two'], /--seeds must be an integer, got "two"/],
      [['experiment', 'dr4'], /unknown experiment "dr4"; did you mean "dr3"/],
      [['experiment'], /missing required argument 'name'/],
      [['experiment', 'dr3', '--only', 'sac'], /--only: unknown part "sac" \(choose evaluation or cql\)/],
      [['experiment', 'dr3', '--cql-dataset', 'mountaincarcontinuous-mixed-v0'], /--cql-dataset: "mountaincarcontinuous-mixed-v0" is not a CartPole or Pendulum recipe .*pendulum-random-v0/],
      [['experiment', 'dr3', '--cql-hidden', '64,x'], /--cql-hidden must be comma-separated positive integers \(layer widths\), got "64,x"/],
      [['experiment', 'dr3', '--only', 'evaluation', '--cql-alpha', '2'], /--cql-alpha: this configuration has no CQL part/],
    ] as const) {
      const res = await runCli([...argv]);
      expect({ code: res.code, stderrLines: lines(res.stderr).length, stdout: res.stdout }).toEqual({ code: 2, stderrLines: 1, stdout: '' });
      expect(res.stderr).toMatch(pattern);
    }
  });
});

describe('the behaviour policies of the medium and random datasets', () => {
  it('CartPole: the data takes the expert action with probability 1 - eps + eps / 2', () => {
    const data = makeRecipe('cartpole-medium-v0', { minTransitions: 3000 });
    const batch = data.sampleTransitions(3000, new Rng(1));
    const probs = mediumActionProbabilities('CartPole-v1', 4, 2).policyProbabilities(batch.observations, batch.size);
    const eps = MEDIUM_NOISE['CartPole-v1']!;
    let agree = 0;
    for (let i = 0; i < batch.size; i++) {
      const expert = expertAction('CartPole-v1', batch.observations.subarray(4 * i, 4 * i + 4)) as number;
      expect(probs[2 * i + expert]).toBeCloseTo(1 - eps / 2, 6);
      expect(probs[2 * i + 1 - expert]).toBeCloseTo(eps / 2, 6);
      if (batch.actions[i] === expert) agree += 1;
    }
    // 3000 draws: the standard error of the fraction is about 0.008.
    expect(agree / batch.size).toBeCloseTo(1 - eps / 2, 1);
    expect(Math.abs(agree / batch.size - (1 - eps / 2))).toBeLessThan(0.03);
  });

  it('Pendulum: draws match the data in mean and in how often they sit on the bounds', () => {
    const data = makeRecipe('pendulum-medium-v0', { minTransitions: 4000 });
    const batch = data.sampleTransitions(4000, new Rng(2));
    const drawn = mediumActionSampler('Pendulum-v1', 3, data.actionSpace as Box).sampleActions(batch.observations, batch.size, new Rng(3));
    const stats = (a: ArrayLike<number>) => {
      let sum = 0;
      let clipped = 0;
      for (let i = 0; i < a.length; i++) {
        sum += a[i]!;
        if (Math.abs(a[i]!) >= 2) clipped += 1;
      }
      return { mean: sum / a.length, clipped: clipped / a.length };
    };
    const fromData = stats(batch.actions);
    const fromPolicy = stats(drawn);
    // sigma 3 against bounds of 2: about half the actions are clipped.
    expect(fromData.clipped).toBeGreaterThan(0.35);
    expect(Math.abs(fromData.clipped - fromPolicy.clipped)).toBeLessThan(0.04);
    expect(Math.abs(fromData.mean - fromPolicy.mean)).toBeLessThan(0.1);
  });

  it('random recipes: FQE gets 1/n per action; Box draws are uniform in the bounds like the data', () => {
    expect(Array.from(uniformActionProbabilities(2).policyProbabilities(new Float32Array(8), 2))).toEqual([0.5, 0.5, 0.5, 0.5]);
    const data = makeRecipe('pendulum-random-v0', { minTransitions: 4000 });
    const batch = data.sampleTransitions(4000, new Rng(2));
    const drawn = uniformActionSampler(data.actionSpace as Box).sampleActions(batch.observations, batch.size, new Rng(3));
    const moments = (a: ArrayLike<number>) => {
      let sum = 0;
      let sq = 0;
      for (let i = 0; i < a.length; i++) {
        sum += a[i]!;
        sq += a[i]! * a[i]!;
      }
      return { mean: sum / a.length, variance: sq / a.length - (sum / a.length) ** 2, min: Math.min(...Array.from(a)), max: Math.max(...Array.from(a)) };
    };
    // U(-2, 2): mean 0, variance 16 / 12; the standard error of the variance over 4000 draws is about 0.02
    for (const m of [moments(batch.actions), moments(drawn)]) {
      expect(Math.abs(m.mean)).toBeLessThan(0.06);
      expect(Math.abs(m.variance - 4 / 3)).toBeLessThan(0.06);
      expect(m.min).toBeGreaterThanOrEqual(-2);
      expect(m.max).toBeLessThanOrEqual(2);
    }
  });

  it("td-policy's probe pairs phi(s, a) with phi(s', mode of the policy at s'), not the data's a'", async () => {
    await tf.setBackend('cpu');
    const data = makeRecipe('pendulum-medium-v0', { minTransitions: 600 });
    const probe = probeBatchOf(data, 8);
    const config = { ...DR3_FULL, evaluation: { ...DR3_FULL.evaluation, hiddenSizes: [8, 8] } };
    const learner = new CQL({ observationSpace: data.observationSpace, actionSpace: data.actionSpace, config: policyCriticConfig(config), seed: 3 });
    try {
      const measured = probeOnBatch(learner, probe, 0.01);
      const dotWith = (nextActions: tf.Tensor2D) =>
        tf.tidy(() => {
          const obs = tf.tensor2d(probe.observations, [8, 3]);
          const next = tf.tensor2d(probe.nextObservations, [8, 3]);
          const phi = learner.critics.features(obs, tf.tensor2d(probe.actions, [8, 1]));
          return tf.mean(tf.sum(tf.mul(phi, learner.critics.features(next, nextActions)), 1)).dataSync()[0]!;
        });
      const next = tf.tensor2d(probe.nextObservations, [8, 3]);
      expect(measured.featureDot).toBeCloseTo(dotWith(learner.actor.mode(next)), 4);
      expect(Math.abs(measured.featureDot - dotWith(tf.tensor2d(probe.nextActions, [8, 1])))).toBeGreaterThan(1e-3);
      next.dispose();
    } finally {
      learner.dispose();
    }
  });

  it('pairedDifference: cql+dr3 minus cql by seed, with its spread and t; unpaired seeds are left out', () => {
    const run = (method: 'cql' | 'cql+dr3', seed: number, evalReturn: number) => ({ task: 'cartpole' as const, method, dataset: 'cartpole-random-v0', seed, probes: [], evalReturn, wallSeconds: 1 });
    const diff = pairedDifference([run('cql', 0, 100), run('cql+dr3', 0, 110), run('cql', 1, 200), run('cql+dr3', 1, 190), run('cql', 2, 50), run('cql+dr3', 2, 80), run('cql+dr3', 3, 999)])!;
    // differences 10, -10, 30: mean 10, sample std 20, t = 10 / (20 / sqrt 3)
    expect(diff).toMatchObject({ dataset: 'cartpole-random-v0', seeds: [0, 1, 2], differences: [10, -10, 30], mean: 10, std: 20, dr3Ahead: 2 });
    expect(diff.t).toBeCloseTo(Math.sqrt(3) / 2, 12);
    expect(pairedDifference([run('cql', 0, 1)])).toBeUndefined();
  });
});
