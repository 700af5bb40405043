import { growWall } from './geometry.js';
import type { WallBox, WallSegment } from './geometry.js';

/** Half the side of the square the point moves in: [-4, 4]^2. */
export const MAZE_HALF_SIZE = 4;
/** Success: the point is closer than this to the goal. */
export const GOAL_RADIUS = 0.5;

/** A point-maze task: the wall segments, their grown boxes, the fixed start and the goal. */
export interface MazeLayout {
  readonly name: string;
  readonly segments: readonly WallSegment[];
  /** The segments grown by the clearance, in the same order (the collision rule depends on it). */
  readonly walls: readonly WallBox[];
  readonly start: readonly [number, number];
  readonly goal: readonly [number, number];
}

function layout(name: string, segments: WallSegment[], start: [number, number], goal: [number, number]): MazeLayout {
  return Object.freeze({ name, segments: Object.freeze(segments), walls: Object.freeze(segments.map((s) => growWall(s))), start, goal });
}

const vertical = (x: number, y0: number, y1: number): WallSegment => ({ x0: x, y0, x1: x, y1 });
const horizontal = (y: number, x0: number, x1: number): WallSegment => ({ x0, y0: y, x1, y1: y });

/** Two staggered walls: up the left corridor, down the middle one, up the right one to the goal. */
export const ZIGZAG_MAZE: MazeLayout = layout('zigzag', [vertical(-4 / 3, -4, 2), vertical(4 / 3, -2, 4)], [-3, -3], [3, 3]);

/** Five walls winding clockwise around the goal near the centre. */
export const SPIRAL_MAZE: MazeLayout = layout(
  'spiral',
  [horizontal(-2, -4, 2), vertical(2, -2, 2), horizontal(2, -2, 2), vertical(-2, 0, 2), horizontal(0, -2, 0)],
  [-3, -3],
  [-0.5, 1.25],
);

/** No walls: the start and goal of the zigzag maze in the open square. */
export const OPEN_POINT_GOAL: MazeLayout = layout('open', [], [-3, -3], [3, 3]);
