import { UsageError } from '@bellman/core';
import { listEnvs, make, makeAsync } from '@bellman/envs';
import { MAZE2D_LAYOUTS, Maze2dEnv, maze2dNormalizedScore, parseMaze2dLayout, registerEnvs } from '../src/index.js';

// MuJoCo's Euler integrator treats joint damping implicitly: v' = (m v + h F) / (m + h d), then x' = x + h v'
const MASS = (4 / 3) * Math.PI * 0.1 ** 3 * 1000;
const H = 0.01;
const DAMPING = 1;
const freeStep = (x: number, v: number, action: number) => {
  const velocity = (MASS * v + H * 100 * action) / (MASS + H * DAMPING);
  return [x + H * velocity, velocity];
};

describe('maze2d before MuJoCo is loaded', () => {
  it('make() of a maze2d id says where it comes from and how to load it', () => {
    expect(() => make('maze2d-umaze-v1')).toThrow(/@bellman\/envs-mujoco.*makeAsync/);
    registerEnvs();
    expect(() => make('maze2d-umaze-v1')).toThrow(UsageError);
    expect(() => make('maze2d-umaze-v1')).toThrow(/not loaded yet.*makeAsync\("maze2d-umaze-v1"\)/);
    // once the package's envs are registered, a misspelt maze2d id is an unknown id with suggestions
    expect(() => make('maze2d-umaz-v1')).toThrow(/Unknown environment id "maze2d-umaz-v1"; did you mean "maze2d-umaze-v1"/);
  });

  it('listEnvs describes the maze2d envs without building one', () => {
    registerEnvs();
    const rows = listEnvs().filter((r) => r.id.startsWith('maze2d-'));
    expect(rows.map((r) => [r.id, r.maxEpisodeSteps])).toEqual([
      ['maze2d-umaze-v1', 300],
      ['maze2d-umaze-dense-v1', 300],
      ['maze2d-medium-v1', 600],
      ['maze2d-medium-dense-v1', 600],
      ['maze2d-large-v1', 800],
      ['maze2d-large-dense-v1', 800],
    ]);
    expect(rows[0]!.actionSpace).toContain('2');
  });
});

describe('maze2d on MuJoCo', () => {
  let env: Maze2dEnv;
  beforeAll(async () => {
    const made = await makeAsync('maze2d-umaze-v1', { maxEpisodeSteps: 10_000 });
    made.close();
    env = new Maze2dEnv('maze2d-umaze-v1', MAZE2D_LAYOUTS.umaze);
  });
  afterAll(() => env.close());

  it('takes a free-space step as the implicit-damping Euler update, the action clipped to [-1, 1]', () => {
    env.reset({ options: { state: [3, 2, 0.5, 0] } });
    const { observation } = env.step(Float32Array.of(0.3, -0.2));
    // the action arrives as float32
    const [x, vx] = freeStep(3, 0.5, Math.fround(0.3));
    const [y, vy] = freeStep(2, 0, Math.fround(-0.2));
    const state = env.getState();
    expect(state[0]).toBeCloseTo(x!, 12);
    expect(state[1]).toBeCloseTo(y!, 12);
    expect(state[2]).toBeCloseTo(vx!, 12);
    expect(state[3]).toBeCloseTo(vy!, 12);
    expect(Array.from(observation)).toEqual(Array.from(Float32Array.from(state)));
    env.reset({ options: { state: [3, 2, 0, 0] } });
    env.step(Float32Array.of(7, -3));
    const clipped = env.getState();
    expect(clipped[2]).toBeCloseTo(freeStep(3, 0, 1)[1]!, 12);
    expect(clipped[3]).toBeCloseTo(freeStep(2, 0, -1)[1]!, 12);
  });

  it('clips qvel to [-5, 5] before the step and not after it', () => {
    env.reset({ options: { state: [3, 2, 9, -12] } });
    env.step(Float32Array.of(1, 0));
    const state = env.getState();
    expect(state[2]).toBeCloseTo(freeStep(3, 5, 1)[1]!, 12);
    expect(state[2]).toBeGreaterThan(5);
    expect(state[3]).toBeCloseTo(freeStep(2, -5, 0)[1]!, 12);
  });

  it('stops the ball at a wall: pushed at the boundary wall it rests against it', () => {
    // cell (3, 2) sits at world (4.2, 3.2); the wall cells of row 4 start at world x = 4.5
    env.reset({ options: { state: [3, 2, 0, 0] } });
    for (let t = 0; t < 200; t++) env.step(Float32Array.of(1, 0));
    const x = env.getState()[0]!;
    expect(x + 1.2 + 0.1).toBeGreaterThan(4.5 - 0.01);
    expect(x + 1.2 + 0.1).toBeLessThan(4.5 + 0.01);
    // in free space the same pushes would have carried it far past the wall
    expect(Math.abs(env.getState()[2]!)).toBeLessThan(0.5);
  });

  it('pays the sparse reward within 0.5 of the goal cell and exp(-distance) when dense', () => {
    const goal = MAZE2D_LAYOUTS.umaze.goal;
    expect(goal).toEqual([1, 1]);
    env.reset({ options: { state: [1.2, 1.3, 0, 0] } });
    const near = env.step(Float32Array.of(0, 0));
    expect(near.reward).toBe(1);
    expect(near.info).toMatchObject({ isSuccess: true });
    env.reset({ options: { state: [1, 2, 0, 0] } });
    const far = env.step(Float32Array.of(0, 0));
    expect(far.reward).toBe(0);
    expect(far.terminated).toBe(false);
    const dense = new Maze2dEnv('maze2d-umaze-dense-v1', MAZE2D_LAYOUTS.umaze, { reward: 'dense' });
    dense.reset({ options: { state: [1, 2, 0, 0] } });
    const step = dense.step(Float32Array.of(0, 0));
    const [x, y] = dense.getState();
    expect(step.reward).toBeCloseTo(Math.exp(-Math.hypot(x! - 1, y! - 1)), 12);
    dense.close();
  });

  it('resets to a uniformly drawn open cell with small noise, the same for the same seed', () => {
    const layout = MAZE2D_LAYOUTS.umaze;
    const seen = new Set<string>();
    for (let i = 0; i < 300; i++) {
      const { observation } = env.reset(i === 0 ? { seed: 5 } : undefined);
      const cell = layout.openCells.find(([r, c]) => Math.abs(observation[0]! - r) <= 0.1 && Math.abs(observation[1]! - c) <= 0.1);
      expect(cell).toBeDefined();
      seen.add(cell!.join(','));
      expect(Math.abs(observation[2]!)).toBeLessThan(0.6);
    }
    expect(seen.size).toBe(layout.openCells.length);
    const a = env.reset({ seed: 11 }).observation;
    const b = env.reset({ seed: 11 }).observation;
    expect(Array.from(b)).toEqual(Array.from(a));
  });

  it('rejects bad actions and states with the env and field named', () => {
    env.reset();
    expect(() => env.step(Float32Array.of(1))).toThrow(/maze2d-umaze-v1: action has length 1/);
    expect(() => env.step(Float32Array.of(NaN, 0))).toThrow(/not a number/);
    expect(() => env.reset({ options: { state: [1, 2] } })).toThrow(/\[x, y, vx, vy\]/);
    expect(() => env.reset({ options: { state: [1, 2, 0, Infinity] } })).toThrow(/state\[3\] \(vy\)/);
    expect(() => new Maze2dEnv('maze2d-umaze-v1', MAZE2D_LAYOUTS.umaze, { reward: 'shaped' as never })).toThrow(/reward must be one of 'sparse', 'dense'/);
  });

  it('frees its MuJoCo data on close', () => {
    const own = new Maze2dEnv('maze2d-large-v1', MAZE2D_LAYOUTS.large);
    own.reset();
    own.close();
    expect(() => own.step(Float32Array.of(0, 0))).toThrow(/closed/);
    own.close();
  });

  it('renders the walls, the target, the ball and a plan', () => {
    env.reset({ options: { state: [3, 2, 0, 0] } });
    const svg = env.render({ plan: [3, 2, 3, 3, 2, 3] });
    expect(svg.match(/class="wall"/g)).toHaveLength(MAZE2D_LAYOUTS.umaze.walls.length);
    expect(svg).toContain('class="ball"');
    expect(svg).toContain('class="plan" d="M');
    expect(() => env.render({ plan: [1, 2, 3] })).toThrow(/x, y pairs/);
  });
});

describe('maze2d layouts and scores', () => {
  it("normalises returns with D4RL's reference returns", () => {
    expect(maze2dNormalizedScore('maze2d-umaze-v1', 161.86)).toBeCloseTo(100, 10);
    expect(maze2dNormalizedScore('maze2d-umaze-v1', 23.85)).toBeCloseTo(0, 10);
    expect(maze2dNormalizedScore('maze2d-large-dense-v1', (30.569041 + 303.4857382709002) / 2)).toBeCloseTo(50, 10);
    expect(() => maze2dNormalizedScore('maze2d-huge-v1', 1)).toThrow(/no reference returns for "maze2d-huge-v1"/);
  });

  it('parses layouts and names what is wrong with a bad one', () => {
    const medium = MAZE2D_LAYOUTS.medium;
    expect(medium.goal).toEqual([6, 6]);
    expect(medium.openCells).toHaveLength(26);
    expect(MAZE2D_LAYOUTS.large.goal).toEqual([7, 9]);
    expect(() => parseMaze2dLayout(['###', '#O#', '###'], 'x')).toThrow(/no goal cell/);
    expect(() => parseMaze2dLayout(['###', '#GG#'], 'x')).toThrow(/row 1 has 4 cells/);
    expect(() => parseMaze2dLayout(['###', '#X#', '#G#'], 'x')).toThrow(/cell 1,1 is "X"/);
  });
});
