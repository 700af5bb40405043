import { Rng, flatSize, spaceFromJSON, type Action, type Env, type Metrics, type RngState, type TransitionBatch } from '@bellman/core';
import { ReplayBuffer, type ReplayBufferState } from '@bellman/datasets';
import { isEnvStepAware } from './learner.js';
import { NStepAccumulator, nStepOf, type NStepLearner, type NStepPendingState, type TransitionSink } from './n-step.js';
import { TrainerCheckpointError } from './checkpoint.js';
import {
  TRAINER_DEFAULTS,
  TrainerCore,
  checkPositiveInteger,
  now,
  type TrainerProgressState,
  type TrainerOptions,
  type TrainerSummary,
} from './trainer-common.js';

/** The replay memory the online trainer writes to and samples from (ReplayBuffer from @bellman/datasets by default). */
export interface TransitionBuffer extends TransitionSink {
  readonly size: number;
  sampleTransitions(n: number, rng: Rng): TransitionBatch;
  /** With both of these, checkpoints carry the buffer's contents (ReplayBuffer has them). */
  getState?(): ReplayBufferState;
  setState?(state: ReplayBufferState): void;
}

export interface OnlineTrainerOptions extends TrainerOptions {
  /**
   * Makes the envs: one to collect in (per run), one to evaluate in, and, when no `buffer` is
   * given, one at construction to read the spaces the ReplayBuffer is sized for (closed at once).
   */
  envFactory: () => Env;
  /** Replay capacity (default min(steps, 1_000_000)). Ignored when `buffer` is given. */
  bufferCapacity?: number;
  /** Use this replay memory instead of a new ReplayBuffer. */
  buffer?: TransitionBuffer;
  /** No updates until the buffer holds this many transitions (default 1000). */
  warmupSteps?: number;
  /** During the first warmupSteps env steps act uniformly at random instead of with the learner (default true). */
  randomWarmup?: boolean;
  /** Update every this many env steps (default 1). */
  updateEvery?: number;
  /** Updates each time (default 1). */
  gradientSteps?: number;
}

/** The episode in progress when a checkpoint was taken. */
export interface OnlineEpisodeState {
  /** The collection env's physical state (`env.getState()`). */
  envState: number[];
  /** Steps and return so far in this episode. */
  length: number;
  return: number;
  /** n-step transitions waiting for later rewards. */
  pending: NStepPendingState[];
}

/** What an online checkpoint stores besides the learner. */
export interface OnlineTrainerState extends TrainerProgressState {
  episodes: number;
  actionRng: RngState;
  sampleRng: RngState;
  /** The replay buffer, when it can give its state (null otherwise). */
  buffer?: ReplayBufferState | null;
  /** The episode being collected, when the env can give its state (null otherwise). */
  episode?: OnlineEpisodeState | null;
}

/**
 * Trains a learner from its own experience: `steps` environment steps with stochastic actions
 * (`learner.act(obs, {deterministic: false, rng})`; exploration such as epsilon-greedy lives in
 * the learner), transitions stored with `terminated` (not `truncated`) as the bootstrapping flag,
 * updates after warm-up on replayed batches (through the hooks' `transformBatch`, so a reward
 * model relabels every sampled batch), periodic evaluation, logging and checkpoints. A learner
 * with `nStep` > 1 (NStepLearner) is given n-step transitions; an EnvStepAware one hears of every
 * env step.
 *
 * Checkpoints hold the learner, the trainer's counters and random streams, the replay buffer
 * and the episode in progress (the env's `getState()`, continued with
 * `reset({options: {state, elapsedSteps}})`), so that a resumed run reaches exactly what an
 * uninterrupted one does. A custom `buffer` without getState/setState is not stored, and an env
 * without getState cannot continue its episode: then collection restarts with a fresh episode and
 * updates wait until the buffer again holds max(warmupSteps, batchSize) transitions.
 */
export class OnlineTrainer extends TrainerCore<OnlineTrainerState> {
  private readonly envFactory: () => Env;
  private readonly buffer: TransitionBuffer;
  private readonly warmupSteps: number;
  private readonly randomWarmup: boolean;
  private readonly updateEvery: number;
  private readonly gradientSteps: number;
  private readonly actionRng: Rng;
  private readonly sampleRng: Rng;
  private readonly envSeedBase: number;
  private episodes = 0;
  private running = false;
  // The episode being collected: fields, so that a checkpoint taken mid-episode can hold it.
  private collectEnv: Env | null = null;
  private accumulator: NStepAccumulator | null = null;
  private episodeReturn = 0;
  private episodeLength = 0;
  /** An episode to continue, from a checkpoint. */
  private restoredEpisode: OnlineEpisodeState | null = null;

  constructor(options: OnlineTrainerOptions) {
    super('online', options, { factory: options.envFactory });
    if (typeof options.envFactory !== 'function') throw new TypeError('OnlineTrainer: envFactory must be a function returning an Env');
    this.envFactory = options.envFactory;
    this.warmupSteps = options.warmupSteps ?? TRAINER_DEFAULTS.warmupSteps;
    checkPositiveInteger('OnlineTrainer', 'warmupSteps', this.warmupSteps, true);
    this.randomWarmup = options.randomWarmup ?? true;
    this.updateEvery = options.updateEvery ?? 1;
    checkPositiveInteger('OnlineTrainer', 'updateEvery', this.updateEvery);
    this.gradientSteps = options.gradientSteps ?? 1;
    checkPositiveInteger('OnlineTrainer', 'gradientSteps', this.gradientSteps);
    const root = new Rng(this.seed);
    this.actionRng = root.split();
    this.sampleRng = root.split();
    this.envSeedBase = root.seed();
    if (options.buffer) {
      this.buffer = options.buffer;
    } else {
      const capacity = options.bufferCapacity ?? Math.min(options.steps, TRAINER_DEFAULTS.maxBufferCapacity);
      checkPositiveInteger('OnlineTrainer', 'bufferCapacity', capacity);
      if (capacity < Math.max(this.warmupSteps, this.batchSize)) {
        throw new RangeError(`OnlineTrainer: bufferCapacity ${capacity} is smaller than max(warmupSteps, batchSize) = ${Math.max(this.warmupSteps, this.batchSize)}: no update could ever start`);
      }
      const probe = this.envFactory();
      const observationDim = flatSize(spaceFromJSON(probe.observationSpace.toJSON()));
      const actionDim = flatSize(spaceFromJSON(probe.actionSpace.toJSON()));
      probe.close();
      this.buffer = new ReplayBuffer({ capacity, observationDim, actionDim });
    }
  }

  /** Collect and train from the current step to `steps`. */
  async run(): Promise<TrainerSummary> {
    if (this.running) throw new Error('OnlineTrainer: run() is already in progress');
    this.running = true;
    const env = this.envFactory();
    this.collectEnv = env;
    try {
      const sessionStart = now();
      const updateThreshold = Math.max(this.warmupSteps, this.batchSize);
      let lastMetrics: Metrics = {};
      // A learner with nStep > 1 learns from n-step transitions: aggregate them before storing.
      const nStep = nStepOf(this.learner);
      const accumulator = nStep > 1 ? new NStepAccumulator(nStep, (this.learner as unknown as NStepLearner).gamma, this.buffer) : null;
      const sink: TransitionSink = accumulator ?? this.buffer;
      this.accumulator = accumulator;
      let observation = this.startEpisode(env, accumulator);
      while (this.step < this.totalSteps && !this.stopping) {
        if (isEnvStepAware(this.learner)) this.learner.onEnvStep(this.step);
        const action: Action =
          this.randomWarmup && this.step < this.warmupSteps
            ? env.actionSpace.sample(this.actionRng)
            : this.learner.act(observation, { deterministic: false, rng: this.actionRng });
        const result = env.step(action);
        sink.add(observation, action, result.reward, result.observation, result.terminated, result.truncated);
        this.observeReward(result.reward);
        this.episodeReturn += result.reward;
        this.episodeLength += 1;
        const previous = observation;
        observation = result.observation;
        this.step += 1;
        if (this.hooks.watchesEnvSteps) {
          this.hooks.afterEnvStep(
            { observation: previous, action, reward: result.reward, nextObservation: observation, terminated: result.terminated, truncated: result.truncated },
            this.hookContext(),
          );
        }
        if (result.terminated || result.truncated) {
          const episodeReturn = this.episodeReturn;
          const episodeLength = this.episodeLength;
          this.logger?.log(this.step, { episode_return: episodeReturn, episode_length: episodeLength });
          this.emit({ type: 'episode', step: this.step, totalSteps: this.totalSteps, episodeReturn, episodeLength });
          this.episodes += 1;
          observation = this.resetEnv(env);
        }
        if (this.step % this.updateEvery === 0 && this.buffer.size >= updateThreshold) {
          for (let g = 0; g < this.gradientSteps; g++) {
            const batch = this.hooks.transformBatch(this.buffer.sampleTransitions(this.batchSize, this.sampleRng), this.hookContext());
            lastMetrics = this.learner.update(batch);
            this.recordMetrics(lastMetrics);
            this.hooks.afterUpdate(lastMetrics, batch, this.hookContext());
          }
        }
        this.emit({ type: 'update', step: this.step, totalSteps: this.totalSteps, metrics: lastMetrics });
        await this.periodic();
      }
      return await this.finish(sessionStart);
    } finally {
      env.close();
      this.collectEnv = null;
      this.accumulator = null;
      this.running = false;
    }
  }

  /** Continue the checkpointed episode when there is one, else start the next episode. */
  private startEpisode(env: Env, accumulator: NStepAccumulator | null): Float32Array {
    const saved = this.restoredEpisode;
    this.restoredEpisode = null;
    if (!saved) return this.resetEnv(env);
    const options = saved.length > 0 ? { state: saved.envState, elapsedSteps: saved.length } : { state: saved.envState };
    const { observation } = env.reset({ options });
    this.episodeReturn = saved.return;
    this.episodeLength = saved.length;
    accumulator?.setState(saved.pending);
    return observation;
  }

  /** Load a checkpoint from `checkpointPath` and continue to `steps` (see the class note on the buffer). */
  async resume(checkpointPath: string): Promise<TrainerSummary> {
    await this.loadCheckpoint(checkpointPath, this.checkpointStore);
    return this.run();
  }

  /** Episodes finished so far. */
  get episodeCount(): number {
    return this.episodes;
  }

  private resetEnv(env: Env): Float32Array {
    this.episodeReturn = 0;
    this.episodeLength = 0;
    return env.reset({ seed: (this.envSeedBase + this.episodes) % 2 ** 31 }).observation;
  }

  /** The episode in progress, when the env can say where it is. */
  private episodeState(): OnlineEpisodeState | null {
    const env = this.collectEnv;
    if (!env || typeof env.getState !== 'function') return null;
    return {
      envState: Array.from(env.getState()),
      length: this.episodeLength,
      return: this.episodeReturn,
      pending: this.accumulator ? this.accumulator.getState() : [],
    };
  }

  protected trainerState(): OnlineTrainerState {
    return {
      ...this.progressState(),
      episodes: this.episodes,
      actionRng: this.actionRng.getState(),
      sampleRng: this.sampleRng.getState(),
      buffer: this.buffer.getState && this.buffer.setState ? this.buffer.getState() : null,
      episode: this.episodeState(),
    };
  }

  protected restoreTrainerState(state: OnlineTrainerState, path: string): void {
    this.checkProgressState(state, path);
    this.actionRng.setState(state.actionRng);
    this.sampleRng.setState(state.sampleRng);
    if (state.buffer && this.buffer.setState) {
      try {
        this.buffer.setState(state.buffer);
      } catch (err) {
        throw new TrainerCheckpointError(path, `its replay buffer does not fit this trainer's (${(err as Error).message}); resume with the same --buffer-size and env`);
      }
    }
    this.restoreProgressState(state);
    this.episodes = state.episodes ?? 0;
    this.restoredEpisode = state.buffer && this.buffer.setState ? (state.episode ?? null) : null;
  }
}
