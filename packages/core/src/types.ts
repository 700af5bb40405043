import type { Rng, RngState } from './rng.js';
import type { Space, SpaceSpec } from './spaces.js';

/** An action: an integer for Discrete spaces, a Float32Array for Box spaces. */
export type Action = number | Float32Array;
/** Scalar metrics by name, as learners, trainers and loggers exchange them. */
export type Metrics = Record<string, number>;
export type Info = Record<string, unknown>;

export interface ResetOptions {
  seed?: number;
  options?: {
    /** Start from this physical state (the layout `getState()` returns). */
    state?: ArrayLike<number>;
    /**
     * With `state`: continue an episode that had already run this many steps, so that a time
     * limit cuts it where it would have without the interruption (a resumed training run).
     */
    elapsedSteps?: number;
    [key: string]: unknown;
  };
}

export interface ResetResult<O> {
  observation: O;
  info: Info;
}

export interface StepResult<O> {
  observation: O;
  reward: number;
  /** The MDP ended (bootstrapping stops here). */
  terminated: boolean;
  /** Cut off by a time limit or similar: the MDP did not end. */
  truncated: boolean;
  info: Info;
}

export interface EnvSpec {
  id: string;
  maxEpisodeSteps?: number;
  rewardThreshold?: number;
}

/** Gymnasium-style environment. */
export interface Env<O = Float32Array, A = Action> {
  readonly observationSpace: Space<O>;
  readonly actionSpace: Space<A>;
  readonly spec?: EnvSpec;
  reset(opts?: ResetOptions): ResetResult<O>;
  step(action: A): StepResult<O>;
  /** The physical state, in the layout documented by the env (REFERENCES: Gymnasium layouts). */
  getState(): Float64Array;
  /** An SVG string of the current state. */
  render(): string;
  close(): void;
}

/**
 * A batch of transitions: row-major typed arrays. Discrete actions are stored as their integer
 * value in a Float32Array with one column. `terminals` is 1 where the MDP ended (not time limits).
 */
export interface TransitionBatch {
  size: number;
  observationDim: number;
  actionDim: number;
  observations: Float32Array;
  actions: Float32Array;
  rewards: Float32Array;
  nextObservations: Float32Array;
  terminals: Float32Array;
  /** The action taken at the next observation, where the data has it (SARSA needs it). */
  nextActions?: Float32Array;
}

/** A batch of fixed-length trajectory windows for sequence models: [size, horizon, dim] row-major. */
export interface WindowBatch {
  size: number;
  horizon: number;
  observationDim: number;
  actionDim: number;
  observations: Float32Array;
  actions: Float32Array;
  rewards: Float32Array;
  terminals: Float32Array;
  /** 1 where the step lies inside its episode, 0 where the window ran past its end (padding). */
  mask: Float32Array;
  returnsToGo: Float32Array;
}

export interface DatasetStatistics {
  transitions: number;
  episodes: number;
  returnMean: number;
  returnStd: number;
  returnMin: number;
  returnMax: number;
  rewardSum: number;
  rewardMean: number;
  rewardStd: number;
  terminals: number;
  timeouts: number;
  observationMean: Float32Array;
  observationStd: Float32Array;
}

/** An offline dataset of episodes. Knows nothing of algorithms. */
export interface Dataset {
  readonly observationSpace: Space<Float32Array>;
  readonly actionSpace: Space<Action>;
  /** Number of transitions. */
  readonly size: number;
  readonly numEpisodes: number;
  readonly hasNextActions: boolean;
  sampleTransitions(n: number, rng: Rng): TransitionBatch;
  sampleWindows(horizon: number, n: number, rng: Rng): WindowBatch;
  statistics(): DatasetStatistics;
}

export interface ActOptions {
  /** Greedy / mean action instead of a sample. Defaults to true for evaluation. */
  deterministic?: boolean;
  rng?: Rng;
}

export interface Policy<O = Float32Array, A = Action> {
  act(observation: O, options?: ActOptions): A;
}

/** A tensor serialised to plain data, for checkpoints. */
export interface SerializedTensor {
  shape: number[];
  dtype: 'float32' | 'int32';
  /** Little-endian raw bytes, base64. */
  data: string;
}

/** Everything needed to resume a learner exactly. */
export interface LearnerSnapshot {
  algo: string;
  config: unknown;
  observationSpace: SpaceSpec;
  actionSpace: SpaceSpec;
  weights: Record<string, SerializedTensor>;
  optimizers: Record<string, Record<string, SerializedTensor | number>>;
  rng: RngState;
  updates: number;
}

export interface Learner<O = Float32Array, A = Action> extends Policy<O, A> {
  readonly algo: string;
  /** One gradient step on a batch; returns losses and diagnostics. */
  update(batch: TransitionBatch): Metrics;
  save(): LearnerSnapshot;
  load(snapshot: LearnerSnapshot): void;
  dispose(): void;
}

/** A learned reward, e.g. a success classifier (VICE, meta-NML). */
export interface RewardModel {
  rewards(observations: Float32Array, count: number): Float32Array;
  update(positives: Float32Array, negatives: Float32Array): Metrics;
}

/** Scalar metrics by step. */
export interface Logger {
  log(step: number, metrics: Metrics): void;
  close(): void | Promise<void>;
}
