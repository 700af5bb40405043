import { Box, Discrete, Rng } from '@bellman/core';
import type { Action, Env, Policy, ResetOptions, ResetResult, StepResult } from '@bellman/core';

/**
 * A walk on a line for the tests: observation [position, step]; action 1 (or a positive
 * continuous action) moves right, else left. Reaching `goal` terminates with reward 1; every
 * other step costs 0.1; `maxSteps` truncates. Resets start at a seeded random position in [-2, 2].
 */
export class LineWalkEnv implements Env<Float32Array, Action> {
  readonly observationSpace = new Box(-100, 100, [2]);
  readonly actionSpace: Box | Discrete;
  readonly spec = { id: 'LineWalk-v0' };
  private position = 0;
  private steps = 0;
  private rng = new Rng(0);

  constructor(
    readonly options: { continuous?: boolean; goal?: number; maxSteps?: number } = {},
  ) {
    this.actionSpace = options.continuous ? new Box(-1, 1, [1]) : new Discrete(2);
  }

  reset(opts: ResetOptions = {}): ResetResult<Float32Array> {
    if (opts.seed !== undefined) this.rng = new Rng(opts.seed);
    this.position = this.rng.int(5) - 2;
    this.steps = 0;
    return { observation: this.observation(), info: {} };
  }

  step(action: Action): StepResult<Float32Array> {
    const move = typeof action === 'number' ? (action === 1 ? 1 : -1) : action[0]!;
    this.position += move;
    this.steps++;
    const terminated = this.position >= (this.options.goal ?? 3);
    const truncated = !terminated && this.steps >= (this.options.maxSteps ?? 10);
    return { observation: this.observation(), reward: terminated ? 1 : -0.1, terminated, truncated, info: {} };
  }

  getState(): Float64Array {
    return Float64Array.of(this.position, this.steps);
  }

  render(): string {
    return '<svg/>';
  }

  close(): void {}

  private observation(): Float32Array {
    return Float32Array.of(this.position, this.steps);
  }
}

/** Moves right with probability `p` (drawn from the rng it is given). */
export function biasedPolicy(p: number): Policy<Float32Array, Action> {
  return { act: (_obs, opts) => ((opts?.rng ?? new Rng(1)).uniform() < p ? 1 : 0) };
}
