/**
 * Node entry: everything in '@bellman/training', with trainers that write checkpoint files by
 * default, the file-backed checkpoint and experiment stores, signal handling and run-folder
 * upkeep for resumed runs.
 */
import { existsSync, readFileSync } from 'node:fs';
import { loadCheckpoint, saveCheckpoint, writeFileAtomic } from '@bellman/core/node';
import type { TransitionBatch } from '@bellman/core';
import type { CheckpointStore, TrainerCheckpoint } from './checkpoint.js';
import type { ExperimentStore } from './experiment.js';
import { OfflineTrainer as BrowserOfflineTrainer, type OfflineTrainerOptions } from './offline-trainer.js';
import { OnlineTrainer as BrowserOnlineTrainer, type OnlineTrainerOptions } from './online-trainer.js';

export * from './index.js';
export { SIGNAL_EXIT_CODES, watchInterrupts } from './signals.js';
export { MetricsFileError, cutMetrics, removeStaleTempFiles } from './run-folder.js';
export type { CutMetrics } from './run-folder.js';
export type { InterruptWatch, StopSignal } from './signals.js';

/** Checkpoints as JSON files, written atomically (temp file, fsync, rename) by core's saveCheckpoint. */
export const fileCheckpointStore: CheckpointStore = {
  save(path, checkpoint, meta) {
    saveCheckpoint(path, checkpoint, meta);
  },
  load(path) {
    return loadCheckpoint<TrainerCheckpoint>(path).payload;
  },
};

/** OfflineTrainer whose `checkpointPath` and `resume(path)` use files unless another store is given. */
export class OfflineTrainer<B = TransitionBatch> extends BrowserOfflineTrainer<B> {
  constructor(options: OfflineTrainerOptions<B>) {
    super({ ...options, checkpointStore: options.checkpointStore ?? fileCheckpointStore });
  }
}

/** OnlineTrainer whose `checkpointPath` and `resume(path)` use files unless another store is given. */
export class OnlineTrainer extends BrowserOnlineTrainer {
  constructor(options: OnlineTrainerOptions) {
    super({ ...options, checkpointStore: options.checkpointStore ?? fileCheckpointStore });
  }
}

/** The layout of results.json: each cell's key and result by cell id. */
export interface ResultsFile<R> {
  cells: Record<string, { key: string; result: R }>;
}

/**
 * An experiment store in one JSON file (results.json), rewritten atomically after every cell: a
 * grid killed mid-way keeps every finished cell, and the next run of the grid skips them.
 */
export function resultsFileStore<R>(path: string): ExperimentStore<R> & { readonly cells: ResultsFile<R>['cells'] } {
  const file: ResultsFile<R> = existsSync(path) ? readResults<R>(path) : { cells: {} };
  return {
    cells: file.cells,
    load(id, key) {
      const cell = file.cells[id];
      return cell && cell.key === key ? cell.result : undefined;
    },
    save(id, key, result) {
      file.cells[id] = { key, result };
      writeFileAtomic(path, `${JSON.stringify(file, null, 2)}\n`);
    },
  };
}

function readResults<R>(path: string): ResultsFile<R> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new Error(`${path} is not a results file: ${(err as Error).message}`, { cause: err });
  }
  const cells = (parsed as Partial<ResultsFile<R>> | null)?.cells;
  if (!cells || typeof cells !== 'object') throw new Error(`${path} is not a results file (expected {"cells": {...}})`);
  return { cells };
}
