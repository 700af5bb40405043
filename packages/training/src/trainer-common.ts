/**
 * What the offline and online trainers share: options, progress events, metric averaging,
 * periodic evaluation, hooks and checkpoint storage. Browser-safe: files come in through a
 * CheckpointStore (the '@bellman/training/node' entry supplies one backed by the file system).
 */
import { CheckpointError, type Env, type Logger, type Metrics, type TransitionBatch } from '@bellman/core';
import { TrainerCheckpointError, checkpointExtra, type CheckpointModule, type CheckpointStore, type TrainerCheckpoint } from './checkpoint.js';
import { evaluatePolicy } from './evaluate.js';
import { HookChain, type HookContext, type TrainerHooks } from './hooks.js';
import type { BatchLearner } from './learner.js';

export interface EvalRecord {
  step: number;
  returnMean: number;
  returnStd: number;
  lengthMean: number;
}

export interface TrainerSummary {
  /** Steps done in total (including those before a resume). */
  steps: number;
  /** The last evaluation's mean return, or null when there was no env to evaluate in. */
  evalReturnMean: number | null;
  evalReturnStd: number | null;
  evalHistory: EvalRecord[];
  bestEval: EvalRecord | null;
  /** Wall-clock seconds over every session of the run (resumes add up). */
  wallSeconds: number;
  /** True when `stop()` ended the run early. */
  stopped: boolean;
}

/** Plain-data progress events, for progress bars and dashboards. */
export type TrainerEvent =
  | { type: 'update'; step: number; totalSteps: number; metrics: Metrics }
  | { type: 'evaluation'; step: number; totalSteps: number; evaluation: EvalRecord }
  | { type: 'checkpoint'; step: number; totalSteps: number; path: string }
  | { type: 'episode'; step: number; totalSteps: number; episodeReturn: number; episodeLength: number }
  /** Something looks wrong but training goes on (said once per run), e.g. Q values past any possible return. */
  | { type: 'warning'; step: number; totalSteps: number; message: string };

/** A training metric became NaN or infinite: the run stops, keeping what was logged before. */
export class DivergenceError extends Error {
  constructor(
    readonly algo: string,
    /** The update that produced the value. */
    readonly step: number,
    readonly metric: string,
    readonly value: number,
  ) {
    super(`${algo} diverged at step ${step}: metric "${metric}" is ${value}`);
    this.name = 'DivergenceError';
  }
}

export interface TrainerOptions<B = TransitionBatch> {
  learner: BatchLearner<B>;
  /** Total gradient steps (offline) or environment steps (online). */
  steps: number;
  /** Batch size of each update (default 256). */
  batchSize?: number;
  /** Seeds the trainer's own random streams (batch sampling, exploration, env resets). Default 0. */
  seed?: number;
  /** Evaluate every this many steps (default steps / 10; 0: only at the end). */
  evalEvery?: number;
  /** Episodes per evaluation (default 10). */
  evalEpisodes?: number;
  /** Evaluation episode i resets with evalSeed + i (default 1_000_000 + seed, away from data-collection seeds). */
  evalSeed?: number;
  /** Log the mean of each training metric over this many steps (default 100). */
  logEvery?: number;
  logger?: Logger;
  /** Save a checkpoint here every `checkpointEvery` steps, after every evaluation, when stopped, and at the end. */
  checkpointPath?: string;
  checkpointEvery?: number;
  /** Extra fields for every checkpoint's meta (env id, dataset, ...), so that a checkpoint written mid-run is complete. */
  checkpointMeta?: Record<string, unknown>;
  /**
   * Also save a checkpoint here whenever an evaluation sets a new best mean return: the policy to
   * keep when learning is unstable (online DQN can lose a solved task a few thousand steps later).
   */
  bestCheckpointPath?: string;
  /** Required with checkpointPath in the browser entry; the node entry defaults to files. */
  checkpointStore?: CheckpointStore;
  /**
   * Modules besides the learner that a run needs to resume (a reward model, ...): every checkpoint
   * stores `save()` of each under its name, and `resume` calls `load` with it.
   */
  extras?: Record<string, CheckpointModule>;
  /** Run at fixed points of the loop, in this order (see TrainerHooks). */
  hooks?: readonly TrainerHooks<B>[];
  onProgress?: (event: TrainerEvent) => void;
}

export interface MetricWindowState {
  sums: Record<string, number>;
  counts: Record<string, number>;
}

/** Averages metrics over a logging window. */
export class MetricWindow {
  private sums: Record<string, number> = {};
  private counts: Record<string, number> = {};

  add(metrics: Metrics): void {
    for (const [k, v] of Object.entries(metrics)) {
      this.sums[k] = (this.sums[k] ?? 0) + v;
      this.counts[k] = (this.counts[k] ?? 0) + 1;
    }
  }

  get empty(): boolean {
    return Object.keys(this.counts).length === 0;
  }

  /** Sums and counts so far, as JSON data (a checkpoint taken between two logging steps keeps them). */
  getState(): MetricWindowState {
    return { sums: { ...this.sums }, counts: { ...this.counts } };
  }

  setState(state: MetricWindowState): void {
    this.sums = { ...state.sums };
    this.counts = { ...state.counts };
  }

  /** The means so far; clears the window. */
  flush(): Metrics {
    const out: Metrics = {};
    for (const k of Object.keys(this.sums)) out[k] = this.sums[k]! / this.counts[k]!;
    this.sums = {};
    this.counts = {};
    return out;
  }
}

export function checkPositiveInteger(owner: string, name: string, value: number, allowZero = false): void {
  if (!Number.isInteger(value) || value < (allowZero ? 0 : 1)) {
    throw new RangeError(`${owner}: ${name} must be ${allowZero ? 'a non-negative' : 'a positive'} integer, got ${value}`);
  }
}

/** The part of a trainer checkpoint that offline and online training share. */
export interface TrainerProgressState {
  step: number;
  batchSize: number;
  seed: number;
  evalHistory: EvalRecord[];
  bestEval: EvalRecord | null;
  wallSeconds: number;
  /** Metrics of the steps since the last logged row (absent in checkpoints of older versions). */
  metricWindow?: MetricWindowState;
}

/** The trainers' defaults that callers validating their own inputs need (the CLI names its flags in messages). */
export const TRAINER_DEFAULTS = Object.freeze({
  batchSize: 256,
  /** OnlineTrainer: random env steps before the first update. */
  warmupSteps: 1000,
  /** OnlineTrainer: the replay capacity is min(steps, this). */
  maxBufferCapacity: 1_000_000,
});

/** Q values this many times past the largest possible discounted return trigger the divergence warning. */
export const Q_BOUND_FACTOR = 10;

/**
 * The machinery both trainers share. Subclasses run their loop and call the helpers:
 * `recordMetrics`, `periodic`, `finish`, `emit`, `pause`.
 */
export abstract class TrainerCore<S, B = TransitionBatch> {
  protected readonly learner: BatchLearner<B>;
  protected readonly totalSteps: number;
  protected readonly batchSize: number;
  protected readonly seed: number;
  protected readonly evalEvery: number;
  protected readonly evalEpisodes: number;
  protected readonly evalSeed: number;
  protected readonly logEvery: number;
  protected readonly logger: Logger | undefined;
  protected readonly checkpointPath: string | undefined;
  protected readonly bestCheckpointPath: string | undefined;
  /** An evaluation set a new best that is not saved yet. */
  private bestUnsaved = false;
  protected readonly checkpointEvery: number;
  protected readonly checkpointMeta: Record<string, unknown>;
  protected readonly checkpointStore: CheckpointStore | undefined;
  protected readonly onProgress: ((event: TrainerEvent) => void) | undefined;
  protected readonly window = new MetricWindow();
  protected readonly hooks: HookChain<B>;
  private readonly extras: Readonly<Record<string, CheckpointModule>>;

  protected step = 0;
  protected evalHistory: EvalRecord[] = [];
  protected bestEval: EvalRecord | null = null;
  protected previousWallSeconds = 0;
  private stopRequested = false;
  private lastPause = 0;
  private evalEnv: Env | null = null;
  /** Largest |reward| the learner has been trained on so far (from batches, or env steps online). */
  private maxAbsReward = 0;
  private warnedAboutValues = false;

  protected constructor(
    protected readonly kind: 'offline' | 'online',
    options: TrainerOptions<B>,
    private readonly evalEnvSource: { env?: Env; factory?: () => Env },
  ) {
    const owner = kind === 'offline' ? 'OfflineTrainer' : 'OnlineTrainer';
    if (!options.learner) throw new TypeError(`${owner}: learner is required`);
    this.learner = options.learner;
    checkPositiveInteger(owner, 'steps', options.steps);
    this.totalSteps = options.steps;
    this.batchSize = options.batchSize ?? TRAINER_DEFAULTS.batchSize;
    checkPositiveInteger(owner, 'batchSize', this.batchSize);
    this.seed = options.seed ?? 0;
    if (!Number.isInteger(this.seed)) throw new RangeError(`${owner}: seed must be an integer, got ${this.seed}`);
    this.evalEvery = options.evalEvery ?? Math.max(1, Math.ceil(options.steps / 10));
    checkPositiveInteger(owner, 'evalEvery', this.evalEvery, true);
    this.evalEpisodes = options.evalEpisodes ?? 10;
    checkPositiveInteger(owner, 'evalEpisodes', this.evalEpisodes);
    this.evalSeed = options.evalSeed ?? 1_000_000 + this.seed;
    this.logEvery = options.logEvery ?? 100;
    checkPositiveInteger(owner, 'logEvery', this.logEvery);
    this.logger = options.logger;
    this.checkpointPath = options.checkpointPath;
    this.checkpointEvery = options.checkpointEvery ?? 0;
    checkPositiveInteger(owner, 'checkpointEvery', this.checkpointEvery, true);
    if (this.checkpointEvery > 0 && !this.checkpointPath) throw new TypeError(`${owner}: checkpointEvery needs a checkpointPath`);
    this.checkpointMeta = { ...(options.checkpointMeta ?? {}) };
    this.bestCheckpointPath = options.bestCheckpointPath;
    this.checkpointStore = options.checkpointStore;
    for (const [field, path] of [['checkpointPath', this.checkpointPath], ['bestCheckpointPath', this.bestCheckpointPath]] as const) {
      if (path && !this.checkpointStore) {
        throw new TypeError(
          `${owner}: ${field} needs a checkpointStore; in Node import ${owner} from '@bellman/training/node', which writes files`,
        );
      }
    }
    this.extras = { ...(options.extras ?? {}) };
    for (const [name, module] of Object.entries(this.extras)) {
      if (!module || typeof module.save !== 'function' || typeof module.load !== 'function') {
        throw new TypeError(`${owner}: extras.${name} must have save() and load(state)`);
      }
    }
    this.hooks = new HookChain(options.hooks ?? []);
    this.onProgress = options.onProgress;
  }

  /** Ask the running loop to stop after the current step; it saves a checkpoint (if configured) and returns. */
  stop(): void {
    this.stopRequested = true;
  }

  protected get stopping(): boolean {
    return this.stopRequested;
  }

  get currentStep(): number {
    return this.step;
  }

  protected get canEvaluate(): boolean {
    return Boolean(this.evalEnvSource.env ?? this.evalEnvSource.factory);
  }

  /** What the hooks see now. */
  protected hookContext(): HookContext<B> {
    return { learner: this.learner, step: this.step, totalSteps: this.totalSteps };
  }

  protected emit(event: TrainerEvent): void {
    this.onProgress?.(event);
  }

  /**
   * Add one update's metrics to the logging window. A non-finite value stops the run with a
   * DivergenceError, after logging the window of the steps before it (so nothing logged is lost).
   */
  protected recordMetrics(metrics: Metrics): void {
    for (const [k, v] of Object.entries(metrics)) {
      if (Number.isFinite(v)) continue;
      if (!this.window.empty) this.logger?.log(this.step - 1, this.window.flush());
      throw new DivergenceError(this.learner.algo, this.step, k, v);
    }
    this.window.add(metrics);
    this.checkValueScale(metrics);
  }

  /** A reward the learner trains on, for the value-scale check. */
  protected observeReward(reward: number): void {
    const a = Math.abs(reward);
    if (a > this.maxAbsReward) this.maxAbsReward = a;
  }

  /** A batch's rewards (when it has any), for the value-scale check. */
  protected observeRewards(batch: B): void {
    const rewards = (batch as { rewards?: ArrayLike<number> }).rewards;
    if (!rewards) return;
    for (let i = 0; i < rewards.length; i++) this.observeReward(rewards[i]!);
  }

  /**
   * Warn once when the critic's mean Q is Q_BOUND_FACTOR times past max|r| / (1 - gamma), the
   * largest discounted return any policy could earn on the rewards seen: the critic is diverging.
   */
  private checkValueScale(metrics: Metrics): void {
    if (this.warnedAboutValues || metrics.qMean === undefined || this.maxAbsReward === 0) return;
    const gamma = (this.learner as { config?: { gamma?: unknown } }).config?.gamma;
    if (typeof gamma !== 'number' || !(gamma >= 0 && gamma < 1)) return;
    const bound = this.maxAbsReward / (1 - gamma);
    if (Math.abs(metrics.qMean) <= Q_BOUND_FACTOR * bound) return;
    this.warnedAboutValues = true;
    this.emit({
      type: 'warning',
      step: this.step,
      totalSteps: this.totalSteps,
      message:
        `${this.learner.algo} may be diverging: mean Q is ${metrics.qMean.toPrecision(3)} at step ${this.step}, ` +
        `more than ${Q_BOUND_FACTOR}x the largest possible discounted return max|r|/(1-gamma) = ${bound.toPrecision(3)} ` +
        `(max|r| ${this.maxAbsReward.toPrecision(3)}, gamma ${gamma}); try a lower learning rate`,
    });
  }

  protected flushMetrics(): void {
    if (!this.window.empty) this.logger?.log(this.step, this.window.flush());
  }

  /** Evaluate the learner's greedy policy now (seeded: every evaluation uses the same episodes). */
  protected evaluateNow(): EvalRecord {
    if (!this.evalEnv) this.evalEnv = this.evalEnvSource.env ?? this.evalEnvSource.factory!();
    const result = evaluatePolicy(this.evalEnv, this.learner, { episodes: this.evalEpisodes, seed: this.evalSeed });
    const record: EvalRecord = {
      step: this.step,
      returnMean: result.mean,
      returnStd: result.std,
      lengthMean: result.lengths.reduce((a, b) => a + b, 0) / result.lengths.length,
    };
    this.evalHistory.push(record);
    if (!this.bestEval || record.returnMean > this.bestEval.returnMean) {
      this.bestEval = record;
      this.bestUnsaved = this.bestCheckpointPath !== undefined;
    }
    this.logger?.log(this.step, { eval_return_mean: record.returnMean, eval_return_std: record.returnStd, eval_length_mean: record.lengthMean });
    this.emit({ type: 'evaluation', step: this.step, totalSteps: this.totalSteps, evaluation: record });
    this.hooks.afterEvaluation(record, this.hookContext());
    return record;
  }

  /** After each step: log the metric window, then evaluate and checkpoint when due (the last step is `finish`'s). */
  protected async periodic(): Promise<void> {
    if (this.step % this.logEvery === 0) this.flushMetrics();
    if (this.step >= this.totalSteps) return;
    const evaluated = this.canEvaluate && this.evalEvery > 0 && this.step % this.evalEvery === 0;
    if (evaluated) this.evaluateNow();
    await this.saveBestIfUnsaved();
    const due = evaluated || (this.checkpointEvery > 0 && this.step % this.checkpointEvery === 0);
    if (this.checkpointPath && due) await this.saveCheckpoint();
    await this.pause();
  }

  /** Final evaluation (unless stopped) and checkpoint; closes an eval env the trainer made. */
  protected async finish(sessionStart: number): Promise<TrainerSummary> {
    const stopped = this.stopping && this.step < this.totalSteps;
    // A stopped run's checkpoint keeps the partial window, so that a resume logs the same rows.
    if (!stopped || !this.checkpointPath) this.flushMetrics();
    if (!stopped && this.canEvaluate && this.evalHistory[this.evalHistory.length - 1]?.step !== this.step) this.evaluateNow();
    await this.saveBestIfUnsaved();
    this.previousWallSeconds += (now() - sessionStart) / 1000;
    if (this.checkpointPath) await this.saveCheckpoint();
    if (this.evalEnv && !this.evalEnvSource.env) {
      this.evalEnv.close();
      this.evalEnv = null;
    }
    const last = this.evalHistory[this.evalHistory.length - 1] ?? null;
    return {
      steps: this.step,
      evalReturnMean: last ? last.returnMean : null,
      evalReturnStd: last ? last.returnStd : null,
      evalHistory: [...this.evalHistory],
      bestEval: this.bestEval,
      wallSeconds: this.previousWallSeconds,
      stopped,
    };
  }

  /** The progress every trainer checkpoints: step, settings that must match on resume, evaluations, time. */
  protected progressState(): TrainerProgressState {
    return {
      step: this.step,
      batchSize: this.batchSize,
      seed: this.seed,
      evalHistory: this.evalHistory,
      bestEval: this.bestEval,
      wallSeconds: this.previousWallSeconds,
      metricWindow: this.window.getState(),
    };
  }

  /** Reject a checkpoint whose settings or step do not fit this trainer; changes nothing. */
  protected checkProgressState(state: TrainerProgressState, path: string): void {
    checkSameSetting(path, 'batchSize', state.batchSize, this.batchSize);
    checkSameSetting(path, 'seed', state.seed, this.seed);
    if (!Number.isInteger(state.step) || state.step < 0) throw new TrainerCheckpointError(path, `trainer step must be a non-negative integer, got ${state.step}`);
  }

  /** Take over a checked checkpoint's progress. */
  protected restoreProgressState(state: TrainerProgressState): void {
    this.step = state.step;
    this.evalHistory = [...(state.evalHistory ?? [])];
    this.bestEval = state.bestEval ?? null;
    this.previousWallSeconds = state.wallSeconds ?? 0;
    this.window.setState(state.metricWindow ?? { sums: {}, counts: {} });
  }

  /** The subclass's state to checkpoint (plain JSON data). */
  protected abstract trainerState(): S;
  /** Restore the subclass's state from a checkpoint. */
  protected abstract restoreTrainerState(state: S, path: string): void;

  private async saveBestIfUnsaved(): Promise<void> {
    if (!this.bestUnsaved) return;
    this.bestUnsaved = false;
    await this.saveCheckpoint(this.bestCheckpointPath!);
  }

  protected async saveCheckpoint(path: string = this.checkpointPath!): Promise<void> {
    const checkpoint: TrainerCheckpoint<S> = { trainer: this.kind, learner: this.learner.save(), state: this.trainerState() };
    const names = Object.keys(this.extras);
    if (names.length > 0) checkpoint.extras = Object.fromEntries(names.map((name) => [name, this.extras[name]!.save()]));
    await this.checkpointStore!.save(path, checkpoint, { ...this.checkpointMeta, algo: this.learner.algo, trainer: this.kind, step: this.step, steps: this.totalSteps });
    this.emit({ type: 'checkpoint', step: this.step, totalSteps: this.totalSteps, path });
  }

  protected async loadCheckpoint(path: string, store: CheckpointStore | undefined): Promise<void> {
    const owner = this.kind === 'offline' ? 'OfflineTrainer' : 'OnlineTrainer';
    if (!store) throw new TypeError(`${owner}.resume needs a checkpointStore; in Node import ${owner} from '@bellman/training/node'`);
    const checkpoint = await store.load(path);
    if (!checkpoint || typeof checkpoint !== 'object' || !checkpoint.learner || !checkpoint.state) {
      throw new CheckpointError(`${path} is not a trainer checkpoint (expected "learner" and "state")`, { file: path });
    }
    if (checkpoint.trainer !== this.kind) {
      throw new CheckpointError(`${path} was written by the ${checkpoint.trainer} trainer, not the ${this.kind} one`, { file: path, trainer: String(checkpoint.trainer), expected: this.kind });
    }
    // Every extra module must be there before anything is loaded: a rejected resume changes nothing.
    const extraStates = Object.keys(this.extras).map((name) => [name, checkpointExtra(checkpoint, path, name, isPresent)] as const);
    this.learner.load(checkpoint.learner);
    this.restoreTrainerState(checkpoint.state as S, path);
    for (const [name, state] of extraStates) this.extras[name]!.load(state);
  }

  /** Give the event loop a turn now and then, so a browser page stays responsive and stop() can arrive. */
  protected async pause(): Promise<void> {
    const t = now();
    if (t - this.lastPause < 100) return;
    this.lastPause = t;
    await new Promise<void>((resolve) => setTimeout(resolve, 0));
  }
}

export function now(): number {
  return typeof performance !== 'undefined' ? performance.now() : Date.now();
}

/** Throws naming the field when a checkpoint's trainer setting differs from this trainer's. */
export function checkSameSetting(path: string, field: string, saved: unknown, current: unknown): void {
  if (JSON.stringify(saved) !== JSON.stringify(current)) {
    throw new CheckpointError(
      `checkpoint ${path} was trained with ${field} ${JSON.stringify(saved)}, this trainer has ${JSON.stringify(current)}; resume with the same ${field}`,
      { file: path, field, saved: JSON.stringify(saved), current: JSON.stringify(current) },
    );
  }
}

function isPresent(value: unknown): value is unknown {
  return value !== undefined;
}
