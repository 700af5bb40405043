import { svgNumber } from '@bellman/envs';
import type { Maze2dLayout } from './layouts.js';

export interface RenderMaze2dOptions {
  /** The ball's qpos (x, y). */
  position?: ArrayLike<number>;
  /** The target's qpos, drawn as the goal disc (default the goal cell). */
  target?: ArrayLike<number>;
  /** A planned path, [x0, y0, x1, y1, ...] in qpos coordinates, drawn as a line with dots. */
  plan?: ArrayLike<number>;
  /** Visited states as small dots, [x0, y0, ...]. */
  points?: ArrayLike<number>;
  /** Pixels per cell (default 48). */
  cellSize?: number;
  /** A caption in the top-left corner. */
  title?: string;
}

/** qpos (x, y) of cell (row, col)'s centre: the ball's body sits 0.2 off the walls' grid. */
const CELL_OFFSET = -0.2;
const BALL_RADIUS = 0.1;

function escapeText(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function pairsOf(values: ArrayLike<number>, what: string): number[][] {
  if (values.length % 2 !== 0) throw new RangeError(`renderMaze2d: ${what} must hold x, y pairs, got ${values.length} values`);
  const out: number[][] = [];
  for (let i = 0; i < values.length; i += 2) out.push([values[i]!, values[i + 1]!]);
  return out;
}

/**
 * An SVG picture of a maze2d layout in qpos coordinates: x (the layout's row) to the right, y (its
 * column) up; the walls, the target's 0.5 disc, an optional plan and points, and the ball.
 */
export function renderMaze2d(layout: Maze2dLayout, options: RenderMaze2dOptions = {}): string {
  const cell = options.cellSize ?? 48;
  const rows = layout.rows.length;
  const cols = layout.rows[0]!.length;
  const width = rows * cell;
  const height = cols * cell;
  // the picture spans qpos x in [-0.7, rows - 0.7] and y in [-0.7, cols - 0.7]
  const toPx = (x: number) => (x - CELL_OFFSET + 0.5) * cell;
  const toPy = (y: number) => height - (y - CELL_OFFSET + 0.5) * cell;
  const parts = [`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">`, `<rect width="${width}" height="${height}" fill="white"/>`];
  for (const [w, h] of layout.walls) {
    parts.push(`<rect class="wall" x="${svgNumber(w * cell)}" y="${svgNumber(height - (h + 1) * cell)}" width="${cell}" height="${cell}" fill="rgb(60,60,60)"/>`);
  }
  const target = options.target ?? layout.goal;
  parts.push(`<circle class="target" cx="${svgNumber(toPx(target[0]!))}" cy="${svgNumber(toPy(target[1]!))}" r="${svgNumber(0.5 * cell)}" fill="rgba(46,160,67,0.25)" stroke="rgb(46,160,67)"/>`);
  if (options.points) {
    const dots = pairsOf(options.points, 'points').map(([x, y]) => `<circle cx="${svgNumber(toPx(x!))}" cy="${svgNumber(toPy(y!))}" r="1.5"/>`);
    parts.push(`<g class="points" fill="rgba(30,90,200,0.35)">${dots.join('')}</g>`);
  }
  if (options.plan) {
    const plan = pairsOf(options.plan, 'plan');
    if (plan.length > 0) {
      const path = plan.map(([x, y], i) => `${i === 0 ? 'M' : 'L'}${svgNumber(toPx(x!))},${svgNumber(toPy(y!))}`).join(' ');
      parts.push(`<path class="plan" d="${path}" fill="none" stroke="rgb(230,120,20)" stroke-width="2"/>`);
    }
  }
  if (options.position) {
    parts.push(`<circle class="ball" cx="${svgNumber(toPx(options.position[0]!))}" cy="${svgNumber(toPy(options.position[1]!))}" r="${svgNumber(Math.max(BALL_RADIUS * cell, 3))}" fill="rgb(30,90,200)"/>`);
  }
  if (options.title) parts.push(`<text x="6" y="16" font-family="sans-serif" font-size="13" fill="rgb(200,200,200)">${escapeText(options.title)}</text>`);
  parts.push('</svg>');
  return parts.join('\n');
}
