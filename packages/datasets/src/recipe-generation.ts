import { Rng, UsageError, closestMatches } from '@bellman/core';
import type { Action, Env, Policy } from '@bellman/core';
import { envSpaces, randomPolicy, rolloutEpisode } from './collect.js';
import { OfflineDataset, type EpisodeData } from './offline.js';

export type RecipeKind = 'random' | 'medium' | 'expert' | 'mixed';

export interface RecipeInfo {
  /** e.g. "cartpole-mixed-v0". */
  name: string;
  envId: string;
  kind: RecipeKind;
  defaultSeed: number;
  /** Whole episodes are collected until at least this many transitions. */
  minTransitions: number;
  description: string;
}

export interface MakeRecipeOptions {
  /** Default: the recipe's fixed seed. */
  seed?: number;
  /** Collect whole episodes until at least this many transitions. Default: the recipe's size. */
  minTransitions?: number;
}

/** Bump when the generation of any recipe changes, so that caches are regenerated. */
export const RECIPE_VERSION = 1;
export const RECIPE_DEFAULT_SEED = 0;
const DEFAULT_TRANSITIONS = 50_000;

/** Recipe prefix -> env id. */
export const RECIPE_ENVS: Readonly<Record<string, string>> = {
  cartpole: 'CartPole-v1',
  mountaincar: 'MountainCar-v0',
  mountaincarcontinuous: 'MountainCarContinuous-v0',
  pendulum: 'Pendulum-v1',
  acrobot: 'Acrobot-v1',
};

const KIND_TEXT: Record<RecipeKind, string> = {
  random: 'uniformly random actions',
  medium: "the env's medium (noisy) controller",
  expert: "the env's expert controller",
  mixed: 'one third of the episodes each from random actions, the medium and the expert controller',
};
const KINDS: readonly RecipeKind[] = ['random', 'medium', 'expert', 'mixed'];

const RECIPES: readonly RecipeInfo[] = Object.entries(RECIPE_ENVS).flatMap(([prefix, envId]) =>
  KINDS.map((kind) => ({
    name: `${prefix}-${kind}-v0`,
    envId,
    kind,
    defaultSeed: RECIPE_DEFAULT_SEED,
    minTransitions: DEFAULT_TRANSITIONS,
    description: `${envId}, ${KIND_TEXT[kind]}`,
  })),
);

/** Every built-in recipe, sorted by name. */
export function listRecipes(): RecipeInfo[] {
  return [...RECIPES].sort((a, b) => a.name.localeCompare(b.name)).map((r) => ({ ...r }));
}

/** The recipe called `name`; an unknown name throws a `UsageError` that lists the closest names. */
export function recipeInfo(name: string): RecipeInfo {
  const found = RECIPES.find((r) => r.name === name);
  if (found) return { ...found };
  const names = RECIPES.map((r) => r.name);
  const close = closestMatches(name, names, 3);
  throw new UsageError(
    `unknown dataset recipe "${name}"${close.length ? `; did you mean ${close.map((c) => `"${c}"`).join(', ')}?` : ''} ` +
      `(recipes are <env>-<random|medium|expert|mixed>-v0 with <env> one of ${Object.keys(RECIPE_ENVS).join(', ')})`,
    { recipe: name, suggestions: close, known: names },
  );
}

/** How a recipe builds its envs and policies; `makeRecipe` uses @bellman/envs. */
export interface RecipeFactories {
  make(id: string): Env<Float32Array, Action>;
  controllerPolicy(id: string, options: { level: 'expert' | 'medium'; rng: Rng }): Policy<Float32Array, Action>;
}

/** The generation behind `makeRecipe`, with the env and controller factories passed in. */
export function generateRecipe(info: RecipeInfo, options: MakeRecipeOptions, factories: RecipeFactories): OfflineDataset {
  const seed = options.seed ?? info.defaultSeed;
  if (!Number.isInteger(seed)) throw new RangeError(`makeRecipe(${info.name}): seed must be an integer, got ${seed}`);
  const target = options.minTransitions ?? info.minTransitions;
  if (!Number.isInteger(target) || target < 1) throw new RangeError(`makeRecipe(${info.name}): minTransitions must be a positive integer, got ${target}`);
  // One stream per recipe and seed, so that e.g. cartpole-random and cartpole-mixed differ.
  const master = new Rng(hashString(`${info.name}#${seed}`));
  const sourceKinds: Exclude<RecipeKind, 'mixed'>[] = info.kind === 'mixed' ? ['random', 'medium', 'expert'] : [info.kind];
  const sources = sourceKinds.map((kind) => {
    const env = factories.make(info.envId);
    const resetSeeds = master.split();
    const policyRng = master.split();
    const policy = kind === 'random' ? randomPolicy(env.actionSpace) : factories.controllerPolicy(info.envId, { level: kind, rng: policyRng });
    return { env, resetSeeds, policyRng, policy, spaces: envSpaces(env) };
  });
  const episodes: EpisodeData[] = [];
  let total = 0;
  // Round-robin over the sources, one whole episode each, so that a mixed recipe holds the same
  // number of episodes from each.
  while (total < target) {
    for (const source of sources) {
      const episode = rolloutEpisode(source.env, source.policy, {
        seed: source.resetSeeds.seed(),
        rng: source.policyRng,
        actionSpace: source.spaces.actionSpace,
      });
      episodes.push(episode);
      total += episode.rewards.length;
    }
  }
  for (const source of sources) source.env.close();
  return OfflineDataset.fromEpisodes(episodes, sources[0]!.spaces, {
    metadata: { datasetId: info.name, envId: info.envId, recipe: info.name, recipeVersion: RECIPE_VERSION, seed },
  });
}

/** FNV-1a, 32 bits: a stable number from a string. */
function hashString(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}
