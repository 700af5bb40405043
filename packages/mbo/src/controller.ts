/**
 * Controller design tasks in the spirit of design-bench's HopperController: a design is the flat
 * weight vector of a small tanh MLP policy, its score the mean return of a few episodes of a
 * classic-control env, and the dataset every candidate of a logged CMA-ES run with restarts.
 *
 * Policy: observation -> scaled to [-1, 1] by the observation box -> 8 tanh units -> tanh, times
 * the action bound. Design layout, in units of each layer's Glorot scale (so that x ~ N(0, 1) is
 * a Glorot initialisation and one CMA-ES sigma suits every coordinate): W1 (hidden x obs,
 * row-major), b1 (hidden), W2 (hidden), b2 (1). Effective weights are x times
 * sqrt(2 / (fanIn + fanOut)) of their layer, biases included.
 */
import { Rng, UsageError } from '@bellman/core';
import { MountainCarContinuousEnv, PendulumEnv } from '@bellman/envs';
import { CmaEs } from './cmaes.js';
import { createDesignTask, type DesignSpace, type DesignTask } from './task.js';

// Read once: in a vm context (jest) every access to the global Math is a slow interceptor call.
const { tanh } = Math;

const HIDDEN = 8;
/** Reset seeds of the deterministic oracle's episodes (fixed: the oracle must not depend on the dataset seed). */
const DETERMINISTIC_EPISODES = 5;
const STOCHASTIC_EPISODES = 10;
/** Action noise of the stochastic variants, as a fraction of the action bound; the same draws (from this seed) for every design. */
const ACTION_NOISE = 0.2;
const NOISE_SEED = 20240601;
/** The logged CMA-ES: restarts from the nominal design (all zeros) plus N(0, 1) noise, sigma 0.02. */
const LOG_SIGMA = 0.02;
const DEFAULT_RESTARTS = 8;
/** Budgets from this size up take over a second to generate, so their datasets are kept in memory. */
const CACHE_MIN_EVALUATIONS = 2_000;
const CONTROLLER_MAX_PERCENTILE = 40;

/** The one-dimensional continuous-action envs this module drives through their in-place step. */
type ControlEnv = PendulumEnv | MountainCarContinuousEnv;

interface ControllerEnvSpec {
  readonly make: () => ControlEnv;
  /** Gymnasium's time limit for the env. */
  readonly maxSteps: number;
  /** Dataset size: mountain car's 999-step episodes cost five times pendulum's 200. */
  readonly evaluations: number;
}

const ENVS = {
  pendulum: { make: () => new PendulumEnv(), maxSteps: 200, evaluations: 10_000 },
  mountaincar: { make: () => new MountainCarContinuousEnv(), maxSteps: 999, evaluations: 5_000 },
} satisfies Record<string, ControllerEnvSpec>;

type ControllerEnvName = keyof typeof ENVS;

export const CONTROLLER_TASK_IDS = [
  'pendulum-controller-v0',
  'pendulum-controller-stochastic-v0',
  'mountaincar-controller-v0',
  'mountaincar-controller-stochastic-v0',
] as const;
export type ControllerTaskId = (typeof CONTROLLER_TASK_IDS)[number];

function parseId(id: string): { env: ControllerEnvName; stochastic: boolean } {
  if (!(CONTROLLER_TASK_IDS as readonly string[]).includes(id)) {
    throw new UsageError(`unknown controller task "${id}"; known: ${CONTROLLER_TASK_IDS.join(', ')}`, { task: id, known: CONTROLLER_TASK_IDS });
  }
  return { env: id.startsWith('pendulum') ? 'pendulum' : 'mountaincar', stochastic: id.includes('-stochastic-') };
}

/** Sizes and per-coordinate scales of the policy of one env. */
interface PolicyShape {
  readonly obsDim: number;
  readonly actionBound: number;
  readonly obsCenter: Float64Array;
  readonly obsHalfRange: Float64Array;
  readonly dim: number;
  readonly hiddenScale: number;
  readonly outputScale: number;
}

function policyShape(env: ControlEnv): PolicyShape {
  const { low, high, size: obsDim } = env.observationSpace;
  const obsCenter = new Float64Array(obsDim);
  const obsHalfRange = new Float64Array(obsDim);
  for (let i = 0; i < obsDim; i++) {
    obsCenter[i] = (high[i]! + low[i]!) / 2;
    obsHalfRange[i] = (high[i]! - low[i]!) / 2;
  }
  return {
    obsDim,
    actionBound: env.actionSpace.kind === 'box' ? env.actionSpace.high[0]! : 1,
    obsCenter,
    obsHalfRange,
    dim: HIDDEN * obsDim + HIDDEN + HIDDEN + 1,
    hiddenScale: Math.sqrt(2 / (obsDim + HIDDEN)),
    outputScale: Math.sqrt(2 / (HIDDEN + 1)),
  };
}

/**
 * The policy of one design row with the Glorot scales and the observation scaling folded in:
 * pre_h = sum_i w1[h, i] obs_i + b1[h], action = bound tanh(sum_h w2[h] tanh(pre_h) + b2).
 */
interface FoldedPolicy {
  readonly w1: Float64Array;
  readonly b1: Float64Array;
  readonly w2: Float64Array;
  readonly b2: number;
}

function foldPolicy(shape: PolicyShape, x: Float32Array, offset: number): FoldedPolicy {
  const { obsDim, obsCenter, obsHalfRange, hiddenScale, outputScale } = shape;
  const w1 = new Float64Array(HIDDEN * obsDim);
  const b1 = new Float64Array(HIDDEN);
  const w2 = new Float64Array(HIDDEN);
  const biasOffset = offset + HIDDEN * obsDim;
  for (let h = 0; h < HIDDEN; h++) {
    // (obs - center) / halfRange, then times the design's weight and the layer scale
    let bias = x[biasOffset + h]! * hiddenScale;
    for (let i = 0; i < obsDim; i++) {
      const w = (x[offset + h * obsDim + i]! * hiddenScale) / obsHalfRange[i]!;
      w1[h * obsDim + i] = w;
      bias -= w * obsCenter[i]!;
    }
    b1[h] = bias;
    w2[h] = x[biasOffset + HIDDEN + h]! * outputScale;
  }
  return { w1, b1, w2, b2: x[biasOffset + 2 * HIDDEN]! * outputScale };
}

/**
 * The return of one episode of `policy` from reset seed `seed`; `noise` (if given) is added to the
 * action of step t (the env clips the sum).
 */
function episodeReturn(env: ControlEnv, maxSteps: number, shape: PolicyShape, policy: FoldedPolicy, seed: number, noise: ArrayLike<number> | null): number {
  const { obsDim, actionBound } = shape;
  const { w1, b1, w2, b2 } = policy;
  const obs = env.reset({ seed }).observation;
  const action = new Float64Array(1);
  let total = 0;
  for (let t = 0; t < maxSteps; t++) {
    let out = b2;
    for (let h = 0; h < HIDDEN; h++) {
      let pre = b1[h]!;
      for (let i = 0; i < obsDim; i++) pre += w1[h * obsDim + i]! * obs[i]!;
      out += w2[h]! * tanh(pre);
    }
    action[0] = actionBound * tanh(out) + (noise ? noise[t]! : 0);
    total += env.stepInPlace(action, 0, obs, 0);
    if (env.lastTerminated) break;
  }
  return total;
}

/** The task's objective: per design row, the mean return over the fixed episodes. */
function controllerOracle(name: ControllerEnvName, stochastic: boolean): { dim: number; oracle: (x: Float32Array) => Float64Array } {
  const { make, maxSteps } = ENVS[name];
  const env = make();
  const shape = policyShape(env);
  const episodes = stochastic ? STOCHASTIC_EPISODES : DETERMINISTIC_EPISODES;
  // The same noise for every design (common random numbers), so the oracle stays a function of x.
  const noise = stochastic ? new Rng(NOISE_SEED).fillNormal(new Float64Array(episodes * maxSteps), 0, ACTION_NOISE * shape.actionBound) : null;
  const oracle = (x: Float32Array) => {
    const y = new Float64Array(x.length / shape.dim);
    for (let row = 0; row < y.length; row++) {
      const policy = foldPolicy(shape, x, row * shape.dim);
      let sum = 0;
      for (let e = 0; e < episodes; e++) sum += episodeReturn(env, maxSteps, shape, policy, e, noise && noise.subarray(e * maxSteps, (e + 1) * maxSteps));
      y[row] = sum / episodes;
    }
    return y;
  };
  return { dim: shape.dim, oracle };
}

/** A controller task's design space and oracle, without generating its dataset. */
export function controllerTaskOracle(id: string): { space: DesignSpace; oracle: (x: Float32Array) => Float64Array } {
  const { env, stochastic } = parseId(id);
  const { dim, oracle } = controllerOracle(env, stochastic);
  return { space: { kind: 'continuous', dim }, oracle };
}

export interface ControllerTaskOptions {
  /** Seeds the logged CMA-ES and its restarts (default 0); the oracle does not depend on it. */
  seed?: number;
  /** Designs in the dataset: every candidate of the logged run until this many (default 10,000 pendulum, 5,000 mountain car). */
  evaluations?: number;
  /** CMA-ES restarts, the budget split evenly between them (default 8). */
  restarts?: number;
}

interface ControllerData {
  readonly x: Float32Array;
  readonly y: Float32Array;
}

/** Generated datasets by id, seed and budget (big budgets only): generation takes seconds, a task is cheap to rebuild. */
const generated = new Map<string, ControllerData>();

/** The dataset: every candidate CMA-ES evaluated, cast to float32 before it was scored. */
function generateDataset(dim: number, oracle: (x: Float32Array) => Float64Array, seed: number, evaluations: number, restarts: number): ControllerData {
  const rng = new Rng(seed);
  const x = new Float32Array(evaluations * dim);
  const y = new Float32Array(evaluations);
  let count = 0;
  for (let r = 0; r < restarts && count < evaluations; r++) {
    const budgetEnd = Math.min(evaluations, Math.round(((r + 1) * evaluations) / restarts));
    const start = rng.fillNormal(new Float64Array(dim)); // the nominal design (zeros) plus N(0, 1)
    const es = new CmaEs(start, { sigma: LOG_SIGMA, rng: rng.split() });
    while (count < budgetEnd) {
      const candidates = es.ask();
      const designs = new Float32Array(candidates.length * dim);
      candidates.forEach((c, k) => designs.set(c, k * dim));
      const fitness = oracle(designs);
      const logged = Math.min(candidates.length, budgetEnd - count);
      x.set(designs.subarray(0, logged * dim), count * dim);
      for (let k = 0; k < logged; k++) y[count + k] = fitness[k]!;
      count += logged;
      // CMA-ES learns from what the dataset holds: the float32 designs, not its float64 samples.
      es.tell(
        candidates.map((_, k) => Float64Array.from(designs.subarray(k * dim, (k + 1) * dim))),
        fitness,
      );
    }
  }
  return { x, y };
}

function positiveInteger(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 1) throw new UsageError(`controller task: ${name} must be a positive integer, got ${String(value)}`, { [name]: value });
  return value;
}

/** A controller task (see CONTROLLER_TASK_IDS); the same id and options give the same bytes. */
export function makeControllerTask(id: string, options: ControllerTaskOptions = {}): DesignTask<Float32Array> {
  const { env, stochastic } = parseId(id);
  const seed = options.seed ?? 0;
  if (!Number.isFinite(seed)) throw new UsageError(`controller task: seed must be a finite number, got ${String(seed)}`, { seed });
  const evaluations = positiveInteger('evaluations', options.evaluations ?? ENVS[env].evaluations);
  const restarts = positiveInteger('restarts', options.restarts ?? DEFAULT_RESTARTS);
  const { dim, oracle } = controllerOracle(env, stochastic);
  const key = `${id}:${seed}:${evaluations}:${restarts}`;
  let data = generated.get(key);
  if (!data) {
    data = generateDataset(dim, oracle, seed, evaluations, restarts);
    if (evaluations >= CACHE_MIN_EVALUATIONS) generated.set(key, data);
  }
  // Copies, so that a caller writing into a task's arrays cannot change the cached dataset.
  return createDesignTask({ id, space: { kind: 'continuous', dim }, x: data.x.slice(), y: data.y.slice(), oracle, maxPercentile: CONTROLLER_MAX_PERCENTILE, seed });
}
