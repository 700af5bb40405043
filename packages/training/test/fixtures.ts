/** Tiny deterministic environments, datasets and learners for the trainer tests (the algorithm packages' tests use the envs and datasets too). */
import {
  Box,
  Discrete,
  Rng,
  type ActOptions,
  type Action,
  type Env,
  type LearnerSnapshot,
  type Learner,
  type Logger,
  type Metrics,
  type Policy,
  type ResetOptions,
  type ResetResult,
  type StepResult,
  type TransitionBatch,
  base64ToFloat32,
  float32ToBase64,
} from '@bellman/core';

/**
 * Observations are two numbers drawn uniformly in [-1, 1] at every step. The expert action is
 * 1 when obs[0] > obs[1], else 0 (discrete); or tanh(2 * (obs[0] - obs[1])) (continuous).
 * Discrete: reward 1 for the expert's action; a different action terminates the episode.
 * Continuous: reward 1 - |a - expert|; never terminates. Both truncate after `horizon` steps.
 */
export class ToyEnv implements Env<Float32Array, Action> {
  readonly observationSpace = new Box(-1, 1, [2]);
  readonly actionSpace: Box | Discrete;
  readonly spec = { id: 'Toy-v0', maxEpisodeSteps: 20 };
  readonly resetSeeds: (number | undefined)[] = [];
  private rng = new Rng(0);
  private obs: Float32Array = new Float32Array(2);
  private t = 0;

  constructor(
    readonly kind: 'discrete' | 'continuous' = 'discrete',
    readonly horizon = 20,
  ) {
    this.actionSpace = kind === 'discrete' ? new Discrete(2) : new Box(-1, 1, [1]);
  }

  reset(opts: ResetOptions = {}): ResetResult<Float32Array> {
    this.resetSeeds.push(opts.seed);
    if (opts.seed !== undefined) this.rng = new Rng(opts.seed);
    this.t = 0;
    this.obs = this.observationSpace.sample(this.rng);
    return { observation: this.obs, info: {} };
  }

  step(action: Action): StepResult<Float32Array> {
    const expert = toyExpert(this.kind, this.obs);
    let reward: number;
    let terminated = false;
    if (this.kind === 'discrete') {
      reward = action === expert ? 1 : 0;
      terminated = action !== expert;
    } else {
      reward = 1 - Math.abs((action as Float32Array)[0]! - (expert as Float32Array)[0]!);
    }
    this.t += 1;
    this.obs = this.observationSpace.sample(this.rng);
    return { observation: this.obs, reward, terminated, truncated: !terminated && this.t >= this.horizon, info: {} };
  }

  getState(): Float64Array {
    return Float64Array.from(this.obs);
  }

  render(): string {
    return '<svg xmlns="http://www.w3.org/2000/svg"/>';
  }

  close(): void {}
}

export function toyExpert(kind: 'discrete' | 'continuous', obs: Float32Array): Action {
  if (kind === 'discrete') return obs[0]! > obs[1]! ? 1 : 0;
  return new Float32Array([Math.tanh(2 * (obs[0]! - obs[1]!))]);
}

export const toyExpertPolicy = (kind: 'discrete' | 'continuous'): Policy => ({ act: (obs) => toyExpert(kind, obs) });

/** A flat in-memory set of transitions sampled uniformly with replacement. */
export class ArrayDataset {
  readonly rows: { obs: number[]; action: number[]; reward: number; next: number[]; terminal: number }[] = [];
  constructor(
    readonly observationDim: number,
    readonly actionDim: number,
  ) {}

  get size(): number {
    return this.rows.length;
  }

  add(obs: ArrayLike<number>, action: Action, reward: number, next: ArrayLike<number>, terminal: boolean): void {
    this.rows.push({
      obs: Array.from(obs),
      action: typeof action === 'number' ? [action] : Array.from(action),
      reward,
      next: Array.from(next),
      terminal: terminal ? 1 : 0,
    });
  }

  /** The batch holding the given rows, in order. */
  batchOf(indices: number[]): TransitionBatch {
    const n = indices.length;
    const od = this.observationDim;
    const ad = this.actionDim;
    const batch: TransitionBatch = {
      size: n,
      observationDim: od,
      actionDim: ad,
      observations: new Float32Array(n * od),
      actions: new Float32Array(n * ad),
      rewards: new Float32Array(n),
      nextObservations: new Float32Array(n * od),
      terminals: new Float32Array(n),
    };
    indices.forEach((idx, i) => {
      const row = this.rows[idx]!;
      batch.observations.set(row.obs, i * od);
      batch.nextObservations.set(row.next, i * od);
      batch.actions.set(row.action, i * ad);
      batch.rewards[i] = row.reward;
      batch.terminals[i] = row.terminal;
    });
    return batch;
  }

  sampleTransitions(n: number, rng: Rng): TransitionBatch {
    return this.batchOf(Array.from({ length: n }, () => rng.int(this.rows.length)));
  }
}

/** Roll `policy` out for `episodes` episodes (episode i resets with seed + i) into an ArrayDataset. */
export function collectDataset(env: ToyEnv, policy: Policy, episodes: number, seed: number): ArrayDataset {
  const data = new ArrayDataset(2, env.actionSpace.kind === 'box' ? env.actionSpace.size : 1);
  for (let e = 0; e < episodes; e++) {
    let { observation } = env.reset({ seed: seed + e });
    for (;;) {
      const action = policy.act(observation, { deterministic: true });
      const step = env.step(action);
      data.add(observation, action, step.reward, step.observation, step.terminated);
      observation = step.observation;
      if (step.terminated || step.truncated) break;
    }
  }
  return data;
}

/** A learner that learns nothing and records what the trainer showed it. */
export class RecordingLearner implements Learner {
  readonly algo = 'recording';
  readonly batches: TransitionBatch[] = [];
  readonly actCalls: { observation: Float32Array; options: ActOptions | undefined }[] = [];
  readonly envSteps: number[] = [];
  updates = 0;

  constructor(private readonly actionSpace: Box | Discrete) {}

  onEnvStep(step: number): void {
    this.envSteps.push(step);
  }

  act(observation: Float32Array, options?: ActOptions): Action {
    this.actCalls.push({ observation: Float32Array.from(observation), options });
    if (this.actionSpace.kind === 'discrete') return observation[0]! > observation[1]! ? 1 : 0;
    return new Float32Array([0]);
  }

  update(batch: TransitionBatch): Metrics {
    this.batches.push({ ...batch, terminals: Float32Array.from(batch.terminals) });
    this.updates += 1;
    return { loss: 1 / this.updates };
  }

  save(): LearnerSnapshot {
    return {
      algo: this.algo,
      config: {},
      observationSpace: new Box(-1, 1, [2]).toJSON(),
      actionSpace: this.actionSpace.toJSON(),
      weights: {},
      optimizers: {},
      rng: [1, 2, 3, 4],
      updates: this.updates,
    };
  }

  load(snapshot: LearnerSnapshot): void {
    this.updates = snapshot.updates;
  }

  dispose(): void {}
}

export interface LinearLearnerOptions {
  observationDim: number;
  numActions: number;
  seed: number;
  learningRate?: number;
  /** Probability of a random action when act is not deterministic (drawn from options.rng). */
  epsilon?: number;
  /** Declares n-step returns (NStepLearner) when set. */
  nStep?: number;
  gamma?: number;
}

/**
 * A learner in plain JavaScript whose weights depend on every batch it sees, in order: a linear
 * softmax policy moved by reward-weighted cross-entropy steps (rows with reward 0 teach nothing).
 * Its float32 weights make "resumed to the same weights" an exact check without tensors.
 */
export class LinearLearner implements Learner {
  readonly algo = 'linear';
  readonly config: { learningRate: number; epsilon: number; gamma?: number };
  readonly nStep?: number;
  readonly gamma?: number;
  weights: Float32Array;
  updates = 0;
  envSteps = 0;

  constructor(private readonly options: LinearLearnerOptions) {
    const { observationDim, numActions, seed } = options;
    this.weights = new Rng(seed).fillNormal(new Float32Array(numActions * (observationDim + 1)), 0, 0.1) as Float32Array;
    this.config = { learningRate: options.learningRate ?? 0.5, epsilon: options.epsilon ?? 0.2, ...(options.gamma !== undefined ? { gamma: options.gamma } : {}) };
    if (options.nStep !== undefined) {
      this.nStep = options.nStep;
      this.gamma = options.gamma ?? 0.99;
    }
  }

  onEnvStep(step: number): void {
    this.envSteps = step;
  }

  private logits(observation: ArrayLike<number>, offset = 0): Float64Array {
    const { observationDim: d, numActions: n } = this.options;
    const out = new Float64Array(n);
    for (let a = 0; a < n; a++) {
      let z = this.weights[a * (d + 1) + d]!;
      for (let j = 0; j < d; j++) z += this.weights[a * (d + 1) + j]! * observation[offset + j]!;
      out[a] = z;
    }
    return out;
  }

  act(observation: Float32Array, options: ActOptions = {}): Action {
    const rng = options.rng;
    if (!(options.deterministic ?? true) && rng && rng.uniform() < this.config.epsilon) return rng.int(this.options.numActions);
    const z = this.logits(observation);
    let best = 0;
    for (let a = 1; a < z.length; a++) if (z[a]! > z[best]!) best = a;
    return best;
  }

  update(batch: TransitionBatch): Metrics {
    const { observationDim: d, numActions: n } = this.options;
    const grad = new Float64Array(this.weights.length);
    let loss = 0;
    for (let i = 0; i < batch.size; i++) {
      const z = this.logits(batch.observations, i * d);
      const max = Math.max(...z);
      let total = 0;
      for (let a = 0; a < n; a++) total += Math.exp(z[a]! - max);
      const taken = batch.actions[i * batch.actionDim]!;
      const weight = batch.rewards[i]!;
      for (let a = 0; a < n; a++) {
        const p = Math.exp(z[a]! - max) / total;
        const g = weight * (p - (a === taken ? 1 : 0));
        for (let j = 0; j < d; j++) grad[a * (d + 1) + j] = grad[a * (d + 1) + j]! + g * batch.observations[i * d + j]!;
        grad[a * (d + 1) + d] = grad[a * (d + 1) + d]! + g;
        if (a === taken) loss -= weight * Math.log(p);
      }
    }
    for (let k = 0; k < this.weights.length; k++) this.weights[k] = this.weights[k]! - (this.config.learningRate * grad[k]!) / batch.size;
    this.updates += 1;
    return { loss: loss / batch.size };
  }

  save(): LearnerSnapshot {
    const { observationDim: d, numActions: n } = this.options;
    return {
      algo: this.algo,
      config: { ...this.config },
      observationSpace: new Box(-1, 1, [d]).toJSON(),
      actionSpace: new Discrete(n).toJSON(),
      weights: { w: { shape: [n, d + 1], dtype: 'float32', data: float32ToBase64(this.weights) } },
      optimizers: { schedule: { envSteps: this.envSteps } },
      rng: [0, 0, 0, 0],
      updates: this.updates,
    };
  }

  load(snapshot: LearnerSnapshot): void {
    this.weights = base64ToFloat32(snapshot.weights.w!.data);
    this.envSteps = snapshot.optimizers.schedule!.envSteps as number;
    this.updates = snapshot.updates;
  }

  dispose(): void {}
}

/** Keeps the logged rows (a copy of each metrics record). */
export class MemoryLogger implements Logger {
  readonly rows: { step: number; metrics: Metrics }[] = [];
  log(step: number, metrics: Metrics): void {
    this.rows.push({ step, metrics: { ...metrics } });
  }
  close(): void {}
}
