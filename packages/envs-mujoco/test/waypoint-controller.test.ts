import { Rng } from '@bellman/core';
import { MAZE2D_LAYOUTS, MAZE2D_SIZES, MAZE2D_TIME_LIMITS, Maze2dEnv, WaypointController, cellPath, loadMujoco, maze2dEnvId } from '../src/index.js';

beforeAll(async () => {
  await loadMujoco();
});

describe('cellPath', () => {
  it('walks the U-maze the only way round, one neighbouring open cell at a time', () => {
    const layout = MAZE2D_LAYOUTS.umaze;
    expect(cellPath(layout, [3, 1], [1, 1])).toEqual([
      [3, 2],
      [3, 3],
      [2, 3],
      [1, 3],
      [1, 2],
      [1, 1],
    ]);
    expect(() => cellPath(layout, [0, 0], [1, 1])).toThrow(/start cell 0,0 is a wall/);
  });

  it('takes a shortest path in the large maze from every open cell', () => {
    const layout = MAZE2D_LAYOUTS.large;
    // breadth-first distances from the goal, as the check
    const rows = layout.rows;
    const distance = new Map<string, number>([[layout.goal.join(','), 0]]);
    const queue: (readonly [number, number])[] = [layout.goal];
    while (queue.length > 0) {
      const [r, c] = queue.shift()!;
      for (const [dr, dc] of [[1, 0], [-1, 0], [0, 1], [0, -1]] as const) {
        const key = `${r + dr},${c + dc}`;
        if (rows[r + dr]?.[c + dc] !== '#' && !distance.has(key)) {
          distance.set(key, distance.get(`${r},${c}`)! + 1);
          queue.push([r + dr, c + dc]);
        }
      }
    }
    for (const cell of layout.openCells) {
      if (cell.join(',') === layout.goal.join(',')) continue;
      const path = cellPath(layout, cell, layout.goal);
      expect(path).toHaveLength(distance.get(cell.join(','))!);
      path.reduce<readonly number[]>((from, to) => {
        expect(Math.abs(from[0]! - to[0]!) + Math.abs(from[1]! - to[1]!)).toBe(1);
        return to;
      }, cell);
    }
  });
});

describe('WaypointController', () => {
  it.each(MAZE2D_SIZES)('brings the ball from every open cell of %s to the goal within the time limit', (size) => {
    const layout = MAZE2D_LAYOUTS[size];
    const env = new Maze2dEnv(maze2dEnvId(size), layout);
    const controller = new WaypointController(layout, new Rng(3));
    const stepsTaken: number[] = [];
    for (const [row, col] of layout.openCells) {
      let state = Float64Array.from(env.reset({ options: { state: [row, col, 0, 0] } }).observation);
      controller.setTarget(state, layout.goal);
      let reachedAt = -1;
      for (let t = 0; t < MAZE2D_TIME_LIMITS[size] && reachedAt < 0; t++) {
        const { reached, action } = controller.act(state);
        if (reached) reachedAt = t;
        else state = Float64Array.from(env.step(action).observation);
      }
      stepsTaken.push(reachedAt);
      expect([row, col, reachedAt >= 0]).toEqual([row, col, true]);
      expect(env.getState()[0]).toBeCloseTo(layout.goal[0], 0);
    }
    env.close();
    expect(Math.max(...stepsTaken)).toBeLessThan(MAZE2D_TIME_LIMITS[size]);
  });

  it('jitters every waypoint but the target by -U(0, 1) * 0.2', () => {
    const layout = MAZE2D_LAYOUTS.medium;
    const controller = new WaypointController(layout, new Rng(1));
    controller.setTarget([1, 1], [6.05, 5.95]);
    const plan = controller.plan;
    const cells = cellPath(layout, [1, 1], [6, 6]);
    expect(plan).toHaveLength(cells.length);
    for (let i = 0; i < plan.length - 1; i++) {
      for (let k = 0; k < 2; k++) {
        const offset = cells[i]![k]! - plan[i]![k]!;
        expect(offset).toBeGreaterThanOrEqual(0);
        expect(offset).toBeLessThan(0.2);
      }
    }
    expect(Array.from(plan[plan.length - 1]!)).toEqual([6.05, 5.95]);
  });
});
