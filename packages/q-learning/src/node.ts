/** Node entry: everything in '@bellman/q-learning', plus saveLearner / loadLearner for learner files. */
import { loadCheckpoint, saveCheckpoint } from '@bellman/core/node';
import type { Learner, LearnerSnapshot } from '@bellman/core';
import { learnerFromSnapshot, type SnapshotExtras } from './registry.js';

export * from './index.js';
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
