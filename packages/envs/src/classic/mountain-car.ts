import { Box, Discrete } from '@bellman/core';
import type { Rng } from '@bellman/core';
import { ClassicControlEnv, fmt } from '../base.js';

export const MOUNTAIN_CAR_MIN_POSITION = -1.2;
export const MOUNTAIN_CAR_MAX_POSITION = 0.6;
export const MOUNTAIN_CAR_MAX_SPEED = 0.07;
const GRAVITY = 0.0025;
const DISCRETE_FORCE = 0.001;
const CONTINUOUS_POWER = 0.0015;
const DISCRETE_GOAL = 0.5;
const CONTINUOUS_GOAL = 0.45;

/** Height of the hill at a position (the curve the car runs on). */
function hillHeight(position: number): number {
  return Math.sin(3 * position) * 0.45 + 0.55;
}

/** The position update shared by both variants, after the velocity was changed. Mutates `state`. */
function moveCar(state: Float64Array, velocityIn: number): void {
  let velocity = velocityIn;
  if (velocity > MOUNTAIN_CAR_MAX_SPEED) velocity = MOUNTAIN_CAR_MAX_SPEED;
  if (velocity < -MOUNTAIN_CAR_MAX_SPEED) velocity = -MOUNTAIN_CAR_MAX_SPEED;
  let position = state[0]! + velocity;
  if (position > MOUNTAIN_CAR_MAX_POSITION) position = MOUNTAIN_CAR_MAX_POSITION;
  if (position < MOUNTAIN_CAR_MIN_POSITION) position = MOUNTAIN_CAR_MIN_POSITION;
  // The left wall is inelastic.
  if (position === MOUNTAIN_CAR_MIN_POSITION && velocity < 0) velocity = 0;
  state[0] = position;
  state[1] = velocity;
}

function renderMountainCar(id: string, position: number, goal: number, actionLabel: string): string {
  const width = 600;
  const height = 400;
  const scale = width / (MOUNTAIN_CAR_MAX_POSITION - MOUNTAIN_CAR_MIN_POSITION);
  const toX = (p: number) => (p - MOUNTAIN_CAR_MIN_POSITION) * scale;
  const toY = (p: number) => height - 40 - hillHeight(p) * scale;
  const points: string[] = [];
  for (let i = 0; i < 100; i++) {
    const p = MOUNTAIN_CAR_MIN_POSITION + ((MOUNTAIN_CAR_MAX_POSITION - MOUNTAIN_CAR_MIN_POSITION) * i) / 99;
    points.push(`${fmt(toX(p))},${fmt(toY(p))}`);
  }
  // The car sits on the curve, tilted along its slope.
  const slopeAngle = Math.atan(Math.cos(3 * position) * 3 * 0.45);
  const deg = (-slopeAngle * 180) / Math.PI;
  const carX = toX(position);
  const carY = toY(position);
  const flagX = toX(goal);
  const flagY = toY(goal);
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">`,
    `<rect width="${width}" height="${height}" fill="white"/>`,
    `<polyline points="${points.join(' ')}" fill="none" stroke="black" stroke-width="2"/>`,
    `<line x1="${fmt(flagX)}" y1="${fmt(flagY)}" x2="${fmt(flagX)}" y2="${fmt(flagY - 50)}" stroke="black"/>`,
    `<polygon points="${fmt(flagX)},${fmt(flagY - 50)} ${fmt(flagX)},${fmt(flagY - 40)} ${fmt(flagX + 25)},${fmt(flagY - 45)}" fill="rgb(204,204,0)"/>`,
    `<g transform="translate(${fmt(carX)} ${fmt(carY)}) rotate(${fmt(deg)})">`,
    '<rect x="-20" y="-30" width="40" height="20" fill="black"/>',
    '<circle cx="-10" cy="-8" r="8" fill="rgb(128,128,128)"/>',
    '<circle cx="10" cy="-8" r="8" fill="rgb(128,128,128)"/>',
    '</g>',
    `<text x="10" y="20" font-family="sans-serif" font-size="14">${id} position=${position.toFixed(3)} ${actionLabel}</text>`,
    '</svg>',
  ].join('');
}

/**
 * MountainCar-v0: accelerate left (0), not at all (1) or right (2) to drive an underpowered car up
 * the right hill. Reward -1 per step; terminates at position >= 0.5 with velocity >= 0.
 * State [position, velocity]; start position uniform in [-0.6, -0.4), velocity 0.
 */
export class MountainCarEnv extends ClassicControlEnv {
  readonly observationSpace = new Box([MOUNTAIN_CAR_MIN_POSITION, -MOUNTAIN_CAR_MAX_SPEED], [MOUNTAIN_CAR_MAX_POSITION, MOUNTAIN_CAR_MAX_SPEED]);
  readonly actionSpace = new Discrete(3);
  readonly stateLayout = ['position', 'velocity'] as const;

  constructor() {
    super('MountainCar-v0', 2);
  }

  protected sampleInitialState(rng: Rng): void {
    this.state[0] = rng.uniformRange(-0.6, -0.4);
    this.state[1] = 0;
  }

  protected advance(action: number): number {
    const s = this.state;
    const velocity = s[1]! + ((action - 1) * DISCRETE_FORCE + Math.cos(3 * s[0]!) * -GRAVITY);
    moveCar(s, velocity);
    this.lastActionValue = action;
    this.lastTerminated = s[0]! >= DISCRETE_GOAL && s[1]! >= 0;
    return -1.0;
  }

  protected writeObservation(out: Float32Array, offset: number): void {
    out[offset] = this.state[0]!;
    out[offset + 1] = this.state[1]!;
  }

  render(): string {
    const label = ['push=left', 'push=none', 'push=right'][this.lastActionValue] ?? '';
    return renderMountainCar('MountainCar-v0', this.hasState ? this.state[0]! : -0.5, DISCRETE_GOAL, label);
  }
}

/**
 * MountainCarContinuous-v0: a force in [-1, 1] (clipped) times 0.0015. Reward +100 on reaching
 * position >= 0.45 with velocity >= 0, minus 0.1 * a^2 every step (a as given, before clipping).
 */
export class MountainCarContinuousEnv extends ClassicControlEnv {
  readonly observationSpace = new Box([MOUNTAIN_CAR_MIN_POSITION, -MOUNTAIN_CAR_MAX_SPEED], [MOUNTAIN_CAR_MAX_POSITION, MOUNTAIN_CAR_MAX_SPEED]);
  readonly actionSpace = new Box([-1], [1]);
  readonly stateLayout = ['position', 'velocity'] as const;

  constructor() {
    super('MountainCarContinuous-v0', 2);
  }

  protected sampleInitialState(rng: Rng): void {
    this.state[0] = rng.uniformRange(-0.6, -0.4);
    this.state[1] = 0;
  }

  protected advance(action: number): number {
    const s = this.state;
    const force = Math.min(Math.max(action, -1.0), 1.0);
    const velocity = s[1]! + (force * CONTINUOUS_POWER - 0.0025 * Math.cos(3 * s[0]!));
    moveCar(s, velocity);
    this.lastActionValue = force;
    const terminated = s[0]! >= CONTINUOUS_GOAL && s[1]! >= 0;
    this.lastTerminated = terminated;
    return (terminated ? 100.0 : 0) - action * action * 0.1;
  }

  protected writeObservation(out: Float32Array, offset: number): void {
    out[offset] = this.state[0]!;
    out[offset + 1] = this.state[1]!;
  }

  render(): string {
    return renderMountainCar(
      'MountainCarContinuous-v0',
      this.hasState ? this.state[0]! : -0.5,
      CONTINUOUS_GOAL,
      `force=${this.lastActionValue.toFixed(2)}`,
    );
  }
}
