import { Rng, type Env, type RngState, type TransitionBatch } from '@bellman/core';
import { transitionBatches, type BatchSource, type TransitionSource } from './batch-source.js';
import {
  TrainerCore,
  now,
  type TrainerProgressState,
  type TrainerOptions,
  type TrainerSummary,
} from './trainer-common.js';

export interface OfflineTrainerOptions<B = TransitionBatch> extends TrainerOptions<B> {
  /** Transition batches from this dataset (shorthand for `batches: transitionBatches(dataset)`). */
  dataset?: TransitionSource;
  /** Where batches come from: `transitionBatches(...)`, `windowBatches(...)` or any BatchSource. Give this or `dataset`. */
  batches?: BatchSource<B>;
  /** An env to evaluate in, or a factory for one (called once, lazily). Without either, no evaluation. */
  env?: Env;
  envFactory?: () => Env;
}

/** What an offline checkpoint stores besides the learner. */
export interface OfflineTrainerState extends TrainerProgressState {
  sampleRng: RngState;
}

/**
 * Trains a learner on a fixed dataset: `steps` updates on batches sampled with the trainer's own
 * Rng (split from `seed`), the hooks around each update, periodic evaluation, metric logging and
 * checkpoints. `resume` continues a checkpointed run to exactly the weights an uninterrupted run
 * reaches.
 */
export class OfflineTrainer<B = TransitionBatch> extends TrainerCore<OfflineTrainerState, B> {
  private readonly batches: BatchSource<B>;
  private readonly sampleRng: Rng;
  private running = false;

  constructor(options: OfflineTrainerOptions<B>) {
    super('offline', options, { env: options.env, factory: options.envFactory });
    if (options.batches !== undefined && options.dataset !== undefined) throw new TypeError('OfflineTrainer: give dataset or batches, not both');
    if (options.batches !== undefined) {
      if (typeof options.batches.sample !== 'function') throw new TypeError('OfflineTrainer: batches must have sample(size, rng)');
      this.batches = options.batches;
    } else {
      if (!options.dataset || typeof options.dataset.sampleTransitions !== 'function') {
        throw new TypeError('OfflineTrainer: dataset must have sampleTransitions(n, rng) (or give batches)');
      }
      // Without `batches`, B is TransitionBatch: the dataset's batches are what the learner takes.
      this.batches = transitionBatches(options.dataset) as unknown as BatchSource<B>;
    }
    this.sampleRng = new Rng(this.seed).split();
  }

  /** Train from the current step to `steps`. */
  async run(): Promise<TrainerSummary> {
    if (this.running) throw new Error('OfflineTrainer: run() is already in progress');
    this.running = true;
    try {
      const sessionStart = now();
      while (this.step < this.totalSteps && !this.stopping) {
        const batch = this.hooks.transformBatch(this.batches.sample(this.batchSize, this.sampleRng), this.hookContext());
        this.observeRewards(batch);
        const metrics = this.learner.update(batch);
        this.step += 1;
        this.recordMetrics(metrics);
        this.hooks.afterUpdate(metrics, batch, this.hookContext());
        this.emit({ type: 'update', step: this.step, totalSteps: this.totalSteps, metrics });
        await this.periodic();
      }
      return await this.finish(sessionStart);
    } finally {
      this.running = false;
    }
  }

  /** Load a checkpoint (learner, trainer state and extras) from `checkpointPath` and continue to `steps`. */
  async resume(checkpointPath: string): Promise<TrainerSummary> {
    await this.loadCheckpoint(checkpointPath, this.checkpointStore);
    return this.run();
  }

  protected trainerState(): OfflineTrainerState {
    return { ...this.progressState(), sampleRng: this.sampleRng.getState() };
  }

  protected restoreTrainerState(state: OfflineTrainerState, path: string): void {
    this.checkProgressState(state, path);
    this.sampleRng.setState(state.sampleRng);
    this.restoreProgressState(state);
  }
}
