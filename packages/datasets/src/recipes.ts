import { make, controllerPolicy } from '@bellman/envs';
import { generateRecipe, recipeInfo, type MakeRecipeOptions } from './recipe-generation.js';
import type { OfflineDataset } from './offline.js';

/** Generate a recipe's dataset deterministically from its seed (a few seconds at most). */
export function makeRecipe(name: string, options: MakeRecipeOptions = {}): OfflineDataset {
  return generateRecipe(recipeInfo(name), options, {
    make: (id) => make(id),
    controllerPolicy: (id, opts) => controllerPolicy(id, opts),
  });
}

