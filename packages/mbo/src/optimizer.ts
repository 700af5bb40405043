/**
 * What every offline model-based optimiser is to the rest of Bellman: it learns from a task's
 * training split, never its oracle, and proposes designs; evaluation, which alone calls the
 * oracle, is a separate step. COMs, the gradient-ascent baselines, CMA-ES and the dataset's best
 * design are `DesignOptimizer`s; MINs or NEMO would be more of them.
 */
import { percentile, type Designs, type DesignTask } from './task.js';

export interface OptimizeOptions {
  /** Seeds the model's initialisation, the batch order and any sampling (default 0). */
  seed?: number;
  /** How many designs to propose (design-bench: 128). */
  count?: number;
  /** Called as the optimiser goes: a phase ('fit', 'search') and how far along it is. */
  onProgress?: (progress: OptimizeProgress) => void;
}

export interface OptimizeProgress {
  phase: 'fit' | 'search';
  done: number;
  total: number;
  /** The phase's latest figures (a training loss, the best predicted score). */
  metrics?: Readonly<Record<string, number>>;
}

/** The designs an optimiser visited at one step of its search, and its model's mean prediction of them. */
export interface SearchStep {
  step: number;
  designs: Designs;
  /** Mean over the designs of the model's predicted score, in the task's score units. */
  predicted: number;
}

export interface DesignSolution {
  /** The proposed designs, row-major in the task's space. */
  designs: Designs;
  /** The search's path from its starting designs (step 0), for optimisers that walk one. */
  path?: SearchStep[];
}

export interface DesignOptimizer {
  /** The method's name in reports: 'coms', 'grad', 'grad-alpha0', 'cma-es', 'dataset-best'. */
  readonly name: string;
  optimize(task: DesignTask, options?: OptimizeOptions): Promise<DesignSolution>;
}

export interface TraceStep {
  step: number;
  /** The model's mean predicted score and the oracle's mean score of the same designs. */
  predicted: number;
  actual: number;
}

export interface DesignEvaluation {
  /** The oracle's score of each proposed design, and its normalised value. */
  scores: Float64Array;
  normalized: Float64Array;
  /** The 100th and 50th percentiles of the normalised scores: design-bench's reported numbers. */
  score100: number;
  score50: number;
  /** Predicted against true mean score along the search path, when the optimiser kept one. */
  trace: TraceStep[];
}

/** design-bench's evaluation: the oracle scores the proposed designs (and, if kept, each step of the path). */
export function evaluateDesigns(task: DesignTask, solution: DesignSolution): DesignEvaluation {
  const scores = task.oracle(solution.designs);
  const normalized = scores.map((v) => task.normalize(v));
  const trace = (solution.path ?? []).map((s) => ({ step: s.step, predicted: s.predicted, actual: mean(task.oracle(s.designs)) }));
  return { scores, normalized, score100: Math.max(...normalized), score50: percentile(normalized, 50), trace };
}

function mean(values: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum += values[i]!;
  return sum / values.length;
}
