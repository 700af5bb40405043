import { Box, Discrete } from '@bellman/core';
import type { Action, Env, Info, Space } from '@bellman/core';
import { ClassicControlEnv } from './base.js';
import { TimeLimit } from './wrappers.js';

export interface SyncVectorEnvOptions {
  /**
   * Return fresh copies of the observation, reward and flag arrays from reset() and step()
   * (default true). With false, the same buffers (and the same result record) come back every
   * step and are overwritten by the next one: no allocation per step.
   */
  copy?: boolean;
}

export interface VectorResetOptions {
  /** Sub-env i is reset with seed + i (or seeds[i] for an array). */
  seed?: number | readonly number[];
  options?: { [key: string]: unknown };
}

export interface VectorResetResult {
  /** [numEnvs * observationSize], row i for sub-env i. */
  observations: Float32Array;
  infos: Info[];
}

/** Present (non-empty) only on steps where at least one sub-env finished its episode. */
export interface VectorStepInfo {
  /** For each sub-env: the last observation of the episode that just ended, else undefined. */
  finalObservations?: (Float32Array | undefined)[];
  /** For each sub-env: the info of that last step, else undefined. */
  finalInfos?: (Info | undefined)[];
}

export interface VectorStepResult {
  /** [numEnvs * observationSize]. A finished sub-env's row already holds its reset observation. */
  observations: Float32Array;
  rewards: Float64Array;
  /** 1 where the sub-env's MDP ended on this step. */
  terminated: Uint8Array;
  /** 1 where the sub-env was cut off (time limit) on this step. */
  truncated: Uint8Array;
  info: VectorStepInfo;
}

const NO_FINALS: VectorStepInfo = Object.freeze({});

type AnyEnv = Env<Float32Array, Action>;

function canStepInPlace(env: AnyEnv): boolean {
  if (env instanceof TimeLimit) return env.canStepInPlace;
  return env instanceof ClassicControlEnv;
}

/** The in-place stepping surface of built-in envs and TimeLimit. */
interface InPlace {
  stepInPlace(actions: ArrayLike<number>, actionOffset: number, observations: Float32Array, observationOffset: number): number;
  readonly lastTerminated: boolean;
  readonly lastTruncated: boolean;
}

/**
 * Steps n envs one after the other in this thread and batches their results in typed arrays.
 *
 * Autoreset convention (Gymnasium's "same-step" one): when a sub-env terminates or is truncated,
 * it is reset within the same `step()` call; the returned observation row is the first of the new
 * episode, and the last observation of the finished episode is in
 * `info.finalObservations[i]` (with its info in `info.finalInfos[i]`). Rewards and flags belong
 * to the finished episode's last step. Resets after the first use each sub-env's own seeded stream.
 *
 * Built-in envs from `make()` step through a fast path that writes straight into the batch
 * buffers.
 */
export class SyncVectorEnv {
  readonly envs: readonly AnyEnv[];
  readonly numEnvs: number;
  readonly singleObservationSpace: Space<Float32Array>;
  readonly singleActionSpace: Space<Action>;
  /** Floats per observation row. */
  readonly observationSize: number;
  /** Numbers per action in the `step()` input: 1 for Discrete, the Box size otherwise. */
  readonly actionSize: number;
  readonly copy: boolean;

  private readonly fast: boolean[];
  private readonly observations: Float32Array;
  private readonly rewards: Float64Array;
  private readonly terminated: Uint8Array;
  private readonly truncated: Uint8Array;
  private readonly result: VectorStepResult;
  private hasReset = false;

  constructor(envsOrFactories: readonly (AnyEnv | (() => AnyEnv))[], options: SyncVectorEnvOptions = {}) {
    if (!Array.isArray(envsOrFactories) || envsOrFactories.length === 0) {
      throw new TypeError('SyncVectorEnv: give a non-empty array of envs or of functions that create envs');
    }
    const envs = envsOrFactories.map((item, i) => {
      const env = typeof item === 'function' ? item() : item;
      if (env === null || typeof env !== 'object' || typeof env.step !== 'function' || typeof env.reset !== 'function') {
        throw new TypeError(`SyncVectorEnv: entry ${i} is not an env (or did not create one)`);
      }
      return env;
    });
    if (new Set(envs).size !== envs.length) throw new Error('SyncVectorEnv: the same env object appears twice; give distinct envs');
    const first = envs[0]!;
    const obsSpace = first.observationSpace;
    if (!(obsSpace instanceof Box)) throw new TypeError(`SyncVectorEnv: observation spaces must be Box spaces, got ${String(obsSpace)}`);
    const actSpace = first.actionSpace;
    if (!(actSpace instanceof Box) && !(actSpace instanceof Discrete)) {
      throw new TypeError(`SyncVectorEnv: action spaces must be Box or Discrete, got ${String(actSpace)}`);
    }
    const obsJson = JSON.stringify(obsSpace.toJSON());
    const actJson = JSON.stringify(actSpace.toJSON());
    envs.forEach((env, i) => {
      if (JSON.stringify(env.observationSpace.toJSON()) !== obsJson) {
        throw new Error(`SyncVectorEnv: env ${i} has observation space ${String(env.observationSpace)}, env 0 has ${obsSpace.toString()}`);
      }
      if (JSON.stringify(env.actionSpace.toJSON()) !== actJson) {
        throw new Error(`SyncVectorEnv: env ${i} has action space ${String(env.actionSpace)}, env 0 has ${actSpace.toString()}`);
      }
    });
    this.envs = envs;
    this.numEnvs = envs.length;
    this.singleObservationSpace = obsSpace;
    this.singleActionSpace = actSpace;
    this.observationSize = obsSpace.size;
    this.actionSize = actSpace instanceof Box ? actSpace.size : 1;
    this.copy = options.copy ?? true;
    this.fast = envs.map(canStepInPlace);
    const n = this.numEnvs;
    this.observations = new Float32Array(n * this.observationSize);
    this.rewards = new Float64Array(n);
    this.terminated = new Uint8Array(n);
    this.truncated = new Uint8Array(n);
    this.result = { observations: this.observations, rewards: this.rewards, terminated: this.terminated, truncated: this.truncated, info: NO_FINALS };
  }

  reset(opts: VectorResetOptions = {}): VectorResetResult {
    const { seed } = opts;
    if (Array.isArray(seed) && seed.length !== this.numEnvs) {
      throw new RangeError(`SyncVectorEnv.reset: got ${seed.length} seeds for ${this.numEnvs} envs`);
    }
    const infos: Info[] = [];
    for (let i = 0; i < this.numEnvs; i++) {
      const envSeed = seed === undefined ? undefined : typeof seed === 'number' ? seed + i : (seed as readonly number[])[i];
      const resetOpts = opts.options === undefined ? { seed: envSeed } : { seed: envSeed, options: opts.options };
      const { observation, info } = this.envs[i]!.reset(resetOpts);
      this.writeRow(i, observation);
      infos.push(info);
    }
    this.hasReset = true;
    return { observations: this.copy ? this.observations.slice() : this.observations, infos };
  }

  /**
   * One step of every sub-env. `actions` holds numEnvs * actionSize numbers: one integer per env
   * for Discrete action spaces, actionSize floats per env (row-major) for Box ones.
   */
  step(actions: ArrayLike<number>): VectorStepResult {
    if (!this.hasReset) throw new Error('SyncVectorEnv: call reset() before step()');
    const n = this.numEnvs;
    const actionSize = this.actionSize;
    if (actions === null || typeof actions !== 'object' || actions.length !== n * actionSize) {
      const got = actions !== null && typeof actions === 'object' ? `length ${actions.length}` : String(actions);
      throw new RangeError(`SyncVectorEnv.step: expected ${n * actionSize} action values (${n} envs x ${actionSize}), got ${got}`);
    }
    const obsSize = this.observationSize;
    const observations = this.observations;
    let finals: VectorStepInfo = NO_FINALS;
    for (let i = 0; i < n; i++) {
      const env = this.envs[i]!;
      let terminated: boolean;
      let truncated: boolean;
      let stepInfo: Info | undefined;
      if (this.fast[i]) {
        const fastEnv = env as unknown as InPlace;
        this.rewards[i] = fastEnv.stepInPlace(actions, i * actionSize, observations, i * obsSize);
        terminated = fastEnv.lastTerminated;
        truncated = fastEnv.lastTruncated;
      } else {
        const result = env.step(this.actionFor(actions, i));
        this.writeRow(i, result.observation);
        this.rewards[i] = result.reward;
        terminated = result.terminated;
        truncated = result.truncated;
        stepInfo = result.info;
      }
      this.terminated[i] = terminated ? 1 : 0;
      this.truncated[i] = truncated ? 1 : 0;
      if (terminated || truncated) {
        if (finals === NO_FINALS) finals = { finalObservations: new Array<Float32Array | undefined>(n).fill(undefined), finalInfos: new Array<Info | undefined>(n).fill(undefined) };
        finals.finalObservations![i] = observations.slice(i * obsSize, (i + 1) * obsSize);
        finals.finalInfos![i] = stepInfo ?? {};
        this.writeRow(i, env.reset().observation);
      }
    }
    if (!this.copy) {
      this.result.info = finals;
      return this.result;
    }
    return {
      observations: observations.slice(),
      rewards: this.rewards.slice(),
      terminated: this.terminated.slice(),
      truncated: this.truncated.slice(),
      info: finals,
    };
  }

  close(): void {
    for (const env of this.envs) env.close();
  }

  private actionFor(actions: ArrayLike<number>, i: number): Action {
    if (this.singleActionSpace instanceof Discrete) return actions[i]!;
    const size = this.actionSize;
    // A fresh array per call: generic envs may keep the action they were given.
    const out = new Float32Array(size);
    for (let k = 0; k < size; k++) out[k] = actions[i * size + k]!;
    return out;
  }

  private writeRow(i: number, observation: Float32Array): void {
    const size = this.observationSize;
    if (!observation || observation.length !== size) {
      throw new RangeError(`SyncVectorEnv: env ${i} returned an observation of length ${observation?.length}, expected ${size}`);
    }
    this.observations.set(observation, i * size);
  }
}
