import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CommandContext } from '../src/context.js';
import { diffuserGuidedCommand } from '../src/commands/diffuser.js';
import { GUIDED_QUICK, type GuidedExperimentConfig, type GuidedRunResult } from '../src/experiments/diffuser-guided.js';
import { captureIo, lines, tempDir } from './helpers.js';

/** The three methods on Pendulum in seconds: a tiny U-Net, 2 plans per step, 30-step episodes. */
const TINY: GuidedExperimentConfig = {
  ...GUIDED_QUICK,
  episodes: 2,
  episodeSteps: 30,
  diffuser: { ...GUIDED_QUICK.diffuser, trainSteps: 10, batchSize: 4, horizon: 8, diffusionSteps: 3, dim: 8, dimMults: [1, 2], valueHiddenSizes: [8], samples: 2 },
  baselines: { updates: 10, batchSize: 32, hiddenSizes: [16, 16] },
  checkpointEvery: 5,
};

describe('bellman experiment diffuser-guided', () => {
  it('--json ends stdout with each method\'s mean return over the same seeded episodes', async () => {
    const dir = tempDir();
    const io = captureIo(dir);
    expect(await diffuserGuidedCommand(new CommandContext(io.io), { json: true, backend: 'wasm', out: 'guided' }, TINY)).toBe(0);
    const summary = JSON.parse(lines(io.stdout())[0]!) as { methods: Array<{ name: string; task: string; returnMean: number; episodes: number }> };
    expect(summary.methods.map((m) => `${m.task}/${m.name}`)).toEqual(['pendulum/diffuser', 'pendulum/iql', 'pendulum/cql']);
    const results = JSON.parse(readFileSync(join(dir, 'guided', 'results.json'), 'utf8')) as { runs: GuidedRunResult[] };
    for (const m of summary.methods) {
      const run = results.runs.find((r) => r.method === m.name)!;
      expect(run.returns).toHaveLength(2);
      expect(m.returnMean).toBeCloseTo((run.returns[0]! + run.returns[1]!) / 2, 9);
      // 30 steps of Pendulum's reward, each in [-16.3, 0]
      for (const r of run.returns) expect(r < 0 && r > -30 * 16.3).toBe(true);
    }
    const diffuser = results.runs.find((r) => r.method === 'diffuser')!;
    expect(diffuser.planSecondsPerStep).toBeGreaterThan(0);
    expect(diffuser.curveMetric).toBe('loss');
    expect(existsSync(join(dir, 'guided', 'checkpoints'))).toBe(true);
  });
});
