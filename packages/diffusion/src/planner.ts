/** Diffuser as core `Planner`s: goal-conditioned planning with a controller (maze2d), and value-guided planning. */
import { Rng, UsageError, type PlanningMetrics, type Planner } from '@bellman/core';
import type { DenoisingStep, Diffuser, Plans, Sampler } from './diffuser.js';
import type { Guidance } from './diffusion.js';
import type { ValueModel } from './value.js';

/** Time spent planning and plans made since the last reset. */
class PlanClock {
  private ms = 0;
  private count = 0;

  time<T>(plan: () => T): T {
    const start = performance.now();
    try {
      return plan();
    } finally {
      this.ms += performance.now() - start;
      this.count += 1;
    }
  }

  reset(): void {
    this.ms = 0;
    this.count = 0;
  }

  metrics(): PlanningMetrics {
    return { plan_ms: this.ms, plans: this.count, plan_seconds: this.ms / 1000 };
  }
}

export interface GoalPlannerOptions {
  diffuser: Diffuser;
  /**
   * The goal position (the observation's first dimensions); the goal state at H - 1 is it
   * followed by zeros (maze2d: (gx, gy, 0, 0)). Set later with `setGoal`.
   */
  goal?: ArrayLike<number>;
  /** Plan again every this many steps; 0 (the default) plans once per episode, as Diffuser on maze2d. */
  replanEvery?: number;
  sampler?: Sampler;
  seed?: number;
  /** Sees every plan's sample after each denoising step (to draw the denoising). */
  onDenoisingStep?: (step: DenoisingStep) => void;
}

/**
 * Plans from the current state to the goal at the first `act` after `reset` and follows the plan
 * with Diffuser's maze2d controller: the observation is [position, ..., velocity] with position
 * and velocity of actionDim each, and the action is
 *   (plan[k + 1].position - position) + (plan[k + 1].velocity - velocity)
 * at the k-th step since the plan was made; past the plan's end its last state, at zero velocity.
 */
export class GoalPlanner implements Planner {
  private readonly diffuser: Diffuser;
  private readonly replanEvery: number;
  private readonly sampler: Sampler;
  private readonly rng: Rng;
  private readonly onDenoisingStep: GoalPlannerOptions['onDenoisingStep'];
  private readonly clock = new PlanClock();
  private goalState: Float32Array | null = null;
  private current: Plans | null = null;
  private sincePlan = 0;

  constructor(options: GoalPlannerOptions) {
    this.diffuser = options.diffuser;
    const { actionDim, observationDim } = this.diffuser.layout;
    if (observationDim < 2 * actionDim) throw new UsageError(`GoalPlanner: the controller reads position and velocity (${actionDim} each) from the observation, which has only ${observationDim} dimensions`);
    this.replanEvery = options.replanEvery ?? 0;
    if (!Number.isInteger(this.replanEvery) || this.replanEvery < 0) throw new UsageError(`GoalPlanner: replanEvery must be a non-negative integer, got ${this.replanEvery}`);
    this.sampler = options.sampler ?? { kind: 'ddpm' };
    this.rng = new Rng(options.seed ?? 0);
    this.onDenoisingStep = options.onDenoisingStep;
    if (options.goal) this.setGoal(options.goal);
  }

  /** A new goal; the next `act` plans towards it. */
  setGoal(goal: ArrayLike<number>): void {
    const { observationDim } = this.diffuser.layout;
    if (goal.length === 0 || goal.length > observationDim) throw new UsageError(`GoalPlanner: a goal has 1 to ${observationDim} values, got ${goal.length}`);
    this.goalState = new Float32Array(observationDim);
    this.goalState.set(Array.from(goal));
    this.current = null;
  }

  /** The plan being followed, in the data's units. */
  get plan(): Plans | null {
    return this.current;
  }

  reset(): void {
    this.current = null;
    this.sincePlan = 0;
    this.clock.reset();
  }

  metrics(): PlanningMetrics {
    return this.clock.metrics();
  }

  act(observation: Float32Array): Float32Array {
    if (!this.goalState) throw new UsageError('GoalPlanner: no goal set (pass goal or call setGoal)');
    const { horizon, actionDim: k, observationDim: o } = this.diffuser.layout;
    if (!this.current || (this.replanEvery > 0 && this.sincePlan >= this.replanEvery)) {
      const conditions = new Map([
        [0, observation],
        [horizon - 1, this.goalState],
      ]);
      this.current = this.clock.time(() => this.diffuser.plan(conditions, { rng: this.rng, sampler: this.sampler, ...(this.onDenoisingStep ? { onDenoisingStep: this.onDenoisingStep } : {}) }));
      this.sincePlan = 0;
    }
    const plan = this.current.observations;
    const pastEnd = this.sincePlan + 1 >= horizon;
    const next = plan.subarray((pastEnd ? horizon - 1 : this.sincePlan + 1) * o, (pastEnd ? horizon : this.sincePlan + 2) * o);
    const action = new Float32Array(k);
    for (let i = 0; i < k; i++) {
      const velocity = pastEnd ? 0 : next[o - k + i]!;
      action[i] = next[i]! - observation[i]! + (velocity - observation[o - k + i]!);
    }
    this.sincePlan += 1;
    return action;
  }
}

export interface ValueGuidedPlannerOptions {
  diffuser: Diffuser;
  value: ValueModel;
  /** Plans sampled per step (64 in Diffuser). */
  samples?: number;
  /** Guidance settings beside the value (Diffuser's: scale 0.1, 2 steps, none for t < 2). */
  guidance?: Partial<Omit<Guidance, 'value'>>;
  seed?: number;
}

/** At every step: sample guided plans from the current state, act with the first action of the plan V rates best. */
export class ValueGuidedPlanner implements Planner {
  private readonly diffuser: Diffuser;
  private readonly value: ValueModel;
  private readonly samples: number;
  private readonly guidance: Guidance;
  private readonly rng: Rng;
  private readonly clock = new PlanClock();
  private bestValue = Number.NaN;

  constructor(options: ValueGuidedPlannerOptions) {
    this.diffuser = options.diffuser;
    this.value = options.value;
    const a = this.diffuser.layout;
    const b = this.value.layout;
    if (a.horizon !== b.horizon || a.actionDim !== b.actionDim || a.observationDim !== b.observationDim || this.diffuser.config.nDiffusionSteps !== this.value.config.nDiffusionSteps) {
      throw new UsageError('ValueGuidedPlanner: the diffusion model and the value model differ in horizon, dimensions or diffusion steps');
    }
    this.samples = options.samples ?? 64;
    if (!Number.isInteger(this.samples) || this.samples < 1) throw new UsageError(`ValueGuidedPlanner: samples must be a positive integer, got ${this.samples}`);
    this.guidance = this.value.guidance(options.guidance);
    this.rng = new Rng(options.seed ?? 0);
  }

  reset(): void {
    this.clock.reset();
    this.bestValue = Number.NaN;
  }

  metrics(): PlanningMetrics {
    return { ...this.clock.metrics(), best_value: this.bestValue };
  }

  act(observation: Float32Array): Float32Array {
    const { horizon, actionDim } = this.diffuser.layout;
    return this.clock.time(() => {
      const plans = this.diffuser.plan(new Map([[0, observation]]), { batch: this.samples, rng: this.rng, guidance: this.guidance });
      const values = this.value.score(plans.normalized, this.samples);
      let best = 0;
      for (let i = 1; i < values.length; i++) if (values[i]! > values[best]!) best = i;
      this.bestValue = values[best]!;
      return plans.actions.slice(best * horizon * actionDim, best * horizon * actionDim + actionDim);
    });
  }
}
