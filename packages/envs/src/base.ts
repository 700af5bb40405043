import { Box, Discrete, Rng } from '@bellman/core';
import type { Action, Env, EnvSpec, Info, ResetOptions, ResetResult, StepResult } from '@bellman/core';

/**
 * The info object built-in envs return from `step()`: one frozen empty object shared by every step,
 * so that stepping allocates nothing but the observation (and the result record). Wrappers that add
 * keys (RecordEpisodeStatistics) return a new object instead of writing into it.
 */
export const EMPTY_INFO: Info = Object.freeze({}) as Info;

/**
 * Stepping without allocation, for SyncVectorEnv's fast path: the action is read from
 * `actions[actionOffset...]` (one integer for Discrete spaces, `actionDim` floats for Box spaces)
 * and the observation written to `observations[observationOffset...]`. Returns the reward; the
 * flags are read from `lastTerminated` / `lastTruncated` afterwards.
 */
export interface InPlaceStepper {
  stepInPlace(actions: ArrayLike<number>, actionOffset: number, observations: Float32Array, observationOffset: number): number;
  readonly lastTerminated: boolean;
  readonly lastTruncated: boolean;
}

export function isInPlaceStepper(env: unknown): env is InPlaceStepper {
  return typeof env === 'object' && env !== null && typeof (env as { stepInPlace?: unknown }).stepInPlace === 'function';
}

/**
 * Shared machinery of the classic-control envs: seeded resets, physical state in a Float64Array,
 * action validation, float32 observations. Subclasses implement the dynamics (`advance`) and the
 * observation (`writeObservation`).
 */
export abstract class ClassicControlEnv implements Env<Float32Array, Action>, InPlaceStepper {
  abstract readonly observationSpace: Box;
  abstract readonly actionSpace: Box | Discrete;
  spec: EnvSpec;
  /** Names of the entries of the physical state, in the layout `getState()` returns. */
  abstract readonly stateLayout: readonly string[];

  protected readonly state: Float64Array;
  protected rng: Rng;
  protected hasState = false;
  lastTerminated = false;
  readonly lastTruncated = false;
  /** The scalar (Discrete) or first component (Box) of the last action, for rendering. */
  protected lastActionValue = 0;

  protected constructor(id: string, stateSize: number) {
    this.spec = { id };
    this.state = new Float64Array(stateSize);
    // Unseeded envs are still deterministic: the first reset without a seed uses seed 0.
    this.rng = new Rng(0);
  }

  get id(): string {
    return this.spec.id;
  }

  get observationSize(): number {
    return this.observationSpace.size;
  }

  /** Draw the initial physical state into `this.state` from `rng`, like Gymnasium's reset ranges. */
  protected abstract sampleInitialState(rng: Rng): void;
  /**
   * Advance the physical state by one step with an already validated action (an integer for
   * Discrete, the raw unclipped value of a one-dimensional Box). Sets `lastTerminated`; returns the reward.
   */
  protected abstract advance(action: number): number;
  /** Write the float32 observation of the current state at `out[offset...]`. */
  protected abstract writeObservation(out: Float32Array, offset: number): void;
  abstract render(): string;

  /** Called after the state was set from outside (reset with options.state). */
  protected onStateSet(): void {}

  reset(opts?: ResetOptions): ResetResult<Float32Array> {
    if (opts?.seed !== undefined) {
      if (typeof opts.seed !== 'number' || !Number.isFinite(opts.seed)) {
        throw new TypeError(`${this.id}: reset seed must be a finite number, got ${String(opts.seed)}`);
      }
      this.rng = new Rng(opts.seed);
    }
    const given = opts?.options?.state;
    if (given !== undefined && given !== null) {
      this.setState(given);
    } else {
      this.sampleInitialState(this.rng);
    }
    this.hasState = true;
    this.lastTerminated = false;
    this.lastActionValue = 0;
    this.onStateSet();
    const observation = new Float32Array(this.observationSpace.size);
    this.writeObservation(observation, 0);
    return { observation, info: {} };
  }

  step(action: Action): StepResult<Float32Array> {
    if (!this.hasState) throw new Error(`${this.id}: call reset() before step()`);
    const value = this.validateAction(action);
    const reward = this.advance(value);
    const observation = new Float32Array(this.observationSpace.size);
    this.writeObservation(observation, 0);
    return { observation, reward, terminated: this.lastTerminated, truncated: false, info: EMPTY_INFO };
  }

  stepInPlace(actions: ArrayLike<number>, actionOffset: number, observations: Float32Array, observationOffset: number): number {
    if (!this.hasState) throw new Error(`${this.id}: call reset() before step()`);
    const raw = actions[actionOffset];
    const value = this.actionSpace.kind === 'discrete' ? this.checkDiscrete(raw) : this.checkBoxValue(raw);
    const reward = this.advance(value);
    this.writeObservation(observations, observationOffset);
    return reward;
  }

  getState(): Float64Array {
    if (!this.hasState) throw new Error(`${this.id}: call reset() before getState()`);
    return this.state.slice();
  }

  close(): void {}

  private setState(given: ArrayLike<number>): void {
    const layout = this.stateLayout;
    if (typeof given !== 'object' || typeof given.length !== 'number') {
      throw new TypeError(`${this.id}: reset options.state must be an array of ${layout.length} numbers [${layout.join(', ')}], got ${String(given)}`);
    }
    if (given.length !== layout.length) {
      throw new RangeError(
        `${this.id}: reset options.state must have ${layout.length} values [${layout.join(', ')}], got ${given.length}`,
      );
    }
    for (let i = 0; i < layout.length; i++) {
      const v = given[i];
      if (typeof v !== 'number' || !Number.isFinite(v)) {
        throw new RangeError(`${this.id}: reset options.state[${i}] (${layout[i]}) must be a finite number, got ${String(v)}`);
      }
    }
    for (let i = 0; i < layout.length; i++) this.state[i] = given[i]!;
  }

  private validateAction(action: Action): number {
    if (this.actionSpace.kind === 'discrete') return this.checkDiscrete(action);
    const size = this.actionSpace.size;
    if (typeof action === 'number') {
      throw new TypeError(`${this.id}: action must be a Float32Array of length ${size} for ${this.actionSpace.toString()}, got the number ${action}`);
    }
    if (action === null || typeof action !== 'object' || typeof action.length !== 'number') {
      throw new TypeError(`${this.id}: action must be a Float32Array of length ${size} for ${this.actionSpace.toString()}, got ${String(action)}`);
    }
    if (action.length !== size) {
      throw new RangeError(`${this.id}: action has length ${action.length}, ${this.actionSpace.toString()} needs ${size}`);
    }
    return this.checkBoxValue(action[0]);
  }

  private checkDiscrete(action: unknown): number {
    const space = this.actionSpace as Discrete;
    if (typeof action !== 'number' || !Number.isInteger(action) || action < space.start || action >= space.start + space.n) {
      const shown = typeof action === 'number' ? String(action) : ArrayBuffer.isView(action) ? `${action.constructor.name} [${Array.from(action as unknown as ArrayLike<number>).join(', ')}]` : JSON.stringify(action);
      throw new RangeError(`${this.id}: action ${shown} is not in the action space ${space.toString()} (an integer from ${space.start} to ${space.start + space.n - 1})`);
    }
    return action;
  }

  private checkBoxValue(value: number | undefined): number {
    if (typeof value !== 'number' || Number.isNaN(value)) {
      throw new RangeError(`${this.id}: action value ${String(value)} is not a number (${this.actionSpace.toString()})`);
    }
    return value;
  }
}

/** Number formatting for SVG attributes: short and locale-free. */
export function fmt(v: number): string {
  return (Math.round(v * 100) / 100).toString();
}
