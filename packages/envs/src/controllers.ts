import { Rng } from '@bellman/core';
import type { Action, ActOptions, Policy } from '@bellman/core';
import { PENDULUM_MAX_TORQUE } from './classic/pendulum.js';

export type ControllerLevel = 'expert' | 'medium';

export interface ControllerOptions {
  level: ControllerLevel;
  /** Source of the medium level's noise (the expert level draws nothing from it). */
  rng: Rng;
}

/**
 * How much noise turns each expert into the 'medium' behaviour policy: the probability of a
 * uniformly random action for discrete tasks, the standard deviation of Gaussian action noise
 * for continuous ones. Chosen so that medium's mean return lies well between random and expert
 * (see the README table).
 */
export const MEDIUM_NOISE: Readonly<Record<string, number>> = Object.freeze({
  'CartPole-v1': 0.5,
  'MountainCar-v0': 0.3,
  'MountainCarContinuous-v0': 2.5,
  'Pendulum-v1': 3.0,
  'Acrobot-v1': 0.7,
});

/** CartPole: push right when k . [x, x_dot, theta, theta_dot] > 0 (a linear state feedback). */
const CARTPOLE_GAINS = [0.5, 1.0, 20.0, 3.0] as const;

function cartPoleExpert(obs: Float32Array): number {
  const k = CARTPOLE_GAINS;
  const u = k[0] * obs[0]! + k[1] * obs[1]! + k[2] * obs[2]! + k[3] * obs[3]!;
  return u > 0 ? 1 : 0;
}

/** Position of the valley floor (where sin(3 x) is lowest). */
const VALLEY_FLOOR = -Math.PI / 6;

/**
 * MountainCar: push in the direction of the velocity (pumping). From rest, push away from the
 * valley floor first, which starts the swing up the slope the car already sits on.
 */
function mountainCarExpert(obs: Float32Array): number {
  const position = obs[0]!;
  const velocity = obs[1]!;
  if (velocity === 0) return position > VALLEY_FLOOR ? 0 : 2;
  return velocity > 0 ? 2 : 0;
}

/**
 * MountainCarContinuous: the same pumping with a constant force magnitude of 0.4. Every step costs
 * 0.1 a^2, and a gentler push still builds the swing, so a smaller magnitude returns more.
 */
const MOUNTAIN_CAR_CONTINUOUS_FORCE = 0.4;

function mountainCarContinuousExpert(obs: Float32Array): number {
  const direction = mountainCarExpert(obs) - 1;
  return direction * MOUNTAIN_CAR_CONTINUOUS_FORCE;
}

/** Pendulum dynamics constants the controller reasons with (g = 10, m = l = 1). */
const PENDULUM_GRAVITY_GAIN = 15; // 3 g / (2 l)
const PENDULUM_TORQUE_GAIN = 3; // 3 / (m l^2)

/**
 * Pendulum: energy pumping toward the upright energy, then a linear stabiliser near the top.
 * With thdot' = 15 sin(th) + 3 u, E = thdot^2 / 2 + 15 cos(th) is conserved without torque and
 * dE/dt = 3 u thdot, so u = k (E* - E) thdot drives E to E* = 15 (upright at rest).
 */
function pendulumExpert(obs: Float32Array): number {
  const cos = obs[0]!;
  const sin = obs[1]!;
  const thDot = obs[2]!;
  let u: number;
  if (cos > 0.9) {
    // Near the top: u = -(kp th + kd thdot); kp > 5 beats gravity's 15 th in the linearisation.
    u = -(10 * Math.atan2(sin, cos) + 3 * thDot);
  } else {
    const energy = 0.5 * thDot * thDot + PENDULUM_GRAVITY_GAIN * cos;
    u = (5 * (PENDULUM_GRAVITY_GAIN - energy) * thDot) / PENDULUM_TORQUE_GAIN;
    // At rest at the bottom there is no swing to pump: start one.
    if (thDot === 0) u = PENDULUM_MAX_TORQUE;
  }
  return Math.min(Math.max(u, -PENDULUM_MAX_TORQUE), PENDULUM_MAX_TORQUE);
}

/**
 * Acrobot: energy pumping. The torque on the middle joint does work tau * dtheta2 on the arm, so
 * torque along the joint's velocity adds energy; measuring it relative to the first link's swing
 * (dtheta2 - dtheta1) and pulling theta2 gently back to 0 keeps the bend in phase with the swing.
 */
function acrobotExpert(obs: Float32Array): number {
  const theta2 = Math.atan2(obs[3]!, obs[2]!);
  const u = obs[5]! - obs[4]! - 0.5 * theta2;
  if (u > 0.05) return 2;
  if (u < -0.05) return 0;
  return 1;
}

interface TaskController {
  discrete: boolean;
  /** Number of discrete actions, or the absolute action bound of a one-dimensional Box. */
  size: number;
  expert: (obs: Float32Array) => number;
}

const CONTROLLERS: Readonly<Record<string, TaskController>> = {
  'CartPole-v1': { discrete: true, size: 2, expert: cartPoleExpert },
  'MountainCar-v0': { discrete: true, size: 3, expert: mountainCarExpert },
  'MountainCarContinuous-v0': { discrete: false, size: 1, expert: mountainCarContinuousExpert },
  'Pendulum-v1': { discrete: false, size: PENDULUM_MAX_TORQUE, expert: pendulumExpert },
  'Acrobot-v1': { discrete: true, size: 3, expert: acrobotExpert },
};

/** Ids for which `controllerPolicy` has a hand-written controller. */
export function controllerIds(): string[] {
  return Object.keys(CONTROLLERS);
}

/**
 * A hand-written controller for a built-in task, as a behaviour policy for dataset recipes.
 * 'expert' is the noise-free controller; 'medium' is the same controller with epsilon-random
 * actions (discrete) or Gaussian action noise, clipped to the action bounds (continuous). The noise
 * is part of the medium policy: `act`'s `deterministic` option does not remove it.
 */
export function controllerPolicy(id: string, options: ControllerOptions): Policy<Float32Array, Action> {
  const controller = CONTROLLERS[id];
  if (!controller) {
    throw new Error(`controllerPolicy: no controller for "${id}"; controllers exist for ${Object.keys(CONTROLLERS).join(', ')}`);
  }
  if (!options || (options.level !== 'expert' && options.level !== 'medium')) {
    throw new Error(`controllerPolicy("${id}"): level must be "expert" or "medium", got ${JSON.stringify(options?.level)}`);
  }
  if (!(options.rng instanceof Rng)) throw new TypeError(`controllerPolicy("${id}"): options.rng must be an Rng from @bellman/core`);
  const noise = options.level === 'medium' ? MEDIUM_NOISE[id]! : 0;
  return new ControllerPolicy(id, controller, noise, options.rng);
}

class ControllerPolicy implements Policy<Float32Array, Action> {
  constructor(
    private readonly id: string,
    private readonly controller: TaskController,
    private readonly noise: number,
    private readonly rng: Rng,
  ) {}

  act(observation: Float32Array, _options?: ActOptions): Action {
    if (!(observation instanceof Float32Array)) {
      throw new TypeError(`controllerPolicy("${this.id}"): observation must be a Float32Array, got ${String(observation)}`);
    }
    const { discrete, size, expert } = this.controller;
    const value = expert(observation);
    if (discrete) {
      if (this.noise > 0 && this.rng.uniform() < this.noise) return this.rng.int(size);
      return value;
    }
    const noisy = this.noise > 0 ? value + this.rng.normal(0, this.noise) : value;
    const action = new Float32Array(1);
    action[0] = Math.min(Math.max(noisy, -size), size);
    return action;
  }
}
