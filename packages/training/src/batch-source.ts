/**
 * Where a trainer's batches come from. A source draws with the Rng the trainer passes, so that
 * the trainer owns (and checkpoints) every random stream of a run.
 */
import type { Rng, TransitionBatch, WindowBatch } from '@bellman/core';

/** Draws one batch of `size` rows with `rng`. */
export interface BatchSource<B> {
  sample(size: number, rng: Rng): B;
}

/** Anything that samples transition batches: every core Dataset and a ReplayBuffer do. */
export interface TransitionSource {
  sampleTransitions(n: number, rng: Rng): TransitionBatch;
}

/** Anything that samples trajectory windows: every core Dataset does (OfflineDataset also without padding). */
export interface WindowSource {
  sampleWindows(horizon: number, n: number, rng: Rng, out?: WindowBatch, options?: { padding?: boolean }): WindowBatch;
}

/** Transition batches from a dataset or a replay buffer. */
export function transitionBatches(source: TransitionSource): BatchSource<TransitionBatch> {
  if (!source || typeof source.sampleTransitions !== 'function') {
    throw new TypeError('transitionBatches: the source must have sampleTransitions(n, rng)');
  }
  return { sample: (size, rng) => source.sampleTransitions(size, rng) };
}

/**
 * Windows of `horizon` consecutive steps, for trajectory models. `{ padding: false }` keeps to
 * windows wholly inside an episode (Diffuser's maze2d training), for sources that support it.
 */
export function windowBatches(source: WindowSource, horizon: number, options: { padding?: boolean } = {}): BatchSource<WindowBatch> {
  if (!source || typeof source.sampleWindows !== 'function') {
    throw new TypeError('windowBatches: the source must have sampleWindows(horizon, n, rng)');
  }
  if (!Number.isInteger(horizon) || horizon < 1) throw new RangeError(`windowBatches: horizon must be a positive integer, got ${horizon}`);
  if (options.padding === false) return { sample: (size, rng) => source.sampleWindows(horizon, size, rng, undefined, { padding: false }) };
  return { sample: (size, rng) => source.sampleWindows(horizon, size, rng) };
}
