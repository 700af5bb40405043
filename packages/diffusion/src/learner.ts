/**
 * Diffuser's models as one core `Learner<WindowBatch>`, so that a trainer trains, checkpoints and
 * evaluates them like any learner: every window batch updates each model, and a planner acts.
 */
import { Box, UsageError, type Learner, type LearnerSnapshot, type Metrics, type Planner, type RngState, type SerializedTensor, type WindowBatch } from '@bellman/core';
import type { TrajectoryLayout } from './diffusion.js';
import type { TrajectoryModelSnapshot } from './model-base.js';

/** What a model brings: Diffuser and ValueModel are both this. */
export interface TrainableTrajectoryModel {
  readonly layout: TrajectoryLayout;
  update(batch: WindowBatch): Metrics;
  snapshot(): TrajectoryModelSnapshot<unknown>;
  restore(snapshot: never): void;
  dispose(): void;
}

/** A snapshot without the parts a LearnerSnapshot holds in its own fields. */
type SnapshotRest = Omit<TrajectoryModelSnapshot<unknown>, 'weights' | 'optimizer' | 'rng' | 'step'>;

export class PlanningLearner implements Learner<WindowBatch>, Planner {
  readonly algo: string;
  private readonly names: string[];

  /**
   * `models` by name (e.g. `{ diffuser, value }`, all of one layout); `planner` acts with them.
   * The learner owns the models: `dispose` frees them.
   */
  constructor(
    readonly models: Readonly<Record<string, TrainableTrajectoryModel>>,
    readonly planner: Planner,
    algo = 'diffuser',
  ) {
    this.names = Object.keys(models);
    if (this.names.length === 0) throw new UsageError('PlanningLearner: give at least one model');
    for (const name of this.names) if (name.includes('/')) throw new UsageError(`PlanningLearner: a model name cannot hold '/', got "${name}"`);
    this.algo = algo;
  }

  private get layout(): TrajectoryLayout {
    return this.models[this.names[0]!]!.layout;
  }

  /** One step of every model on the same windows; metrics of the later models win on a shared name. */
  update(batch: WindowBatch): Metrics {
    let metrics: Metrics = {};
    for (const name of this.names) metrics = { ...metrics, ...this.models[name]!.update(batch) };
    return metrics;
  }

  act(observation: Float32Array): Float32Array {
    return this.planner.act(observation) as Float32Array;
  }

  reset(): void {
    this.planner.reset();
  }

  metrics() {
    return this.planner.metrics();
  }

  /** Weights as `<model>/<name>`, one optimizer per model, the first model's randomness and steps in their fields; the rest in `config`. */
  save(): LearnerSnapshot {
    const weights: Record<string, SerializedTensor> = {};
    const optimizers: Record<string, Record<string, SerializedTensor | number>> = {};
    const rest: Record<string, SnapshotRest & { rng: RngState; step: number }> = {};
    for (const name of this.names) {
      const { weights: w, optimizer, ...others } = this.models[name]!.snapshot();
      for (const [key, value] of Object.entries(w)) weights[`${name}/${key}`] = value;
      optimizers[name] = optimizer;
      rest[name] = others;
    }
    const first = rest[this.names[0]!]!;
    return {
      algo: this.algo,
      config: rest,
      observationSpace: new Box(-Infinity, Infinity, [this.layout.observationDim]).toJSON(),
      actionSpace: new Box(-Infinity, Infinity, [this.layout.actionDim]).toJSON(),
      weights,
      optimizers,
      rng: first.rng,
      updates: first.step,
    };
  }

  load(snapshot: LearnerSnapshot): void {
    const rest = snapshot.config as Record<string, SnapshotRest & { rng: RngState; step: number }>;
    for (const name of this.names) {
      const own = rest[name];
      if (!own) throw new UsageError(`PlanningLearner: the snapshot has no model "${name}" (it has ${Object.keys(rest ?? {}).join(', ') || 'none'})`);
      const prefix = `${name}/`;
      const weights = Object.fromEntries(Object.entries(snapshot.weights).filter(([k]) => k.startsWith(prefix)).map(([k, v]) => [k.slice(prefix.length), v]));
      this.models[name]!.restore({ ...own, weights, optimizer: snapshot.optimizers[name] ?? {} } as never);
    }
  }

  dispose(): void {
    for (const name of this.names) this.models[name]!.dispose();
  }
}
