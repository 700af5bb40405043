import { Rng, UsageError } from '@bellman/core';
import { Maze2dEnv } from './env.js';
import type { MujocoModule } from '../engine.js';
import { MAZE2D_LAYOUTS } from './layouts.js';
import type { Maze2dLayout, Maze2dSize } from './layouts.js';
import type { Maze2dRewardType } from './env.js';
import { MAZE2D_GOAL_RADIUS } from './env.js';
import { WaypointController } from './waypoint-controller.js';
import { maze2dEnvId } from '../registry.js';

/** D4RL's maze2d dataset sizes: 1M, 2M and 4M steps. */
export const MAZE2D_DATASET_STEPS: Readonly<Record<Maze2dSize, number>> = { umaze: 1_000_000, medium: 2_000_000, large: 4_000_000 };
/** Each random target is a uniformly drawn open cell plus U(-0.1, 0.1) per axis. */
const TARGET_NOISE = 0.1;

export interface Maze2dCollectOptions {
  /** Rows to collect (default D4RL's size for the maze). */
  steps?: number;
  /** Seeds the start, the targets, the waypoint jitter and the action noise (default 0). */
  seed?: number;
  /** Default 'sparse'. */
  reward?: Maze2dRewardType;
  /** Standard deviation of Gaussian noise added to the controller's action before clipping (default 0). */
  actionNoise?: number;
  /** The engine to simulate with; default the one `loadMujoco()` loaded. */
  engine?: MujocoModule;
}

/**
 * A maze2d dataset in D4RL's flat layout, one row per step of one continuous trajectory. Row i's
 * reward is computed from its own state and target, as in D4RL's files; `timeouts` is 1 where the
 * controller reached its target (a new target is drawn there and the ball is not reset) and on
 * the last row; nothing terminates.
 */
export interface Maze2dData {
  observations: Float32Array;
  actions: Float32Array;
  rewards: Float32Array;
  terminals: Uint8Array;
  timeouts: Uint8Array;
  nextObservations: Float32Array;
  /** `infos/goal`: the target being chased at each row, [x, y]. */
  goals: Float32Array;
  /** `infos/qpos` and `infos/qvel` at each row (the observation's two halves, as D4RL stores them). */
  qpos: Float32Array;
  qvel: Float32Array;
}

function randomTarget(layout: Maze2dLayout, rng: Rng): Float64Array {
  const [row, col] = layout.openCells[rng.int(layout.openCells.length)]!;
  return Float64Array.of(row + rng.uniformRange(-TARGET_NOISE, TARGET_NOISE), col + rng.uniformRange(-TARGET_NOISE, TARGET_NOISE));
}

/**
 * Collects a maze2d dataset as D4RL made it: one reset, then the waypoint controller chases random
 * targets (each a random open cell plus noise) without resets; whenever it reaches one, a new one
 * is drawn. Needs the MuJoCo engine loaded (`loadMujoco()`) unless `engine` is given. Deterministic
 * for a seed on a given engine build.
 */
export function collectMaze2dData(size: Maze2dSize, options: Maze2dCollectOptions = {}): Maze2dData {
  const layout = MAZE2D_LAYOUTS[size];
  if (!layout) throw new UsageError(`collectMaze2dData: unknown maze "${String(size)}"; known: ${Object.keys(MAZE2D_LAYOUTS).join(', ')}`, { size: String(size) });
  const steps = options.steps ?? MAZE2D_DATASET_STEPS[size];
  if (!Number.isInteger(steps) || steps < 1) throw new UsageError(`collectMaze2dData: steps must be a positive integer, got ${String(steps)}`, { steps: String(steps) });
  const seed = options.seed ?? 0;
  if (!Number.isInteger(seed)) throw new UsageError(`collectMaze2dData: seed must be an integer, got ${String(seed)}`, { seed: String(seed) });
  const noise = options.actionNoise ?? 0;
  if (!Number.isFinite(noise) || noise < 0) throw new UsageError(`collectMaze2dData: actionNoise must be a non-negative number, got ${String(noise)}`, { actionNoise: String(noise) });
  const reward = options.reward ?? 'sparse';
  const master = new Rng(seed);
  const resetSeed = master.seed();
  const targetRng = master.split();
  const jitterRng = master.split();
  const noiseRng = master.split();
  const env = new Maze2dEnv(maze2dEnvId(size, reward), layout, options.engine ? { engine: options.engine } : {});
  const data: Maze2dData = {
    observations: new Float32Array(steps * 4),
    actions: new Float32Array(steps * 2),
    rewards: new Float32Array(steps),
    terminals: new Uint8Array(steps),
    timeouts: new Uint8Array(steps),
    nextObservations: new Float32Array(steps * 4),
    goals: new Float32Array(steps * 2),
    qpos: new Float32Array(steps * 2),
    qvel: new Float32Array(steps * 2),
  };
  try {
    let observation = env.reset({ seed: resetSeed }).observation;
    let state = env.getState();
    let target = randomTarget(layout, targetRng);
    const controller = new WaypointController(layout, jitterRng);
    controller.setTarget(state, target);
    const action = new Float32Array(2);
    for (let i = 0; i < steps; i++) {
      const { reached } = controller.act(state, action);
      if (noise > 0) for (let k = 0; k < 2; k++) action[k] = Math.min(1, Math.max(-1, action[k]! + noise * noiseRng.normal()));
      data.observations.set(observation, 4 * i);
      data.actions.set(action, 2 * i);
      data.goals[2 * i] = target[0]!;
      data.goals[2 * i + 1] = target[1]!;
      data.qpos[2 * i] = state[0]!;
      data.qpos[2 * i + 1] = state[1]!;
      data.qvel[2 * i] = state[2]!;
      data.qvel[2 * i + 1] = state[3]!;
      const distance = Math.hypot(state[0]! - target[0]!, state[1]! - target[1]!);
      data.rewards[i] = reward === 'sparse' ? (distance <= MAZE2D_GOAL_RADIUS ? 1 : 0) : Math.exp(-distance);
      observation = env.step(action).observation;
      state = env.getState();
      data.nextObservations.set(observation, 4 * i);
      if (reached) {
        data.timeouts[i] = 1;
        target = randomTarget(layout, targetRng);
        controller.setTarget(state, target);
      }
    }
    data.timeouts[steps - 1] = 1;
  } finally {
    env.close();
  }
  return data;
}
