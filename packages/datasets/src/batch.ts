import type { TransitionBatch, WindowBatch } from '@bellman/core';

/**
 * A transition batch as Bellman's buffers and datasets fill it. `nextActionMask` is 1 where
 * `nextActions` holds the action really taken at the next step of the same episode and 0 where
 * there was none (the episode ended there): SARSA-style backups must mask those rows.
 */
export interface SampledTransitionBatch extends TransitionBatch {
  nextActionMask?: Float32Array;
}

/** Allocate a batch of `size` rows, to be reused across `sampleTransitions(n, rng, out)` calls. */
export function createTransitionBatch(
  size: number,
  observationDim: number,
  actionDim: number,
  options: { nextActions?: boolean } = {},
): SampledTransitionBatch {
  checkCount('createTransitionBatch: size', size, 0);
  checkCount('createTransitionBatch: observationDim', observationDim, 1);
  checkCount('createTransitionBatch: actionDim', actionDim, 1);
  const batch: SampledTransitionBatch = {
    size,
    observationDim,
    actionDim,
    observations: new Float32Array(size * observationDim),
    actions: new Float32Array(size * actionDim),
    rewards: new Float32Array(size),
    nextObservations: new Float32Array(size * observationDim),
    terminals: new Float32Array(size),
  };
  if (options.nextActions) {
    batch.nextActions = new Float32Array(size * actionDim);
    batch.nextActionMask = new Float32Array(size);
  }
  return batch;
}

/** Allocate a window batch: [size, horizon, dim] row-major. */
export function createWindowBatch(size: number, horizon: number, observationDim: number, actionDim: number): WindowBatch {
  checkCount('createWindowBatch: size', size, 0);
  checkCount('createWindowBatch: horizon', horizon, 1);
  const steps = size * horizon;
  return {
    size,
    horizon,
    observationDim,
    actionDim,
    observations: new Float32Array(steps * observationDim),
    actions: new Float32Array(steps * actionDim),
    rewards: new Float32Array(steps),
    terminals: new Float32Array(steps),
    mask: new Float32Array(steps),
    returnsToGo: new Float32Array(steps),
  };
}

/**
 * Return `out` if it fits a request for `n` rows of the given dims, a fresh batch if `out` is
 * undefined, and throw if it does not fit (a silently reallocated batch would defeat reuse).
 */
export function reuseTransitionBatch(
  out: SampledTransitionBatch | undefined,
  n: number,
  observationDim: number,
  actionDim: number,
  nextActions: boolean,
  owner: string,
): SampledTransitionBatch {
  if (!out) return createTransitionBatch(n, observationDim, actionDim, { nextActions });
  if (out.size !== n || out.observationDim !== observationDim || out.actionDim !== actionDim) {
    throw new RangeError(
      `${owner}: the batch passed as out has size ${out.size}, observationDim ${out.observationDim}, actionDim ${out.actionDim}; ` +
        `this call needs size ${n}, observationDim ${observationDim}, actionDim ${actionDim}`,
    );
  }
  if (out.observations.length !== n * observationDim || out.actions.length !== n * actionDim || out.rewards.length !== n) {
    throw new RangeError(`${owner}: the arrays of the batch passed as out do not match its size and dims`);
  }
  if (nextActions && (!out.nextActions || !out.nextActionMask)) {
    out.nextActions = new Float32Array(n * actionDim);
    out.nextActionMask = new Float32Array(n);
  }
  return out;
}

/** Per-transition columns, row-major, that sampled batches copy from. */
export interface TransitionColumns {
  observations: ArrayLike<number>;
  actions: ArrayLike<number>;
  rewards: ArrayLike<number>;
  nextObservations: ArrayLike<number>;
  terminals: ArrayLike<number>;
}

/** Copy transition `index` of `from` into row `row` of `to`: observation, action, reward, next observation, terminal. */
export function copyTransition(from: TransitionColumns, index: number, to: TransitionBatch, row: number): void {
  const od = to.observationDim;
  const ad = to.actionDim;
  for (let j = 0; j < od; j++) {
    to.observations[row * od + j] = from.observations[index * od + j]!;
    to.nextObservations[row * od + j] = from.nextObservations[index * od + j]!;
  }
  for (let j = 0; j < ad; j++) to.actions[row * ad + j] = from.actions[index * ad + j]!;
  to.rewards[row] = from.rewards[index]!;
  to.terminals[row] = from.terminals[index]!;
}

export function checkCount(what: string, value: number, min: number): void {
  if (!Number.isInteger(value) || value < min) {
    throw new RangeError(`${what} must be an integer >= ${min}, got ${value}`);
  }
}
