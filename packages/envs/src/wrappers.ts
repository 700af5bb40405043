import { Box, Discrete } from '@bellman/core';
import type { Action, Env, EnvSpec, Info, ResetOptions, ResetResult, Space, StepResult } from '@bellman/core';
import { ClassicControlEnv, isInPlaceStepper } from './base.js';
import type { InPlaceStepper } from './base.js';

/**
 * Base of every wrapper: delegates everything to the inner env. Subclasses override what they
 * change. `unwrapped` is the innermost env.
 */
export class Wrapper<O = Float32Array, A = Action, InnerO = O, InnerA = A> implements Env<O, A> {
  constructor(readonly env: Env<InnerO, InnerA>) {
    if (env === null || typeof env !== 'object' || typeof env.step !== 'function' || typeof env.reset !== 'function') {
      throw new TypeError(`${new.target.name}: expected an env with reset() and step(), got ${String(env)}`);
    }
  }

  get observationSpace(): Space<O> {
    return this.env.observationSpace as unknown as Space<O>;
  }

  get actionSpace(): Space<A> {
    return this.env.actionSpace as unknown as Space<A>;
  }

  get spec(): EnvSpec | undefined {
    return this.env.spec;
  }

  /** The innermost env (through any number of wrappers). */
  get unwrapped(): Env<unknown, unknown> {
    let inner: Env<unknown, unknown> = this.env as Env<unknown, unknown>;
    while (inner instanceof Wrapper) inner = inner.env as Env<unknown, unknown>;
    return inner;
  }

  reset(opts?: ResetOptions): ResetResult<O> {
    return this.env.reset(opts) as unknown as ResetResult<O>;
  }

  step(action: A): StepResult<O> {
    return this.env.step(action as unknown as InnerA) as unknown as StepResult<O>;
  }

  getState(): Float64Array {
    return this.env.getState();
  }

  /** The wrapped env's picture; options (a maze's heat map, a plan) are passed through to it. */
  render(...options: unknown[]): string {
    return (this.env.render as (...args: unknown[]) => string).apply(this.env, options);
  }

  close(): void {
    this.env.close();
  }
}

/**
 * Truncates episodes after `maxEpisodeSteps` steps (`truncated: true`, whether or not the step
 * also terminated). The count restarts at every reset.
 */
export class TimeLimit<O = Float32Array, A = Action> extends Wrapper<O, A> implements InPlaceStepper {
  readonly maxEpisodeSteps: number;
  private elapsed = 0;
  private readonly ownSpec: EnvSpec | undefined;
  lastTerminated = false;
  lastTruncated = false;

  constructor(env: Env<O, A>, maxEpisodeSteps: number, spec?: EnvSpec) {
    super(env);
    if (!Number.isInteger(maxEpisodeSteps) || maxEpisodeSteps <= 0) {
      throw new RangeError(`TimeLimit: maxEpisodeSteps must be a positive integer, got ${String(maxEpisodeSteps)}`);
    }
    this.maxEpisodeSteps = maxEpisodeSteps;
    this.ownSpec = spec;
  }

  override get spec(): EnvSpec | undefined {
    return this.ownSpec ?? this.env.spec;
  }

  /** Steps taken since the last reset. */
  get elapsedSteps(): number {
    return this.elapsed;
  }

  /** `options.elapsedSteps` (with `options.state`) continues an episode part-way through its time limit. */
  override reset(opts?: ResetOptions): ResetResult<O> {
    const elapsed = opts?.options?.elapsedSteps;
    if (elapsed !== undefined) {
      if (opts?.options?.state === undefined) throw new TypeError('TimeLimit: reset options.elapsedSteps needs options.state (the state to continue from)');
      if (!Number.isInteger(elapsed) || elapsed < 0 || elapsed >= this.maxEpisodeSteps) {
        throw new RangeError(`TimeLimit: reset options.elapsedSteps must be an integer in [0, ${this.maxEpisodeSteps}), got ${String(elapsed)}`);
      }
    }
    const result = this.env.reset(opts);
    this.elapsed = elapsed ?? 0;
    return result;
  }

  override step(action: A): StepResult<O> {
    const result = this.env.step(action);
    this.elapsed++;
    // The inner result is a fresh record per step: setting the flag on it avoids another allocation.
    if (this.elapsed >= this.maxEpisodeSteps) result.truncated = true;
    return result;
  }

  stepInPlace(actions: ArrayLike<number>, actionOffset: number, observations: Float32Array, observationOffset: number): number {
    const inner = this.env as unknown;
    if (!isInPlaceStepper(inner)) throw new Error('TimeLimit.stepInPlace: the wrapped env cannot step in place');
    const reward = inner.stepInPlace(actions, actionOffset, observations, observationOffset);
    this.elapsed++;
    this.lastTerminated = inner.lastTerminated;
    this.lastTruncated = inner.lastTruncated || this.elapsed >= this.maxEpisodeSteps;
    return reward;
  }

  /** True when the wrapped env can step in place (SyncVectorEnv uses its fast path then). */
  get canStepInPlace(): boolean {
    const inner = this.env as unknown;
    if (inner instanceof TimeLimit) return inner.canStepInPlace;
    return inner instanceof ClassicControlEnv;
  }
}

/** What RecordEpisodeStatistics puts in `info.episode` on the last step of an episode. */
export interface EpisodeStatistics {
  /** Sum of rewards over the episode. */
  return: number;
  /** Number of steps. */
  length: number;
}

/**
 * Adds `info.episode = {return, length}` on the step that ends an episode (terminated or
 * truncated), and keeps the last `bufferLength` returns and lengths.
 */
export class RecordEpisodeStatistics<O = Float32Array, A = Action> extends Wrapper<O, A> {
  readonly returnQueue: number[] = [];
  readonly lengthQueue: number[] = [];
  private episodeReturn = 0;
  private episodeLength = 0;
  readonly bufferLength: number;

  constructor(env: Env<O, A>, options: { bufferLength?: number } = {}) {
    super(env);
    const bufferLength = options.bufferLength ?? 100;
    if (!Number.isInteger(bufferLength) || bufferLength <= 0) {
      throw new RangeError(`RecordEpisodeStatistics: bufferLength must be a positive integer, got ${String(bufferLength)}`);
    }
    this.bufferLength = bufferLength;
  }

  override reset(opts?: ResetOptions): ResetResult<O> {
    this.episodeReturn = 0;
    this.episodeLength = 0;
    return this.env.reset(opts);
  }

  override step(action: A): StepResult<O> {
    const result = this.env.step(action);
    this.episodeReturn += result.reward;
    this.episodeLength++;
    if (!result.terminated && !result.truncated) return result;
    const episode: EpisodeStatistics = { return: this.episodeReturn, length: this.episodeLength };
    this.returnQueue.push(episode.return);
    this.lengthQueue.push(episode.length);
    if (this.returnQueue.length > this.bufferLength) {
      this.returnQueue.shift();
      this.lengthQueue.shift();
    }
    this.episodeReturn = 0;
    this.episodeLength = 0;
    const info: Info = Object.assign({}, result.info, { episode });
    return { observation: result.observation, reward: result.reward, terminated: result.terminated, truncated: result.truncated, info };
  }
}

/** Running mean and variance (parallel update of batches, as Gymnasium's RunningMeanStd). */
export interface RunningStatistics {
  mean: Float64Array;
  variance: Float64Array;
  count: number;
}

/**
 * Normalises observations with a running mean and standard deviation:
 * (obs - mean) / sqrt(var + epsilon). Statistics update on every reset and step until `frozen`
 * is set (evaluation); `getStatistics` / `setStatistics` save and restore them.
 */
export class NormalizeObservation<A = Action> extends Wrapper<Float32Array, A> {
  readonly epsilon: number;
  /** When true, observations are normalised with the current statistics, which no longer change. */
  frozen: boolean;
  private readonly mean: Float64Array;
  private readonly variance: Float64Array;
  private count: number;
  private readonly normalizedSpace: Box;

  constructor(env: Env<Float32Array, A>, options: { epsilon?: number; frozen?: boolean } = {}) {
    super(env);
    const space = env.observationSpace;
    if (!(space instanceof Box)) {
      throw new TypeError(`NormalizeObservation: the observation space must be a Box, got ${String(space)}`);
    }
    const size = space.size;
    this.epsilon = options.epsilon ?? 1e-8;
    this.frozen = options.frozen ?? false;
    this.mean = new Float64Array(size);
    this.variance = new Float64Array(size).fill(1);
    // A tiny prior count, so that the first update does not divide by zero.
    this.count = 1e-4;
    this.normalizedSpace = new Box(-Infinity, Infinity, space.shape);
  }

  override get observationSpace(): Space<Float32Array> {
    return this.normalizedSpace;
  }

  getStatistics(): RunningStatistics {
    return { mean: this.mean.slice(), variance: this.variance.slice(), count: this.count };
  }

  setStatistics(stats: RunningStatistics): void {
    if (stats.mean.length !== this.mean.length || stats.variance.length !== this.variance.length) {
      throw new RangeError(
        `NormalizeObservation.setStatistics: expected mean and variance of length ${this.mean.length}, got ${stats.mean.length} and ${stats.variance.length}`,
      );
    }
    if (!(stats.count > 0)) throw new RangeError(`NormalizeObservation.setStatistics: count must be positive, got ${stats.count}`);
    this.mean.set(stats.mean);
    this.variance.set(stats.variance);
    this.count = stats.count;
  }

  override reset(opts?: ResetOptions): ResetResult<Float32Array> {
    const result = this.env.reset(opts);
    return { observation: this.normalize(result.observation), info: result.info };
  }

  override step(action: A): StepResult<Float32Array> {
    const result = this.env.step(action);
    result.observation = this.normalize(result.observation);
    return result;
  }

  private normalize(observation: Float32Array): Float32Array {
    const n = this.mean.length;
    if (!this.frozen) {
      // Batch of one: Chan et al.'s parallel update with batch variance 0.
      const total = this.count + 1;
      for (let i = 0; i < n; i++) {
        const delta = observation[i]! - this.mean[i]!;
        this.mean[i] = this.mean[i]! + delta / total;
        const m2 = this.variance[i]! * this.count + (delta * delta * this.count) / total;
        this.variance[i] = m2 / total;
      }
      this.count = total;
    }
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) out[i] = (observation[i]! - this.mean[i]!) / Math.sqrt(this.variance[i]! + this.epsilon);
    return out;
  }
}

/**
 * Lets an agent act in [min, max] (default [-1, 1]) on an env whose Box action space has other
 * finite bounds: a is mapped affinely onto [low, high] and clipped there.
 */
export class RescaleAction extends Wrapper<Float32Array, Float32Array, Float32Array, Action> {
  private readonly inner: Box;
  private readonly outer: Box;
  private readonly minAction: number;
  private readonly maxAction: number;

  constructor(env: Env<Float32Array, Action>, options: { min?: number; max?: number } = {}) {
    super(env);
    const space = env.actionSpace;
    if (!(space instanceof Box)) {
      throw new TypeError(`RescaleAction: the env's action space must be a Box, got ${space instanceof Discrete ? space.toString() : String(space)}`);
    }
    if (!space.isBounded()) throw new RangeError(`RescaleAction: the env's action space ${space.toString()} must have finite bounds`);
    const min = options.min ?? -1;
    const max = options.max ?? 1;
    if (!Number.isFinite(min) || !Number.isFinite(max) || !(min < max)) {
      throw new RangeError(`RescaleAction: need finite min < max, got min=${min} max=${max}`);
    }
    this.inner = space;
    this.minAction = min;
    this.maxAction = max;
    this.outer = new Box(min, max, space.shape);
  }

  override get actionSpace(): Space<Float32Array> {
    return this.outer;
  }

  /** The inner env's action for an action in [min, max]. */
  rescale(action: Float32Array): Float32Array {
    const size = this.inner.size;
    if (!action || typeof action !== 'object' || action.length !== size) {
      throw new RangeError(`RescaleAction: action must have length ${size}, got ${action && typeof action === 'object' ? action.length : String(action)}`);
    }
    const out = new Float32Array(size);
    const span = this.maxAction - this.minAction;
    for (let i = 0; i < size; i++) {
      const a = action[i]!;
      if (Number.isNaN(a)) throw new RangeError(`RescaleAction: action[${i}] is NaN`);
      const low = this.inner.low[i]!;
      const high = this.inner.high[i]!;
      const v = low + (high - low) * ((a - this.minAction) / span);
      out[i] = Math.min(Math.max(v, low), high);
    }
    return out;
  }

  override step(action: Float32Array): StepResult<Float32Array> {
    return this.env.step(this.rescale(action));
  }
}
