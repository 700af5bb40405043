/**
 * Running a sweep on this machine: a pool of N cells at a time, finished cells skipped, each
 * result written as its cell ends (a killed sweep loses only the cells that were running, and
 * those resume from their checkpoints).
 */
import type { SweepCell } from './cells.js';
import { type CellTiming, type SweepFolder, stableResult, writeCellResult } from './folder.js';
import type { CellOutcome, CellRunner } from './runner.js';

/** What a sweep reports as it goes. */
export type SweepEvent =
  | { type: 'reused'; cell: SweepCell }
  | { type: 'started'; cell: SweepCell }
  | { type: 'finished'; cell: SweepCell; outcome: CellOutcome };

/** The counts a progress display shows. */
export interface SweepCounts {
  total: number;
  done: number;
  running: number;
  failed: number;
}

export interface SweepSummary {
  /** Cells that finished in this run. */
  ran: string[];
  /** Cells whose result was already there. */
  reused: string[];
  failed: { id: string; error: string }[];
  /** Cells left unfinished because the sweep was stopped. */
  stopped: string[];
}

export interface PoolOptions {
  /** Cells at a time (default 1). */
  workers?: number;
  runner: CellRunner;
  /** Keys of the command's result that are not part of a cell's result (wall time, paths). */
  volatileResultKeys: readonly string[];
  /** Aborting stops the running cells (they keep their checkpoints) and starts no more. */
  signal?: AbortSignal;
  onEvent?(event: SweepEvent, counts: SweepCounts): void;
}

/** Tracks the counts from events, for the progress display and the summary. */
export class SweepTally {
  readonly summary: SweepSummary = { ran: [], reused: [], failed: [], stopped: [] };
  private running = 0;

  constructor(readonly total: number) {}

  record(event: SweepEvent): SweepCounts {
    const { summary } = this;
    if (event.type === 'reused') summary.reused.push(event.cell.id);
    else if (event.type === 'started') this.running++;
    else {
      this.running--;
      const { outcome } = event;
      if (outcome.status === 'done') summary.ran.push(event.cell.id);
      else if (outcome.status === 'failed') summary.failed.push({ id: event.cell.id, error: outcome.error });
      else summary.stopped.push(event.cell.id);
    }
    return this.counts();
  }

  counts(): SweepCounts {
    const { summary } = this;
    return { total: this.total, done: summary.ran.length + summary.reused.length, running: this.running, failed: summary.failed.length };
  }
}

/** Runs every unfinished cell of `cells` in `folder`, `workers` at a time. */
export async function runSweepPool(folder: SweepFolder, cells: readonly SweepCell[], options: PoolOptions): Promise<SweepSummary> {
  const workers = options.workers ?? 1;
  if (!Number.isInteger(workers) || workers < 1) throw new RangeError(`runSweepPool: workers must be a whole number >= 1, got ${workers}`);
  const tally = new SweepTally(cells.length);
  const emit = (event: SweepEvent): void => {
    const counts = tally.record(event);
    options.onEvent?.(event, counts);
  };
  const todo: SweepCell[] = [];
  for (const cell of cells) {
    if (folder.result(cell)) emit({ type: 'reused', cell });
    else todo.push(cell);
  }
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < todo.length && !options.signal?.aborted) {
      const cell = todo[next++]!;
      emit({ type: 'started', cell });
      const dir = folder.cellDir(cell);
      const outcome = await options.runner.run(cell, dir, options.signal);
      if (outcome.status === 'done') saveOutcome(dir, cell, outcome, options.volatileResultKeys);
      emit({ type: 'finished', cell, outcome });
    }
  };
  await Promise.all(Array.from({ length: Math.min(workers, Math.max(todo.length, 1)) }, lane));
  // cells never started because the sweep was stopped count as stopped too
  for (const cell of todo.slice(next)) tally.summary.stopped.push(cell.id);
  return tally.summary;
}

/** Writes a finished cell's result and timing into its run folder. */
export function saveOutcome(cellDir: string, cell: SweepCell, outcome: Extract<CellOutcome, { status: 'done' }>, volatileKeys: readonly string[]): void {
  const timing: CellTiming = { wallSeconds: outcome.wallSeconds, worker: outcome.worker, finishedAt: new Date().toISOString() };
  writeCellResult(cellDir, cell, stableResult(outcome.result, volatileKeys), timing);
}
