/**
 * D4RL's maze2d layouts. A layout is rows of '#' (wall), 'O' (free) and 'G' (goal); the row index
 * is the x coordinate and the column index the y coordinate, so cell (row, col) is centred on
 * qpos (row - 0.2, col - 0.2): the ball's body sits at world (1.2, 1.2) while wall cell (w, h) is
 * a box at world (w + 1, h + 1). Positions stay in that frame, as D4RL's data has them.
 */
import { UsageError } from '@bellman/core';

export type Maze2dSize = 'umaze' | 'medium' | 'large';
export const MAZE2D_SIZES: readonly Maze2dSize[] = ['umaze', 'medium', 'large'];

export const MAZE2D_LAYOUT_ROWS: Readonly<Record<Maze2dSize, readonly string[]>> = {
  umaze: ['#####', '#GOO#', '###O#', '#OOO#', '#####'],
  medium: ['########', '#OO##OO#', '#OO#OOO#', '##OOO###', '#OO#OOO#', '#O#OO#O#', '#OOO#OG#', '########'],
  large: [
    '############',
    '#OOOO#OOOOO#',
    '#O##O#O#O#O#',
    '#OOOOOO#OOO#',
    '#O####O###O#',
    '#OO#O#OOOOO#',
    '##O#O#O#O###',
    '#OO#OOO#OGO#',
    '############',
  ],
};

/** A cell of the layout grid: [row, col] = [x, y] in qpos coordinates. */
export type Maze2dCell = readonly [number, number];

export interface Maze2dLayout {
  readonly name: string;
  readonly rows: readonly string[];
  /** Wall cells, row by row. */
  readonly walls: readonly Maze2dCell[];
  /** Free and goal cells, row by row: where resets start (D4RL's `empty_and_goal_locations`). */
  readonly openCells: readonly Maze2dCell[];
  /** The 'G' cell: the fixed target. */
  readonly goal: Maze2dCell;
}

/** Parses rows of '#', 'O' and 'G' (exactly one 'G'; all rows of one length). */
export function parseMaze2dLayout(rows: readonly string[], name = 'custom'): Maze2dLayout {
  if (!Array.isArray(rows) || rows.length === 0) throw new UsageError(`maze2d layout "${name}": expected a non-empty list of rows`, { name });
  const width = rows[0]!.length;
  const walls: Maze2dCell[] = [];
  const openCells: Maze2dCell[] = [];
  let goal: Maze2dCell | undefined;
  rows.forEach((row, w) => {
    if (typeof row !== 'string' || row.length !== width) {
      throw new UsageError(`maze2d layout "${name}": row ${w} has ${typeof row === 'string' ? row.length : 'no'} cells, row 0 has ${width}`, { name, row: w });
    }
    [...row].forEach((tile, h) => {
      if (tile === '#') walls.push([w, h]);
      else if (tile === 'O' || tile === 'G') {
        openCells.push([w, h]);
        if (tile === 'G') {
          if (goal) throw new UsageError(`maze2d layout "${name}": more than one goal cell ('G' at ${goal.join(',')} and ${w},${h})`, { name });
          goal = [w, h];
        }
      } else throw new UsageError(`maze2d layout "${name}": cell ${w},${h} is ${JSON.stringify(tile)}; expected '#', 'O' or 'G'`, { name, row: w, col: h });
    });
  });
  if (!goal) throw new UsageError(`maze2d layout "${name}": no goal cell ('G')`, { name });
  return { name, rows: [...rows], walls, openCells, goal };
}

export const MAZE2D_LAYOUTS: Readonly<Record<Maze2dSize, Maze2dLayout>> = {
  umaze: parseMaze2dLayout(MAZE2D_LAYOUT_ROWS.umaze, 'umaze'),
  medium: parseMaze2dLayout(MAZE2D_LAYOUT_ROWS.medium, 'medium'),
  large: parseMaze2dLayout(MAZE2D_LAYOUT_ROWS.large, 'large'),
};

export function isWallCell(layout: Maze2dLayout, row: number, col: number): boolean {
  return layout.rows[row]?.[col] === '#' || layout.rows[row]?.[col] === undefined;
}
