import { UsageError, type Box } from '@bellman/core';
import { loadMujoco } from '../engine.js';
import { collectMaze2dData } from './collect.js';
import type { Maze2dData } from './collect.js';
import { MAZE2D_SIZES } from './layouts.js';
import type { Maze2dSize } from './layouts.js';
import { MAZE2D_ACTION_SPACE, MAZE2D_OBSERVATION_SPACE, type Maze2dRewardType } from './env.js';

const RECIPE_NAME = /^maze2d-(umaze|medium|large)(-dense)?-v1$/;

/** A generated dataset with its spaces, for @bellman/datasets' `makeRecipeAsync` and `loadRecipe`. */
export interface GeneratedMaze2dDataset {
  arrays: Maze2dData;
  observationSpace: Box;
  actionSpace: Box;
}

/** The maze and reward of a dataset name (`maze2d-umaze-v1`, `maze2d-large-dense-v1`, ...). */
export function parseMaze2dDatasetName(name: string): { size: Maze2dSize; reward: Maze2dRewardType } {
  const match = RECIPE_NAME.exec(name);
  if (!match) throw new UsageError(`"${name}" is not a maze2d dataset; known: ${MAZE2D_SIZES.flatMap((s) => [`maze2d-${s}-v1`, `maze2d-${s}-dense-v1`]).join(', ')}`, { recipe: name });
  return { size: match[1] as Maze2dSize, reward: match[2] ? 'dense' : 'sparse' };
}

/**
 * Generates a maze2d dataset by name, loading MuJoCo first: `collectMaze2dData` with the name's
 * maze and reward, `minTransitions` rows (default D4RL's size) and the seed.
 */
export async function generateDatasetRecipe(name: string, options: { seed?: number; minTransitions?: number } = {}): Promise<GeneratedMaze2dDataset> {
  const { size, reward } = parseMaze2dDatasetName(name);
  await loadMujoco();
  const arrays = collectMaze2dData(size, { reward, ...(options.seed !== undefined ? { seed: options.seed } : {}), ...(options.minTransitions !== undefined ? { steps: options.minTransitions } : {}) });
  return { arrays, observationSpace: MAZE2D_OBSERVATION_SPACE, actionSpace: MAZE2D_ACTION_SPACE };
}
