import { isRegistered, register } from '@bellman/envs';
import type { EnvRegistrationSpec, EnvRegistryTarget } from '@bellman/envs';
import { loadMujoco } from './engine.js';
import { MAZE2D_ACTION_SPACE, MAZE2D_OBSERVATION_SPACE, Maze2dEnv } from './maze2d/env.js';
import type { Maze2dRewardType } from './maze2d/env.js';
import { MAZE2D_LAYOUTS, MAZE2D_SIZES } from './maze2d/layouts.js';
import type { Maze2dSize } from './maze2d/layouts.js';

/** D4RL's time limits. */
export const MAZE2D_TIME_LIMITS: Readonly<Record<Maze2dSize, number>> = { umaze: 300, medium: 600, large: 800 };

/** The id of a maze2d task: `maze2d-<size>-v1`, or `maze2d-<size>-dense-v1`. */
export function maze2dEnvId(size: Maze2dSize, reward: Maze2dRewardType = 'sparse'): string {
  return `maze2d-${size}${reward === 'dense' ? '-dense' : ''}-v1`;
}

/** The registrations of this package's envs: the six maze2d tasks. */
export const MUJOCO_ENV_SPECS: readonly EnvRegistrationSpec[] = MAZE2D_SIZES.flatMap((size) =>
  (['sparse', 'dense'] as const).map((reward) => {
    const id = maze2dEnvId(size, reward);
    return {
      id,
      entryPoint: () => new Maze2dEnv(id, MAZE2D_LAYOUTS[size], { reward }),
      maxEpisodeSteps: MAZE2D_TIME_LIMITS[size],
      load: loadMujoco,
      spaces: { observation: MAZE2D_OBSERVATION_SPACE, action: MAZE2D_ACTION_SPACE },
      description: `D4RL's maze2d ${size} on MuJoCo: push a ball to the goal cell; reward ${reward === 'sparse' ? '1 within 0.5 of the goal' : 'exp(-distance to the goal)'}.`,
    };
  }),
);

/**
 * Adds the maze2d envs to a registry (by default @bellman/envs's); ids already there are left
 * alone, so calling it twice is harmless. `makeAsync` calls it on first use of a maze2d id.
 */
export function registerEnvs(target: EnvRegistryTarget = { register, isRegistered }): void {
  for (const spec of MUJOCO_ENV_SPECS) if (!target.isRegistered(spec.id)) target.register(spec);
}
