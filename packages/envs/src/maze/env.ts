import { Box, Rng } from '@bellman/core';
import type { Action, Env, EnvSpec, Info, ResetOptions, ResetResult, StepResult } from '@bellman/core';
import { insideAnyWall, moveAmongWalls } from './geometry.js';
import { mazeDistance } from './distance.js';
import { GOAL_RADIUS, MAZE_HALF_SIZE } from './layouts.js';
import type { MazeLayout } from './layouts.js';
import { renderMaze } from './render.js';
import type { RenderMazeOptions } from './render.js';

/** What a point-maze step pays: nothing (rewards come from elsewhere), -1 outside the goal, or minus the maze distance. */
export type MazeRewardMode = 'none' | 'sparse' | 'dense';
export const MAZE_REWARD_MODES: readonly MazeRewardMode[] = ['none', 'sparse', 'dense'];

export interface PointMazeOptions {
  /** Default 'none': the example-based setting, where a learned model supplies the reward. */
  reward?: MazeRewardMode;
}

/** Each clipped action component moves the point by up to this much. */
export const MAZE_ACTION_SCALE = 0.5;
/** Success examples are drawn within this distance of the goal. */
const EXAMPLE_RADIUS = 0.05;
/** Random-action steps after each example reset. */
const EXAMPLE_ROLLOUT_STEPS = 16;

/** What a point-maze step (and reset) reports in `info`. */
export interface PointMazeInfo extends Info {
  /** Euclidean distance to the goal. */
  distance: number;
  /** Shortest-path distance to the goal around the walls (`mazeDistance`). */
  mazeDistance: number;
  /** distance < 0.5. */
  isSuccess: boolean;
}

function clipUnit(v: number): number {
  return v < -1 ? -1 : v > 1 ? 1 : v;
}

function clipSquare(v: number): number {
  return v < -MAZE_HALF_SIZE ? -MAZE_HALF_SIZE : v > MAZE_HALF_SIZE ? MAZE_HALF_SIZE : v;
}

/**
 * One step of the point's dynamics, in float64: each action component clipped to [-1, 1] and
 * scaled by 0.5, the walls' collision rule (`moveAmongWalls`), then the square's bounds. Writes
 * the new position into `out`.
 */
export function stepPointMaze(maze: MazeLayout, x: number, y: number, actionX: number, actionY: number, out: Float64Array = new Float64Array(2)): Float64Array {
  moveAmongWalls(maze.walls, x, y, x + MAZE_ACTION_SCALE * clipUnit(actionX), y + MAZE_ACTION_SCALE * clipUnit(actionY), out);
  out[0] = clipSquare(out[0]!);
  out[1] = clipSquare(out[1]!);
  return out;
}

/**
 * `n` states near a maze's goal (row-major float32 [n * 2]): resets drawn uniformly within +-0.05
 * of the goal in each coordinate (drawn again when inside a wall), each followed by up to 16 steps
 * of uniform random actions; every state (the reset included) whose float32 observation is within
 * 0.05 of the goal is recorded, until there are `n`.
 */
export function mazeSuccessExamples(maze: MazeLayout, n = 150, rng: Rng = new Rng(0)): Float32Array {
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`successExamples: the count must be a non-negative integer, got ${String(n)}`);
  const out = new Float32Array(n * 2);
  const [gx, gy] = maze.goal;
  const next = new Float64Array(2);
  let count = 0;
  const record = (x: number, y: number) => {
    const fx = Math.fround(x);
    const fy = Math.fround(y);
    if (Math.hypot(fx - gx, fy - gy) > EXAMPLE_RADIUS || count >= n) return;
    out[2 * count] = fx;
    out[2 * count + 1] = fy;
    count++;
  };
  while (count < n) {
    let x: number;
    let y: number;
    do {
      x = rng.uniformRange(gx - EXAMPLE_RADIUS, gx + EXAMPLE_RADIUS);
      y = rng.uniformRange(gy - EXAMPLE_RADIUS, gy + EXAMPLE_RADIUS);
    } while (insideAnyWall(maze.walls, x, y));
    record(x, y);
    for (let t = 0; t < EXAMPLE_ROLLOUT_STEPS && count < n; t++) {
      stepPointMaze(maze, x, y, rng.uniformRange(-1, 1), rng.uniformRange(-1, 1), next);
      x = next[0]!;
      y = next[1]!;
      record(x, y);
    }
  }
  return out;
}

/**
 * A point in [-4, 4]^2 pushed by a 2-d action among walls: the navigation mazes of example-based
 * RL (ZigzagMaze-v0, SpiralMaze-v0) and the open PointGoal-v0. Every episode starts at the
 * layout's start; nothing terminates (the registered time limit truncates at 100 steps).
 * State [x, y] in float64; observation [x, y] in float32.
 */
export class PointMazeEnv implements Env<Float32Array, Action> {
  readonly observationSpace = new Box(-MAZE_HALF_SIZE, MAZE_HALF_SIZE, [2]);
  readonly actionSpace = new Box(-1, 1, [2]);
  readonly stateLayout = ['x', 'y'] as const;
  readonly rewardMode: MazeRewardMode;
  spec: EnvSpec;
  private readonly position = new Float64Array(2);
  private hasState = false;

  constructor(
    id: string,
    readonly maze: MazeLayout,
    options: PointMazeOptions = {},
  ) {
    this.spec = { id };
    const mode = options.reward ?? 'none';
    if (!MAZE_REWARD_MODES.includes(mode)) {
      throw new RangeError(`${id}: reward must be one of ${MAZE_REWARD_MODES.map((m) => `'${m}'`).join(', ')}, got ${JSON.stringify(mode)}`);
    }
    this.rewardMode = mode;
  }

  get id(): string {
    return this.spec.id;
  }

  /** The start is fixed, so a seed changes nothing; it is still checked. */
  reset(opts?: ResetOptions): ResetResult<Float32Array> {
    if (opts?.seed !== undefined && (typeof opts.seed !== 'number' || !Number.isFinite(opts.seed))) {
      throw new TypeError(`${this.id}: reset seed must be a finite number, got ${String(opts.seed)}`);
    }
    const given = opts?.options?.state;
    if (given !== undefined && given !== null) this.setState(given);
    else {
      this.position[0] = this.maze.start[0];
      this.position[1] = this.maze.start[1];
    }
    this.hasState = true;
    return { observation: Float32Array.from(this.position), info: this.info() };
  }

  step(action: Action): StepResult<Float32Array> {
    if (!this.hasState) throw new Error(`${this.id}: call reset() before step()`);
    const [ax, ay] = this.validateAction(action);
    stepPointMaze(this.maze, this.position[0]!, this.position[1]!, ax, ay, this.position);
    const info = this.info();
    return { observation: Float32Array.from(this.position), reward: this.rewardOf(info), terminated: false, truncated: false, info };
  }

  getState(): Float64Array {
    if (!this.hasState) throw new Error(`${this.id}: call reset() before getState()`);
    return this.position.slice();
  }

  /** The maze with the point; `options` adds a heat map, a title or another size. */
  render(options: Omit<RenderMazeOptions, 'position'> = {}): string {
    return renderMaze(this.maze, { ...options, position: this.hasState ? this.position : this.maze.start, title: options.title ?? this.id });
  }

  close(): void {}

  /** `n` example success states of this env's maze (`mazeSuccessExamples`); the env itself is not touched. */
  successExamples(n = 150, rng: Rng = new Rng(0)): Float32Array {
    return mazeSuccessExamples(this.maze, n, rng);
  }

  private info(): PointMazeInfo {
    const [x, y] = [this.position[0]!, this.position[1]!];
    const distance = Math.hypot(x - this.maze.goal[0], y - this.maze.goal[1]);
    return { distance, mazeDistance: mazeDistance(this.maze, x, y), isSuccess: distance < GOAL_RADIUS };
  }

  private rewardOf(info: PointMazeInfo): number {
    if (this.rewardMode === 'sparse') return info.isSuccess ? 0 : -1;
    if (this.rewardMode === 'dense') return -info.mazeDistance;
    return 0;
  }

  private setState(given: ArrayLike<number>): void {
    if (typeof given !== 'object' || typeof given.length !== 'number' || given.length !== 2) {
      throw new RangeError(`${this.id}: reset options.state must be [x, y], got ${ArrayBuffer.isView(given) || Array.isArray(given) ? `${given.length} values` : String(given)}`);
    }
    for (let i = 0; i < 2; i++) {
      const v = given[i];
      if (typeof v !== 'number' || !Number.isFinite(v) || Math.abs(v) > MAZE_HALF_SIZE) {
        throw new RangeError(`${this.id}: reset options.state[${i}] (${this.stateLayout[i]}) must be a number in [-4, 4], got ${String(v)}`);
      }
    }
    this.position[0] = given[0]!;
    this.position[1] = given[1]!;
  }

  private validateAction(action: Action): [number, number] {
    if (typeof action === 'number' || action === null || typeof action !== 'object' || typeof action.length !== 'number') {
      throw new TypeError(`${this.id}: action must be a Float32Array of length 2 for ${this.actionSpace.toString()}, got ${String(action)}`);
    }
    if (action.length !== 2) throw new RangeError(`${this.id}: action has length ${action.length}, ${this.actionSpace.toString()} needs 2`);
    const ax = action[0];
    const ay = action[1];
    if (typeof ax !== 'number' || Number.isNaN(ax) || typeof ay !== 'number' || Number.isNaN(ay)) {
      throw new RangeError(`${this.id}: action [${String(ax)}, ${String(ay)}] has a value that is not a number (${this.actionSpace.toString()})`);
    }
    return [ax, ay];
  }
}
