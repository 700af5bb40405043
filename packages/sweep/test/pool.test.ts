import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SweepFolder, runSweepPool, sweepCells, validateSweepSpec, type SweepEvent } from '../src/index.js';
import { arithmeticRunner, schemaFor } from './fixtures.js';

const plan = (grid: Record<string, (string | number)[]>) => {
  const { spec, schema } = validateSweepSpec({ command: 'train', args: { env: 'E', steps: 3 }, grid }, 'grid.json', schemaFor, ['train']);
  return { cells: sweepCells(spec, schema), schema };
};
const folder = () => new SweepFolder(mkdtempSync(join(tmpdir(), 'bellman-sweep-')));

describe('runSweepPool', () => {
  it('runs at most `workers` cells at a time and writes each result without its volatile keys', async () => {
    const { cells, schema } = plan({ algo: ['bc', 'cql', 'iql'], seed: [0, 1] });
    const runner = arithmeticRunner({ delayMs: 30 });
    const out = folder();
    const summary = await runSweepPool(out, cells, { workers: 2, runner, volatileResultKeys: schema.volatileResultKeys });
    expect(runner.maxRunning).toBe(2);
    expect(summary.ran).toHaveLength(6);
    const saved = JSON.parse(readFileSync(join(out.cellDir(cells[5]!), 'result.json'), 'utf8'));
    expect(saved).toEqual({ id: 'algo=iql,seed=1', params: { algo: 'iql', seed: 1 }, args: cells[5]!.args, result: { algo: 'iql', seed: 1, evalReturnMean: 301 } });
  });

  it('skips finished cells, so that a stopped sweep continues where it was', async () => {
    const { cells } = plan({ algo: ['bc', 'cql'], seed: [0, 1, 2] });
    const out = folder();
    const stop = new AbortController();
    let started = 0;
    const first = arithmeticRunner({ onRun: () => ++started === 3 && stop.abort() });
    const stopped = await runSweepPool(out, cells, { workers: 1, runner: first, volatileResultKeys: [], signal: stop.signal });
    expect(stopped.ran).toHaveLength(2);
    expect(stopped.stopped).toHaveLength(4);
    const ranAgain: string[] = [];
    const second = arithmeticRunner({ onRun: (cell) => ranAgain.push(cell.id) });
    const events: SweepEvent['type'][] = [];
    const resumed = await runSweepPool(out, cells, { workers: 2, runner: second, volatileResultKeys: [], onEvent: (event) => events.push(event.type) });
    expect(resumed.reused).toEqual(['algo=bc,seed=0', 'algo=bc,seed=1']);
    expect(ranAgain).toEqual(cells.slice(2).map((cell) => cell.id));
    expect(events.filter((type) => type === 'reused')).toHaveLength(2);
  });

  it('lists failed cells with their error line and keeps the others', async () => {
    const { cells } = plan({ algo: ['bc'], dataset: ['good', 'bad'], seed: [0] });
    const out = folder();
    const summary = await runSweepPool(out, cells, { workers: 2, runner: arithmeticRunner(), volatileResultKeys: [] });
    expect(summary.failed).toEqual([{ id: 'algo=bc,dataset=bad,seed=0', error: 'bellman: error: unknown dataset "bad"' }]);
    expect(out.result(cells[0]!)?.result.evalReturnMean).toBe(100);
    expect(out.result(cells[1]!)).toBeUndefined();
  });

  it('refuses results of another command line in the folder', async () => {
    const out = folder();
    const before = plan({ algo: ['bc'], seed: [0] });
    await runSweepPool(out, before.cells, { runner: arithmeticRunner(), volatileResultKeys: [] });
    const { spec, schema } = validateSweepSpec({ command: 'train', args: { env: 'E', steps: 4 }, grid: { algo: ['bc'], seed: [0] } }, 'grid.json', schemaFor, ['train']);
    expect(() => out.checkResults(sweepCells(spec, schema))).toThrow(/holds a result of `bellman train bc --env E --steps 3 --seed 0`, not of `bellman train bc --env E --steps 4 --seed 0`/);
  });
});
