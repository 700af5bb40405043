/**
 * What the trainers need from a learner. Algorithm packages implement these; training never
 * imports an algorithm package.
 */
import type { Learner, Metrics, TransitionBatch } from '@bellman/core';

/**
 * A learner that trains on batches of type `B`: core's `Learner` is the one over transition
 * batches; a trajectory model is one over `WindowBatch`es.
 */
export interface BatchLearner<B = TransitionBatch> extends Omit<Learner, 'update'> {
  /** One update on a batch; returns losses and diagnostics. */
  update(batch: B): Metrics;
}

/** Optional: the OnlineTrainer calls `onEnvStep` with the environment step before each `act` (exploration schedules). */
export interface EnvStepAware {
  onEnvStep(envStep: number): void;
}

export function isEnvStepAware(x: unknown): x is EnvStepAware {
  return typeof (x as Partial<EnvStepAware>).onEnvStep === 'function';
}
