import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemoryExperimentStore, gridCells, runGrid, type GridCell } from '../src/index.js';
import { resultsFileStore } from '../src/node.js';

type Method = 'a' | 'b';
const METHODS: readonly Method[] = ['a', 'b'];

describe('runGrid', () => {
  it('runs every method of each seed in turn and reuses stored cells with the same key', async () => {
    const store = new MemoryExperimentStore<number>();
    const ran: string[] = [];
    const run = async ({ method, seed }: GridCell<Method>) => {
      ran.push(`${method}${seed}`);
      return seed * 10 + (method === 'a' ? 1 : 2);
    };
    const first = await runGrid({ methods: METHODS, seeds: 2, run, store });
    expect(ran).toEqual(['a0', 'b0', 'a1', 'b1']);
    expect(first.map((c) => [c.id, c.result, c.reused])).toEqual([['a-seed0', 1, false], ['b-seed0', 2, false], ['a-seed1', 11, false], ['b-seed1', 12, false]]);

    ran.length = 0;
    const again = await runGrid({ methods: METHODS, seeds: [0, 1, 2], run, store });
    expect(ran).toEqual(['a2', 'b2']);
    expect(again.map((c) => c.reused)).toEqual([true, true, true, true, false, false]);

    ran.length = 0;
    // another key (a changed setting) makes the stored result stale
    await runGrid({ methods: ['a'], seeds: 1, run, store, cellKey: (c) => `${c.method}${c.seed}-lr0.1` });
    expect(ran).toEqual(['a0']);
  });

  it('with storedOnly, leaves out the cells it has no result for', async () => {
    const store = new MemoryExperimentStore<string>();
    store.save('b-seed0', 'b-seed0', 'kept');
    const skipped: string[] = [];
    const out = await runGrid({ methods: METHODS, seeds: 1, run: async () => 'new', store, storedOnly: true, onSkip: (id) => skipped.push(id) });
    expect(out.map((c) => [c.id, c.result])).toEqual([['b-seed0', 'kept']]);
    expect(skipped).toEqual(['a-seed0']);
    expect(() => gridCells(['a'], [0.5])).toThrow('gridCells: seeds must be integers, got 0.5');
  });

  it('writes results.json after each cell and resumes a half-finished grid from it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bellman-grid-'));
    try {
      const path = join(dir, 'results.json');
      const failing = async ({ method, seed }: GridCell<Method>) => {
        if (method === 'a' && seed === 1) throw new Error('killed');
        return { score: seed + (method === 'a' ? 0.5 : 0.25) };
      };
      await expect(runGrid({ methods: METHODS, seeds: 2, run: failing, store: resultsFileStore(path) })).rejects.toThrow('killed');
      expect(JSON.parse(readFileSync(path, 'utf8'))).toEqual({
        cells: { 'a-seed0': { key: 'a-seed0', result: { score: 0.5 } }, 'b-seed0': { key: 'b-seed0', result: { score: 0.25 } } },
      });
      const ran: string[] = [];
      const out = await runGrid<Method, { score: number }>({
        methods: METHODS,
        seeds: 2,
        run: async (c: GridCell<Method>) => {
          ran.push(`${c.method}${c.seed}`);
          return { score: c.seed + 100 };
        },
        store: resultsFileStore(path),
      });
      expect(ran).toEqual(['a1', 'b1']);
      expect(out.map((c) => c.result.score)).toEqual([0.5, 0.25, 101, 101]);
      expect(Object.keys(resultsFileStore(path).cells)).toEqual(['a-seed0', 'b-seed0', 'a-seed1', 'b-seed1']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
