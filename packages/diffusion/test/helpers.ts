import { Rng, type WindowBatch } from '@bellman/core';

/**
 * Windows of straight-line motion at constant speed between random start and goal points in
 * [-1, 1]^2: observations (x, y, vx, vy), actions (vx, vy), returnsToGo the final x (rightward
 * trajectories are worth more).
 */
export function lineWindows(size: number, horizon: number, rng: Rng): WindowBatch {
  const observations = new Float32Array(size * horizon * 4);
  const actions = new Float32Array(size * horizon * 2);
  const returnsToGo = new Float32Array(size * horizon);
  for (let i = 0; i < size; i++) {
    const [sx, sy, gx, gy] = [rng.uniformRange(-1, 1), rng.uniformRange(-1, 1), rng.uniformRange(-1, 1), rng.uniformRange(-1, 1)];
    const vx = (gx - sx) / (horizon - 1);
    const vy = (gy - sy) / (horizon - 1);
    for (let t = 0; t < horizon; t++) {
      const r = i * horizon + t;
      observations.set([sx + vx * t, sy + vy * t, vx, vy], 4 * r);
      actions.set([vx, vy], 2 * r);
      returnsToGo[r] = gx;
    }
  }
  const zeros = new Float32Array(size * horizon);
  return { size, horizon, observationDim: 4, actionDim: 2, observations, actions, rewards: zeros, terminals: zeros, mask: new Float32Array(size * horizon).fill(1), returnsToGo };
}

/** Mean distance of the planned positions from the segment between their first and last positions. */
export function meanDeviationFromLine(observations: Float32Array, batch: number, horizon: number, dim = 4): number {
  let sum = 0;
  for (let b = 0; b < batch; b++) {
    const at = (t: number) => [observations[(b * horizon + t) * dim]!, observations[(b * horizon + t) * dim + 1]!] as const;
    const [sx, sy] = at(0);
    const [gx, gy] = at(horizon - 1);
    for (let t = 0; t < horizon; t++) {
      const f = t / (horizon - 1);
      const [x, y] = at(t);
      sum += Math.hypot(x - (sx + f * (gx - sx)), y - (sy + f * (gy - sy)));
    }
  }
  return sum / (batch * horizon);
}
