import { getEventListeners } from 'node:events';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startRedisServer, type TestRedisServer } from '../../../tools/test-redis/index.mjs';
import { SweepFolder, SweepQueueError, checkRedisUrl, connectRedis, runQueueWorker, runSweepOnQueue, runSweepPool, sweepCells, validateSweepSpec } from '../src/index.js';
import { arithmeticRunner, schemaFor } from './fixtures.js';

let redis: TestRedisServer;
beforeAll(async () => {
  redis = await startRedisServer();
});
afterAll(async () => {
  await redis?.stop();
});

const { spec, schema } = validateSweepSpec({ command: 'train', args: { env: 'E', steps: 3 }, grid: { algo: ['bc', 'cql', 'iql'], seed: [0, 1] } }, 'grid.json', schemaFor, ['train']);
const cells = sweepCells(spec, schema);
const folder = () => new SweepFolder(mkdtempSync(join(tmpdir(), 'bellman-sweep-')));
const results = (out: SweepFolder) => cells.map((cell) => readFileSync(join(out.cellDir(cell), 'result.json'), 'utf8'));

describe('runSweepOnQueue', () => {
  it('gives 2 queue workers the cells and collects the same result files as the local pool', async () => {
    const local = folder();
    await runSweepPool(local, cells, { workers: 2, runner: arithmeticRunner(), volatileResultKeys: schema.volatileResultKeys });
    const stop = new AbortController();
    const ranBy: string[][] = [[], []];
    const workers = [0, 1].map((i) =>
      runQueueWorker({ url: redis.url, queueName: 'pool-vs-queue', runnerFor: () => arithmeticRunner({ delayMs: 150, onRun: (cell) => ranBy[i]!.push(cell.id) }), signal: stop.signal }),
    );
    // both workers listening before the cells are queued, so that each takes some
    await new Promise((resolve) => setTimeout(resolve, 500));
    const queued = folder();
    const waiting = new AbortController();
    let summary;
    try {
      summary = await runSweepOnQueue(queued, cells, { url: redis.url, queueName: 'pool-vs-queue', sweepId: 'test1', cwd: process.cwd(), volatileResultKeys: schema.volatileResultKeys, pollMs: 10, signal: waiting.signal });
    } finally {
      stop.abort();
      await Promise.all(workers);
    }
    // dozens of polls, and none left a listener on the run's signal
    expect(getEventListeners(waiting.signal, 'abort')).toHaveLength(0);
    expect(summary.ran).toHaveLength(6);
    expect(ranBy[0]!.length + ranBy[1]!.length).toBe(6);
    expect(ranBy[0]!.length).toBeGreaterThan(0);
    expect(ranBy[1]!.length).toBeGreaterThan(0);
    expect(results(queued)).toEqual(results(local));
  });

  it('reports failed cells and keeps the finished ones', async () => {
    const failing = validateSweepSpec({ command: 'train', args: { env: 'E' }, grid: { algo: ['bc'], dataset: ['good', 'bad'], seed: [0] } }, 'grid.json', schemaFor, ['train']);
    const failingCells = sweepCells(failing.spec, failing.schema);
    const stop = new AbortController();
    const worker = runQueueWorker({ url: redis.url, queueName: 'failures', runnerFor: () => arithmeticRunner(), signal: stop.signal });
    const out = folder();
    const summary = await runSweepOnQueue(out, failingCells, { url: redis.url, queueName: 'failures', sweepId: 'test2', cwd: process.cwd(), volatileResultKeys: [], pollMs: 50 });
    stop.abort();
    await worker;
    expect(summary.failed).toEqual([{ id: 'algo=bc,dataset=bad,seed=0', error: 'bellman: error: unknown dataset "bad"' }]);
    expect(out.result(failingCells[0]!)?.result.evalReturnMean).toBe(100);
  });

  it('names an unreachable server and a URL that is not one', async () => {
    await expect(connectRedis('redis://127.0.0.1:1', 2000)).rejects.toThrow(SweepQueueError);
    await expect(connectRedis('redis://127.0.0.1:1', 2000)).rejects.toThrow(/^cannot reach Redis at redis:\/\/127\.0\.0\.1:1: .*ECONNREFUSED.*\(is redis-server running there\?\)/);
    expect(() => checkRedisUrl('localhost:6379')).toThrow('--queue: "localhost:6379" is not a redis:// or rediss:// URL');
    expect(() => checkRedisUrl('http://x')).toThrow('is not a redis:// or rediss:// URL');
  });
});
