import { Box, Discrete } from '@bellman/core';
import type { Rng } from '@bellman/core';
import { ClassicControlEnv, fmt } from '../base.js';

const GRAVITY = 9.8;
const MASS_CART = 1.0;
const MASS_POLE = 0.1;
const TOTAL_MASS = MASS_POLE + MASS_CART;
/** Half the pole's length. */
const HALF_LENGTH = 0.5;
const POLE_MASS_LENGTH = MASS_POLE * HALF_LENGTH;
const FORCE_MAG = 10.0;
const TAU = 0.02;
export const CARTPOLE_THETA_THRESHOLD = (12 * 2 * Math.PI) / 360;
export const CARTPOLE_X_THRESHOLD = 2.4;
const FLOAT32_MAX = 3.4028234663852886e38;

/**
 * CartPole-v1: push a cart left (0) or right (1) to keep a pole upright. Explicit Euler
 * integration with tau = 0.02 s; the episode terminates when |x| > 2.4 or |theta| > 12 degrees.
 * Reward 1 for every step, the terminating one included (0 for steps taken after termination).
 * State [x, x_dot, theta, theta_dot]; the observation is the same four numbers in float32.
 */
export class CartPoleEnv extends ClassicControlEnv {
  readonly observationSpace = new Box(
    [-CARTPOLE_X_THRESHOLD * 2, -FLOAT32_MAX, -CARTPOLE_THETA_THRESHOLD * 2, -FLOAT32_MAX],
    [CARTPOLE_X_THRESHOLD * 2, FLOAT32_MAX, CARTPOLE_THETA_THRESHOLD * 2, FLOAT32_MAX],
  );
  readonly actionSpace = new Discrete(2);
  readonly stateLayout = ['x', 'x_dot', 'theta', 'theta_dot'] as const;
  /** Steps taken after the first termination (their reward is 0). */
  private stepsBeyondTerminated = -1;

  constructor() {
    super('CartPole-v1', 4);
  }

  protected sampleInitialState(rng: Rng): void {
    const s = this.state;
    for (let i = 0; i < 4; i++) s[i] = rng.uniformRange(-0.05, 0.05);
  }

  protected override onStateSet(): void {
    this.stepsBeyondTerminated = -1;
  }

  protected advance(action: number): number {
    const s = this.state;
    let x = s[0]!;
    let xDot = s[1]!;
    let theta = s[2]!;
    let thetaDot = s[3]!;
    const force = action === 1 ? FORCE_MAG : -FORCE_MAG;
    const cosTheta = Math.cos(theta);
    const sinTheta = Math.sin(theta);
    const temp = (force + POLE_MASS_LENGTH * (thetaDot * thetaDot) * sinTheta) / TOTAL_MASS;
    const thetaAcc =
      (GRAVITY * sinTheta - cosTheta * temp) / (HALF_LENGTH * (4.0 / 3.0 - (MASS_POLE * (cosTheta * cosTheta)) / TOTAL_MASS));
    const xAcc = temp - (POLE_MASS_LENGTH * thetaAcc * cosTheta) / TOTAL_MASS;
    x = x + TAU * xDot;
    xDot = xDot + TAU * xAcc;
    theta = theta + TAU * thetaDot;
    thetaDot = thetaDot + TAU * thetaAcc;
    s[0] = x;
    s[1] = xDot;
    s[2] = theta;
    s[3] = thetaDot;
    this.lastActionValue = action;
    const terminated =
      x < -CARTPOLE_X_THRESHOLD || x > CARTPOLE_X_THRESHOLD || theta < -CARTPOLE_THETA_THRESHOLD || theta > CARTPOLE_THETA_THRESHOLD;
    this.lastTerminated = terminated;
    if (!terminated) return 1.0;
    this.stepsBeyondTerminated++;
    return this.stepsBeyondTerminated === 0 ? 1.0 : 0.0;
  }

  protected writeObservation(out: Float32Array, offset: number): void {
    const s = this.state;
    out[offset] = s[0]!;
    out[offset + 1] = s[1]!;
    out[offset + 2] = s[2]!;
    out[offset + 3] = s[3]!;
  }

  render(): string {
    const width = 600;
    const height = 400;
    const scale = width / (CARTPOLE_X_THRESHOLD * 2);
    const x = this.hasState ? this.state[0]! : 0;
    const theta = this.hasState ? this.state[2]! : 0;
    const cartX = width / 2 + x * scale;
    const trackY = 300;
    const cartW = 50;
    const cartH = 30;
    const axleY = trackY - cartH / 2;
    const poleLen = scale * 2 * HALF_LENGTH;
    // theta is measured from the vertical, positive clockwise (the pole leans right).
    const tipX = cartX + poleLen * Math.sin(theta);
    const tipY = axleY - poleLen * Math.cos(theta);
    const pushRight = this.lastActionValue === 1;
    return [
      `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">`,
      `<rect width="${width}" height="${height}" fill="white"/>`,
      `<line x1="0" y1="${trackY}" x2="${width}" y2="${trackY}" stroke="black"/>`,
      `<rect x="${fmt(cartX - cartW / 2)}" y="${fmt(trackY - cartH)}" width="${cartW}" height="${cartH}" fill="black"/>`,
      `<line x1="${fmt(cartX)}" y1="${fmt(axleY)}" x2="${fmt(tipX)}" y2="${fmt(tipY)}" stroke="rgb(202,152,101)" stroke-width="10" stroke-linecap="round"/>`,
      `<circle cx="${fmt(cartX)}" cy="${fmt(axleY)}" r="5" fill="rgb(129,132,203)"/>`,
      `<text x="10" y="20" font-family="sans-serif" font-size="14">CartPole-v1 x=${x.toFixed(3)} theta=${theta.toFixed(3)} push=${pushRight ? 'right' : 'left'}</text>`,
      '</svg>',
    ].join('');
  }
}
