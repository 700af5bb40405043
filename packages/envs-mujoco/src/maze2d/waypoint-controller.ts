import { UsageError } from '@bellman/core';
import type { Maze2dCell, Maze2dLayout } from './layouts.js';
import { isWallCell } from './layouts.js';

/** Q-iteration over the cells: the 5 moves (stay, and the 4 neighbours), discount 0.99. */
const MOVES: readonly (readonly [number, number])[] = [
  [0, 0],
  [1, 0],
  [-1, 0],
  [0, 1],
  [0, -1],
];
const DISCOUNT = 0.99;
const P_GAIN = 10;
const D_GAIN = -1;
/** The next waypoint is taken once within this distance, moving less than this per step. */
const WAYPOINT_REACHED = 0.1;

/**
 * The greedy cell path from `start` to `goal` by value iteration on the grid (reward 1 for being at
 * the goal, 5 moves, discount 0.99): the cells after `start`, ending with `goal`.
 */
export function cellPath(layout: Maze2dLayout, start: Maze2dCell, goal: Maze2dCell): Maze2dCell[] {
  for (const [name, cell] of [['start', start], ['goal', goal]] as const) {
    if (isWallCell(layout, cell[0], cell[1])) throw new UsageError(`cellPath: the ${name} cell ${cell.join(',')} is a wall or outside maze2d layout "${layout.name}"`, { layout: layout.name });
  }
  const rows = layout.rows.length;
  const cols = layout.rows[0]!.length;
  const index = (r: number, c: number) => r * cols + c;
  const next = (r: number, c: number, [dr, dc]: readonly [number, number]): [number, number] => (isWallCell(layout, r + dr, c + dc) ? [r, c] : [r + dr, c + dc]);
  let values = new Float64Array(rows * cols);
  const reward = (r: number, c: number) => (r === goal[0] && c === goal[1] ? 1 : 0);
  // converged once the values stop changing: at most (cells) sweeps carry the goal's value everywhere
  for (let sweep = 0; sweep < rows * cols * 4; sweep++) {
    const updated = new Float64Array(rows * cols);
    let change = 0;
    for (let r = 0; r < rows; r++) {
      for (let c = 0; c < cols; c++) {
        if (isWallCell(layout, r, c)) continue;
        let best = -Infinity;
        for (const move of MOVES) {
          const [nr, nc] = next(r, c, move);
          best = Math.max(best, reward(r, c) + DISCOUNT * values[index(nr, nc)]!);
        }
        updated[index(r, c)] = best;
        change = Math.max(change, Math.abs(best - values[index(r, c)]!));
      }
    }
    values = updated;
    if (change < 1e-12) break;
  }
  const path: Maze2dCell[] = [];
  let [r, c] = start;
  for (let guard = 0; !(r === goal[0] && c === goal[1]); guard++) {
    if (guard > rows * cols) throw new Error(`cellPath: no path from ${start.join(',')} to ${goal.join(',')} in maze2d layout "${layout.name}"`);
    let bestMove: readonly [number, number] = MOVES[0]!;
    let best = -Infinity;
    // the stay move never wins outside the goal: a neighbour's value is larger
    for (const move of MOVES.slice(1)) {
      const [nr, nc] = next(r, c, move);
      if (nr === r && nc === c) continue;
      const v = values[index(nr, nc)]!;
      if (v > best) {
        best = v;
        bestMove = move;
      }
    }
    [r, c] = next(r, c, bestMove);
    path.push([r, c]);
  }
  return path;
}

/** Something that returns uniform numbers in [0, 1): the waypoints' jitter. */
export interface UniformSource {
  uniform(): number;
}

/**
 * The controller D4RL's maze2d datasets were collected with. Waypoints sit at the cells of the
 * greedy path to the target's cell, each jittered by -U(0, 1) * 0.2 per axis, and the last is the
 * target itself; action = 10 (waypoint - position) - 1 * velocity, clipped to [-1, 1]. A waypoint
 * is passed once the ball is within 0.1 of it and moved less than 0.1 since the last call; the
 * target counts as reached on the same test, and from then on the ball is held at it.
 */
export class WaypointController {
  private waypoints: Float64Array[] = [];
  private current = 0;
  private readonly target = new Float64Array(2);
  private readonly previous = new Float64Array(2);
  private hasTarget = false;

  constructor(
    readonly layout: Maze2dLayout,
    private readonly jitter: UniformSource,
  ) {}

  /** The waypoints being followed, [x, y] each; the last is the target. */
  get plan(): readonly Float64Array[] {
    return this.waypoints;
  }

  /** Plans afresh from the ball's cell to `target` (a qpos; its nearest cell is planned to). */
  setTarget(position: ArrayLike<number>, target: ArrayLike<number>): void {
    const start = nearestCell(position);
    const goal = nearestCell(target);
    const cells = start[0] === goal[0] && start[1] === goal[1] ? [] : cellPath(this.layout, start, goal).slice(0, -1);
    this.waypoints = cells.map(([r, c]) => Float64Array.of(r - this.jitter.uniform() * 0.2, c - this.jitter.uniform() * 0.2));
    this.waypoints.push(Float64Array.of(target[0]!, target[1]!));
    this.target[0] = target[0]!;
    this.target[1] = target[1]!;
    this.previous[0] = position[0]!;
    this.previous[1] = position[1]!;
    this.current = 0;
    this.hasTarget = true;
  }

  /**
   * The action at state (x, y, vx, vy), written into `out`; `reached` is true once the target is
   * reached (the data collector then draws a new target).
   */
  act(state: ArrayLike<number>, out: Float32Array = new Float32Array(2)): { action: Float32Array; reached: boolean } {
    if (!this.hasTarget) throw new Error('WaypointController: call setTarget() before act()');
    const [x, y] = [state[0]!, state[1]!];
    const moved = Math.hypot(x - this.previous[0]!, y - this.previous[1]!);
    const reached = Math.hypot(x - this.target[0]!, y - this.target[1]!) < WAYPOINT_REACHED && moved < WAYPOINT_REACHED;
    const waypoint = reached ? this.target : this.waypoints[this.current]!;
    for (let i = 0; i < 2; i++) {
      const a = P_GAIN * (waypoint[i]! - state[i]!) + D_GAIN * state[i + 2]!;
      out[i] = a < -1 ? -1 : a > 1 ? 1 : a;
    }
    if (!reached && this.current < this.waypoints.length - 1 && Math.hypot(x - waypoint[0]!, y - waypoint[1]!) < WAYPOINT_REACHED && moved < WAYPOINT_REACHED) this.current++;
    this.previous[0] = x;
    this.previous[1] = y;
    return { action: out, reached };
  }
}

/** The cell whose integer coordinates are nearest to a qpos. */
export function nearestCell(position: ArrayLike<number>): Maze2dCell {
  return [Math.round(position[0]!), Math.round(position[1]!)];
}
