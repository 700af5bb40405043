import type * as tf from '@tensorflow/tfjs-core';
import { resolveConfig } from '@bellman/core';
import type { ConfigSchema, Metrics } from '@bellman/core';
import type { FeatureProbe } from '@bellman/nn';
import { checkMatrix, firstNonFinite, smallGram, symmetricEigenvalues, tridiagonalEigenvalues, tridiagonalize } from './linalg.js';

/**
 * Feature diagnostics of a critic (DR3, Kumar et al. 2021; implicit under-parameterization, Kumar
 * et al. 2020). They run off the hot path on plain typed arrays: row-major [rows, cols] feature
 * matrices, one row per transition, accumulated in float64.
 */

function checkPair(where: string, phi: ArrayLike<number>, phiNext: ArrayLike<number>, rows: number, cols: number): void {
  checkMatrix(where, 'phi', phi, rows, cols);
  checkMatrix(where, 'phiNext', phiNext, rows, cols);
}

/** Mean over rows of phi_i . phiNext_i: the feature co-adaptation DR3 penalises. */
export function featureDotProduct(phi: ArrayLike<number>, phiNext: ArrayLike<number>, rows: number, cols: number): number {
  checkPair('featureDotProduct', phi, phiNext, rows, cols);
  let total = 0;
  for (let r = 0; r < rows; r++) {
    const base = r * cols;
    let dot = 0;
    for (let c = 0; c < cols; c++) dot += phi[base + c]! * phiNext[base + c]!;
    total += dot;
  }
  return total / rows;
}

/**
 * Mean over rows of cos(phi_i, phiNext_i): the alignment of the features without the growth of
 * their norms. A row where either vector is zero counts as 0.
 */
export function featureCosine(phi: ArrayLike<number>, phiNext: ArrayLike<number>, rows: number, cols: number): number {
  checkPair('featureCosine', phi, phiNext, rows, cols);
  let total = 0;
  for (let r = 0; r < rows; r++) {
    let dot = 0;
    let a = 0;
    let b = 0;
    for (let c = r * cols; c < (r + 1) * cols; c++) {
      dot += phi[c]! * phiNext[c]!;
      a += phi[c]! * phi[c]!;
      b += phiNext[c]! * phiNext[c]!;
    }
    if (a > 0 && b > 0) total += dot / Math.sqrt(a * b);
  }
  return total / rows;
}

function meanRowNorm(data: ArrayLike<number>, rows: number, cols: number): number {
  let total = 0;
  for (let r = 0; r < rows; r++) {
    const base = r * cols;
    let sq = 0;
    for (let c = 0; c < cols; c++) {
      const x = data[base + c]!;
      sq += x * x;
    }
    total += Math.sqrt(sq);
  }
  return total / rows;
}

export interface FeatureNorms {
  /** Mean over rows of ||phi(s_i, a_i)||_2. */
  phiNorm: number;
  /** Mean over rows of ||phi(s'_i, a'_i)||_2. */
  phiNextNorm: number;
}

/** Mean L2 norms of the rows of phi and of phiNext. */
export function featureNorms(phi: ArrayLike<number>, phiNext: ArrayLike<number>, rows: number, cols: number): FeatureNorms {
  checkPair('featureNorms', phi, phiNext, rows, cols);
  return { phiNorm: meanRowNorm(phi, rows, cols), phiNextNorm: meanRowNorm(phiNext, rows, cols) };
}

/**
 * Singular values of the row-major rows x cols matrix, descending, min(rows, cols) of them, in
 * float64: the square roots of the eigenvalues of the Gram matrix of the smaller side.
 */
export function singularValues(features: ArrayLike<number>, rows: number, cols: number): Float64Array {
  checkMatrix('singularValues', 'features', features, rows, cols);
  const bad = firstNonFinite(features);
  if (bad >= 0) {
    throw new RangeError(`singularValues: features[row ${Math.floor(bad / cols)}][col ${bad % cols}] is ${features[bad]}, expected a finite number`);
  }
  const { gram, n } = smallGram(features, rows, cols);
  const { diagonal, offDiagonal } = tridiagonalize(gram, n);
  const eigenvalues = tridiagonalEigenvalues(diagonal, offDiagonal);
  // Rounding can leave the eigenvalues of a rank-deficient Gram matrix slightly negative.
  for (let i = 0; i < eigenvalues.length; i++) eigenvalues[i] = Math.sqrt(Math.max(0, eigenvalues[i]!));
  return eigenvalues;
}

function checkDelta(where: string, delta: number): void {
  if (typeof delta !== 'number' || !Number.isFinite(delta) || delta < 0 || delta >= 1) {
    throw new RangeError(`${where}: delta must be a number in [0, 1), got ${delta}`);
  }
}

/**
 * Effective rank from singular values: min{k : sum_{i<=k} s_i / sum_i s_i >= 1 - delta} with the
 * values sorted descending. 0 for an all-zero spectrum (no feature direction carries anything).
 */
export function srankFromSingularValues(values: ArrayLike<number>, delta = 0.01): number {
  checkDelta('srankFromSingularValues', delta);
  const sorted = Float64Array.from(values);
  for (let i = 0; i < sorted.length; i++) {
    const s = sorted[i]!;
    if (!Number.isFinite(s) || s < 0) throw new RangeError(`srankFromSingularValues: values[${i}] is ${s}, expected a finite number >= 0`);
  }
  sorted.sort().reverse();
  // Prefix sums in one order, so that the last prefix is exactly the total and k never exceeds the count.
  const prefix = new Float64Array(sorted.length);
  let running = 0;
  for (let i = 0; i < sorted.length; i++) {
    running += sorted[i]!;
    prefix[i] = running;
  }
  if (running === 0) return 0;
  const threshold = (1 - delta) * running;
  for (let k = 0; k < prefix.length; k++) if (prefix[k]! >= threshold) return k + 1;
  return prefix.length;
}

/** Effective rank srank_delta of the row-major rows x cols feature matrix (Kumar et al. 2020). */
export function srank(features: ArrayLike<number>, rows: number, cols: number, delta = 0.01): number {
  checkDelta('srank', delta);
  return srankFromSingularValues(singularValues(features, rows, cols), delta);
}

export interface FeatureDiagnostics {
  /** Mean over the batch of phi(s,a) . phi(s',a'). */
  dotProduct: number;
  /** Mean L2 norm of phi(s,a). */
  phiNorm: number;
  /** Mean L2 norm of phi(s',a'). */
  phiNextNorm: number;
  /** Effective rank of phi(s,a) over the batch; NaN when the features are not finite. */
  srank: number;
  /** Mean cosine of phi(s,a) and phi(s',a') (featureCosine), when asked for. */
  cosine?: number;
}

export interface FeatureDiagnosticsOptions {
  /** The srank threshold (default 0.01). */
  delta?: number;
  /** Also compute the mean cosine of phi and phiNext (default false). */
  cosine?: boolean;
}

/**
 * Diagnostics of a critic's features on one batch: reads each tensor once (synchronously) and
 * computes everything on the host. Non-finite features (a diverged critic) give NaN values rather
 * than an exception, so that a learner logs the divergence instead of dying in the middle of a run.
 */
export function featureDiagnostics(phi: tf.Tensor2D, phiNext: tf.Tensor2D, options: FeatureDiagnosticsOptions = {}): FeatureDiagnostics {
  const delta = options.delta ?? 0.01;
  checkDelta('featureDiagnostics', delta);
  if (phi.rank !== 2 || phiNext.rank !== 2 || phi.shape[0] !== phiNext.shape[0] || phi.shape[1] !== phiNext.shape[1]) {
    throw new RangeError(
      `featureDiagnostics: phi has shape [${phi.shape}] and phiNext has shape [${phiNext.shape}]; both must be the same [batch, featureDim]`,
    );
  }
  const [rows, cols] = phi.shape;
  if (rows === 0 || cols === 0) throw new RangeError(`featureDiagnostics: empty features of shape [${phi.shape}]`);
  const phiData = phi.dataSync();
  const phiNextData = phiNext.dataSync();
  const dotProduct = featureDotProduct(phiData, phiNextData, rows, cols);
  const { phiNorm, phiNextNorm } = featureNorms(phiData, phiNextData, rows, cols);
  const rank = firstNonFinite(phiData) >= 0 ? Number.NaN : srank(phiData, rows, cols, delta);
  const diagnostics: FeatureDiagnostics = { dotProduct, phiNorm, phiNextNorm, srank: rank };
  if (options.cosine) diagnostics.cosine = featureCosine(phiData, phiNextData, rows, cols);
  return diagnostics;
}

/**
 * The metric names learners log the diagnostics under: featureDot, featureNorm (of phi),
 * featureNextNorm (of phi'), srank, and featureCosine when computed.
 */
export function diagnosticsMetrics(diagnostics: FeatureDiagnostics): Metrics {
  const metrics: Metrics = {
    featureDot: diagnostics.dotProduct,
    featureNorm: diagnostics.phiNorm,
    featureNextNorm: diagnostics.phiNextNorm,
    srank: diagnostics.srank,
  };
  if (diagnostics.cosine !== undefined) metrics.featureCosine = diagnostics.cosine;
  return metrics;
}

export interface DiagnosticsScheduleConfig {
  /** Compute the diagnostics on every k-th update; 0 turns them off. */
  every: number;
}

const scheduleSchema: ConfigSchema<DiagnosticsScheduleConfig> = {
  every: { type: 'number', integer: true, min: 0 },
};

/**
 * When a learner should compute feature diagnostics: on updates 0, k, 2k, ... counted as the number
 * of updates done before the current one. It holds no state, so a learner resumed from a
 * checkpoint keeps the same cadence.
 */
export class DiagnosticsSchedule {
  readonly config: DiagnosticsScheduleConfig;

  constructor(config: Partial<DiagnosticsScheduleConfig> = {}) {
    this.config = resolveConfig('DiagnosticsSchedule', scheduleSchema, { every: 100 }, config);
  }

  get every(): number {
    return this.config.every;
  }

  /** True when the update that follows `updatesDone` updates should compute the diagnostics. */
  due(updatesDone: number): boolean {
    if (!Number.isInteger(updatesDone) || updatesDone < 0) {
      throw new RangeError(`DiagnosticsSchedule.due: updatesDone must be a non-negative integer, got ${updatesDone}`);
    }
    return this.config.every > 0 && updatesDone % this.config.every === 0;
  }
}

export { symmetricEigenvalues };

/**
 * A core `FeatureProbe`: learners call it every `every` updates and log
 * featureDot, featureNorm, featureNextNorm and srank.
 */
export function featureProbe(options: Partial<DiagnosticsScheduleConfig> & FeatureDiagnosticsOptions = {}): FeatureProbe {
  const { delta, cosine, ...scheduleConfig } = options;
  const schedule = new DiagnosticsSchedule(scheduleConfig);
  return {
    due: (update: number) => schedule.due(update),
    measure: (phi: tf.Tensor2D, phiNext: tf.Tensor2D) => diagnosticsMetrics(featureDiagnostics(phi, phiNext, { delta, cosine })),
  };
}
