import { Box, Discrete } from '@bellman/core';
import type { Rng } from '@bellman/core';
import { ClassicControlEnv, fmt } from '../base.js';

const DT = 0.2;
const LINK_LENGTH_1 = 1.0;
const LINK_LENGTH_2 = 1.0;
const LINK_MASS_1 = 1.0;
const LINK_MASS_2 = 1.0;
const LINK_COM_POS_1 = 0.5;
const LINK_COM_POS_2 = 0.5;
const LINK_MOI = 1.0;
const G = 9.8;
export const ACROBOT_MAX_VEL_1 = 4 * Math.PI;
export const ACROBOT_MAX_VEL_2 = 9 * Math.PI;
const AVAILABLE_TORQUE = [-1.0, 0.0, 1.0] as const;

/** Wrap x into [m, M] by whole periods (M - m), as the Acrobot reference does. */
export function wrapAngle(x: number, m: number, M: number): number {
  const diff = M - m;
  let y = x;
  while (y > M) y = y - diff;
  while (y < m) y = y + diff;
  return y;
}

/**
 * Acrobot-v1: two links hanging down, torque -1, 0 or +1 on the joint between them; swing the
 * tip above the bar (-cos t1 - cos(t1 + t2) > 1). Reward -1 per step, 0 on the terminating step.
 * Dynamics: the "book" equations integrated over dt = 0.2 s with one classical Runge-Kutta step,
 * no torque noise; angles wrapped to [-pi, pi], velocities bounded by 4 pi and 9 pi.
 * State [theta1, theta2, dtheta1, dtheta2]; observation [cos t1, sin t1, cos t2, sin t2, dt1, dt2].
 */
export class AcrobotEnv extends ClassicControlEnv {
  readonly observationSpace = new Box([-1, -1, -1, -1, -ACROBOT_MAX_VEL_1, -ACROBOT_MAX_VEL_2], [1, 1, 1, 1, ACROBOT_MAX_VEL_1, ACROBOT_MAX_VEL_2]);
  readonly actionSpace = new Discrete(3);
  readonly stateLayout = ['theta1', 'theta2', 'dtheta1', 'dtheta2'] as const;
  // Scratch buffers of the integrator, allocated once.
  private readonly k1 = new Float64Array(4);
  private readonly k2 = new Float64Array(4);
  private readonly k3 = new Float64Array(4);
  private readonly k4 = new Float64Array(4);
  private readonly tmp = new Float64Array(4);

  constructor() {
    super('Acrobot-v1', 4);
  }

  protected sampleInitialState(rng: Rng): void {
    for (let i = 0; i < 4; i++) this.state[i] = rng.uniformRange(-0.1, 0.1);
  }

  /** Time derivative of [t1, t2, dt1, dt2] under torque `a`, written into `out`. */
  private derivatives(s: Float64Array, a: number, out: Float64Array): void {
    const m1 = LINK_MASS_1;
    const m2 = LINK_MASS_2;
    const l1 = LINK_LENGTH_1;
    const lc1 = LINK_COM_POS_1;
    const lc2 = LINK_COM_POS_2;
    const I1 = LINK_MOI;
    const I2 = LINK_MOI;
    const theta1 = s[0]!;
    const theta2 = s[1]!;
    const dtheta1 = s[2]!;
    const dtheta2 = s[3]!;
    const cos2 = Math.cos(theta2);
    const sin2 = Math.sin(theta2);
    const d1 = m1 * (lc1 * lc1) + m2 * (l1 * l1 + lc2 * lc2 + 2 * l1 * lc2 * cos2) + I1 + I2;
    const d2 = m2 * (lc2 * lc2 + l1 * lc2 * cos2) + I2;
    const phi2 = m2 * lc2 * G * Math.cos(theta1 + theta2 - Math.PI / 2.0);
    const phi1 =
      -m2 * l1 * lc2 * (dtheta2 * dtheta2) * sin2 -
      2 * m2 * l1 * lc2 * dtheta2 * dtheta1 * sin2 +
      (m1 * lc1 + m2 * l1) * G * Math.cos(theta1 - Math.PI / 2) +
      phi2;
    const ddtheta2 =
      (a + (d2 / d1) * phi1 - m2 * l1 * lc2 * (dtheta1 * dtheta1) * sin2 - phi2) / (m2 * (lc2 * lc2) + I2 - (d2 * d2) / d1);
    const ddtheta1 = -(d2 * ddtheta2 + phi1) / d1;
    out[0] = dtheta1;
    out[1] = dtheta2;
    out[2] = ddtheta1;
    out[3] = ddtheta2;
  }

  protected advance(action: number): number {
    const torque = AVAILABLE_TORQUE[action]!;
    const s = this.state;
    const { k1, k2, k3, k4, tmp } = this;
    const half = DT / 2.0;
    // One classical RK4 step over [0, dt]; the torque is held constant (its derivative is 0).
    this.derivatives(s, torque, k1);
    for (let i = 0; i < 4; i++) tmp[i] = s[i]! + half * k1[i]!;
    this.derivatives(tmp, torque, k2);
    for (let i = 0; i < 4; i++) tmp[i] = s[i]! + half * k2[i]!;
    this.derivatives(tmp, torque, k3);
    for (let i = 0; i < 4; i++) tmp[i] = s[i]! + DT * k3[i]!;
    this.derivatives(tmp, torque, k4);
    const sixth = DT / 6.0;
    for (let i = 0; i < 4; i++) tmp[i] = s[i]! + sixth * (k1[i]! + 2 * k2[i]! + 2 * k3[i]! + k4[i]!);
    s[0] = wrapAngle(tmp[0]!, -Math.PI, Math.PI);
    s[1] = wrapAngle(tmp[1]!, -Math.PI, Math.PI);
    s[2] = Math.min(Math.max(tmp[2]!, -ACROBOT_MAX_VEL_1), ACROBOT_MAX_VEL_1);
    s[3] = Math.min(Math.max(tmp[3]!, -ACROBOT_MAX_VEL_2), ACROBOT_MAX_VEL_2);
    this.lastActionValue = action;
    const terminated = -Math.cos(s[0]!) - Math.cos(s[1]! + s[0]!) > 1.0;
    this.lastTerminated = terminated;
    return terminated ? 0.0 : -1.0;
  }

  protected writeObservation(out: Float32Array, offset: number): void {
    const s = this.state;
    out[offset] = Math.cos(s[0]!);
    out[offset + 1] = Math.sin(s[0]!);
    out[offset + 2] = Math.cos(s[1]!);
    out[offset + 3] = Math.sin(s[1]!);
    out[offset + 4] = s[2]!;
    out[offset + 5] = s[3]!;
  }

  render(): string {
    const size = 500;
    const c = size / 2;
    const scale = size / (2 * (LINK_LENGTH_1 + LINK_LENGTH_2 + 0.2));
    const t1 = this.hasState ? this.state[0]! : 0;
    const t2 = this.hasState ? this.state[1]! : 0;
    // theta1 = 0 hangs straight down; SVG's y axis points down.
    const p1x = c + LINK_LENGTH_1 * Math.sin(t1) * scale;
    const p1y = c + LINK_LENGTH_1 * Math.cos(t1) * scale;
    const p2x = p1x + LINK_LENGTH_2 * Math.sin(t1 + t2) * scale;
    const p2y = p1y + LINK_LENGTH_2 * Math.cos(t1 + t2) * scale;
    const barY = c - 1 * scale;
    const w = fmt(0.2 * scale);
    const torque = AVAILABLE_TORQUE[this.lastActionValue] ?? 0;
    return [
      `<svg xmlns="http://www.w3.org/2000/svg" width="${size}" height="${size}" viewBox="0 0 ${size} ${size}">`,
      `<rect width="${size}" height="${size}" fill="white"/>`,
      `<line x1="${fmt(c - 2.2 * scale)}" y1="${fmt(barY)}" x2="${fmt(c + 2.2 * scale)}" y2="${fmt(barY)}" stroke="black"/>`,
      `<line x1="${c}" y1="${c}" x2="${fmt(p1x)}" y2="${fmt(p1y)}" stroke="rgb(0,204,204)" stroke-width="${w}" stroke-linecap="round"/>`,
      `<line x1="${fmt(p1x)}" y1="${fmt(p1y)}" x2="${fmt(p2x)}" y2="${fmt(p2y)}" stroke="rgb(0,204,204)" stroke-width="${w}" stroke-linecap="round"/>`,
      `<circle cx="${c}" cy="${c}" r="${fmt(0.1 * scale)}" fill="rgb(204,204,0)"/>`,
      `<circle cx="${fmt(p1x)}" cy="${fmt(p1y)}" r="${fmt(0.1 * scale)}" fill="rgb(204,204,0)"/>`,
      `<text x="10" y="20" font-family="sans-serif" font-size="14">Acrobot-v1 theta1=${t1.toFixed(3)} theta2=${t2.toFixed(3)} torque=${torque}</text>`,
      '</svg>',
    ].join('');
  }
}
