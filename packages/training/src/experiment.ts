/**
 * Methods x seeds experiment grids. Each cell (one method, one seed) runs once; a store keeps its
 * result under the cell's id and a key naming everything the result depends on, so that a grid
 * run again after a stop reuses the finished cells and runs only the rest.
 */

/** One cell of a grid. */
export interface GridCell<M extends string> {
  method: M;
  seed: number;
}

/** Keeps cell results between runs of a grid (`resultsFileStore` in '@bellman/training/node' writes results.json). */
export interface ExperimentStore<R> {
  /** The result saved for `id` under the same `key`, else undefined (a result saved under another key is stale). */
  load(id: string, key: string): R | undefined;
  save(id: string, key: string, result: R): void;
}

export interface GridOptions<M extends string, R> {
  methods: readonly M[];
  /** Seeds 0 .. n - 1, or these seeds. */
  seeds: number | readonly number[];
  /** Runs one cell. */
  run(cell: GridCell<M>): Promise<R>;
  /** A cell's file-name-safe id (default `<method>-seed<seed>`). */
  cellId?(cell: GridCell<M>): string;
  /** Everything a cell's result depends on, as a string (default: its id). */
  cellKey?(cell: GridCell<M>): string;
  store?: ExperimentStore<R>;
  /** Use stored results only: a cell without one is left out (and reported to onSkip), not run. */
  storedOnly?: boolean;
  onSkip?(id: string, cell: GridCell<M>): void;
  /** After each cell, run or reused. */
  onResult?(result: GridCellResult<M, R>): void;
}

export interface GridCellResult<M extends string, R> extends GridCell<M> {
  id: string;
  result: R;
  /** True when the result came from the store. */
  reused: boolean;
}

/** Seed-major order: every method of seed 0, then of seed 1, ... (a stopped grid has whole seeds done). */
export function gridCells<M extends string>(methods: readonly M[], seeds: number | readonly number[]): GridCell<M>[] {
  return seedList(seeds).flatMap((seed) => methods.map((method) => ({ method, seed })));
}

/** A grid's seeds as a list: 0 .. n - 1 for a count n, else the seeds given (each an integer). */
export function seedList(seeds: number | readonly number[]): number[] {
  const list = typeof seeds === 'number' ? seedRange(seeds) : [...seeds];
  for (const seed of list) if (!Number.isInteger(seed)) throw new RangeError(`gridCells: seeds must be integers, got ${seed}`);
  return list;
}

function seedRange(n: number): number[] {
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`gridCells: a seed count must be a non-negative integer, got ${n}`);
  return Array.from({ length: n }, (_, i) => i);
}

/** Run (or reuse) every cell, one after the other; results in gridCells order, skipped cells left out. */
export async function runGrid<M extends string, R>(options: GridOptions<M, R>): Promise<GridCellResult<M, R>[]> {
  const idOf = options.cellId ?? ((cell: GridCell<M>) => `${cell.method}-seed${cell.seed}`);
  const keyOf = options.cellKey ?? idOf;
  const out: GridCellResult<M, R>[] = [];
  const seen = new Set<string>();
  for (const cell of gridCells(options.methods, options.seeds)) {
    const id = idOf(cell);
    if (seen.has(id)) throw new Error(`runGrid: two cells have the id "${id}"; cellId must tell cells apart`);
    seen.add(id);
    const key = keyOf(cell);
    let result = options.store?.load(id, key);
    const reused = result !== undefined;
    if (result === undefined) {
      if (options.storedOnly) {
        options.onSkip?.(id, cell);
        continue;
      }
      result = await options.run(cell);
      options.store?.save(id, key, result);
    }
    const record: GridCellResult<M, R> = { ...cell, id, result, reused };
    out.push(record);
    options.onResult?.(record);
  }
  return out;
}

/** Keeps results in memory (tests, or a grid that needs no resume). */
export class MemoryExperimentStore<R> implements ExperimentStore<R> {
  readonly cells = new Map<string, { key: string; result: R }>();

  load(id: string, key: string): R | undefined {
    const cell = this.cells.get(id);
    return cell && cell.key === key ? cell.result : undefined;
  }

  save(id: string, key: string, result: R): void {
    this.cells.set(id, { key, result });
  }
}
