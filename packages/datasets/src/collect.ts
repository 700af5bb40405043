import { Box, Rng, spaceFromJSON } from '@bellman/core';
import type { Action, AnySpace, Env, Policy, Space } from '@bellman/core';
import { OfflineDataset, type DatasetMetadata, type DatasetSpaces, type EpisodeData } from './offline.js';

export interface CollectOptions {
  /** Stop after this many transitions (the episode running then is kept, as a timeout). */
  steps?: number;
  /** Stop after this many episodes. With `steps` too, whichever comes first. */
  episodes?: number;
  /** Seeds the episode resets and the policy's `rng`: the same seed gives the same data. */
  seed: number;
  /** Passed to `policy.act`. Default false: collection samples stochastic policies. */
  deterministic?: boolean;
  /** Discount of the dataset's returns-to-go (see OfflineDataset). */
  discount?: number;
  metadata?: DatasetMetadata;
}

/** A policy that samples uniformly from a space, with the `rng` it is given (or its own). */
export function randomPolicy(actionSpace: Space<Action>, seed = 0): Policy<Float32Array, Action> {
  const own = new Rng(seed);
  return { act: (_observation, options) => actionSpace.sample(options?.rng ?? own) };
}

/** The spaces of an env as dataset spaces (a Box of observations, a Box or Discrete of actions). */
export function envSpaces(env: Env<Float32Array, Action>): DatasetSpaces {
  const observationSpace = spaceFromJSON(env.observationSpace.toJSON());
  if (!(observationSpace instanceof Box)) throw new TypeError(`collect: the observation space of ${envName(env)} must be a Box`);
  return { observationSpace, actionSpace: spaceFromJSON(env.actionSpace.toJSON()) };
}

/**
 * Run one episode (or its first `maxSteps` steps) and record it in Minari's layout. The env is
 * reset with `seed`, then the policy (`policy.reset()` where it has one); Box actions are clipped into the action space before they are stepped and
 * recorded, so the data always lies in its space.
 */
export function rolloutEpisode(
  env: Env<Float32Array, Action>,
  policy: Policy<Float32Array, Action>,
  options: { seed: number; rng: Rng; actionSpace: AnySpace; maxSteps?: number; deterministic?: boolean },
): EpisodeData {
  const limit = options.maxSteps ?? Infinity;
  const od = env.observationSpace.shape.reduce((a, b) => a * b, 1);
  const ad = options.actionSpace.kind === 'box' ? options.actionSpace.size : 1;
  let observations: Float32Array = new Float32Array(64 * od);
  let actions: Float32Array = new Float32Array(64 * ad);
  let rewards: Float32Array = new Float32Array(64);
  let { observation } = env.reset({ seed: options.seed });
  policy.reset?.();
  checkObservation(env, observation, od, 0);
  observations.set(observation, 0);
  let steps = 0;
  let terminated = false;
  while (steps < limit) {
    if (steps + 1 >= rewards.length) {
      observations = grow(observations, (rewards.length * 2 + 1) * od);
      actions = grow(actions, rewards.length * 2 * ad);
      rewards = grow(rewards, rewards.length * 2);
    }
    let action = policy.act(observation, { deterministic: options.deterministic ?? false, rng: options.rng });
    if (options.actionSpace instanceof Box) {
      action = options.actionSpace.clip(action as Float32Array);
      actions.set(action, steps * ad);
    } else {
      if (typeof action !== 'number') throw new TypeError(`collect: the policy returned ${String(action)} for the Discrete action space of ${envName(env)}`);
      actions[steps] = action;
    }
    const result = env.step(action);
    observation = result.observation;
    checkObservation(env, observation, od, steps + 1);
    rewards[steps] = result.reward;
    steps++;
    observations.set(observation, steps * od);
    if (result.terminated) {
      terminated = true;
      break;
    }
    if (result.truncated) break;
  }
  return {
    observations: observations.slice(0, (steps + 1) * od),
    actions: actions.slice(0, steps * ad),
    rewards: rewards.slice(0, steps),
    terminated,
    seed: options.seed,
  };
}

/**
 * Run `policy` in `env` and record what happens as an OfflineDataset. Deterministic: episode
 * `k` is reset with the k-th seed drawn from `seed`, and the policy gets an `rng` derived from it.
 */
export function collect(env: Env<Float32Array, Action>, policy: Policy<Float32Array, Action>, options: CollectOptions): OfflineDataset {
  const { steps, episodes, seed } = options;
  if (!Number.isFinite(seed)) throw new RangeError(`collect: seed must be a finite number, got ${seed}`);
  if (steps === undefined && episodes === undefined) throw new RangeError('collect: give steps or episodes (or both)');
  for (const [name, value] of [['steps', steps], ['episodes', episodes]] as const) {
    if (value !== undefined && (!Number.isInteger(value) || value < 1)) throw new RangeError(`collect: ${name} must be a positive integer, got ${value}`);
  }
  const spaces = envSpaces(env);
  const master = new Rng(seed);
  const resetSeeds = master.split();
  const policyRng = master.split();
  const recorded: EpisodeData[] = [];
  let total = 0;
  while ((steps === undefined || total < steps) && (episodes === undefined || recorded.length < episodes)) {
    const episode = rolloutEpisode(env, policy, {
      seed: resetSeeds.seed(),
      rng: policyRng,
      actionSpace: spaces.actionSpace,
      maxSteps: steps === undefined ? undefined : steps - total,
      deterministic: options.deterministic,
    });
    recorded.push(episode);
    total += episode.rewards.length;
  }
  const metadata: DatasetMetadata = { seed, ...options.metadata };
  if (env.spec?.id && metadata.envId === undefined) metadata.envId = env.spec.id;
  return OfflineDataset.fromEpisodes(recorded, spaces, { discount: options.discount, metadata });
}

function grow(array: Float32Array, length: number): Float32Array {
  const bigger = new Float32Array(length);
  bigger.set(array);
  return bigger;
}

function checkObservation(env: Env<Float32Array, Action>, observation: Float32Array, od: number, step: number): void {
  if (!observation || observation.length !== od) {
    throw new TypeError(`collect: ${envName(env)} returned an observation of ${observation?.length} values at step ${step}, expected ${od}`);
  }
}

function envName(env: Env<Float32Array, Action>): string {
  return env.spec?.id ?? 'the env';
}
