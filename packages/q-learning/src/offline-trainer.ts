import { Rng, type Env, type RngState, type TransitionBatch } from '@bellman/core';
import {
  TrainerCore,
  now,
  type TrainerProgressState,
  type TrainerOptions,
  type TrainerSummary,
} from './trainer-common.js';

/** Anything that samples transition batches: every core Dataset does. */
export interface TransitionSource {
  sampleTransitions(n: number, rng: Rng): TransitionBatch;
}

export interface OfflineTrainerOptions extends TrainerOptions {
  dataset: TransitionSource;
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
 * Rng (split from `seed`), periodic evaluation, metric logging and checkpoints. `resume` continues
 * a checkpointed run to exactly the weights an uninterrupted run reaches.
 */
export class OfflineTrainer extends TrainerCore<OfflineTrainerState> {
  private readonly dataset: TransitionSource;
  private readonly sampleRng: Rng;
  private running = false;

  constructor(options: OfflineTrainerOptions) {
    super('offline', options, { env: options.env, factory: options.envFactory });
    if (!options.dataset || typeof options.dataset.sampleTransitions !== 'function') {
      throw new TypeError('OfflineTrainer: dataset must have sampleTransitions(n, rng)');
    }
    this.dataset = options.dataset;
    this.sampleRng = new Rng(this.seed).split();
  }

  /** Train from the current step to `steps`. */
  async run(): Promise<TrainerSummary> {
    if (this.running) throw new Error('OfflineTrainer: run() is already in progress');
    this.running = true;
    try {
      const sessionStart = now();
      while (this.step < this.totalSteps && !this.stopping) {
        const batch = this.dataset.sampleTransitions(this.batchSize, this.sampleRng);
        this.observeRewards(batch.rewards);
        const metrics = this.learner.update(batch);
        this.step += 1;
        this.recordMetrics(metrics);
        this.emit({ type: 'update', step: this.step, totalSteps: this.totalSteps, metrics });
        await this.periodic();
      }
      return await this.finish(sessionStart);
    } finally {
      this.running = false;
    }
  }

  /** Load a checkpoint (learner and trainer state) from `checkpointPath` and continue to `steps`. */
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
