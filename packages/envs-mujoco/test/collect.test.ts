import { MAZE2D_LAYOUTS, collectMaze2dData, loadMujoco, parseMaze2dDatasetName } from '../src/index.js';
import type { Maze2dData } from '../src/index.js';

describe('collectMaze2dData', () => {
  let data: Maze2dData;
  const rows = 4000;
  beforeAll(async () => {
    await loadMujoco();
    data = collectMaze2dData('umaze', { steps: rows, seed: 3 });
  });

  it('records one continuous trajectory: each row continues from the last, observation = (qpos, qvel)', () => {
    expect(data.rewards.length).toBe(rows);
    for (let i = 0; i < rows; i++) {
      expect([data.observations[4 * i], data.observations[4 * i + 1]]).toEqual([data.qpos[2 * i], data.qpos[2 * i + 1]]);
      expect([data.observations[4 * i + 2], data.observations[4 * i + 3]]).toEqual([data.qvel[2 * i], data.qvel[2 * i + 1]]);
      if (i + 1 < rows) expect(Array.from(data.nextObservations.subarray(4 * i, 4 * i + 4))).toEqual(Array.from(data.observations.subarray(4 * i + 4, 4 * i + 8)));
    }
    expect(data.terminals.every((t) => t === 0)).toBe(true);
  });

  it("ends a segment where the controller reached its target, then chases a new one; rewards from the row's own state", () => {
    const ends = [...data.timeouts.keys()].filter((i) => data.timeouts[i] === 1);
    expect(ends.length).toBeGreaterThan(10);
    expect(ends[ends.length - 1]).toBe(rows - 1);
    for (const end of ends.slice(0, -1)) {
      const distance = Math.hypot(data.qpos[2 * end]! - data.goals[2 * end]!, data.qpos[2 * end + 1]! - data.goals[2 * end + 1]!);
      expect(distance).toBeLessThan(0.1);
      expect(data.rewards[end]).toBe(1);
      // a fresh target after the reach, at an open cell plus at most 0.1 of noise
      const [gx, gy] = [data.goals[2 * end + 2]!, data.goals[2 * end + 3]!];
      expect(MAZE2D_LAYOUTS.umaze.openCells.some(([r, c]) => Math.abs(gx - r) <= 0.1 + 1e-6 && Math.abs(gy - c) <= 0.1 + 1e-6)).toBe(true);
    }
    for (let i = 0; i < rows; i++) {
      if (data.timeouts[i] === 0 && i + 1 < rows) expect([data.goals[2 * i + 2], data.goals[2 * i + 3]]).toEqual([data.goals[2 * i], data.goals[2 * i + 1]]);
      const distance = Math.hypot(data.qpos[2 * i]! - data.goals[2 * i]!, data.qpos[2 * i + 1]! - data.goals[2 * i + 1]!);
      expect(data.rewards[i]).toBe(distance <= 0.5 ? 1 : 0);
    }
  });

  it('is the same for the same seed, different for another, and dense rewards are exp(-distance)', () => {
    const again = collectMaze2dData('umaze', { steps: 4000, seed: 3 });
    expect(Array.from(again.observations)).toEqual(Array.from(data.observations));
    expect(Array.from(collectMaze2dData('umaze', { steps: 500, seed: 4 }).observations.subarray(0, 4))).not.toEqual(Array.from(data.observations.subarray(0, 4)));
    const dense = collectMaze2dData('umaze', { steps: 500, seed: 3, reward: 'dense' });
    expect(Array.from(dense.observations)).toEqual(Array.from(data.observations.subarray(0, 2000)));
    for (let i = 0; i < 500; i++) {
      const distance = Math.hypot(dense.qpos[2 * i]! - dense.goals[2 * i]!, dense.qpos[2 * i + 1]! - dense.goals[2 * i + 1]!);
      expect(dense.rewards[i]).toBeCloseTo(Math.exp(-distance), 6);
    }
  });

  it('adds Gaussian action noise when asked, within [-1, 1]', () => {
    const noisy = collectMaze2dData('umaze', { steps: 300, seed: 3, actionNoise: 0.5 });
    expect(Array.from(noisy.actions)).not.toEqual(Array.from(data.actions.subarray(0, 600)));
    expect(noisy.actions.every((a) => a >= -1 && a <= 1)).toBe(true);
  });

  it('names a bad argument', () => {
    expect(() => collectMaze2dData('huge' as never)).toThrow(/unknown maze "huge"/);
    expect(() => collectMaze2dData('umaze', { steps: 0 })).toThrow(/steps must be a positive integer, got 0/);
    expect(() => collectMaze2dData('umaze', { actionNoise: -1 })).toThrow(/actionNoise must be a non-negative number/);
    expect(parseMaze2dDatasetName('maze2d-large-dense-v1')).toEqual({ size: 'large', reward: 'dense' });
    expect(() => parseMaze2dDatasetName('maze2d-huge-v1')).toThrow(/not a maze2d dataset/);
  });
});
