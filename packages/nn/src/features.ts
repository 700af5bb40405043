/**
 * The tensor-carrying interfaces between value-based learners and what shapes or watches their
 * critics' features (DR3, feature diagnostics). They live here, not in @bellman/core, so that core
 * names no tfjs type.
 */
import type { Scalar, Tensor, Tensor2D } from '@tensorflow/tfjs-core';
import type { Metrics, TransitionBatch } from '@bellman/core';

/**
 * What a value-based learner hands each regularizer: the critic's penultimate features at the
 * state-actions of the batch and at the next state-actions its backup uses.
 */
export interface RegularizerContext {
  /** phi(s, a): [batch, featureDim]. */
  phi: Tensor2D;
  /** phi(s', a') for the a' the backup uses: [batch, featureDim]. */
  phiNext: Tensor2D;
  /** Q(s, a) for the batch, [batch]. */
  q?: Tensor;
  batch: TransitionBatch;
  step: number;
}

export interface Regularizer {
  readonly name: string;
  /** A scalar added to the critic loss; gradients flow through it. Called inside the loss closure. */
  penalty(ctx: RegularizerContext): Scalar;
}

/**
 * Diagnostics of a critic's features, taken every few updates off the hot path (e.g. the mean
 * phi(s,a).phi(s',a'), feature norms, srank). A learner calls `measure` when `due` says so and
 * merges the returned metrics into its update's metrics.
 */
export interface FeatureProbe {
  due(update: number): boolean;
  measure(phi: Tensor2D, phiNext: Tensor2D): Metrics;
}
