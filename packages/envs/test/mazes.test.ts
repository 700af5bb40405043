import { Rng } from '@bellman/core';
import type { Env } from '@bellman/core';
import {
  GOAL_RADIUS,
  OPEN_POINT_GOAL,
  PointMazeEnv,
  SPIRAL_MAZE,
  TimeLimit,
  ZIGZAG_MAZE,
  checkEnv,
  growWall,
  insideAnyWall,
  listEnvs,
  make,
  mazeDistance,
  mazeSuccessExamples,
  moveAmongWalls,
  heatMapCentres,
  renderMaze,
} from '../src/index.js';
import type { MazeRewardMode, PointMazeInfo, WallBox } from '../src/index.js';

const MAZE_IDS = ['ZigzagMaze-v0', 'SpiralMaze-v0', 'PointGoal-v0'];

function unwrappedMaze(env: Env): PointMazeEnv {
  const inner = env instanceof TimeLimit ? env.unwrapped : env;
  if (!(inner instanceof PointMazeEnv)) throw new Error('not a point maze');
  return inner;
}

/** Reset to (x, y) and take one step. */
function stepFrom(id: string, x: number, y: number, ax: number, ay: number): { x: number; y: number; info: PointMazeInfo } {
  const env = make(id);
  env.reset({ options: { state: [x, y] } });
  const { info } = env.step(Float32Array.of(ax, ay));
  const state = env.getState();
  return { x: state[0]!, y: state[1]!, info: info as PointMazeInfo };
}

/** The walls applied once in order, without the reverse pass (each single-wall call is its own pass). */
function forwardPassOnly(walls: readonly WallBox[], sx: number, sy: number, ex: number, ey: number): number[] {
  const out = Float64Array.of(ex, ey);
  for (const wall of walls) moveAmongWalls([wall], sx, sy, out[0]!, out[1]!, out);
  return Array.from(out);
}

const zigzagLeft = ZIGZAG_MAZE.walls[0]!; // x = -4/3 grown: [-1.4833, -1.1833] x [-4.15, 2.15]
const spiralTop = SPIRAL_MAZE.walls[2]!; // y = 2 grown: [-2.15, 2.15] x [1.85, 2.15]

describe('point mazes: registration and dynamics', () => {
  it('registers the three envs with a 100-step limit, Box(2) observations and actions', () => {
    const rows = Object.fromEntries(listEnvs().map((r) => [r.id, r]));
    for (const id of MAZE_IDS) {
      expect(rows[id]).toMatchObject({ maxEpisodeSteps: 100, observationSpace: 'Box(-4, 4, [2])', actionSpace: 'Box(-1, 1, [2])' });
      const env = make(id);
      expect(env.spec).toMatchObject({ id, maxEpisodeSteps: 100 });
      const { observation, info } = env.reset({ seed: 3 });
      expect(Array.from(observation)).toEqual([-3, -3]);
      expect(info).toMatchObject({ isSuccess: false });
      let truncatedAt = -1;
      for (let t = 1; t <= 100; t++) {
        const step = env.step(Float32Array.of(0.3, -0.2));
        expect(step.terminated).toBe(false);
        if (step.truncated) truncatedAt = t;
      }
      expect(truncatedAt).toBe(100);
    }
  });

  it('moves by 0.5 * clip(action) per component and clips to the square', () => {
    expect(stepFrom('PointGoal-v0', 0, 0, 0.5, -0.25)).toMatchObject({ x: 0.25, y: -0.125 });
    // Out-of-range components are clipped separately: a box of moves, not a disc.
    expect(stepFrom('PointGoal-v0', 0, 0, 5, -7)).toMatchObject({ x: 0.5, y: -0.5 });
    expect(stepFrom('PointGoal-v0', 3.9, -3.8, 1, -1)).toMatchObject({ x: 4, y: -4 });
    const env = make('PointGoal-v0');
    env.reset();
    expect(() => env.step(Float32Array.of(1))).toThrow(/PointGoal-v0: action has length 1, Box\(-1, 1, \[2\]\) needs 2/);
    expect(() => env.step(Float32Array.of(0, NaN))).toThrow(/not a number/);
    expect(() => env.reset({ options: { state: [5, 0] } })).toThrow(/options.state\[0\] \(x\) must be a number in \[-4, 4\], got 5/);
    expect(() => make('PointGoal-v0', { reward: 'shaped' as MazeRewardMode })).toThrow(/reward must be one of 'none', 'sparse', 'dense', got "shaped"/);
    expect(() => make('CartPole-v1', { reward: 'sparse' })).toThrow(/unknown option "reward"; known options: maxEpisodeSteps/);
  });

  it('stops a move into a wall face on the face line', () => {
    // From the left of the zigzag's first wall, pushing right: held at x = -4/3 - 0.15.
    const hit = stepFrom('ZigzagMaze-v0', -1.7, 0, 1, 0.5);
    expect(hit.x).toBe(zigzagLeft.minX);
    expect(hit.x).toBe(-4 / 3 - 0.15);
    expect(hit.y).toBe(0.25);
    // From the right side, pushing left: held on the right face.
    expect(stepFrom('ZigzagMaze-v0', -0.9, 1, -1, 0).x).toBe(zigzagLeft.maxX);
    // A move that stops short of the face is untouched.
    expect(stepFrom('ZigzagMaze-v0', -2.2, 0, 1, 0).x).toBeCloseTo(-1.7, 15);
  });

  it('lets a move along a face, or away from it, pass', () => {
    const along = stepFrom('ZigzagMaze-v0', zigzagLeft.minX, 0, 0, 1);
    expect([along.x, along.y]).toEqual([zigzagLeft.minX, 0.5]);
    const away = stepFrom('ZigzagMaze-v0', zigzagLeft.minX, 0, -1, 1);
    expect(away.x).toBeCloseTo(zigzagLeft.minX - 0.5, 15);
    // Pushing into the face while sliding keeps the point on the face line.
    const slide = stepFrom('ZigzagMaze-v0', zigzagLeft.minX, 0, 1, -1);
    expect([slide.x, slide.y]).toEqual([zigzagLeft.minX, -0.5]);
  });

  it('counts a move whose bounding box only touches a face', () => {
    // From above-right of the wall's top end to the level of its top face, left of the wall: the
    // path clears the corner, but its bounding box touches the right face's top end (y = 2.15),
    // so the right face stops it. With strict overlap it would end at x = -1.5.
    const end = moveAmongWalls(ZIGZAG_MAZE.walls, -1.0, 2.4, -1.5, zigzagLeft.maxY);
    expect(Array.from(end)).toEqual([zigzagLeft.maxX, zigzagLeft.maxY]);
    // Just above the face's end, no touch: the move passes.
    const above = moveAmongWalls(ZIGZAG_MAZE.walls, -1.0, 2.4, -1.5, zigzagLeft.maxY + 1e-9);
    expect(above[0]).toBe(-1.5);
    // The bounding-box test is conservative at a wall's end: a diagonal move that geometrically
    // passes over the end (it crosses x = -1.4833 at y = 2.217 > 2.15) is still stopped.
    expect(stepFrom('ZigzagMaze-v0', -1.6, 2.1, 1, 1).x).toBe(zigzagLeft.minX);
  });

  it('applies the walls again in reverse order when the first pass changed both coordinates', () => {
    // Wall A's top face (y = 0) lies only right of x = 0.7; wall B's left face is at x = 0.5.
    // In order A, B: A holds y at 0 (its face is in the move's box), then B holds x at 0.5, so both
    // changed. In reverse, B first holds x at 0.5, the move's box no longer reaches A, and y is free.
    const a = growWall({ x0: 0.85, y0: -0.85, x1: 2.85, y1: -0.15 }); // [0.7, 3] x [-1, 0]
    const b = growWall({ x0: 0.65, y0: -0.85, x1: 0.65, y1: 1.85 }); // [0.5, 0.8] x [-1, 2]
    expect([a.minX, a.maxY, b.minX]).toEqual([0.7, expect.closeTo(0, 15), 0.5]);
    const walls = [a, b];
    const forward = forwardPassOnly(walls, 0.3, 0.2, 0.75, -0.2);
    expect(forward[0]).toBe(0.5);
    expect(forward[1]).toBe(a.maxY);
    expect(Array.from(moveAmongWalls(walls, 0.3, 0.2, 0.75, -0.2))).toEqual([0.5, -0.2]);
    // When the first pass changes one coordinate only, it stands.
    expect(Array.from(moveAmongWalls(walls, 0.3, -0.5, 0.75, -0.6))).toEqual([0.5, -0.6]);
    // A diagonal move into a single box's corner is held on both faces (the reverse pass agrees).
    const corner = stepFrom('ZigzagMaze-v0', -1.6, 2.3, 1, -1);
    expect([corner.x, corner.y]).toEqual([zigzagLeft.minX, zigzagLeft.maxY]);
  });

  it('keeps positions in float64: the spiral face at 1.85 holds, a float32 position would pass through', () => {
    const env = make('SpiralMaze-v0');
    env.reset({ options: { state: [0, 1.5] } });
    for (let t = 0; t < 3; t++) env.step(Float32Array.of(0, 1));
    expect(env.getState()[1]).toBe(spiralTop.minY);
    expect(spiralTop.minY).toBe(1.85);
    // Stored as float32, 1.85 becomes 1.8500000238 > 1.85: the point sits inside the wall, is no
    // longer on or below the bottom face, and the next push goes through the wall.
    let y = Math.fround(1.85);
    expect(y).toBeGreaterThan(spiralTop.minY);
    for (let t = 0; t < 2; t++) y = Math.fround(moveAmongWalls(SPIRAL_MAZE.walls, 0, y, 0, y + 0.5)[1]!);
    expect(y).toBeGreaterThan(spiralTop.maxY);
    // The float32 observation of the held point still reads 1.85 (in float32).
    expect(env.step(Float32Array.of(0, 1)).observation[1]).toBe(Math.fround(1.85));
  });
});

describe('point mazes: the goal and the maze distance', () => {
  it('cannot reach the zigzag goal in a straight line; a waypoint path reaches it', () => {
    const env = make('ZigzagMaze-v0');
    env.reset();
    let best = Infinity;
    for (let t = 0; t < 100; t++) {
      const { info } = env.step(Float32Array.of(1, 1));
      best = Math.min(best, (info as PointMazeInfo).distance);
      expect((info as PointMazeInfo).isSuccess).toBe(false);
    }
    // Held on the first wall's face until above its end (y > 2.15), then stuck on the second's.
    expect(env.getState()[0]).toBe(ZIGZAG_MAZE.walls[1]!.minX);
    expect(best).toBeGreaterThan(2);

    const waypoints = [
      [-3, 2.6],
      [0, 2.6],
      [0, -2.6],
      [3, -2.6],
      [3, 3],
    ];
    let { observation } = env.reset();
    let previous = mazeDistance(ZIGZAG_MAZE, -3, -3);
    let reachedAt = -1;
    let k = 0;
    for (let t = 1; t <= 100 && reachedAt < 0; t++) {
      const [wx, wy] = waypoints[k]!;
      const step = env.step(Float32Array.of((wx! - observation[0]!) / 0.5, (wy! - observation[1]!) / 0.5));
      const info = step.info as PointMazeInfo;
      // The maze distance is 1-Lipschitz along free moves (a move of at most 0.5 * sqrt 2).
      expect(Math.abs(previous - info.mazeDistance)).toBeLessThanOrEqual(0.5 * Math.SQRT2 + 1e-9);
      previous = info.mazeDistance;
      observation = step.observation;
      if (Math.hypot(wx! - observation[0]!, wy! - observation[1]!) < 1e-6 && k < waypoints.length - 1) k++;
      if (info.isSuccess) reachedAt = t;
    }
    expect(reachedAt).toBeGreaterThan(30);
    expect(reachedAt).toBeLessThan(60);
  });

  it('is larger than the Euclidean distance behind a wall and equal to it in the open', () => {
    // Zigzag from the start: around the top end of the first wall and the bottom end of the second,
    // through their corners (-1.4833, 2.15), (-1.1833, 2.15), (1.1833, -2.15), (1.4833, -2.15).
    const c = 4 / 3 + 0.15;
    const expected = Math.hypot(3 - c, 5.15) + 0.3 + Math.hypot(2 * (c - 0.3), 4.3) + 0.3 + Math.hypot(3 - c, 5.15);
    expect(mazeDistance(ZIGZAG_MAZE, -3, -3)).toBeCloseTo(expected, 12);
    expect(mazeDistance(ZIGZAG_MAZE, -3, -3)).toBeGreaterThan(Math.hypot(6, 6) + 7);
    // In sight of the goal, and anywhere in the open env, it is the Euclidean distance.
    expect(mazeDistance(ZIGZAG_MAZE, 2, 2)).toBeCloseTo(Math.SQRT2, 15);
    expect(mazeDistance(OPEN_POINT_GOAL, -3, -3)).toBeCloseTo(Math.hypot(6, 6), 15);
    // The spiral: the start is far around; a point in the goal's chamber is in sight of it.
    expect(mazeDistance(SPIRAL_MAZE, -3, -3)).toBeGreaterThan(3 * Math.hypot(2.5, 4.25));
    expect(mazeDistance(SPIRAL_MAZE, 1, 1)).toBeCloseTo(Math.hypot(1.5, 0.25), 15);
    // Just below the y = 0 wall, the goal is behind it: up past both corners of the wall's right end.
    const below = mazeDistance(SPIRAL_MAZE, -0.5, -0.5);
    expect(below).toBeCloseTo(Math.hypot(0.65, 0.35) + 0.3 + Math.hypot(0.65, 1.1), 12);
    // Reported in info.
    expect(stepFrom('ZigzagMaze-v0', 2, 2, 0, 0).info.mazeDistance).toBeCloseTo(Math.SQRT2, 15);
  });

  it('flags success under the goal radius and pays the chosen reward', () => {
    const near = stepFrom('ZigzagMaze-v0', 3, 2.6, 0, 0);
    expect(near.info).toMatchObject({ isSuccess: true });
    expect(near.info.distance).toBeCloseTo(0.4, 15);
    expect(stepFrom('ZigzagMaze-v0', 3, 2.4, 0, 0).info.isSuccess).toBe(false);
    expect(GOAL_RADIUS).toBe(0.5);
    const rewardAt = (reward: MazeRewardMode | undefined, x: number, y: number) => {
      const env = make('ZigzagMaze-v0', reward === undefined ? {} : { reward });
      env.reset({ options: { state: [x, y] } });
      return env.step(Float32Array.of(0, 0)).reward;
    };
    expect(rewardAt(undefined, -3, -3)).toBe(0);
    expect(rewardAt('none', 3, 2.8)).toBe(0);
    expect(rewardAt('sparse', -3, -3)).toBe(-1);
    expect(rewardAt('sparse', 3, 2.8)).toBe(0);
    expect(rewardAt('dense', -3, -3)).toBe(-mazeDistance(ZIGZAG_MAZE, -3, -3));
    expect(rewardAt('dense', 2, 2)).toBeCloseTo(-Math.SQRT2, 15);
  });
});

describe('point mazes: success examples, rendering, contract', () => {
  it('makes success examples within 0.05 of the goal and outside every wall, reproducibly', () => {
    for (const id of MAZE_IDS) {
      const env = unwrappedMaze(make(id));
      const examples = env.successExamples(undefined, new Rng(7));
      expect(examples).toBeInstanceOf(Float32Array);
      expect(examples.length).toBe(300);
      const [gx, gy] = env.maze.goal;
      let spread = 0;
      for (let i = 0; i < 150; i++) {
        const x = examples[2 * i]!;
        const y = examples[2 * i + 1]!;
        expect(Math.hypot(x - gx, y - gy)).toBeLessThanOrEqual(0.05);
        expect(insideAnyWall(env.maze.walls, x, y)).toBe(false);
        spread = Math.max(spread, Math.hypot(x - gx, y - gy));
      }
      expect(spread).toBeGreaterThan(0.03);
      expect(Array.from(mazeSuccessExamples(env.maze, 150, new Rng(7)))).toEqual(Array.from(examples));
      expect(Array.from(env.successExamples(150, new Rng(8)))).not.toEqual(Array.from(examples));
    }
  });

  it('renders walls, start, goal, the point and a heat map to SVG', () => {
    const env = make('SpiralMaze-v0');
    env.reset();
    const svg = env.render();
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg.match(/class="wall"/g)).toHaveLength(5);
    // the spiral's goal (-0.5, 1.25) with its 0.5 success radius: (175, 137.5), r 25
    expect(svg).toContain('<circle class="goal" cx="175" cy="137.5" r="25" fill="none"');
    expect(svg).toContain('class="start"');
    // The point at (-3, -3) on a 400 px picture of [-4, 4]^2: (50, 350).
    expect(svg).toContain('<circle class="point" cx="50" cy="350"');
    const heat = renderMaze(ZIGZAG_MAZE, { heatMap: { fn: (x, y) => -mazeDistance(ZIGZAG_MAZE, x, y), resolution: 8 } });
    const cells = heat.match(/<rect x="[^"]+" y="[^"]+" width="50" height="50" fill="rgb\(\d+,\d+,\d+\)"\/>/g) ?? [];
    expect(cells).toHaveLength(64);
    // Highest value (nearest the goal, top right) gets the top of the scale, lowest the bottom.
    expect(heat).toContain('<rect x="350" y="0" width="50" height="50" fill="rgb(250,226,60)"/>');
    expect(unwrappedMaze(make('ZigzagMaze-v0')).render({ title: 'a < b' })).toContain('a &lt; b');
    // values computed beforehand at heatMapCentres draw the same picture as fn
    const centres = heatMapCentres(8);
    const precomputed = Array.from({ length: 64 }, (_, i) => -mazeDistance(ZIGZAG_MAZE, centres[2 * i]!, centres[2 * i + 1]!));
    expect(renderMaze(ZIGZAG_MAZE, { heatMap: { values: precomputed, resolution: 8 } })).toBe(heat);
    expect(Array.from(centres.subarray(0, 4))).toEqual([-3.5, -3.5, -2.5, -3.5]);
    expect(() => renderMaze(ZIGZAG_MAZE, { heatMap: { values: [1, 2], resolution: 8 } })).toThrow('renderMaze: heatMap.values holds 2 values for 8 x 8 cells');
    // cells without a value (the left half here) are left blank
    const half = renderMaze(ZIGZAG_MAZE, { heatMap: { fn: (x) => (x < 0 ? Number.NaN : x), resolution: 8 } });
    expect(half.match(/<rect x="[^"]+" y="[^"]+" width="50" height="50" fill=/g)).toHaveLength(32);
    // visited states as dots: (0, 0) is the centre, (4, -4) the bottom-right corner
    const dots = renderMaze(ZIGZAG_MAZE, { points: [0, 0, 4, -4] });
    expect(dots).toContain('<g class="points" fill="rgb(220,60,60)" fill-opacity="0.6"><circle cx="200" cy="200" r="1.5"/><circle cx="400" cy="400" r="1.5"/></g>');
    expect(() => renderMaze(ZIGZAG_MAZE, { points: [1, 2, 3] })).toThrow('renderMaze: points must hold x, y pairs, got 3 values');
  });

  it('passes the env checker and replays from a saved state', () => {
    for (const id of MAZE_IDS) {
      for (const reward of ['none', 'sparse', 'dense'] as const) expect(checkEnv(make(id, { reward }))).toEqual({ ok: true, problems: [] });
    }
    const env = make('SpiralMaze-v0', { reward: 'dense' });
    const rng = new Rng(5);
    const actions = Array.from({ length: 40 }, () => Float32Array.of(rng.uniformRange(-1.5, 1.5), rng.uniformRange(-1.5, 1.5)));
    const run = () => {
      env.reset({ seed: 1 });
      return actions.map((a) => {
        const s = env.step(a);
        return [...s.observation, s.reward];
      });
    };
    const first = run();
    expect(run()).toEqual(first);
    env.reset();
    for (let t = 0; t < 20; t++) env.step(actions[t]!);
    const saved = env.getState();
    const next = env.step(actions[20]!);
    env.reset({ options: { state: saved } });
    expect(Array.from(env.step(actions[20]!).observation)).toEqual(Array.from(next.observation));
  });
});
