/**
 * Hooks run at fixed points of a trainer's loop, in the order they are given:
 *
 *   (online: env step -> afterEnvStep) -> sample batch -> transformBatch (each hook, in turn) ->
 *   learner.update -> afterUpdate -> ... -> (when due) evaluation -> afterEvaluation
 *
 * `transformBatch` returns the batch the learner trains on (reward relabelling by a learned
 * reward model is one); `afterUpdate` sees the update's metrics (probes, schedules);
 * `afterEvaluation` sees each evaluation record; `afterEnvStep` (online trainers) sees every
 * transition collected, before it is sampled (visit counts, exploration bonuses). Hooks run synchronously inside the loop, so
 * what they draw or change happens at the same point of every run.
 */
import type { Action, Metrics } from '@bellman/core';
import type { BatchLearner } from './learner.js';
import type { EvalRecord } from './trainer-common.js';

/** Where the loop is when a hook runs. */
export interface HookContext<B> {
  learner: BatchLearner<B>;
  /** Updates (offline) or env steps (online) done so far; in transformBatch, those before this update. */
  step: number;
  totalSteps: number;
}

/** One environment step of an online trainer, as it is stored. */
export interface EnvTransition {
  observation: Float32Array;
  action: Action;
  reward: number;
  nextObservation: Float32Array;
  terminated: boolean;
  truncated: boolean;
}

export interface TrainerHooks<B> {
  /** Online trainers: after each environment step, with the transition just collected. */
  afterEnvStep?(transition: EnvTransition, context: HookContext<B>): void;
  /** Before an update: the batch to train on instead of `batch` (return it unchanged to only look). */
  transformBatch?(batch: B, context: HookContext<B>): B;
  /** After an update, with its metrics. */
  afterUpdate?(metrics: Metrics, batch: B, context: HookContext<B>): void;
  /** After each evaluation. */
  afterEvaluation?(evaluation: EvalRecord, context: HookContext<B>): void;
}

/** Runs a list of hooks in order at each point. */
export class HookChain<B> {
  /** Whether any hook has afterEnvStep (a trainer skips building each transition when none does). */
  readonly watchesEnvSteps: boolean;

  constructor(private readonly hooks: readonly TrainerHooks<B>[]) {
    this.watchesEnvSteps = hooks.some((hook) => typeof hook.afterEnvStep === 'function');
  }

  afterEnvStep(transition: EnvTransition, context: HookContext<B>): void {
    for (const hook of this.hooks) hook.afterEnvStep?.(transition, context);
  }

  transformBatch(batch: B, context: HookContext<B>): B {
    let out = batch;
    for (const hook of this.hooks) if (hook.transformBatch) out = hook.transformBatch(out, context);
    return out;
  }

  afterUpdate(metrics: Metrics, batch: B, context: HookContext<B>): void {
    for (const hook of this.hooks) hook.afterUpdate?.(metrics, batch, context);
  }

  afterEvaluation(evaluation: EvalRecord, context: HookContext<B>): void {
    for (const hook of this.hooks) hook.afterEvaluation?.(evaluation, context);
  }
}
