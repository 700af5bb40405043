import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CommandContext } from '../src/context.js';
import { comsCommand } from '../src/commands/coms.js';
import { COMS_QUICK, type ComsExperimentConfig, type ComsExperimentResult } from '../src/experiments/coms.js';
import { captureIo, lines, runCli, tempDir } from './helpers.js';

/** Every method on the continuous toy task in seconds: [16, 16] models, an epoch or two, 32 designs. */
const TINY: ComsExperimentConfig = { ...COMS_QUICK, hiddenSizes: [16, 16], comsEpochs: 1, plainEpochs: 1, cmaGenerations: 5, count: 32 };

describe('bellman experiment coms', () => {
  it('--json ends stdout with every method\'s 100th and 50th percentile scores; writes results and the trace plot; a second run reuses the runs', async () => {
    const dir = tempDir();
    const first = captureIo(dir);
    expect(await comsCommand(new CommandContext(first.io), { json: true, backend: 'cpu', out: 'coms', task: 'toy-continuous-v0', dataDir: 'data' }, TINY)).toBe(0);
    expect(first.stderr()).toContain(`generated and cached toy-continuous-v0 at ${join(dir, 'data', 'design-tasks', 'toy-continuous-v0-seed0-v1.h5')}`);
    const all = lines(first.stdout());
    expect(all).toHaveLength(1);
    const summary = JSON.parse(all[0]!) as { methods: Array<{ name: string; task: string; score100: number; score50: number }> };
    expect(summary.methods.map((m) => m.name)).toEqual(['coms', 'grad', 'grad-alpha0', 'cma-es', 'dataset-best']);
    const results = JSON.parse(readFileSync(join(dir, 'coms', 'results-toy-continuous-v0.json'), 'utf8')) as ComsExperimentResult;
    // D(best): the 32 best training designs unchanged, whose best is the training split's best
    const best = summary.methods.find((m) => m.name === 'dataset-best')!;
    expect(best.score100).toBeCloseTo(results.trainBest, 6);
    for (const m of summary.methods) {
      expect(m.task).toBe('toy-continuous-v0');
      expect(m.score50).toBeLessThanOrEqual(m.score100);
      const run = results.runs.find((r) => r.method === m.name)!;
      expect([run.score100, run.score50]).toEqual([m.score100, m.score50]);
      // every searching method records its path from the starting designs, whose true mean is the same for all
      if (m.name !== 'dataset-best') expect(run.trace[0]!.step).toBe(0);
    }
    const starts = results.runs.filter((r) => r.trace.length > 0).map((r) => r.trace[0]!.actual);
    starts.forEach((s) => expect(s).toBeCloseTo(starts[0]!, 6));
    expect(existsSync(join(dir, 'coms', 'coms-trace-toy-continuous-v0.svg')) && existsSync(join(dir, 'coms', 'coms-trace-toy-continuous-v0.png'))).toBe(true);

    const second = captureIo(dir);
    expect(await comsCommand(new CommandContext(second.io), { json: true, backend: 'cpu', out: 'coms', task: 'toy-continuous-v0', methods: 'grad', dataDir: 'data' }, TINY)).toBe(0);
    expect(second.stderr()).toContain('reusing toy-continuous-v0-grad-seed0');
    expect(second.stderr()).toContain('read toy-continuous-v0 at');
    expect(JSON.parse(lines(second.stdout())[0]!).methods).toEqual([summary.methods[1]]);
  }, 120_000);

  it('refuses a missing or unknown task, an unknown method and options of other experiments, with exit code 2 and nothing written', async () => {
    const dir = tempDir();
    const cases: Array<[string[], string]> = [
      [['experiment', 'coms'], '--task is required'],
      [['experiment', 'coms', '--task', 'toy-continous-v0'], 'did you mean "toy-continuous-v0"'],
      [['experiment', 'coms', '--task', 'toy-discrete-v0', '--methods', 'coms,mins'], 'mins'],
      [['experiment', 'coms', '--task', 'toy-discrete-v0', '--hidden', '64,x'], '--hidden must be comma-separated positive integers'],
      [['experiment', 'coms', '--task', 'toy-discrete-v0', '--maze', 'zigzag'], 'is not an option of the coms experiment'],
      [['experiment', 'mural', '--task', 'toy-discrete-v0'], 'is an option of the coms experiment'],
    ];
    for (const [args, message] of cases) {
      const result = await runCli([...args, '--out', 'coms-out'], { cwd: dir });
      expect(result.code).toBe(2);
      expect(result.stderr).toContain(message);
      expect(existsSync(join(dir, 'coms-out'))).toBe(false);
    }
  }, 60_000);
});
