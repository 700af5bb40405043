import { fmt } from '../base.js';
import { GOAL_RADIUS, MAZE_HALF_SIZE } from './layouts.js';
import type { MazeLayout } from './layouts.js';

interface HeatMapScale {
  /** Cells per side (default 40). */
  resolution?: number;
  /** The values mapped to the ends of the colour scale (default: the grid's min and max). */
  min?: number;
  max?: number;
}

/**
 * A function of the position drawn as coloured cells under the walls: `fn(x, y)` at each cell's
 * centre, or `values` already computed there, one per cell in the order of `heatMapCentres`.
 * A cell whose value is not finite is left blank.
 */
export type HeatMapOptions = HeatMapScale &
  (
    | {
        /** The value at (x, y), e.g. a reward model's output. */
        fn: (x: number, y: number) => number;
        values?: never;
      }
    | {
        /** One value per cell, row by row from the bottom-left (a batch of a model's outputs at `heatMapCentres(resolution)`). */
        values: ArrayLike<number>;
        fn?: never;
      }
  );

/**
 * The centres of the heat map's cells over [-4, 4]^2, [x0, y0, x1, y1, ...], row by row from the
 * bottom-left: where `fn` is evaluated, and the order `values` are read in.
 */
export function heatMapCentres(resolution = 40): Float64Array {
  if (!Number.isInteger(resolution) || resolution <= 0) throw new RangeError(`renderMaze: heatMap.resolution must be a positive integer, got ${String(resolution)}`);
  const cell = (2 * MAZE_HALF_SIZE) / resolution;
  const out = new Float64Array(2 * resolution * resolution);
  for (let row = 0; row < resolution; row++) {
    for (let col = 0; col < resolution; col++) {
      const i = row * resolution + col;
      out[2 * i] = -MAZE_HALF_SIZE + (col + 0.5) * cell;
      out[2 * i + 1] = -MAZE_HALF_SIZE + (row + 0.5) * cell;
    }
  }
  return out;
}

export interface RenderMazeOptions {
  /** The point's position, drawn as a dot. */
  position?: ArrayLike<number>;
  heatMap?: HeatMapOptions;
  /** States to mark as small dots, [x0, y0, x1, y1, ...] (e.g. visited states). */
  points?: ArrayLike<number>;
  /** Picture side in pixels (default 400). */
  size?: number;
  /** A caption in the top-left corner. */
  title?: string;
}

/** Dark blue through teal to yellow, low to high. */
const COLOUR_STOPS: readonly (readonly [number, number, number])[] = [
  [48, 18, 92],
  [40, 110, 142],
  [52, 176, 120],
  [250, 226, 60],
];

function escapeText(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function colourOf(t: number): string {
  const clamped = Number.isFinite(t) ? Math.min(Math.max(t, 0), 1) : 0;
  const scaled = clamped * (COLOUR_STOPS.length - 1);
  const i = Math.min(Math.floor(scaled), COLOUR_STOPS.length - 2);
  const f = scaled - i;
  const a = COLOUR_STOPS[i]!;
  const b = COLOUR_STOPS[i + 1]!;
  const channel = (k: number) => Math.round(a[k]! + (b[k]! - a[k]!) * f);
  return `rgb(${channel(0)},${channel(1)},${channel(2)})`;
}

function heatMapCells(heat: HeatMapOptions, toPx: (x: number) => number, toPy: (y: number) => number): string[] {
  const n = heat.resolution ?? 40;
  const centres = heatMapCentres(n);
  const cell = (2 * MAZE_HALF_SIZE) / n;
  if (heat.values !== undefined && heat.values.length !== n * n) {
    throw new RangeError(`renderMaze: heatMap.values holds ${heat.values.length} values for ${n} x ${n} cells`);
  }
  const values = new Float64Array(n * n);
  let low = Infinity;
  let high = -Infinity;
  for (let i = 0; i < n * n; i++) {
    const v = heat.values !== undefined ? heat.values[i]! : heat.fn(centres[2 * i]!, centres[2 * i + 1]!);
    values[i] = v;
    if (Number.isFinite(v)) {
      if (v < low) low = v;
      if (v > high) high = v;
    }
  }
  const min = heat.min ?? low;
  const max = heat.max ?? high;
  const span = max > min ? max - min : 1;
  const side = fmt(toPx(cell) - toPx(0));
  const cells: string[] = [];
  for (let row = 0; row < n; row++) {
    for (let col = 0; col < n; col++) {
      // no value there (e.g. inside a wall): leave the cell blank
      if (!Number.isFinite(values[row * n + col]!)) continue;
      const x = toPx(-MAZE_HALF_SIZE + col * cell);
      const y = toPy(-MAZE_HALF_SIZE + (row + 1) * cell);
      cells.push(`<rect x="${fmt(x)}" y="${fmt(y)}" width="${side}" height="${side}" fill="${colourOf((values[row * n + col]! - min) / span)}"/>`);
    }
  }
  return cells;
}

/**
 * An SVG picture of a maze: the grown walls, the start (a ring), the goal's success disc, the
 * point, and optionally a heat map of any function of (x, y) on a grid. y points up.
 */
export function renderMaze(maze: MazeLayout, options: RenderMazeOptions = {}): string {
  const size = options.size ?? 400;
  const scale = size / (2 * MAZE_HALF_SIZE);
  const toPx = (x: number) => (x + MAZE_HALF_SIZE) * scale;
  const toPy = (y: number) => (MAZE_HALF_SIZE - y) * scale;
  const parts = [`<svg xmlns="http://www.w3.org/2000/svg" width="${size}" height="${size}" viewBox="0 0 ${size} ${size}">`, `<rect width="${size}" height="${size}" fill="white"/>`];
  if (options.heatMap) parts.push(...heatMapCells(options.heatMap, toPx, toPy));
  for (const box of maze.walls) {
    const x0 = toPx(Math.max(box.minX, -MAZE_HALF_SIZE));
    const x1 = toPx(Math.min(box.maxX, MAZE_HALF_SIZE));
    const y0 = toPy(Math.min(box.maxY, MAZE_HALF_SIZE));
    const y1 = toPy(Math.max(box.minY, -MAZE_HALF_SIZE));
    parts.push(`<rect class="wall" x="${fmt(x0)}" y="${fmt(y0)}" width="${fmt(x1 - x0)}" height="${fmt(y1 - y0)}" fill="rgb(60,60,60)"/>`);
  }
  if (options.points) {
    if (options.points.length % 2 !== 0) throw new RangeError(`renderMaze: points must hold x, y pairs, got ${options.points.length} values`);
    const dots: string[] = [];
    for (let i = 0; i < options.points.length; i += 2) dots.push(`<circle cx="${fmt(toPx(options.points[i]!))}" cy="${fmt(toPy(options.points[i + 1]!))}" r="1.5"/>`);
    parts.push(`<g class="points" fill="rgb(220,60,60)" fill-opacity="0.6">${dots.join('')}</g>`);
  }
  parts.push(`<circle class="goal" cx="${fmt(toPx(maze.goal[0]))}" cy="${fmt(toPy(maze.goal[1]))}" r="${fmt(GOAL_RADIUS * scale)}" fill="none" stroke="rgb(0,160,0)" stroke-width="2"/>`);
  parts.push(`<circle class="start" cx="${fmt(toPx(maze.start[0]))}" cy="${fmt(toPy(maze.start[1]))}" r="${fmt(0.15 * scale)}" fill="none" stroke="rgb(30,90,200)" stroke-width="2"/>`);
  if (options.position) {
    parts.push(`<circle class="point" cx="${fmt(toPx(options.position[0]!))}" cy="${fmt(toPy(options.position[1]!))}" r="${fmt(0.1 * scale)}" fill="rgb(204,40,40)"/>`);
  }
  if (options.title) parts.push(`<text x="6" y="16" font-family="sans-serif" font-size="13">${escapeText(options.title)}</text>`);
  parts.push('</svg>');
  return parts.join('');
}
