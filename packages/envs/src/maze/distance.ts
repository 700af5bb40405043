import { insideBox } from './geometry.js';
import type { WallBox } from './geometry.js';
import { MAZE_HALF_SIZE } from './layouts.js';
import type { MazeLayout } from './layouts.js';

/** A segment counts as blocked only when it enters a box's interior by more than this. */
const INTERIOR_TOLERANCE = 1e-9;

/**
 * True when the segment (ax, ay)-(bx, by) passes through the open interior of `box` (running
 * along a face or touching a corner is free). The part of the segment inside the closed box is
 * found by clipping the segment's parameter against the four slabs; it enters the open box
 * exactly when that part has length and its midpoint lies inside.
 */
function segmentCrossesBox(box: WallBox, ax: number, ay: number, bx: number, by: number): boolean {
  let t0 = 0;
  let t1 = 1;
  const dx = bx - ax;
  const dy = by - ay;
  const clip = (delta: number, from: number, low: number, high: number): boolean => {
    if (delta === 0) return from >= low && from <= high;
    let ta = (low - from) / delta;
    let tb = (high - from) / delta;
    if (ta > tb) [ta, tb] = [tb, ta];
    if (ta > t0) t0 = ta;
    if (tb < t1) t1 = tb;
    return t0 <= t1;
  };
  if (!clip(dx, ax, box.minX, box.maxX) || !clip(dy, ay, box.minY, box.maxY)) return false;
  if (t1 - t0 <= 0) return false;
  const mx = ax + dx * ((t0 + t1) / 2);
  const my = ay + dy * ((t0 + t1) / 2);
  const e = INTERIOR_TOLERANCE;
  return box.minX + e < mx && mx < box.maxX - e && box.minY + e < my && my < box.maxY - e;
}

/** Boxes that contain the point (x, y) are skipped for segments from it (a point inside a wall sees out). */
function visible(walls: readonly WallBox[], ax: number, ay: number, bx: number, by: number): boolean {
  for (const box of walls) {
    if (insideBox(box, ax, ay)) continue;
    if (segmentCrossesBox(box, ax, ay, bx, by)) return false;
  }
  return true;
}

/** The visibility graph of a maze with every node's shortest distance to the goal. */
interface DistanceField {
  readonly nodesX: Float64Array;
  readonly nodesY: Float64Array;
  readonly toGoal: Float64Array;
}

const fields = new WeakMap<MazeLayout, DistanceField>();

/**
 * Nodes: the goal and every grown-wall corner that lies in the square and not strictly inside
 * another wall box (shortest paths bend only at such corners; a corner where two boxes meet is
 * kept, a corner buried in another box is not). Edges join mutually visible
 * nodes with their Euclidean length; Dijkstra from the goal gives each node's distance.
 */
function buildField(maze: MazeLayout): DistanceField {
  const xs: number[] = [maze.goal[0]];
  const ys: number[] = [maze.goal[1]];
  maze.walls.forEach((box, i) => {
    for (const [cx, cy] of [
      [box.minX, box.minY],
      [box.minX, box.maxY],
      [box.maxX, box.minY],
      [box.maxX, box.maxY],
    ] as const) {
      if (Math.abs(cx) > MAZE_HALF_SIZE || Math.abs(cy) > MAZE_HALF_SIZE) continue;
      if (!maze.walls.some((other, j) => j !== i && insideBox(other, cx, cy))) {
        xs.push(cx);
        ys.push(cy);
      }
    }
  });
  const n = xs.length;
  const toGoal = new Float64Array(n).fill(Infinity);
  const done = new Uint8Array(n);
  toGoal[0] = 0;
  for (let round = 0; round < n; round++) {
    let u = -1;
    for (let i = 0; i < n; i++) if (!done[i] && (u < 0 || toGoal[i]! < toGoal[u]!)) u = i;
    if (u < 0 || toGoal[u] === Infinity) break;
    done[u] = 1;
    for (let v = 0; v < n; v++) {
      if (done[v] || !visible(maze.walls, xs[u]!, ys[u]!, xs[v]!, ys[v]!)) continue;
      const d = toGoal[u]! + Math.hypot(xs[v]! - xs[u]!, ys[v]! - ys[u]!);
      if (d < toGoal[v]!) toGoal[v] = d;
    }
  }
  return { nodesX: Float64Array.from(xs), nodesY: Float64Array.from(ys), toGoal };
}

/**
 * The length of the shortest path from (x, y) to the maze's goal that avoids the interiors of the
 * grown walls (the geodesic distance in the free space, exact: no grid). Computed on a visibility
 * graph over the grown walls' corners: the best of |p - node| + node's distance over the nodes
 * visible from p. Equal to the Euclidean distance where the goal is in sight. A point inside a
 * wall measures from where it is, ignoring that wall.
 */
export function mazeDistance(maze: MazeLayout, x: number, y: number): number {
  let field = fields.get(maze);
  if (!field) {
    field = buildField(maze);
    fields.set(maze, field);
  }
  let best = Infinity;
  const { nodesX, nodesY, toGoal } = field;
  for (let i = 0; i < nodesX.length; i++) {
    const rest = toGoal[i]!;
    if (rest === Infinity) continue;
    const d = Math.hypot(nodesX[i]! - x, nodesY[i]! - y) + rest;
    if (d < best && visible(maze.walls, x, y, nodesX[i]!, nodesY[i]!)) best = d;
  }
  return best;
}
