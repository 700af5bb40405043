import { Box } from '@bellman/core';
import type { Rng } from '@bellman/core';
import { ClassicControlEnv, fmt } from '../base.js';

export const PENDULUM_MAX_SPEED = 8;
export const PENDULUM_MAX_TORQUE = 2.0;
const DT = 0.05;
const MASS = 1.0;
const LENGTH = 1.0;

/** Map an angle to [-pi, pi) the way Python's float modulo does (result takes the divisor's sign). */
export function angleNormalize(x: number): number {
  const period = 2 * Math.PI;
  const shifted = x + Math.PI;
  let r = shifted % period;
  if (r < 0) r += period;
  return r - Math.PI;
}

export interface PendulumOptions {
  /** Gravity; Gymnasium's default is 10.0. */
  g?: number;
}

/**
 * Pendulum-v1: swing a pendulum up and hold it (theta = 0 is upright) with a torque in [-2, 2]
 * (clipped). Reward -(angle_normalize(theta)^2 + 0.1 thdot^2 + 0.001 u^2) with the clipped u;
 * the angular velocity is clipped to [-8, 8]; never terminates (the time limit truncates at 200).
 * State [theta, theta_dot] (theta is not wrapped); observation [cos theta, sin theta, theta_dot].
 */
export class PendulumEnv extends ClassicControlEnv {
  readonly observationSpace = new Box([-1, -1, -PENDULUM_MAX_SPEED], [1, 1, PENDULUM_MAX_SPEED]);
  readonly actionSpace = new Box([-PENDULUM_MAX_TORQUE], [PENDULUM_MAX_TORQUE]);
  readonly stateLayout = ['theta', 'theta_dot'] as const;
  readonly g: number;

  constructor(options: PendulumOptions = {}) {
    super('Pendulum-v1', 2);
    const g = options.g ?? 10.0;
    if (typeof g !== 'number' || !Number.isFinite(g)) throw new RangeError(`Pendulum-v1: g must be a finite number, got ${String(g)}`);
    this.g = g;
  }

  protected sampleInitialState(rng: Rng): void {
    this.state[0] = rng.uniformRange(-Math.PI, Math.PI);
    this.state[1] = rng.uniformRange(-1.0, 1.0);
  }

  protected advance(action: number): number {
    const s = this.state;
    const th = s[0]!;
    const thDot = s[1]!;
    const u = Math.min(Math.max(action, -PENDULUM_MAX_TORQUE), PENDULUM_MAX_TORQUE);
    const normalized = angleNormalize(th);
    const costs = normalized * normalized + 0.1 * (thDot * thDot) + 0.001 * (u * u);
    let newThDot = thDot + (((3 * this.g) / (2 * LENGTH)) * Math.sin(th) + (3.0 / (MASS * LENGTH * LENGTH)) * u) * DT;
    if (newThDot > PENDULUM_MAX_SPEED) newThDot = PENDULUM_MAX_SPEED;
    if (newThDot < -PENDULUM_MAX_SPEED) newThDot = -PENDULUM_MAX_SPEED;
    s[0] = th + newThDot * DT;
    s[1] = newThDot;
    this.lastActionValue = u;
    this.lastTerminated = false;
    return -costs;
  }

  protected writeObservation(out: Float32Array, offset: number): void {
    const th = this.state[0]!;
    out[offset] = Math.cos(th);
    out[offset + 1] = Math.sin(th);
    out[offset + 2] = this.state[1]!;
  }

  render(): string {
    const size = 500;
    const c = size / 2;
    const scale = size / 4.4;
    const th = this.hasState ? this.state[0]! : 0;
    // theta = 0 points up; positive theta turns counter-clockwise.
    const tipX = c - scale * Math.sin(th);
    const tipY = c - scale * Math.cos(th);
    const u = this.lastActionValue;
    return [
      `<svg xmlns="http://www.w3.org/2000/svg" width="${size}" height="${size}" viewBox="0 0 ${size} ${size}">`,
      `<rect width="${size}" height="${size}" fill="white"/>`,
      `<line x1="${c}" y1="${c}" x2="${fmt(tipX)}" y2="${fmt(tipY)}" stroke="rgb(204,77,77)" stroke-width="${fmt(0.2 * scale)}" stroke-linecap="round"/>`,
      `<circle cx="${c}" cy="${c}" r="${fmt(0.05 * scale)}" fill="black"/>`,
      `<text x="10" y="20" font-family="sans-serif" font-size="14">Pendulum-v1 theta=${th.toFixed(3)} torque=${u.toFixed(2)}</text>`,
      '</svg>',
    ].join('');
  }
}
