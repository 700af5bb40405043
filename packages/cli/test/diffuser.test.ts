import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Box, Rng } from '@bellman/core';
import { OfflineDataset } from '@bellman/datasets';
import { CommandContext } from '../src/context.js';
import { diffuserCommand } from '../src/commands/diffuser.js';
import { Diffuser, type DiffuserModelFile } from '@bellman/diffusion';
import { DIFFUSER_QUICK, goalSegments, type DiffuserExperimentConfig, type DiffuserRunResult } from '../src/experiments/diffuser.js';
import { captureIo, lines, tempDir } from './helpers.js';

/** Every method on the U-maze in seconds: 5000 rows of data, a tiny U-Net on horizon 16, a few updates. */
const TINY: DiffuserExperimentConfig = {
  ...DIFFUSER_QUICK,
  episodes: 2,
  datasetTransitions: 5000,
  diffuser: { ...DIFFUSER_QUICK.diffuser, trainSteps: 20, batchSize: 4, dim: 8, dimMults: [1, 2], horizonScale: 0.125, sampler: { kind: 'ddim', steps: 4 }, emaStart: 10 },
  baselines: { updates: 20, batchSize: 32, hiddenSizes: [16, 16] },
  checkpointEvery: 10,
};

describe('bellman experiment diffuser', () => {
  it('--json ends stdout with each method\'s normalised score; writes results, loss curves and episode pictures; a second run reuses the runs', async () => {
    const dir = tempDir();
    const first = captureIo(dir);
    expect(await diffuserCommand(new CommandContext(first.io), { json: true, backend: 'cpu', out: 'diffuser', dataDir: 'data' }, TINY)).toBe(0);
    const all = lines(first.stdout());
    expect(all).toHaveLength(1);
    const summary = JSON.parse(all[0]!) as { methods: Array<{ name: string; maze: string; normalizedScore: number; scoreStd: number; episodes: number }>; planSeconds: number };
    expect(summary.methods.map((m) => `${m.maze}/${m.name}`)).toEqual(['umaze/diffuser', 'umaze/bc', 'umaze/cql', 'umaze/iql']);
    const results = JSON.parse(readFileSync(join(dir, 'diffuser', 'results.json'), 'utf8')) as { runs: DiffuserRunResult[] };
    for (const m of summary.methods) {
      const run = results.runs.find((r) => r.method === m.name)!;
      // D4RL's normalisation of umaze: 100 (R - 23.85) / (161.86 - 23.85)
      expect(run.scores).toHaveLength(2);
      run.scores.forEach((s, i) => expect(s).toBeCloseTo((100 * (run.returns[i]! - 23.85)) / (161.86 - 23.85), 9));
      expect(m.normalizedScore).toBeCloseTo((run.scores[0]! + run.scores[1]!) / 2, 9);
      expect(m.episodes).toBe(2);
      // the first episode's path: one (x, y) per step of the 300-step episode
      expect(run.firstEpisode.path).toHaveLength(600);
      expect(run.curve.length).toBeGreaterThan(0);
    }
    const diffuser = results.runs.find((r) => r.method === 'diffuser')!;
    // the plan starts at the first state of the episode and ends at the goal cell (1, 1), both inpainted
    const plan = diffuser.firstEpisode.plan!;
    expect(plan).toHaveLength(2 * 16);
    expect(plan[0]).toBeCloseTo(diffuser.firstEpisode.path[0]!, 5);
    expect(plan[1]).toBeCloseTo(diffuser.firstEpisode.path[1]!, 5);
    expect([plan[30], plan[31]]).toEqual([1, 1]);
    expect(summary.planSeconds).toBeGreaterThan(0);
    expect(existsSync(join(dir, 'diffuser', 'diffuser-losses.svg')) && existsSync(join(dir, 'diffuser', 'diffuser-losses.png'))).toBe(true);
    expect(readdirSync(join(dir, 'diffuser', 'episodes')).filter((f) => f.endsWith('.svg')).sort()).toEqual(['umaze-bc-seed0.svg', 'umaze-cql-seed0.svg', 'umaze-diffuser-seed0.svg', 'umaze-iql-seed0.svg']);
    expect(readdirSync(join(dir, 'diffuser', 'checkpoints'))).toEqual([]);

    const second = captureIo(dir);
    expect(await diffuserCommand(new CommandContext(second.io), { json: true, backend: 'cpu', out: 'diffuser', dataDir: 'data', methods: 'diffuser' }, TINY)).toBe(0);
    expect(second.stderr()).toContain('reusing umaze-diffuser-seed0');
    expect(JSON.parse(lines(second.stdout())[0]!).methods[0].normalizedScore).toBe(summary.methods[0]!.normalizedScore);
  });

  it('checks its options before anything is trained', async () => {
    const dir = tempDir();
    const io = captureIo(dir);
    await expect(diffuserCommand(new CommandContext(io.io), { maze: 'huge', out: 'x' }, TINY)).rejects.toThrow(/--maze/);
    await expect(diffuserCommand(new CommandContext(io.io), { methods: 'sac', out: 'x' }, TINY)).rejects.toThrow(/--methods/);
    await expect(diffuserCommand(new CommandContext(io.io), { cqlAlpha: '1', out: 'x' }, TINY)).rejects.toThrow(/--cql-alpha is an option of the dr3 experiment/);
    expect(existsSync(join(dir, 'x'))).toBe(false);
  });
});

describe('bellman experiment diffuser --site-model', () => {
  it('writes the trained Diffuser as a model file that Diffuser.fromModel plans with; refuses to write it from a saved run', async () => {
    const dir = tempDir();
    const io = captureIo(dir);
    expect(await diffuserCommand(new CommandContext(io.io), { backend: 'cpu', out: 'site', dataDir: 'data', siteModel: 'models/umaze.json' }, { ...TINY, methods: ['diffuser'] })).toBe(0);
    expect(io.stderr() + io.stdout()).toContain('wrote the model file');
    const file = JSON.parse(readFileSync(join(dir, 'models', 'umaze.json'), 'utf8')) as DiffuserModelFile;
    expect(file.format).toBe('bellman-diffuser-model');
    expect(file.meta).toMatchObject({ envId: 'maze2d-umaze-v1', goal: [1, 1], sampler: { kind: 'ddim', steps: 4 }, trainSteps: 20, command: expect.stringContaining('--site-model') });
    const diffuser = Diffuser.fromModel(file);
    const plan = diffuser.plan(new Map([[0, [3, 1, 0, 0]], [15, [1, 1, 0, 0]]]), { rng: new Rng(0), sampler: { kind: 'ddim', steps: 4 } });
    expect(plan.horizon).toBe(16);
    expect(Array.from(plan.observations.subarray(60, 64))).toEqual([1, 1, 0, 0]);
    diffuser.dispose();
    // the run is saved now: a second call trains nothing and so has no model to write
    await expect(diffuserCommand(new CommandContext(captureIo(dir).io), { backend: 'cpu', out: 'site', dataDir: 'data', siteModel: 'models/again.json' }, { ...TINY, methods: ['diffuser'] })).rejects.toThrow(/already saved .* use a fresh --out/);
    expect(existsSync(join(dir, 'models', 'again.json'))).toBe(false);
  });

  it('checks its file and cell before anything is trained', async () => {
    const dir = tempDir();
    const io = captureIo(dir);
    await expect(diffuserCommand(new CommandContext(io.io), { siteModel: 'm.json', quick: true, out: 'x' })).rejects.toThrow(/leave out --quick/);
    await expect(diffuserCommand(new CommandContext(io.io), { siteModel: 'm.json', seeds: '0-1', out: 'x' }, TINY)).rejects.toThrow(/one maze and one seed/);
    await expect(diffuserCommand(new CommandContext(io.io), { siteModel: '.', out: 'x' }, { ...TINY, methods: ['diffuser'] })).rejects.toThrow(/is a folder/);
    expect(existsSync(join(dir, 'x'))).toBe(false);
  });
});

describe('goalSegments', () => {
  it('cuts a continuous trajectory where it leaves the goal disc, keeping every row', () => {
    // x walks 0, 1, 2, 3, 2, 1, 0, 1, 2, 3, 2: the goal (3, 0) is left after rows 3 and 9
    const xs = [0, 1, 2, 3, 2, 1, 0, 1, 2, 3, 2];
    const n = xs.length - 1;
    const dataset = OfflineDataset.fromArrays(
      {
        observations: xs.slice(0, n).flatMap((x) => [x, 0]),
        actions: new Float32Array(n),
        rewards: new Float32Array(n),
        terminals: new Uint8Array(n),
        // the data's own episode ends (reached random targets) are dropped
        timeouts: Uint8Array.from({ length: n }, (_, i) => (i === 5 || i === n - 1 ? 1 : 0)),
        nextObservations: xs.slice(1).flatMap((x) => [x, 0]),
      },
      { observationSpace: new Box(-9, 9, [2]), actionSpace: new Box(-1, 1, [1]) },
    );
    const segments = goalSegments(dataset, [3, 0]);
    expect(segments.size).toBe(n);
    expect(Array.from(segments.episodeLengths())).toEqual([4, 6]);
    expect(Array.from(segments.toArrays().observations)).toEqual(Array.from(dataset.toArrays().observations));
    expect(segments.sampleWindows(4, 3, new Rng(0), undefined, { padding: false }).mask.every((m) => m === 1)).toBe(true);
  });
});
