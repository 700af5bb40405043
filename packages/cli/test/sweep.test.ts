// `bellman sweep` end to end: real `bellman train` cells, a real redis-server, worker processes.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startRedisServer, type TestRedisServer } from '../../../tools/test-redis/index.mjs';
import { runCli, tempDir } from './helpers.js';

const BIN = fileURLToPath(new URL('../bin/bellman.js', import.meta.url));
const root = tempDir();
const dataDir = join(root, 'datasets');

/** The spec, with a shared dataset cache so that the recipe is made once. */
const SPEC = {
  command: 'train',
  args: { env: 'CartPole-v1', dataset: 'cartpole-mixed-v0', steps: 300, 'eval-episodes': 2, 'data-dir': dataDir },
  grid: { algo: ['bc', 'cql-discrete'], seed: [0, 1, 2] },
};

function writeSpec(name: string, spec: unknown): string {
  const path = join(root, name);
  writeFileSync(path, typeof spec === 'string' ? spec : JSON.stringify(spec));
  return path;
}

/** Every cell's result.json, by cell id. */
function resultFiles(out: string): Record<string, string> {
  const cells = join(out, 'cells');
  return Object.fromEntries(readdirSync(cells).sort().map((id) => [id, readFileSync(join(cells, id, 'result.json'), 'utf8')]));
}

function startWorker(url: string, log: string[]): ChildProcess {
  const child = spawn(process.execPath, [BIN, 'sweep', 'worker', '--queue', url, '--lock-seconds', '2'], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, CI: '1' } });
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => log.push(chunk));
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => log.push(chunk));
  return child;
}

/** Waits until `count` workers have said they are taking cells. */
async function workersReady(log: string[], count: number): Promise<void> {
  for (let i = 0; i < 300 && (log.join('').match(/taking cells from/g) ?? []).length < count; i++) await new Promise((r) => setTimeout(r, 100));
}

const exited = (child: ChildProcess) => new Promise<void>((resolve) => (child.exitCode !== null || child.signalCode !== null ? resolve() : child.once('exit', () => resolve())));

let redis: TestRedisServer;
beforeAll(async () => {
  redis = await startRedisServer();
  // the recipe once, before cells in parallel would each make it
  expect((await runCli(['dataset', 'make', 'cartpole-mixed-v0', '--data-dir', dataDir])).code).toBe(0);
});
afterAll(async () => {
  await redis?.stop();
});

describe('bellman sweep', () => {
  const specPath = () => writeSpec('grid.json', SPEC);
  let poolOut: string;

  it('runs a 6-cell grid on 2 worker processes, skips it when run again, and reports mean ± std over seeds', async () => {
    poolOut = join(root, 'pool');
    const run = await runCli(['sweep', 'run', specPath(), '--workers', '2', '--out', poolOut]);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('sweep: 6 cells: 6 ran, 0 already done, 0 failed, 0 not finished');
    expect(Object.keys(resultFiles(poolOut))).toEqual(['algo=bc,seed=0', 'algo=bc,seed=1', 'algo=bc,seed=2', 'algo=cql-discrete,seed=0', 'algo=cql-discrete,seed=1', 'algo=cql-discrete,seed=2']);
    const again = await runCli(['sweep', 'run', specPath(), '--workers', '2', '--out', poolOut]);
    expect(again.stdout).toContain('0 ran, 6 already done');

    const report = await runCli(['sweep', 'report', poolOut, '--json']);
    expect(report.code).toBe(0);
    const { groups } = JSON.parse(report.stdout.trim().split('\n').pop()!) as { groups: { params: { algo: string }; mean: number; std: number; n: number; values: number[] }[] };
    expect(groups.map((g) => [g.params.algo, g.n])).toEqual([['bc', 3], ['cql-discrete', 3]]);
    for (const group of groups) {
      // the report's numbers are the cells' own final evaluations
      const own = [0, 1, 2].map((seed) => (JSON.parse(readFileSync(join(poolOut, 'cells', `algo=${group.params.algo},seed=${seed}`, 'result.json'), 'utf8')) as { result: { evalReturnMean: number } }).result.evalReturnMean);
      expect(group.values).toEqual(own);
      const mean = own.reduce((a, b) => a + b, 0) / 3;
      expect(group.mean).toBeCloseTo(mean, 10);
      expect(group.std).toBeCloseTo(Math.sqrt(own.reduce((a, v) => a + (v - mean) ** 2, 0) / 2), 10);
    }
    const table = await runCli(['sweep', 'report', specPath(), '--out', poolOut, '--markdown']);
    expect(table.stdout).toMatch(/^\| algo \| evalReturnMean \(mean ± std over seeds\) \|\n\| --- \| ---: \|\n\| bc \| [\d.]+ ± [\d.]+ \(3\) \|\n\| cql-discrete \|/);
    for (const file of ['report.svg', 'report.png', 'report-curves.svg', 'report-curves.png']) expect(existsSync(join(poolOut, file))).toBe(true);
  }, 240_000);

  it('gives the same result files and report in this process and on 2 queue workers over Redis', async () => {
    const inProcessOut = join(root, 'in-process');
    const inProcess = await runCli(['sweep', 'run', specPath(), '--in-process', '--out', inProcessOut]);
    expect(inProcess.code).toBe(0);

    const log: string[] = [];
    const workers = [startWorker(redis.url, log), startWorker(redis.url, log)];
    await workersReady(log, 2);
    const queueOut = join(root, 'queue');
    const queued = await runCli(['sweep', 'run', specPath(), '--queue', redis.url, '--out', queueOut]);
    for (const worker of workers) worker.kill('SIGTERM');
    await Promise.all(workers.map(exited));
    expect(queued.code).toBe(0);
    expect(queued.stdout).toContain('6 ran');
    // both workers took cells
    const ranBy = new Set(Object.keys(resultFiles(queueOut)).map((id) => (JSON.parse(readFileSync(join(queueOut, 'cells', id, 'timing.json'), 'utf8')) as { worker: string }).worker));
    expect(ranBy.size).toBe(2);

    const expected = resultFiles(poolOut);
    expect(resultFiles(inProcessOut)).toEqual(expected);
    expect(resultFiles(queueOut)).toEqual(expected);
    const reports = await Promise.all([poolOut, inProcessOut, queueOut].map((out) => runCli(['sweep', 'report', out, '--json'])));
    expect(reports[1]!.stdout).toBe(reports[0]!.stdout);
    expect(reports[2]!.stdout).toBe(reports[0]!.stdout);
  }, 240_000);

  it('completes the grid when a worker is killed with SIGKILL mid-cell: another worker resumes the cell from its checkpoint', async () => {
    const spec = { ...SPEC, args: { ...SPEC.args, steps: 1500, 'checkpoint-every': 100 }, grid: { algo: ['cql-discrete'], seed: [3] } };
    const path = writeSpec('kill.json', spec);
    const queueOut = join(root, 'killed');
    const cellLog = join(queueOut, 'cells', 'algo=cql-discrete,seed=3', 'cell.log');
    const log: string[] = [];
    const first = startWorker(redis.url, log);
    const submitted = runCli(['sweep', 'run', path, '--queue', redis.url, '--out', queueOut]);
    // kill the worker once its cell has trained past a few checkpoints
    for (let i = 0; i < 600 && !(existsSync(cellLog) && /: (4|5|6|7|8|9)\d\d\/1500/.test(readFileSync(cellLog, 'utf8'))); i++) await new Promise((r) => setTimeout(r, 100));
    first.kill('SIGKILL');
    await exited(first);
    const second = startWorker(redis.url, log);
    const queued = await submitted;
    second.kill('SIGTERM');
    await exited(second);
    expect(queued.code).toBe(0);
    const cellText = readFileSync(cellLog, 'utf8');
    expect(cellText).toContain('--resume');
    expect(cellText).toMatch(/stopped at step \d+ of 1500; checkpoint written/);

    const poolRun = await runCli(['sweep', 'run', path, '--workers', '1', '--out', join(root, 'unkilled')]);
    expect(poolRun.code).toBe(0);
    expect(resultFiles(queueOut)).toEqual(resultFiles(join(root, 'unkilled')));
  }, 240_000);

  it('names a bad spec field and exits 2 without writing anything', async () => {
    const out = join(root, 'never');
    const bad = await runCli(['sweep', 'run', writeSpec('bad.json', { ...SPEC, grid: { ...SPEC.grid, seed: [0, 'x', 0] } }), '--out', out]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toBe(`bellman: error: ${join(root, 'bad.json')}: grid.seed[2]: 0 is listed twice\n`);
    const unknownFlag = await runCli(['sweep', 'run', writeSpec('flag.json', { ...SPEC, args: { ...SPEC.args, stepz: 3 } }), '--out', out]);
    expect(unknownFlag.code).toBe(2);
    expect(unknownFlag.stderr).toContain('args.stepz: "stepz" is not a flag of `bellman train`');
    const unknownAlgo = await runCli(['sweep', 'run', writeSpec('algo.json', { ...SPEC, grid: { algo: ['bc', 'cq'], seed: [0] } }), '--out', out]);
    expect(unknownAlgo.code).toBe(2);
    expect(unknownAlgo.stderr).toContain('unknown algorithm "cq"');
    const yaml = await runCli(['sweep', 'run', writeSpec('bad.yaml', 'command: train\ngrid: [1, 2\n'), '--out', out]);
    expect(yaml.code).toBe(2);
    expect(yaml.stderr).toMatch(/bad\.yaml: not valid YAML: /);
    expect(existsSync(out)).toBe(false);
  });

  it('says that Redis cannot be reached, with a non-zero exit, and refuses a URL that is not redis://', async () => {
    const out = join(root, 'no-redis');
    const unreachable = await runCli(['sweep', 'run', specPath(), '--queue', 'redis://127.0.0.1:1', '--out', out]);
    expect(unreachable.code).toBe(1);
    expect(unreachable.stderr).toMatch(/bellman: error: cannot reach Redis at redis:\/\/127\.0\.0\.1:1: .*ECONNREFUSED.* \(is redis-server running there\?\)/);
    const notRedis = await runCli(['sweep', 'worker', '--queue', 'localhost:6379']);
    expect(notRedis.code).toBe(2);
    expect(notRedis.stderr).toBe('bellman: error: --queue: "localhost:6379" is not a redis:// or rediss:// URL\n');
  });

  it('lists a cell whose run fails with its error line, exits 1, and keeps the finished cells', async () => {
    const spec = { ...SPEC, args: { env: 'CartPole-v1', steps: 200, 'eval-episodes': 1, 'data-dir': dataDir }, grid: { algo: ['bc'], dataset: ['cartpole-mixed-v0', 'cartpole-nope-v0'], seed: [0] } };
    const out = join(root, 'failing');
    const run = await runCli(['sweep', 'run', writeSpec('failing.json', spec), '--workers', '2', '--out', out]);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain('1 ran, 0 already done, 1 failed');
    expect(run.stdout).toMatch(/failed algo=bc,dataset=cartpole-nope-v0,seed=0: bellman: error: .*cartpole-nope-v0.* \(exit code 2\)/);
    expect(existsSync(join(out, 'cells', 'algo=bc,dataset=cartpole-mixed-v0,seed=0', 'result.json'))).toBe(true);
    const report = await runCli(['sweep', 'report', out]);
    expect(report.stdout).toContain('1 of 2 cells have not finished: algo=bc,dataset=cartpole-nope-v0,seed=0');
  }, 120_000);

  it('passes a grid over config.<field> to each cell as one --config, which the learner reads and checks', async () => {
    const spec = { command: 'train', args: { algo: 'bc', env: 'CartPole-v1', dataset: 'cartpole-mixed-v0', steps: 50, 'eval-episodes': 1, 'data-dir': dataDir, config: '{"hiddenSizes":[32]}' }, grid: { 'config.learningRate': [0.0005, -1], seed: [0] } };
    const out = join(root, 'config-grid');
    const run = await runCli(['sweep', 'run', writeSpec('config-grid.json', spec), '--workers', '2', '--out', out]);
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/failed config\.learningRate=-1,seed=0: bellman: error: .*learningRate.* \(exit code 2\)/);
    const cell = join(out, 'cells', 'config.learningRate=0.0005,seed=0');
    expect(JSON.parse(readFileSync(join(cell, 'result.json'), 'utf8')).args).toContain('{"hiddenSizes":[32],"learningRate":0.0005}');
    const config = JSON.parse(readFileSync(join(cell, 'config.json'), 'utf8'));
    expect(JSON.stringify(config)).toContain('"learningRate":0.0005');
    expect(JSON.stringify(config)).toContain('"hiddenSizes":[32]');
  }, 120_000);
});
