import { UsageError } from '@bellman/core';
import type { Box } from '@bellman/core';
import { make, controllerPolicy, importOptionalPackage } from '@bellman/envs';
import { RECIPE_VERSION, generateRecipe, recipeInfo, recipeSettings, type MakeRecipeOptions, type RecipeInfo } from './recipe-generation.js';
import { OfflineDataset, type FlatArrays } from './offline.js';

/** Generate a recipe's dataset deterministically from its seed (a few seconds at most). */
export function makeRecipe(name: string, options: MakeRecipeOptions = {}): OfflineDataset {
  return generateRecipe(recipeInfo(name), options, {
    make: (id) => make(id),
    controllerPolicy: (id, opts) => controllerPolicy(id, opts),
  });
}

/** What a recipe provider package's `generateDatasetRecipe` returns: D4RL-layout rows and the spaces. */
interface ProvidedDataset {
  arrays: FlatArrays;
  observationSpace: Box;
  actionSpace: Box;
}

/**
 * `makeRecipe` for every recipe, including those an optional package generates (maze2d's, by
 * @bellman/envs-mujoco on MuJoCo, which loads asynchronously). Deterministic for a seed.
 */
export async function makeRecipeAsync(name: string, options: MakeRecipeOptions = {}): Promise<OfflineDataset> {
  const info = recipeInfo(name);
  const provider = info.provider;
  if (!provider) return makeRecipe(name, options);
  return generateProvidedRecipe({ ...info, provider }, options);
}

async function generateProvidedRecipe(info: RecipeInfo & { provider: string }, options: MakeRecipeOptions): Promise<OfflineDataset> {
  const { seed, minTransitions } = recipeSettings(info, options);
  const module = await importOptionalPackage<{ generateDatasetRecipe?: (name: string, options: { seed: number; minTransitions: number }) => Promise<ProvidedDataset> }>(
    info.provider,
    `Dataset recipe "${info.name}"`,
    { recipe: info.name },
  );
  if (typeof module.generateDatasetRecipe !== 'function') {
    throw new UsageError(`${info.provider} does not export generateDatasetRecipe(); is it a Bellman package of the same version?`, { recipe: info.name, packageName: info.provider });
  }
  const provided = await module.generateDatasetRecipe(info.name, { seed, minTransitions });
  return OfflineDataset.fromArrays(provided.arrays, { observationSpace: provided.observationSpace, actionSpace: provided.actionSpace }, {
    metadata: { datasetId: info.name, envId: info.envId, recipe: info.name, recipeVersion: RECIPE_VERSION, seed },
    errorContext: { source: info.provider },
  });
}
