export { ReplayBuffer } from './replay.js';
export type { ReplayBufferOptions, ReplayBufferState, TransitionRows } from './replay.js';
export { createTransitionBatch, createWindowBatch } from './batch.js';
export type { SampledTransitionBatch } from './batch.js';
export { OfflineDataset, normalizeObservations, NORMALIZATION_EPSILON } from './offline.js';
export type {
  DatasetSpaces,
  DatasetMetadata,
  DatasetArrays,
  EpisodeData,
  EpisodeView,
  FlatArrays,
  OfflineDatasetOptions,
  Normalization,
  NormalizationStats,
  NormalizeOptions,
} from './offline.js';
export { collect, rolloutEpisode, randomPolicy, envSpaces } from './collect.js';
export type { CollectOptions } from './collect.js';
export { listRecipes, recipeInfo, generateRecipe, RECIPE_ENVS, RECIPE_VERSION, RECIPE_DEFAULT_SEED } from './recipe-generation.js';
export type { RecipeInfo, RecipeKind, MakeRecipeOptions, RecipeFactories } from './recipe-generation.js';
export { makeRecipe, makeRecipeAsync } from './recipes.js';
