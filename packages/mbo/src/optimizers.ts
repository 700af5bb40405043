/**
 * The methods `bellman experiment coms` compares, each a `DesignOptimizer` with its authors'
 * defaults: COMs, the same network without the conservative term ("grad-alpha0"), gradient
 * ascent on a plain Gaussian model ("grad", design-baselines' Grad.), CMA-ES on that model, and
 * the best designs of the training data as they are ("dataset-best", D(best)).
 */
import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '@bellman/core';
import { topDesigns } from './ascent.js';
import { CmaEs } from './cmaes.js';
import type { ComsConfig } from './coms.js';
import { trainGaussianModel, type GaussianModelConfig } from './gaussian.js';
import type { DesignOptimizer, DesignSolution, OptimizeOptions, SearchStep } from './optimizer.js';
import { designSize, type DesignTask } from './task.js';
import { ascendFromBest, proposeDesigns, trainComs, type FitOptions } from './train.js';

/** How a model-based optimiser fits its model: epochs, batch size, held-out rows. */
export type FitSettings = Omit<FitOptions, 'seed'>;

export interface ComsOptimizerConfig {
  model?: Partial<ComsConfig>;
  fit?: FitSettings;
  /** Keep every k-th ascent step's designs for the predicted-against-true trace (default 1; 0: none). */
  recordEvery?: number;
}

/** COMs (`conservative: false` in `model` gives the alpha = 0 control). */
export function comsOptimizer(config: ComsOptimizerConfig = {}, name = config.model?.conservative === false ? 'grad-alpha0' : 'coms'): DesignOptimizer {
  return {
    name,
    optimize: async (task, options = {}) => {
      const { seed = 0, count = 128, onProgress } = options;
      const epochs = config.fit?.epochs ?? 50;
      const trained = trainComs(task, config.model, {
        ...config.fit,
        epochs,
        seed,
        onEpoch: (e) => onProgress?.({ phase: 'fit', done: e.epoch, total: epochs, metrics: { mse: e.mse, gap: e.gap, alpha: e.alpha, validationMse: e.validationMse } }),
      });
      try {
        return proposeDesigns(task, trained, { count, recordEvery: config.recordEvery ?? 1 });
      } finally {
        trained.coms.dispose();
      }
    },
  };
}

/** COMs' network and search without the conservative term: what conservatism adds, measured. */
export function comsAlpha0Optimizer(config: ComsOptimizerConfig = {}): DesignOptimizer {
  return comsOptimizer({ ...config, model: { ...config.model, conservative: false } }, 'grad-alpha0');
}

export interface GradientAscentConfig {
  model?: Partial<GaussianModelConfig>;
  fit?: FitSettings;
  /** Ascent steps from the best training designs (default 200). */
  steps?: number;
  /** eta / sqrt(encoded width) (default 0.01). */
  particleLearningRate?: number;
  recordEvery?: number;
}

/** design-baselines' Grad.: gradient ascent on the mean of a maximum-likelihood Gaussian model. */
export function gradientAscentOptimizer(config: GradientAscentConfig = {}): DesignOptimizer {
  return {
    name: 'grad',
    optimize: async (task, options = {}) => {
      const { seed = 0, count = 128, onProgress } = options;
      const trained = fitPlainModel(task, config, seed, onProgress);
      try {
        const eta = (config.particleLearningRate ?? 0.01) * Math.sqrt(trained.encoding.width);
        return ascendFromBest(task, { ...trained, predict: (z) => trained.model.predict(z) }, { count, steps: config.steps ?? 200, eta, recordEvery: config.recordEvery ?? 1 });
      } finally {
        trained.model.dispose();
      }
    },
  };
}

export interface CmaEsOptimizerConfig {
  model?: Partial<GaussianModelConfig>;
  fit?: FitSettings;
  /** The initial step size in the encoded space (default 0.5, design-baselines'). */
  sigma?: number;
  /** Generations of each run (default 100). */
  generations?: number;
  recordEvery?: number;
}

/**
 * design-baselines' CMA-ES baseline: one CMA-ES run from each of the best `count` training
 * designs, maximising the plain model's mean; each run proposes the best point it evaluated.
 * The runs' candidates are scored together, one model pass per generation.
 */
export function cmaEsOptimizer(config: CmaEsOptimizerConfig = {}): DesignOptimizer {
  return {
    name: 'cma-es',
    optimize: async (task, options = {}) => {
      const { seed = 0, count = 128, onProgress } = options;
      const { sigma = 0.5, generations = 100, recordEvery = 10 } = config;
      const trained = fitPlainModel(task, config, seed, onProgress);
      try {
        const { encoding, yMean, yStd } = trained;
        const width = encoding.width;
        const start = encoding.encode(topDesigns(task.train, designSize(task.space), count).x);
        const runs = start.length / width;
        const rng = new Rng(seed + 1);
        const strategies = Array.from({ length: runs }, (_, i) => new CmaEs(start.subarray(i * width, (i + 1) * width), { sigma, rng }));
        const predict = (points: Float32Array, rows: number) =>
          tf.tidy(() => trained.model.predict(tf.tensor2d(points, [rows, width])).dataSync() as Float32Array);
        // each run's best evaluated point and its predicted (standardised) score; the start counts
        const best = Float32Array.from(start);
        const bestScore = Float64Array.from(predict(start, runs));
        const path: SearchStep[] = [];
        const record = (step: number) => path.push({ step, designs: encoding.decode(Float32Array.from(best)), predicted: mean(bestScore) * yStd + yMean });
        if (recordEvery > 0) record(0);
        for (let generation = 1; generation <= generations; generation++) {
          const candidates = strategies.map((s) => s.ask());
          const perRun = candidates[0]!.length;
          const flat = new Float32Array(runs * perRun * width);
          candidates.forEach((list, r) => list.forEach((c, k) => flat.set(c, (r * perRun + k) * width)));
          const scores = predict(flat, runs * perRun);
          strategies.forEach((s, r) => {
            const fitness = scores.subarray(r * perRun, (r + 1) * perRun);
            s.tell(candidates[r]!, fitness);
            fitness.forEach((f, k) => {
              if (f > bestScore[r]!) {
                bestScore[r] = f;
                best.set(candidates[r]![k]!, r * width);
              }
            });
          });
          onProgress?.({ phase: 'search', done: generation, total: generations, metrics: { predicted: mean(bestScore) * yStd + yMean } });
          if (recordEvery > 0 && (generation % recordEvery === 0 || generation === generations)) record(generation);
        }
        const designs = encoding.decode(best);
        return recordEvery > 0 ? { designs, path } : { designs };
      } finally {
        trained.model.dispose();
      }
    },
  };
}

/** D(best): the best training designs, unchanged. Its 100th percentile is the training set's best. */
export function datasetBestOptimizer(): DesignOptimizer {
  return {
    name: 'dataset-best',
    optimize: async (task: DesignTask, options: OptimizeOptions = {}): Promise<DesignSolution> => ({ designs: topDesigns(task.train, designSize(task.space), options.count ?? 128).x }),
  };
}

function fitPlainModel(task: DesignTask, config: { model?: Partial<GaussianModelConfig>; fit?: FitSettings }, seed: number, onProgress: OptimizeOptions['onProgress']) {
  const epochs = config.fit?.epochs ?? 100;
  return trainGaussianModel(task, config.model, {
    validationSize: 200,
    ...config.fit,
    epochs,
    seed,
    onEpoch: (e) => onProgress?.({ phase: 'fit', done: e.epoch, total: epochs, metrics: { nll: e.nll, mse: e.mse, validationMse: e.validationMse } }),
  });
}

function mean(values: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum += values[i]!;
  return sum / values.length;
}
