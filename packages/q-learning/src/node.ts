/**
 * Node entry: everything in '@bellman/q-learning', with trainers that write checkpoint files by
 * default, plus saveLearner / loadLearner for learner files.
 */
import { loadCheckpoint, saveCheckpoint } from '@bellman/core/node';
import type { Learner, LearnerSnapshot } from '@bellman/core';
import { OfflineTrainer as BrowserOfflineTrainer, type OfflineTrainerOptions } from './offline-trainer.js';
import { OnlineTrainer as BrowserOnlineTrainer, type OnlineTrainerOptions } from './online-trainer.js';
import { learnerFromSnapshot, type SnapshotExtras } from './registry.js';
import type { CheckpointStore, TrainerCheckpoint } from './trainer-common.js';

export * from './index.js';

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
export class OfflineTrainer extends BrowserOfflineTrainer {
  constructor(options: OfflineTrainerOptions) {
    super({ ...options, checkpointStore: options.checkpointStore ?? fileCheckpointStore });
  }
}

/** OnlineTrainer whose `checkpointPath` and `resume(path)` use files unless another store is given. */
export class OnlineTrainer extends BrowserOnlineTrainer {
  constructor(options: OnlineTrainerOptions) {
    super({ ...options, checkpointStore: options.checkpointStore ?? fileCheckpointStore });
  }
}

/** Save a learner alone (no trainer state) as a checkpoint file. */
export function saveLearner(path: string, learner: Learner, meta: Record<string, unknown> = {}): void {
  saveCheckpoint(path, { learner: learner.save() }, { algo: learner.algo, ...meta });
}

/** Rebuild a learner from a file written by saveLearner or by a trainer's checkpointing (extras: see learnerFromSnapshot). */
export function loadLearner(path: string, extras: SnapshotExtras = {}): Learner {
  const payload = loadCheckpoint<{ learner?: LearnerSnapshot }>(path).payload;
  if (!payload || typeof payload !== 'object' || !payload.learner) {
    throw new Error(`checkpoint ${path} holds no learner snapshot (expected a "learner" field in its payload)`);
  }
  return learnerFromSnapshot(payload.learner, extras);
}
