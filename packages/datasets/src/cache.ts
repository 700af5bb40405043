import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { readMinari, writeMinari } from './hdf5.js';
import type { OfflineDataset } from './offline.js';
import { RECIPE_VERSION, recipeInfo, type MakeRecipeOptions } from './recipe-generation.js';
import { makeRecipeAsync } from './recipes.js';

export interface LoadRecipeOptions extends MakeRecipeOptions {
  /** Where cached recipes live. Default: $BELLMAN_DATA_DIR, else ~/.bellman/datasets. */
  cacheDir?: string;
  /** Regenerate even if a cached file exists. */
  refresh?: boolean;
}

/** $BELLMAN_DATA_DIR if set, else ~/.bellman/datasets. */
export function defaultDataDir(): string {
  const fromEnv = process.env.BELLMAN_DATA_DIR;
  return fromEnv && fromEnv.trim() !== '' ? fromEnv : join(homedir(), '.bellman', 'datasets');
}

/** Where `loadRecipe` caches a recipe: a Minari dataset directory's `data/main_data.hdf5`. */
export function recipeCachePath(name: string, options: LoadRecipeOptions = {}): string {
  const info = recipeInfo(name);
  const seed = options.seed ?? info.defaultSeed;
  const size = options.minTransitions ?? info.minTransitions;
  let dirName = name;
  if (seed !== info.defaultSeed) dirName += `-seed${seed}`;
  if (size !== info.minTransitions) dirName += `-n${size}`;
  return join(options.cacheDir ?? defaultDataDir(), dirName, 'data', 'main_data.hdf5');
}

/**
 * A recipe's dataset, from the disk cache when it holds this recipe, seed, size and generation
 * version, else generated with `makeRecipeAsync` and written to the cache (atomically, in Minari's
 * layout). A cache hit returns the same arrays as generation. An unreadable cache file is
 * regenerated.
 */
export async function loadRecipe(name: string, options: LoadRecipeOptions = {}): Promise<OfflineDataset> {
  const info = recipeInfo(name);
  const seed = options.seed ?? info.defaultSeed;
  const path = recipeCachePath(name, options);
  if (!options.refresh && existsSync(path)) {
    try {
      const cached = await readMinari(path);
      const meta = cached.metadata;
      if (meta.recipe === name && meta.seed === seed && meta.recipeVersion === RECIPE_VERSION && cached.size >= (options.minTransitions ?? info.minTransitions)) {
        return cached;
      }
    } catch {
      // A damaged or foreign cache file is replaced below.
    }
  }
  const dataset = await makeRecipeAsync(name, { seed, minTransitions: options.minTransitions });
  await writeMinari(path, dataset, { datasetId: name, envId: info.envId });
  return dataset;
}
