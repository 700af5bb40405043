import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { CommandContext } from '../src/context.js';
import { muralCnmlCommand, muralCommand } from '../src/commands/mural.js';
import { NML_COMPARE_QUICK } from '../src/experiments/nml-compare.js';
import { MURAL_QUICK, runMuralExperiment, visitedSample, type MuralExperimentConfig, type MuralRunResult } from '../src/experiments/mural.js';
import { Rng } from '@bellman/core';
import { ReplayBuffer } from '@bellman/datasets';
import { initBackend } from '@bellman/nn';
import { captureIo, lines, runCli, tempDir } from './helpers.js';

/** Every method on the zigzag maze in a few seconds: tiny networks and schedules, 400 env steps. */
const TINY: MuralExperimentConfig = {
  ...MURAL_QUICK,
  steps: 400,
  evalEvery: 200,
  heatmapSteps: [200],
  checkpointEvery: 200,
  sac: { ...MURAL_QUICK.sac, hiddenSizes: [16, 16], batchSize: 32, warmupSteps: 150 },
  vice: { config: { hiddenSizes: [16, 16] }, schedule: { every: 100, firstUpdates: 2, updates: 1 } },
  metaNml: { config: { hiddenSizes: [16, 16], queriesPerEpoch: 8, outerPointsPerLabel: 31 }, schedule: { every: 100, firstUpdates: 2, updates: 1, positives: 64, negatives: 64 } },
};

describe('bellman experiment mural', () => {
  it('--json ends stdout with each method, success and distance; writes results, curves and heat maps; a second run reuses the runs', async () => {
    const dir = tempDir();
    const first = captureIo(dir);
    expect(await muralCommand(new CommandContext(first.io), { json: true, backend: 'cpu', out: 'mural' }, TINY)).toBe(0);
    const all = lines(first.stdout());
    expect(all).toHaveLength(1);
    const summary = JSON.parse(all[0]!) as {
      methods: Array<{ name: string; maze: string; successRate: number; finalDistance: number; envSteps: number }>;
      rewardProbe: Record<string, { atExamples: number; atVisited: number; atUnvisited: number }>;
    };
    expect(summary.methods.map((m) => `${m.maze}/${m.name}`)).toEqual(['zigzag/sparse', 'zigzag/count', 'zigzag/vice', 'zigzag/meta-nml']);
    const results = JSON.parse(readFileSync(join(dir, 'mural', 'results.json'), 'utf8')) as { runs: MuralRunResult[] };
    for (const m of summary.methods) {
      const run = results.runs.find((r) => r.method === m.name)!;
      const last = run.evaluations[run.evaluations.length - 1]!;
      expect(run.evaluations.map((e) => e.step)).toEqual([200, 400]);
      expect(m).toEqual({ name: m.name, maze: 'zigzag', successRate: last.success ? 1 : 0, finalDistance: last.mazeDistance, envSteps: 400 });
      expect(last.mazeDistance).toBeGreaterThan(0);
    }
    expect(Object.keys(summary.rewardProbe).sort()).toEqual(['meta-nml', 'vice']);
    // meta-NML's reward is a probability ratio in (0, 1), highest at the examples
    const probe = summary.rewardProbe['meta-nml']!;
    for (const v of Object.values(probe)) expect(v > 0 && v < 1).toBe(true);
    expect(probe.atExamples).toBeGreaterThan(probe.atVisited);
    expect(existsSync(join(dir, 'mural', 'mural-curves.svg')) && existsSync(join(dir, 'mural', 'mural-curves.png'))).toBe(true);
    // the learned rewards (count, vice, meta-nml) at steps 200 and 400, as SVG and PNG
    expect(readdirSync(join(dir, 'mural', 'heatmaps')).filter((f) => f.endsWith('.svg')).sort()).toEqual([
      'zigzag-count-seed0-step200.svg',
      'zigzag-count-seed0-step400.svg',
      'zigzag-meta-nml-seed0-step200.svg',
      'zigzag-meta-nml-seed0-step400.svg',
      'zigzag-vice-seed0-step200.svg',
      'zigzag-vice-seed0-step400.svg',
    ]);
    expect(readdirSync(join(dir, 'mural', 'checkpoints'))).toEqual([]);

    const second = captureIo(dir);
    expect(await muralCommand(new CommandContext(second.io), { json: true, backend: 'cpu', out: 'mural', methods: 'vice' }, TINY)).toBe(0);
    expect(second.stderr()).toContain('reusing zigzag-vice-seed0');
    expect(JSON.parse(lines(second.stdout())[0]!).methods).toEqual([summary.methods[2]]);
  }, 120_000);

  it('a cell killed part-way resumes from its last checkpoint to the result of an uninterrupted run', async () => {
    await initBackend({ backend: 'cpu' });
    const dir = tempDir();
    const config: MuralExperimentConfig = { ...TINY, methods: ['meta-nml'] };
    const files = (root: string) => ({
      checkpointPath: (id: string) => join(root, `${id}.ckpt.json`),
      hasCheckpoint: (path: string) => existsSync(path),
    });
    const reference = await runMuralExperiment(config, files(join(dir, 'a')));
    // a crash at step 300: the checkpoint of step 200 is left behind
    const crashing = runMuralExperiment(config, {
      ...files(join(dir, 'b')),
      startRun: () => ({
        update: (step) => {
          if (step === 300) throw new Error('simulated crash');
        },
        stop: () => {},
      }),
    });
    await expect(crashing).rejects.toThrow('simulated crash');
    expect(existsSync(join(dir, 'b', 'zigzag-meta-nml-seed0.ckpt.json'))).toBe(true);
    const resumed = await runMuralExperiment(config, files(join(dir, 'b')));
    const strip = (r: MuralRunResult) => ({ ...r, wallSeconds: 0 });
    expect(resumed.runs.map(strip)).toEqual(reference.runs.map(strip));
  }, 120_000);

  it('mural-cnml scores one grid with meta-NML and exact CNML: rewards that agree, meta-NML far faster per query', async () => {
    const dir = tempDir();
    const { io, stdout } = captureIo(dir);
    const tiny = { ...NML_COMPARE_QUICK, resolution: 6, metaEpochs: 2, cnmlFitSteps: 20, negatives: 64, positives: 64 };
    expect(await muralCnmlCommand(new CommandContext(io), { json: true, backend: 'cpu', out: 'cnml' }, tiny)).toBe(0);
    const result = JSON.parse(lines(stdout())[0]!) as { queries: number; correlation: number; meanAbsoluteDifference: number; msPerQuery: { metaNml: number; cnml: number }; speedup: number };
    // 6 x 6 cell centres; none lies inside a wall (40 x 40 would skip those on the walls)
    expect(result.queries).toBe(36);
    expect(result.correlation).toBeGreaterThan(0.5);
    expect(result.meanAbsoluteDifference).toBeLessThan(0.3);
    expect(result.speedup).toBeCloseTo(result.msPerQuery.cnml / result.msPerQuery.metaNml, 6);
    expect(result.speedup).toBeGreaterThan(10);
    expect(existsSync(join(dir, 'cnml', 'rewards.svg')) && existsSync(join(dir, 'cnml', 'rewards.png'))).toBe(true);
    expect(readFileSync(join(dir, 'cnml', 'rewards.svg'), 'utf8')).toContain('exact CNML reward');
  }, 60_000);

  it('usage errors exit 2 with one line, before anything is written', async () => {
    for (const [argv, pattern] of [
      [['experiment', 'mural', '--maze', 'spiral,square'], /--maze: unknown maze "square" \(choose from zigzag, spiral\)/],
      [['experiment', 'mural', '--methods', 'sparse,rnd'], /--methods: unknown method "rnd" \(choose from sparse, count, vice, meta-nml\)/],
      [['experiment', 'mural', '--steps', '50'], /--steps must be at least 100, got 50/],
      [['experiment', 'mural', '--cql-alpha', '2'], /--cql-alpha is an option of the dr3 experiment, not of mural/],
      [['experiment', 'mural', '--seeds', '3-1'], /--seeds: the range "3-1" ends before it starts/],
      [['experiment', 'mural-cnml', '--steps', '1000'], /--steps is not an option of mural-cnml/],
    ] as const) {
      const dir = tempDir();
      const res = await runCli([...argv, '--out', join(dir, 'out')]);
      expect({ code: res.code, stderrLines: lines(res.stderr).length, stdout: res.stdout }).toEqual({ code: 2, stderrLines: 1, stdout: '' });
      expect(res.stderr).toMatch(pattern);
      expect(existsSync(join(dir, 'out'))).toBe(false);
    }
  });
});

describe('visitedSample', () => {
  it('spreads the drawn states over every phase of the episodes, not one row per episode length', () => {
    // 200 episodes of 100 steps; each next observation records its step within the episode
    const buffer = new ReplayBuffer({ capacity: 20_000, observationDim: 2, actionDim: 2 });
    for (let i = 0; i < 20_000; i++) buffer.add([0, 0], [0, 0], 0, [i % 100, i], false, i % 100 === 99);
    const drawn = visitedSample(buffer, 200, new Rng(3));
    expect(drawn).toHaveLength(400);
    const phases = Array.from({ length: 200 }, (_, i) => drawn[2 * i]!);
    const rows = Array.from({ length: 200 }, (_, i) => drawn[2 * i + 1]!);
    // a stride of 100 rows would give phase 0 every time
    expect(new Set(phases).size).toBeGreaterThan(80);
    expect(phases.reduce((a, b) => a + b, 0) / 200).toBeGreaterThan(35);
    expect(phases.reduce((a, b) => a + b, 0) / 200).toBeLessThan(65);
    // one row from each stretch of 100, in order
    rows.forEach((row, i) => expect(Math.floor(row / 100)).toBe(i));
    expect(visitedSample(buffer, 200, new Rng(3))).toEqual(drawn);
  });
});
