/**
 * CMA-ES: the (mu/mu_w, lambda)-CMA-ES of Hansen's tutorial ("The CMA Evolution Strategy: A
 * Tutorial", arXiv 1604.00772), with weighted recombination, cumulative step-size adaptation
 * and rank-one plus rank-mu covariance updates, the tutorial's default parameters (positive
 * recombination weights only, no active update). Written from the tutorial's equations; numbers
 * in comments refer to them. Float64 throughout; randomness comes only from the given Rng, so a
 * seed fixes every candidate.
 */
import { Rng, UsageError } from '@bellman/core';

export interface CmaEsOptions {
  /** Initial step size (the tutorial's sigma^(0)): about a quarter of the search range is usual. */
  sigma: number;
  /** lambda, the candidates per generation; default 4 + floor(3 ln n). */
  populationSize?: number;
  rng: Rng;
}

/** The tutorial's strategy parameters (its Table 1 and eqs. 53-58), fixed by n and lambda. */
interface StrategyParameters {
  readonly mu: number;
  readonly weights: Float64Array;
  readonly muEff: number;
  readonly cSigma: number;
  readonly dSigma: number;
  readonly cC: number;
  readonly c1: number;
  readonly cMu: number;
  /** E||N(0, I)||, approximated as sqrt(n) (1 - 1/(4n) + 1/(21 n^2)). */
  readonly chiN: number;
  /** Generations between eigendecompositions of C: O(n^2) work per generation instead of O(n^3). */
  readonly eigenInterval: number;
}

function strategyParameters(n: number, lambda: number): StrategyParameters {
  const mu = Math.floor(lambda / 2);
  // w'_i = ln((lambda + 1) / 2) - ln i for the mu best, normalised to sum 1 (eq. 49, 53)
  const weights = new Float64Array(mu);
  for (let i = 0; i < mu; i++) weights[i] = Math.log((lambda + 1) / 2) - Math.log(i + 1);
  const sum = weights.reduce((a, w) => a + w, 0);
  for (let i = 0; i < mu; i++) weights[i]! /= sum;
  const muEff = 1 / weights.reduce((a, w) => a + w * w, 0);
  const cSigma = (muEff + 2) / (n + muEff + 5);
  const dSigma = 1 + 2 * Math.max(0, Math.sqrt((muEff - 1) / (n + 1)) - 1) + cSigma;
  const cC = (4 + muEff / n) / (n + 4 + (2 * muEff) / n);
  const alphaCov = 2;
  const c1 = alphaCov / ((n + 1.3) ** 2 + muEff);
  const cMu = Math.min(1 - c1, (alphaCov * (muEff - 2 + 1 / muEff)) / ((n + 2) ** 2 + (alphaCov * muEff) / 2));
  const chiN = Math.sqrt(n) * (1 - 1 / (4 * n) + 1 / (21 * n * n));
  // The tutorial's B.2: decomposing every 1 / (10 n (c1 + c_mu)) generations is accurate enough.
  const eigenInterval = Math.max(1, Math.floor(1 / (10 * n * (c1 + cMu))));
  return { mu, weights, muEff, cSigma, dSigma, cC, c1, cMu, chiN, eigenInterval };
}

/**
 * Eigendecomposition of a symmetric n x n matrix (row-major) by cyclic Jacobi rotations:
 * `values[k]` with eigenvector column k of `vectors` (row-major, so vectors[i * n + k]).
 * Slow for big n (O(n^3) per sweep) but simple and accurate, and CMA-ES needs n up to ~100.
 */
export function symmetricEigen(matrix: Float64Array, n: number): { values: Float64Array; vectors: Float64Array } {
  const a = Float64Array.from(matrix);
  const v = new Float64Array(n * n);
  for (let i = 0; i < n; i++) v[i * n + i] = 1;
  let scale = 0;
  for (let i = 0; i < n * n; i++) scale += a[i]! * a[i]!;
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    for (let p = 0; p < n; p++) for (let q = p + 1; q < n; q++) off += a[p * n + q]! * a[p * n + q]!;
    if (off <= 1e-30 * scale || off === 0) break;
    for (let p = 0; p < n; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = a[p * n + q]!;
        if (apq === 0) continue;
        // The rotation angle phi zeroes a_pq: cot(2 phi) = theta; t = tan(phi), the smaller root.
        const theta = (a[q * n + q]! - a[p * n + p]!) / (2 * apq);
        const t = (theta >= 0 ? 1 : -1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < n; k++) {
          if (k === p || k === q) continue;
          const akp = a[k * n + p]!;
          const akq = a[k * n + q]!;
          a[k * n + p] = a[p * n + k] = c * akp - s * akq;
          a[k * n + q] = a[q * n + k] = s * akp + c * akq;
        }
        a[p * n + p] = a[p * n + p]! - t * apq;
        a[q * n + q] = a[q * n + q]! + t * apq;
        a[p * n + q] = a[q * n + p] = 0;
        for (let k = 0; k < n; k++) {
          const vkp = v[k * n + p]!;
          const vkq = v[k * n + q]!;
          v[k * n + p] = c * vkp - s * vkq;
          v[k * n + q] = s * vkp + c * vkq;
        }
      }
    }
  }
  const values = new Float64Array(n);
  for (let i = 0; i < n; i++) values[i] = a[i * n + i]!;
  return { values, vectors: v };
}

function checkSigma(sigma: number): void {
  if (typeof sigma !== 'number' || !(sigma > 0) || !Number.isFinite(sigma)) {
    throw new UsageError(`CMA-ES: sigma must be a positive finite number, got ${String(sigma)}`, { sigma });
  }
}

export class CmaEs {
  readonly dim: number;
  readonly populationSize: number;
  private readonly params: StrategyParameters;
  private readonly rng: Rng;
  private readonly m: Float64Array;
  private stepSize: number;
  private gen = 0;
  /** Evolution paths p_sigma (conjugate, for the step size) and p_c (for the rank-one update). */
  private readonly pSigma: Float64Array;
  private readonly pC: Float64Array;
  /** C = B diag(D^2) B^T, row-major; B and D as of the last eigendecomposition. */
  private readonly c: Float64Array;
  private b: Float64Array;
  private d: Float64Array;
  private generationOfEigen = 0;

  constructor(mean: ArrayLike<number>, options: CmaEsOptions) {
    const n = mean?.length ?? 0;
    if (n === 0) throw new UsageError('CMA-ES: the initial mean is empty; give at least one coordinate', { dim: n });
    for (let i = 0; i < n; i++) {
      if (!Number.isFinite(mean[i]!)) throw new UsageError(`CMA-ES: initial mean[${i}] is ${String(mean[i])}, not a finite number`, { index: i });
    }
    checkSigma(options.sigma);
    if (!(options.rng instanceof Rng)) throw new UsageError('CMA-ES: options.rng must be an Rng from @bellman/core');
    const lambda = options.populationSize ?? 4 + Math.floor(3 * Math.log(n));
    if (!Number.isInteger(lambda) || lambda < 2) {
      throw new UsageError(`CMA-ES: populationSize must be an integer of at least 2, got ${String(lambda)}`, { populationSize: lambda });
    }
    this.dim = n;
    this.populationSize = lambda;
    this.params = strategyParameters(n, lambda);
    this.rng = options.rng;
    this.m = Float64Array.from(mean);
    this.stepSize = options.sigma;
    this.pSigma = new Float64Array(n);
    this.pC = new Float64Array(n);
    this.c = new Float64Array(n * n);
    this.b = new Float64Array(n * n);
    for (let i = 0; i < n; i++) this.c[i * n + i] = this.b[i * n + i] = 1;
    this.d = new Float64Array(n).fill(1);
  }

  /** The current distribution mean (a copy). */
  get mean(): Float64Array {
    return this.m.slice();
  }

  get sigma(): number {
    return this.stepSize;
  }

  /** Completed `tell` calls. */
  get generation(): number {
    return this.gen;
  }

  /** `populationSize` candidates x_k = m + sigma B D z_k, z_k ~ N(0, I) (eq. 38-40). */
  ask(): Float64Array[] {
    const n = this.dim;
    const z = new Float64Array(n);
    const dz = new Float64Array(n);
    const candidates: Float64Array[] = [];
    for (let k = 0; k < this.populationSize; k++) {
      this.rng.fillNormal(z);
      for (let j = 0; j < n; j++) dz[j] = this.d[j]! * z[j]!;
      const x = new Float64Array(n);
      for (let i = 0; i < n; i++) {
        let sum = 0;
        for (let j = 0; j < n; j++) sum += this.b[i * n + j]! * dz[j]!;
        x[i] = this.m[i]! + this.stepSize * sum;
      }
      candidates.push(x);
    }
    return candidates;
  }

  /** Update the distribution from `populationSize` candidates and their fitness, higher being better. */
  tell(candidates: readonly Float64Array[], fitness: ArrayLike<number>): void {
    const n = this.dim;
    const lambda = this.populationSize;
    const { mu, weights, muEff, cSigma, dSigma, cC, c1, cMu, chiN } = this.params;
    if (candidates.length !== lambda) throw new UsageError(`CMA-ES: tell got ${candidates.length} candidates; the population size is ${lambda}`, { candidates: candidates.length, populationSize: lambda });
    if (fitness.length !== candidates.length) {
      throw new UsageError(`CMA-ES: tell got ${fitness.length} fitness values for ${candidates.length} candidates`, { fitness: fitness.length, candidates: candidates.length });
    }
    for (let k = 0; k < lambda; k++) {
      if (candidates[k]!.length !== n) throw new UsageError(`CMA-ES: candidate ${k} has ${candidates[k]!.length} coordinates; the dimension is ${n}`, { candidate: k, dim: n });
      if (!Number.isFinite(fitness[k]!)) throw new UsageError(`CMA-ES: fitness[${k}] is ${String(fitness[k])}, not a finite number`, { candidate: k });
    }
    // Best first; the sort is stable, so ties keep the ask order and runs stay reproducible.
    const order = Array.from({ length: lambda }, (_, k) => k).sort((i, j) => fitness[j]! - fitness[i]!);
    // y_{i:lambda} = (x_{i:lambda} - m) / sigma for the mu best, and their weighted mean y_w (eq. 41)
    const ys: Float64Array[] = [];
    const yW = new Float64Array(n);
    for (let i = 0; i < mu; i++) {
      const x = candidates[order[i]!]!;
      const y = new Float64Array(n);
      for (let j = 0; j < n; j++) {
        y[j] = (x[j]! - this.m[j]!) / this.stepSize;
        yW[j]! += weights[i]! * y[j]!;
      }
      ys.push(y);
    }
    for (let j = 0; j < n; j++) this.m[j]! += this.stepSize * yW[j]!; // c_m = 1 (eq. 42)

    // Step-size control (eq. 43-44): p_sigma accumulates C^{-1/2} y_w = B D^{-1} B^T y_w.
    const bty = new Float64Array(n);
    for (let k = 0; k < n; k++) {
      let sum = 0;
      for (let j = 0; j < n; j++) sum += this.b[j * n + k]! * yW[j]!;
      bty[k] = sum / this.d[k]!;
    }
    const sigmaGain = Math.sqrt(cSigma * (2 - cSigma) * muEff);
    let pSigmaNorm2 = 0;
    for (let i = 0; i < n; i++) {
      let sum = 0;
      for (let k = 0; k < n; k++) sum += this.b[i * n + k]! * bty[k]!;
      this.pSigma[i] = (1 - cSigma) * this.pSigma[i]! + sigmaGain * sum;
      pSigmaNorm2 += this.pSigma[i]! ** 2;
    }
    const pSigmaNorm = Math.sqrt(pSigmaNorm2);

    // Covariance (eq. 45-47). h_sigma stalls p_c while p_sigma is long (a fast sigma increase).
    const hSigma = pSigmaNorm / Math.sqrt(1 - (1 - cSigma) ** (2 * (this.gen + 1))) < (1.4 + 2 / (n + 1)) * chiN ? 1 : 0;
    const cGain = hSigma * Math.sqrt(cC * (2 - cC) * muEff);
    for (let i = 0; i < n; i++) this.pC[i] = (1 - cC) * this.pC[i]! + cGain * yW[i]!;
    const deltaH = (1 - hSigma) * cC * (2 - cC);
    const keep = 1 + c1 * deltaH - c1 - cMu; // the weights sum to 1
    for (let i = 0; i < n; i++) {
      for (let j = i; j < n; j++) {
        let rankMu = 0;
        for (let r = 0; r < mu; r++) rankMu += weights[r]! * ys[r]![i]! * ys[r]![j]!;
        const value = keep * this.c[i * n + j]! + c1 * this.pC[i]! * this.pC[j]! + cMu * rankMu;
        this.c[i * n + j] = this.c[j * n + i] = value;
      }
    }

    this.stepSize *= Math.exp((cSigma / dSigma) * (pSigmaNorm / chiN - 1));
    this.gen++;
    if (this.gen - this.generationOfEigen >= this.params.eigenInterval) this.decompose();
  }

  /** B and D from C; eigenvalues are clamped positive so that rounding cannot make D^-1 blow up. */
  private decompose(): void {
    const n = this.dim;
    const { values, vectors } = symmetricEigen(this.c, n);
    let largest = 0;
    for (const v of values) largest = Math.max(largest, v);
    this.d = values.map((v) => Math.sqrt(Math.max(v, largest * 1e-20, Number.MIN_VALUE)));
    this.b = vectors;
    this.generationOfEigen = this.gen;
  }
}

/**
 * Maximise `f` with CMA-ES from `x0` for `generations` generations; returns the best candidate
 * seen (not the final mean) and the number of evaluations of `f`.
 */
export function cmaesMaximize(
  f: (x: Float64Array) => number,
  x0: ArrayLike<number>,
  options: CmaEsOptions & { generations: number },
): { best: Float64Array; bestFitness: number; evaluations: number } {
  const { generations } = options;
  if (!Number.isInteger(generations) || generations < 1) {
    throw new UsageError(`cmaesMaximize: generations must be a positive integer, got ${String(generations)}`, { generations });
  }
  const es = new CmaEs(x0, options);
  let best = Float64Array.from(x0);
  let bestFitness = -Infinity;
  let evaluations = 0;
  for (let g = 0; g < generations; g++) {
    const candidates = es.ask();
    const fitness = candidates.map((x) => f(x));
    evaluations += candidates.length;
    fitness.forEach((value, k) => {
      if (value > bestFitness) {
        bestFitness = value;
        best = candidates[k]!.slice();
      }
    });
    es.tell(candidates, fitness);
  }
  return { best, bestFitness, evaluations };
}
