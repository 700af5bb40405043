/**
 * The trainer hook that makes a reward model the reward: it trains the model on a schedule
 * (success examples as positives, replay states as negatives) and relabels every batch the
 * learner samples with the model's current rewards, so that no reward is ever stale. Its state
 * (the model's weights and optimiser, its own random stream and schedule) goes in the run's
 * checkpoint as an `extras` module, so a resumed run continues exactly.
 */
import { Rng, UsageError, type Metrics, type RewardBatch, type RewardModel, type RewardModelSnapshot, type RngState, type TransitionBatch } from '@bellman/core';
import type { CheckpointModule, HookContext, TrainerHooks } from '@bellman/training';

/** When and on how much a reward model trains. */
export interface RewardTrainingSchedule {
  /** Env steps between training rounds; the first round runs before the first relabelled batch. */
  every: number;
  /** Model updates in the first round. */
  firstUpdates: number;
  /** Model updates in every later round. */
  updates: number;
  /** Positives per update, drawn from the success examples with replacement. */
  positives: number;
  /** Negatives per update, drawn from the replay buffer. */
  negatives: number;
}

/** The public code's schedules: VICE 2 steps of 128 + 128 per 1000 env steps; meta-NML 10 meta-epochs, then 1, on 1024 + 1024. */
export const REWARD_SCHEDULES: Readonly<Record<string, Readonly<RewardTrainingSchedule>>> = Object.freeze({
  vice: { every: 1000, firstUpdates: 2, updates: 2, positives: 128, negatives: 128 },
  'meta-nml': { every: 1000, firstUpdates: 10, updates: 1, positives: 1024, negatives: 1024 },
  cnml: { every: 1000, firstUpdates: 10, updates: 10, positives: 128, negatives: 128 },
});

/** Where the negatives come from: the trainer's replay buffer. */
export interface NegativeSource {
  readonly size: number;
  sampleTransitions(n: number, rng: Rng): TransitionBatch;
}

export interface RewardRelabellingOptions {
  model: RewardModel;
  /** The success examples [count, observationDim], e.g. an env's `successExamples()`. */
  examples: Float32Array;
  /** The replay buffer the trainer samples from (pass the same one as the trainer's `buffer`). */
  buffer: NegativeSource;
  /** Overrides of REWARD_SCHEDULES[model.kind] (required in full for other kinds). */
  schedule?: Partial<RewardTrainingSchedule>;
  /** 'replace' (default): the model's reward is the reward; 'add': it is added to the env's. */
  combine?: 'replace' | 'add';
  /** Seeds the draws of positives and negatives. Default 0. */
  seed?: number;
}

/** What a checkpoint keeps of a RewardRelabelling. */
export interface RewardRelabellingState {
  model: RewardModelSnapshot;
  rng: RngState;
  rounds: number;
  lastRound: number;
  modelUpdates: number;
}

export class RewardRelabelling implements TrainerHooks<TransitionBatch>, CheckpointModule<RewardRelabellingState> {
  readonly model: RewardModel;
  readonly schedule: Readonly<RewardTrainingSchedule>;
  private readonly examples: Float32Array;
  private readonly exampleCount: number;
  private readonly observationDim: number;
  private readonly buffer: NegativeSource;
  private readonly combine: 'replace' | 'add';
  private readonly rng: Rng;
  private rounds = 0;
  /** floor(step / every) at the last round. */
  private lastRound = -1;
  private modelUpdates = 0;
  private lastModelMetrics: Metrics = {};

  constructor(options: RewardRelabellingOptions) {
    const { model, examples, buffer } = options;
    if (!model || typeof model.rewards !== 'function' || typeof model.update !== 'function') throw new UsageError('RewardRelabelling: model must be a RewardModel');
    if (!buffer || typeof buffer.sampleTransitions !== 'function') throw new UsageError('RewardRelabelling: buffer must be the replay buffer the trainer samples from');
    this.model = model;
    this.buffer = buffer;
    this.schedule = resolveSchedule(model.kind, options.schedule ?? {});
    this.combine = options.combine ?? 'replace';
    if (this.combine !== 'replace' && this.combine !== 'add') throw new UsageError(`RewardRelabelling: combine must be 'replace' or 'add', got ${JSON.stringify(options.combine)}`);
    this.observationDim = model.observationDim;
    if (!(examples instanceof Float32Array) || examples.length === 0) throw new UsageError('RewardRelabelling: examples must be a non-empty Float32Array of success states');
    if (examples.length % this.observationDim !== 0) {
      throw new UsageError(`RewardRelabelling: ${examples.length} example values are not whole rows of ${this.observationDim}`);
    }
    this.examples = examples;
    this.exampleCount = examples.length / this.observationDim;
    this.rng = new Rng(options.seed ?? 0);
  }

  /** The metrics of the model's last update (e.g. the classifier's loss). */
  get modelMetrics(): Metrics {
    return { ...this.lastModelMetrics, reward_model_updates: this.modelUpdates };
  }

  /** Train when a round is due, then replace (or add to) the batch's rewards with the model's. */
  transformBatch(batch: TransitionBatch, context: HookContext<TransitionBatch>): TransitionBatch {
    const round = Math.floor(context.step / this.schedule.every);
    if (this.rounds === 0 || round > this.lastRound) this.trainRound(round);
    const scored = this.model.rewards(this.rowsToScore(batch));
    if (scored.length !== batch.size) throw new Error(`RewardRelabelling: the ${this.model.kind} model gave ${scored.length} rewards for ${batch.size} rows`);
    const rewards = this.combine === 'add' ? scored.map((r, i) => r + batch.rewards[i]!) : scored;
    return { ...batch, rewards };
  }

  /**
   * Observation models score the state each transition reaches (s'); observation-action
   * models score (s, a).
   */
  private rowsToScore(batch: TransitionBatch): RewardBatch {
    if (this.model.inputs === 'observation-action') {
      return { size: batch.size, observationDim: batch.observationDim, observations: batch.observations, actionDim: batch.actionDim, actions: batch.actions };
    }
    return { size: batch.size, observationDim: batch.observationDim, observations: batch.nextObservations };
  }

  private trainRound(round: number): void {
    const { positives, negatives } = this.schedule;
    const updates = this.rounds === 0 ? this.schedule.firstUpdates : this.schedule.updates;
    const dim = this.observationDim;
    for (let k = 0; k < updates; k++) {
      const examples = new Float32Array(positives * dim);
      for (let i = 0; i < positives; i++) {
        const row = this.rng.int(this.exampleCount);
        examples.set(this.examples.subarray(row * dim, (row + 1) * dim), i * dim);
      }
      const replay = this.buffer.sampleTransitions(negatives, this.rng);
      this.lastModelMetrics = this.model.update({ size: positives, observationDim: dim, observations: examples }, this.rowsToScore(replay));
      this.modelUpdates += 1;
    }
    this.rounds += 1;
    this.lastRound = round;
  }

  save(): RewardRelabellingState {
    return { model: this.model.save(), rng: this.rng.getState(), rounds: this.rounds, lastRound: this.lastRound, modelUpdates: this.modelUpdates };
  }

  load(state: RewardRelabellingState): void {
    this.model.load(state.model);
    this.rng.setState(state.rng);
    this.rounds = state.rounds;
    this.lastRound = state.lastRound;
    this.modelUpdates = state.modelUpdates;
  }
}

const SCHEDULE_FIELDS = ['every', 'firstUpdates', 'updates', 'positives', 'negatives'] as const;

function resolveSchedule(kind: string, overrides: Partial<RewardTrainingSchedule>): RewardTrainingSchedule {
  for (const key of Object.keys(overrides)) {
    if (!(SCHEDULE_FIELDS as readonly string[]).includes(key)) throw new UsageError(`RewardRelabelling: unknown schedule field "${key}"; known: ${SCHEDULE_FIELDS.join(', ')}`);
  }
  const merged: Partial<RewardTrainingSchedule> = { ...REWARD_SCHEDULES[kind], ...overrides };
  for (const key of SCHEDULE_FIELDS) {
    const v = merged[key];
    const minimum = key === 'firstUpdates' || key === 'updates' ? 0 : 1;
    if (v === undefined) throw new UsageError(`RewardRelabelling: no default schedule for a "${kind}" model: give schedule.${key}`);
    if (!Number.isInteger(v) || v < minimum) throw new UsageError(`RewardRelabelling: schedule.${key} must be an integer >= ${minimum}, got ${v}`);
  }
  return merged as RewardTrainingSchedule;
}
