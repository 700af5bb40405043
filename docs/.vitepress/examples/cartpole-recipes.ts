// The CartPole recipes of @bellman/datasets the pages offer, by the policy that collected them
// (a module of its own, so that the pages' controls list them without loading the packages).
export const CARTPOLE_RECIPE_LEVELS = ['random', 'medium', 'mixed', 'expert'] as const;
export type CartPoleRecipeLevel = (typeof CARTPOLE_RECIPE_LEVELS)[number];
