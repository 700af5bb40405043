import { Box, Rng, UsageError } from '@bellman/core';
import type { Action, Env, EnvSpec, Info, ResetOptions, ResetResult, StepResult } from '@bellman/core';
import { compileModel, mujocoEngine } from '../engine.js';
import type { MjData, MjModel, MujocoModule } from '../engine.js';
import type { Maze2dCell, Maze2dLayout } from './layouts.js';
import { maze2dXml } from './mjcf.js';
import { renderMaze2d } from './render.js';
import type { RenderMaze2dOptions } from './render.js';

/** D4RL's two reward types: 1 within 0.5 of the target, or exp(-distance). */
export type Maze2dRewardType = 'sparse' | 'dense';
export const MAZE2D_REWARD_TYPES: readonly Maze2dRewardType[] = ['sparse', 'dense'];

/** maze2d's spaces: observation (x, y, vx, vy), unbounded; action a force in [-1, 1]^2. */
export const MAZE2D_OBSERVATION_SPACE = new Box(-Infinity, Infinity, [4]);
export const MAZE2D_ACTION_SPACE = new Box(-1, 1, [2]);

/** The sparse reward is 1 within this distance of the target (and `isSuccess` is true). */
export const MAZE2D_GOAL_RADIUS = 0.5;
/** Each step clips qvel to [-5, 5] before it is taken. */
export const MAZE2D_VELOCITY_LIMIT = 5;
/** Reset noise: U(-0.1, 0.1) on the cell's position, N(0, 0.1^2) on the velocity. */
const RESET_POSITION_NOISE = 0.1;
const RESET_VELOCITY_STD = 0.1;

export interface Maze2dOptions {
  /** Default 'sparse'. */
  reward?: Maze2dRewardType;
  /** The engine to compile with; default the one `loadMujoco()` loaded. */
  engine?: MujocoModule;
}

/** What a maze2d step (and reset) reports in `info`. */
export interface Maze2dInfo extends Info {
  /** Euclidean distance from qpos to the target. */
  distance: number;
  /** distance <= 0.5: the sparse reward's condition. */
  isSuccess: boolean;
}

function clip(v: number, limit: number): number {
  return v < -limit ? -limit : v > limit ? limit : v;
}

/**
 * D4RL's maze2d: a ball on two slide joints pushed by 2-d force among wall boxes, simulated by
 * MuJoCo. Observation (x, y, vx, vy) in float32 (qpos, qvel); physical state the same in float64.
 * A step clips the action to [-1, 1] and qvel to [-5, 5], then takes one mj_step. Resets start
 * in a uniformly drawn free cell with U(-0.1, 0.1) position noise and N(0, 0.01) velocity; the
 * target is the layout's goal cell (`setTarget` moves it). Nothing terminates: the registered
 * time limit truncates.
 */
export class Maze2dEnv implements Env<Float32Array, Action> {
  readonly observationSpace = MAZE2D_OBSERVATION_SPACE;
  readonly actionSpace = MAZE2D_ACTION_SPACE;
  readonly stateLayout = ['x', 'y', 'vx', 'vy'] as const;
  readonly rewardType: Maze2dRewardType;
  spec: EnvSpec;
  private readonly engine: MujocoModule;
  private readonly model: MjModel;
  private readonly data: MjData;
  private readonly targetPosition = new Float64Array(2);
  private rng = new Rng(0);
  private hasState = false;
  private closed = false;

  constructor(
    id: string,
    readonly layout: Maze2dLayout,
    options: Maze2dOptions = {},
  ) {
    this.spec = { id };
    const reward = options.reward ?? 'sparse';
    if (!MAZE2D_REWARD_TYPES.includes(reward)) {
      throw new UsageError(`${id}: reward must be one of ${MAZE2D_REWARD_TYPES.map((r) => `'${r}'`).join(', ')}, got ${JSON.stringify(reward)}`, { envId: id });
    }
    this.rewardType = reward;
    this.engine = options.engine ?? mujocoEngine(id);
    this.model = compileModel(this.engine, maze2dXml(layout), id);
    this.data = new this.engine.MjData(this.model);
    this.targetPosition[0] = layout.goal[0];
    this.targetPosition[1] = layout.goal[1];
  }

  get id(): string {
    return this.spec.id;
  }

  /** Where the sparse reward is paid: the goal cell's integer coordinates unless `setTarget` moved it. */
  get target(): Float64Array {
    return this.targetPosition.slice();
  }

  /** Moves the target to a cell (the multi-task variant) or any qpos. */
  setTarget(target: Maze2dCell | ArrayLike<number>): void {
    const [x, y] = [target[0], target[1]];
    if (target.length !== 2 || typeof x !== 'number' || typeof y !== 'number' || !Number.isFinite(x) || !Number.isFinite(y)) {
      throw new UsageError(`${this.id}: setTarget takes [x, y], got ${JSON.stringify(Array.from(target as ArrayLike<number>))}`, { envId: this.id });
    }
    this.targetPosition[0] = x;
    this.targetPosition[1] = y;
  }

  reset(opts?: ResetOptions): ResetResult<Float32Array> {
    this.checkOpen();
    if (opts?.seed !== undefined) {
      if (typeof opts.seed !== 'number' || !Number.isFinite(opts.seed)) throw new TypeError(`${this.id}: reset seed must be a finite number, got ${String(opts.seed)}`);
      this.rng = new Rng(opts.seed);
    }
    const given = opts?.options?.state;
    const state = given !== undefined && given !== null ? this.checkState(given) : this.sampleInitialState();
    const { engine, model, data } = this;
    engine.mj_resetData(model, data);
    // typed views go stale when the wasm heap grows: fetch them for each use
    const qpos = data.qpos as Float64Array;
    const qvel = data.qvel as Float64Array;
    qpos[0] = state[0]!;
    qpos[1] = state[1]!;
    qvel[0] = state[2]!;
    qvel[1] = state[3]!;
    engine.mj_forward(model, data);
    this.hasState = true;
    return { observation: this.observation(), info: this.info() };
  }

  step(action: Action): StepResult<Float32Array> {
    this.checkOpen();
    if (!this.hasState) throw new Error(`${this.id}: call reset() before step()`);
    const [ax, ay] = this.checkAction(action);
    const { engine, model, data } = this;
    const qvel = data.qvel as Float64Array;
    qvel[0] = clip(qvel[0]!, MAZE2D_VELOCITY_LIMIT);
    qvel[1] = clip(qvel[1]!, MAZE2D_VELOCITY_LIMIT);
    const ctrl = data.ctrl as Float64Array;
    ctrl[0] = clip(ax, 1);
    ctrl[1] = clip(ay, 1);
    engine.mj_step(model, data);
    const info = this.info();
    const reward = this.rewardType === 'sparse' ? (info.isSuccess ? 1 : 0) : Math.exp(-info.distance);
    return { observation: this.observation(), reward, terminated: false, truncated: false, info };
  }

  getState(): Float64Array {
    this.checkOpen();
    if (!this.hasState) throw new Error(`${this.id}: call reset() before getState()`);
    const qpos = this.data.qpos as Float64Array;
    const qvel = this.data.qvel as Float64Array;
    return Float64Array.of(qpos[0]!, qpos[1]!, qvel[0]!, qvel[1]!);
  }

  /** The maze, the target, the ball and, optionally, a planned path. */
  render(options: Omit<RenderMaze2dOptions, 'position' | 'target'> = {}): string {
    const position = this.hasState && !this.closed ? this.getState().subarray(0, 2) : undefined;
    return renderMaze2d(this.layout, { ...options, ...(position ? { position } : {}), target: this.targetPosition, title: options.title ?? this.id });
  }

  /** Frees the MuJoCo model and data (they live on the wasm heap, not the JS one). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.data.delete();
    this.model.delete();
  }

  private sampleInitialState(): number[] {
    const cells = this.layout.openCells;
    const [row, col] = cells[this.rng.int(cells.length)]!;
    const x = row + this.rng.uniformRange(-RESET_POSITION_NOISE, RESET_POSITION_NOISE);
    const y = col + this.rng.uniformRange(-RESET_POSITION_NOISE, RESET_POSITION_NOISE);
    return [x, y, this.rng.normal(0, RESET_VELOCITY_STD), this.rng.normal(0, RESET_VELOCITY_STD)];
  }

  private observation(): Float32Array {
    const qpos = this.data.qpos as Float64Array;
    const qvel = this.data.qvel as Float64Array;
    return Float32Array.of(qpos[0]!, qpos[1]!, qvel[0]!, qvel[1]!);
  }

  private info(): Maze2dInfo {
    const qpos = this.data.qpos as Float64Array;
    const distance = Math.hypot(qpos[0]! - this.targetPosition[0]!, qpos[1]! - this.targetPosition[1]!);
    return { distance, isSuccess: distance <= MAZE2D_GOAL_RADIUS };
  }

  private checkOpen(): void {
    if (this.closed) throw new Error(`${this.id}: the env was closed`);
  }

  private checkState(given: ArrayLike<number>): number[] {
    if (typeof given !== 'object' || typeof given.length !== 'number' || given.length !== 4) {
      throw new RangeError(`${this.id}: reset options.state must be [x, y, vx, vy], got ${ArrayBuffer.isView(given) || Array.isArray(given) ? `${given.length} values` : String(given)}`);
    }
    const out: number[] = [];
    for (let i = 0; i < 4; i++) {
      const v = given[i];
      if (typeof v !== 'number' || !Number.isFinite(v)) throw new RangeError(`${this.id}: reset options.state[${i}] (${this.stateLayout[i]}) must be a finite number, got ${String(v)}`);
      out.push(v);
    }
    return out;
  }

  private checkAction(action: Action): [number, number] {
    if (typeof action === 'number' || action === null || typeof action !== 'object' || typeof action.length !== 'number') {
      throw new TypeError(`${this.id}: action must be a Float32Array of length 2 for ${this.actionSpace.toString()}, got ${String(action)}`);
    }
    if (action.length !== 2) throw new RangeError(`${this.id}: action has length ${action.length}, ${this.actionSpace.toString()} needs 2`);
    const [ax, ay] = [action[0], action[1]];
    if (typeof ax !== 'number' || Number.isNaN(ax) || typeof ay !== 'number' || Number.isNaN(ay)) {
      throw new RangeError(`${this.id}: action [${String(ax)}, ${String(ay)}] has a value that is not a number (${this.actionSpace.toString()})`);
    }
    return [ax, ay];
  }
}
