import type { Action, Env, Policy } from '@bellman/core';

/**
 * The part of a vector env (`SyncVectorEnv` from @bellman/envs) evaluation uses: its sub-envs,
 * for seeded resets, and a batched step of all of them.
 */
export interface EvaluationVectorEnv {
  readonly numEnvs: number;
  readonly envs: readonly Env<Float32Array, Action>[];
  /** Numbers per action in `step`'s input: 1 for Discrete, the Box size otherwise. */
  readonly actionSize: number;
  reset(options: { seed: readonly number[] }): { observations: Float32Array };
  step(actions: ArrayLike<number>): { observations: Float32Array; rewards: ArrayLike<number>; terminated: ArrayLike<number>; truncated: ArrayLike<number> };
}

export interface EvaluateOptions {
  /** Number of episodes (default 10). */
  episodes?: number;
  /** Episode i resets with seed + i (default 0), so an evaluation is repeatable. */
  seed?: number;
  /**
   * Stop an episode after this many steps even if the env has no time limit of its own
   * (default 100000); such an episode counts as truncated.
   */
  maxSteps?: number;
}

export interface EvaluationResult {
  returns: number[];
  lengths: number[];
  /** Mean of `returns`. */
  mean: number;
  /** Population standard deviation of `returns`. */
  std: number;
}

/**
 * Run `policy` greedily (deterministic actions) for a number of seeded episodes: episode i resets
 * with seed + i. Over a vector env the sub-envs play episodes side by side, each reset by the
 * evaluation with its episode's seed, so the returns are those of the single-env evaluation.
 * A policy with `reset()` (a planner, a recurrent policy) is reset at the start of every episode
 * and can only be evaluated on a single env.
 */
export function evaluatePolicy<O, A extends Action>(env: Env<O, A>, policy: Policy<O, A>, options?: EvaluateOptions): EvaluationResult;
export function evaluatePolicy(env: EvaluationVectorEnv, policy: Policy<Float32Array, Action>, options?: EvaluateOptions): EvaluationResult;
export function evaluatePolicy<O, A extends Action>(
  env: Env<O, A> | EvaluationVectorEnv,
  policy: Policy<O, A> | Policy<Float32Array, Action>,
  options: EvaluateOptions = {},
): EvaluationResult {
  const settings = evaluationSettings(options);
  if (isVectorEnv(env) && policy.reset) {
    // One policy acts for every sub-env in turn, so per-episode state would mix their episodes.
    throw new TypeError('evaluatePolicy: this policy keeps per-episode state (it has reset()); evaluate it on a single env, not a vector env');
  }
  const { returns, lengths } = isVectorEnv(env)
    ? runVectorEpisodes(env, policy as Policy<Float32Array, Action>, settings)
    : runEpisodes(env, policy as Policy<O, A>, settings);
  const { mean, std } = meanStd(returns);
  return { returns, lengths, mean, std };
}

interface EvaluationSettings {
  episodes: number;
  seed: number;
  maxSteps: number;
}

function evaluationSettings(options: EvaluateOptions): EvaluationSettings {
  const episodes = options.episodes ?? 10;
  const seed = options.seed ?? 0;
  const maxSteps = options.maxSteps ?? 100_000;
  if (!Number.isInteger(episodes) || episodes < 1) throw new RangeError(`evaluatePolicy: episodes must be a positive integer, got ${episodes}`);
  if (!Number.isInteger(seed)) throw new RangeError(`evaluatePolicy: seed must be an integer, got ${seed}`);
  if (!Number.isInteger(maxSteps) || maxSteps < 1) throw new RangeError(`evaluatePolicy: maxSteps must be a positive integer, got ${maxSteps}`);
  return { episodes, seed, maxSteps };
}

function isVectorEnv(env: unknown): env is EvaluationVectorEnv {
  const v = env as Partial<EvaluationVectorEnv>;
  return typeof v.numEnvs === 'number' && Array.isArray(v.envs);
}

function runEpisodes<O, A extends Action>(env: Env<O, A>, policy: Policy<O, A>, { episodes, seed, maxSteps }: EvaluationSettings): { returns: number[]; lengths: number[] } {
  const returns: number[] = [];
  const lengths: number[] = [];
  for (let episode = 0; episode < episodes; episode++) {
    let { observation } = env.reset({ seed: seed + episode });
    policy.reset?.();
    let total = 0;
    let length = 0;
    for (;;) {
      const step = env.step(policy.act(observation, { deterministic: true }));
      total += step.reward;
      length += 1;
      observation = step.observation;
      if (step.terminated || step.truncated || length >= maxSteps) break;
    }
    returns.push(total);
    lengths.push(length);
  }
  return { returns, lengths };
}

/**
 * The n sub-envs start episodes 0 .. n - 1; each sub-env that finishes takes the next episode not
 * yet started. The vector env resets a finished sub-env itself; the evaluation then resets it
 * again with the next episode's seed, so every episode starts where the single-env evaluation
 * starts it. A sub-env without an episode to play
 * keeps stepping (a vector env steps all of them) and its results are ignored.
 */
function runVectorEpisodes(
  vec: EvaluationVectorEnv,
  policy: Policy<Float32Array, Action>,
  { episodes, seed, maxSteps }: EvaluationSettings,
): { returns: number[]; lengths: number[] } {
  const n = vec.numEnvs;
  const returns = new Array<number>(episodes).fill(0);
  const lengths = new Array<number>(episodes).fill(0);
  const observationSize = vec.envs[0]!.observationSpace.shape.reduce((a, b) => a * b, 1);
  const observations = new Float32Array(n * observationSize);
  /** The episode sub-env k plays, or -1 when it has none left. */
  const playing = Array.from({ length: n }, (_, k) => (k < episodes ? k : -1));
  let nextEpisode = Math.min(n, episodes);
  const start = (k: number): void => {
    if (nextEpisode >= episodes) {
      playing[k] = -1;
      return;
    }
    playing[k] = nextEpisode;
    observations.set(vec.envs[k]!.reset({ seed: seed + nextEpisode }).observation, k * observationSize);
    nextEpisode += 1;
  };
  // The first wave starts with one reset of the vector env (sub-env k with seed + k).
  observations.set(vec.reset({ seed: Array.from({ length: n }, (_, k) => seed + k) }).observations);
  const actions = new Float32Array(n * vec.actionSize);
  while (playing.some((e) => e >= 0)) {
    for (let k = 0; k < n; k++) {
      const action = policy.act(observations.slice(k * observationSize, (k + 1) * observationSize), { deterministic: true });
      if (typeof action === 'number') actions[k] = action;
      else actions.set(action as ArrayLike<number>, k * vec.actionSize);
    }
    const result = vec.step(actions);
    observations.set(result.observations);
    for (let k = 0; k < n; k++) {
      const episode = playing[k]!;
      if (episode < 0) continue;
      returns[episode] = returns[episode]! + result.rewards[k]!;
      lengths[episode] = lengths[episode]! + 1;
      if (result.terminated[k] || result.truncated[k] || lengths[episode]! >= maxSteps) start(k);
    }
  }
  return { returns, lengths };
}

/** Mean and population standard deviation. */
export function meanStd(values: readonly number[]): { mean: number; std: number } {
  if (values.length === 0) return { mean: NaN, std: NaN };
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  const variance = values.reduce((a, b) => a + (b - mean) ** 2, 0) / values.length;
  return { mean, std: Math.sqrt(variance) };
}
