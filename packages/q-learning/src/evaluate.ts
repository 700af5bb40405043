import type { Action, Env, Policy } from '@bellman/core';

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

/** Run `policy` greedily (deterministic actions) for a number of seeded episodes. */
export function evaluatePolicy<O, A extends Action>(env: Env<O, A>, policy: Policy<O, A>, options: EvaluateOptions = {}): EvaluationResult {
  const episodes = options.episodes ?? 10;
  const seed = options.seed ?? 0;
  const maxSteps = options.maxSteps ?? 100_000;
  if (!Number.isInteger(episodes) || episodes < 1) throw new RangeError(`evaluatePolicy: episodes must be a positive integer, got ${episodes}`);
  if (!Number.isInteger(seed)) throw new RangeError(`evaluatePolicy: seed must be an integer, got ${seed}`);
  if (!Number.isInteger(maxSteps) || maxSteps < 1) throw new RangeError(`evaluatePolicy: maxSteps must be a positive integer, got ${maxSteps}`);
  const returns: number[] = [];
  const lengths: number[] = [];
  for (let episode = 0; episode < episodes; episode++) {
    let { observation } = env.reset({ seed: seed + episode });
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
  const { mean, std } = meanStd(returns);
  return { returns, lengths, mean, std };
}

/** Mean and population standard deviation. */
export function meanStd(values: readonly number[]): { mean: number; std: number } {
  if (values.length === 0) return { mean: NaN, std: NaN };
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  const variance = values.reduce((a, b) => a + (b - mean) ** 2, 0) / values.length;
  return { mean, std: Math.sqrt(variance) };
}
