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

/**
 * pi(.|s) of a policy on a Discrete action space, batched: what FQE evaluates, and what the
 * behaviour models of @bellman/envs give.
 */
export interface DiscreteActionProbabilities {
  /** Row-major [count, n] probabilities of the actions (index = action - start) at each observation. */
  policyProbabilities(observations: Float32Array, count: number): Float32Array;
}

/** Draws a ~ pi(.|s) of a policy on a Box action space, batched: what continuous FQE evaluates. */
export interface ContinuousActionSampler {
  /**
   * One action per observation, drawn with `rng`: row-major [count, actionDim]. `observations` is
   * row-major [count, observationDim].
   */
  sampleActions(observations: Float32Array, count: number, rng: Rng): Float32Array;
}

/** Anything that picks actions: every learner and planner is one. */
export interface Policy<O = Float32Array, A = Action> {
  act(observation: O, options?: ActOptions): A;
  /**
   * Forget what the policy kept from earlier steps of an episode (a planner's current plan, a
   * recurrent state). Evaluation and data collection call it at the start of every episode,
   * before the first `act`; a policy without such state leaves it out.
   */
  reset?(): void;
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

/** The batches a learner can train on: transitions (Q-learning) or trajectory windows (sequence models). */
export type LearnerBatch = TransitionBatch | WindowBatch;

/**
 * A policy that learns from batches of `B`: transitions by default, or trajectory windows for
 * sequence models such as a diffusion planner (`Learner<WindowBatch>`).
 */
export interface Learner<B extends LearnerBatch = TransitionBatch, O = Float32Array, A = Action> extends Policy<O, A> {
  readonly algo: string;
  /** One gradient step on a batch; returns losses and diagnostics. */
  update(batch: B): Metrics;
  save(): LearnerSnapshot;
  load(snapshot: LearnerSnapshot): void;
  dispose(): void;
}

/**
 * What a reward model scores: `'observation'` (a success classifier on states, as in VICE and
 * MURAL) or `'observation-action'` (a reward on state-action pairs).
 */
export type RewardInputs = 'observation' | 'observation-action';

/**
 * Rows for a reward model, row-major like a `TransitionBatch` (which is one). `actions` is
 * needed by models whose `inputs` is `'observation-action'` and ignored by the others. Which
 * observations a trainer passes (those of the transition or those it reaches) is its choice.
 */
export interface RewardBatch {
  size: number;
  observationDim: number;
  observations: Float32Array;
  actionDim?: number;
  actions?: Float32Array;
}

/** Everything needed to resume a reward model exactly, in the layout of `LearnerSnapshot`. */
export interface RewardModelSnapshot {
  /** The kind of model, e.g. `'vice'`; `load` refuses a snapshot of another kind. */
  kind: string;
  inputs: RewardInputs;
  config: unknown;
  observationDim: number;
  /** Present for `'observation-action'` models. */
  actionDim?: number;
  weights: Record<string, SerializedTensor>;
  optimizers: Record<string, Record<string, SerializedTensor | number>>;
  rng: RngState;
  updates: number;
}

/**
 * A learned reward, e.g. a success classifier (VICE, CNML, meta-NML as in MURAL). A trainer
 * relabels every sampled batch with it, so rewards are never stale.
 */
export interface RewardModel {
  readonly kind: string;
  /** Whether `rewards` and `update` read observations alone or observations with actions. */
  readonly inputs: RewardInputs;
  /** The length of the observations it scores. */
  readonly observationDim: number;
  /** One reward per row of `batch` (`batch.size` values). */
  rewards(batch: RewardBatch): Float32Array;
  /** One training step on examples of success (`positives`) and of everything else (`negatives`). */
  update(positives: RewardBatch, negatives: RewardBatch): Metrics;
  save(): RewardModelSnapshot;
  load(snapshot: RewardModelSnapshot): void;
  /** Free the model's tensors; it cannot be used afterwards. */
  dispose(): void;
}

/** The metrics every planner reports, beside its own. */
export interface PlanningMetrics extends Metrics {
  /** Wall-clock milliseconds spent planning since the last `reset()`. */
  plan_ms: number;
  /** Plans made since the last `reset()` (a planner may replan only every few steps). */
  plans: number;
}

/**
 * A policy that plans, e.g. a diffusion model that samples a trajectory and acts along it. It
 * keeps its plan across steps, so `reset()` is required: call it at the start of every episode.
 */
export interface Planner<O = Float32Array, A = Action> extends Policy<O, A> {
  reset(): void;
  /** The time spent planning and the number of plans since the last `reset()`, and the planner's own figures. */
  metrics(): PlanningMetrics;
}

/** Scalar metrics by step. */
export interface Logger {
  log(step: number, metrics: Metrics): void;
  close(): void | Promise<void>;
}
