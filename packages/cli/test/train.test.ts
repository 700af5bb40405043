import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeRecipe } from '@bellman/datasets';
import { writeMinari } from '@bellman/datasets/node';
import { lines, runCli, tempDir } from './helpers.js';

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

let dir: string;
let datasetReturnMean: number;
let datasetTransitions: number;

beforeAll(async () => {
  dir = tempDir();
  // A small slice of the quickstart recipe keeps the test fast.
  const dataset = makeRecipe('cartpole-mixed-v0', { minTransitions: 1500 });
  datasetReturnMean = dataset.statistics().returnMean;
  datasetTransitions = dataset.size;
  await writeMinari(join(dir, 'small.h5'), dataset, { datasetId: 'small', envId: 'CartPole-v1' });
});

function lastJson(stdout: string): Record<string, unknown> {
  const all = lines(stdout);
  return JSON.parse(all[all.length - 1]!) as Record<string, unknown>;
}

describe('dataset info', () => {
  it('--json prints one object with the format and statistics of a Minari file', async () => {
    const res = await runCli(['dataset', 'info', 'small.h5', '--json'], { cwd: dir });
    expect(res.code).toBe(0);
    expect(lines(res.stdout)).toHaveLength(1);
    const info = lastJson(res.stdout);
    for (const key of ['format', 'transitions', 'episodes', 'observationShape', 'actionSpace', 'rewardSum', 'returnMean']) expect(info).toHaveProperty(key);
    expect(info.format).toBe('minari');
    expect(info.transitions).toBe(datasetTransitions);
    expect(info.observationShape).toEqual([4]);
    expect(info.actionSpace).toEqual({ kind: 'discrete', n: 2, start: 0 });
    // CartPole pays 1 per step: the reward sum is the number of transitions
    expect(info.rewardSum).toBe(datasetTransitions);
    expect(info.returnMean as number).toBeCloseTo(datasetReturnMean, 6);
  });

  it('prints a readable summary without --json', async () => {
    const res = await runCli(['dataset', 'info', 'small.h5'], { cwd: dir });
    expect(res.code).toBe(0);
    expect(res.stdout).toMatch(/^format\s+minari$/m);
    expect(res.stdout).toMatch(new RegExp(`^transitions\\s+${datasetTransitions}$`, 'm'));
  });
});

describe('train, eval, resume', () => {
  const trainArgs = (steps: number, extra: string[] = []) => [
    'train', 'bc', '--env', 'CartPole-v1', '--dataset', 'small.h5', '--steps', String(steps), '--seed', '3',
    '--eval-every', '20', '--eval-episodes', '2', '--batch-size', '32', '--config', '{"hiddenSizes":[16]}',
    '--backend', 'cpu', '--out', 'run', '--json', ...extra,
  ];

  let trained: Record<string, unknown>;

  it('train --json ends stdout with the result and writes the run files', async () => {
    const res = await runCli(trainArgs(40), { cwd: dir });
    expect(res.code).toBe(0);
    trained = lastJson(res.stdout);
    for (const key of ['algo', 'env', 'steps', 'evalReturnMean', 'evalReturnStd', 'seed', 'dataset', 'out']) expect(trained).toHaveProperty(key);
    expect(trained).toMatchObject({ algo: 'bc', env: 'CartPole-v1', steps: 40, seed: 3, datasetFormat: 'minari' });
    // human output went to stderr: stdout is the JSON line alone
    expect(lines(res.stdout)).toHaveLength(1);
    expect(res.stderr).toMatch(/^backend cpu: requested$/m);
    expect(res.stderr).toMatch(/bc on CartPole-v1: eval return/);

    const runDir = join(dir, 'run');
    for (const f of ['metrics.jsonl', 'metrics.csv', 'checkpoint.json', 'curve.svg', 'curve.png', 'config.json']) expect(existsSync(join(runDir, f))).toBe(true);
    const rows = readFileSync(join(runDir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, number>);
    const evals = rows.filter((r) => r.eval_return_mean !== undefined);
    expect(evals.map((r) => r.step)).toEqual([20, 40]);
    expect(trained.evalReturnMean).toBe(evals[1]!.eval_return_mean);
    expect(trained.evalReturnStd).toBe(evals[1]!.eval_return_std);
    // CartPole returns lie in [1, 500]
    expect(trained.evalReturnMean as number).toBeGreaterThanOrEqual(1);
    expect(trained.evalReturnMean as number).toBeLessThanOrEqual(500);
    const csvHeader = readFileSync(join(runDir, 'metrics.csv'), 'utf8').split('\n')[0]!.split(',');
    expect(csvHeader).toEqual(expect.arrayContaining(['step', 'eval_return_mean']));
    expect([...readFileSync(join(runDir, 'curve.png')).subarray(0, 8)]).toEqual(PNG_SIGNATURE);
    expect(readFileSync(join(runDir, 'curve.svg'), 'utf8')).toMatch(/aria-roledescription="line mark" d="M[\d.,]+L[\d.,]+"/);
    const config = JSON.parse(readFileSync(join(runDir, 'config.json'), 'utf8')) as Record<string, unknown>;
    expect(config).toMatchObject({ algo: 'bc', env: 'CartPole-v1', steps: 40, seed: 3, batchSize: 32 });
    expect((config.learnerConfig as { hiddenSizes: number[] }).hiddenSizes).toEqual([16]);
  });

  it('writes best-checkpoint.json holding the best evaluation', async () => {
    const best = JSON.parse(readFileSync(join(dir, 'run', 'best-checkpoint.json'), 'utf8')) as { meta: Record<string, unknown> };
    expect(best.meta).toMatchObject({ algo: 'bc', env: 'CartPole-v1', seed: 3 });
    expect(trained.bestEvalReturnMean as number).toBeGreaterThanOrEqual(trained.evalReturnMean as number);
  });

  it('train --online passes the replay schedule options to the OnlineTrainer', async () => {
    const res = await runCli(
      [
        'train', 'dqn', '--env', 'CartPole-v1', '--online', '--steps', '300', '--warmup-steps', '100', '--update-every', '50',
        '--gradient-steps', '10', '--buffer-size', '250', '--batch-size', '16', '--eval-every', '300', '--eval-episodes', '1',
        '--config', '{"hiddenSizes":[16]}', '--backend', 'cpu', '--out', 'online', '--json',
      ],
      { cwd: dir },
    );
    expect(res.code).toBe(0);
    expect(lastJson(res.stdout)).toMatchObject({ algo: 'dqn', steps: 300 });
    const config = JSON.parse(readFileSync(join(dir, 'online', 'config.json'), 'utf8')) as Record<string, unknown>;
    expect(config.onlineOptions).toEqual({ warmupSteps: 100, updateEvery: 50, gradientSteps: 10, bufferCapacity: 250 });
    // Rounds of 10 updates at env steps 100 (the buffer holds the 100 warm-up steps), 150, ..., 300.
    const checkpoint = JSON.parse(readFileSync(join(dir, 'online', 'checkpoint.json'), 'utf8')) as { payload: { learner: { updates: number } } };
    expect(checkpoint.payload.learner.updates).toBe(50);
  });

  it('eval of the checkpoint on the trainer\'s evaluation seeds reproduces its final return', async () => {
    // the trainer evaluates episode i with seed 1_000_000 + seed + i
    const res = await runCli(['eval', 'run/checkpoint.json', '--episodes', '2', '--seed', '1000003', '--backend', 'cpu', '--json'], { cwd: dir });
    expect(res.code).toBe(0);
    const out = lastJson(res.stdout);
    expect(out).toMatchObject({ algo: 'bc', env: 'CartPole-v1', episodes: 2, seed: 1000003 });
    expect(out.returnMean).toBe(trained.evalReturnMean);
    expect(out.returnStd).toBe(trained.evalReturnStd);
  });

  it('--resume continues the run from its checkpoint to the new step count', async () => {
    const res = await runCli(trainArgs(60, ['--resume']), { cwd: dir });
    expect(res.code).toBe(0);
    expect(lastJson(res.stdout)).toMatchObject({ steps: 60 });
    const rows = readFileSync(join(dir, 'run', 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, number>);
    expect(rows.filter((r) => r.eval_return_mean !== undefined).map((r) => r.step)).toEqual([20, 40, 60]);
  });

  it('--resume with another batch size is a usage error', async () => {
    const args = trainArgs(80, ['--resume']);
    args[args.indexOf('--batch-size') + 1] = '64';
    const res = await runCli(args, { cwd: dir });
    expect(res.code).toBe(2);
    expect(lines(res.stderr).filter((l) => l.startsWith("bellman: error:"))).toEqual([expect.stringMatching(/--resume: .*--batch-size 32, not 64/)]);
  });
});
