// The offline RL page: a CartPole dataset recipe generated in the page, then BC, discrete CQL and
// IQL of @bellman/q-learning (each with its defaults) trained on it in turns by @bellman/training's
// OfflineTrainer, every run evaluated in CartPole-v1 at the end of each of its rounds.
import { make } from '@bellman/envs';
import { createLearner } from '@bellman/q-learning';
import type { Learner } from '@bellman/core';
import { InterleavedOfflineRuns, OfflineRunsSession, checkRecipeSettings, generateCartPoleRecipe, type GeneratedDataset } from './offline-runs';
import type { CartPoleRecipeLevel } from './cartpole-recipes';

export const OFFLINE_RL_ALGORITHMS = ['bc', 'cql-discrete', 'iql'] as const;
export type OfflineRlAlgorithm = (typeof OFFLINE_RL_ALGORITHMS)[number];

export interface OfflineRlSettings {
  recipe: CartPoleRecipeLevel;
  /** The dataset's size: whole episodes until at least this many transitions. */
  transitions: number;
  /** Seeds the dataset, the learners' weights and the batches (all three sample the same ones). */
  seed: number;
  /** Updates per algorithm. */
  updates: number;
  /** Updates per turn; each algorithm is evaluated after each of its turns. */
  evalEvery: number;
}

export const OFFLINE_RL_DEFAULTS: OfflineRlSettings = { recipe: 'medium', transitions: 10_000, seed: 0, updates: 2000, evalEvery: 250 };
/** Greedy episodes per evaluation. */
export const OFFLINE_RL_EVAL_EPISODES = 5;
const BATCH_SIZE = 256;

export interface OfflineRlView {
  /** The dataset is generated. */
  dataset(generated: GeneratedDataset): void;
  /** An update of `algorithm`: the updates it has done and its mean time per update. */
  updates(algorithm: OfflineRlAlgorithm, step: number, msPerUpdate: number): void;
  /** An evaluation of `algorithm` after `step` updates. */
  evaluation(algorithm: OfflineRlAlgorithm, step: number, returnMean: number): void;
  /** Every algorithm finished ('done') or the run was paused. */
  ended(reason: 'done' | 'paused'): void;
}

/** Throws a RangeError naming the first setting that is out of range. */
export function checkOfflineRlSettings(settings: OfflineRlSettings): void {
  const { recipe, transitions, seed, updates, evalEvery } = settings;
  checkRecipeSettings(recipe, transitions);
  if (!Number.isInteger(seed) || seed < 0) throw new RangeError(`seed must be a whole number >= 0, got ${seed}`);
  if (!Number.isInteger(updates) || updates < 1) throw new RangeError(`updates must be a whole number >= 1, got ${updates}`);
  if (!Number.isInteger(evalEvery) || evalEvery < 50 || evalEvery > updates) {
    throw new RangeError(`evaluate every must be a whole number from 50 to the updates (${updates}), got ${evalEvery}`);
  }
}

function learnerFor(algorithm: OfflineRlAlgorithm, generated: GeneratedDataset, seed: number): Learner {
  const { observationSpace, actionSpace } = generated.dataset;
  const spaces = { observationSpace, actionSpace, seed };
  if (algorithm === 'bc') return createLearner('bc', spaces);
  if (algorithm === 'cql-discrete') return createLearner('cql-discrete', spaces);
  // IQL scales rewards by the data's episode returns (its rewardScale 'auto').
  return createLearner('iql', { ...spaces, episodeStatistics: generated.statistics });
}

/** Checks the settings (a RangeError names the first out of range) and makes the page's session. */
export function createOfflineRlSession(settings: OfflineRlSettings, view: OfflineRlView): OfflineRunsSession<OfflineRlAlgorithm> {
  checkOfflineRlSettings(settings);
  return new OfflineRunsSession(() => {
    const { recipe, transitions, seed, updates, evalEvery } = settings;
    const generated = generateCartPoleRecipe(recipe, transitions, seed);
    view.dataset(generated);
    const runs: InterleavedOfflineRuns<OfflineRlAlgorithm> = new InterleavedOfflineRuns({
      runs: OFFLINE_RL_ALGORITHMS.map((name) => ({ name, learner: learnerFor(name, generated, seed) })),
      dataset: generated.dataset,
      updates,
      roundUpdates: evalEvery,
      batchSize: BATCH_SIZE,
      seed,
      envFactory: () => make('CartPole-v1'),
      evalEpisodes: OFFLINE_RL_EVAL_EPISODES,
      onUpdate: (name, step) => view.updates(name, step, runs.msPerUpdate(name)),
      onEvaluation: (name, step, returnMean) => view.evaluation(name, step, returnMean),
    });
    return runs;
  }, view.ended);
}
