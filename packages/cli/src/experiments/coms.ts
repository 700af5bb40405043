/**
 * `bellman experiment coms`: COMs against its baselines on one design task (design-bench's
 * protocol): each method proposes 128 designs from the training split, the oracle scores them,
 * and the 100th and 50th percentile normalised scores are averaged over seeds. Each run keeps the
 * predicted and the true mean score along its search, the picture of the adversarial-example
 * problem: a plain model's prediction climbs while the truth falls.
 */
import { performance } from 'node:perf_hooks';
import {
  cmaEsOptimizer,
  comsAlpha0Optimizer,
  comsOptimizer,
  datasetBestOptimizer,
  evaluateDesigns,
  gradientAscentOptimizer,
  type DesignOptimizer,
  type DesignTask,
  type OptimizeProgress,
} from '@bellman/mbo';
import { runGrid, type ExperimentStore } from '@bellman/training';

export const COMS_METHODS = ['coms', 'grad', 'grad-alpha0', 'cma-es', 'dataset-best'] as const;
export type ComsMethod = (typeof COMS_METHODS)[number];

export interface ComsExperimentConfig {
  methods: ComsMethod[];
  seeds: number | number[];
  /** Designs each method proposes (design-bench: 128). */
  count: number;
  /** Hidden layers of every method's model; the authors' 2 x 2048 when left out. */
  hiddenSizes?: number[];
  /** Epochs of COMs (and grad-alpha0), and of the plain model of grad and cma-es. */
  comsEpochs: number;
  plainEpochs: number;
  /** CMA-ES generations per run. */
  cmaGenerations: number;
}

/** The authors' settings (COMs 50 epochs, the plain model 100) with 8 trials, as the paper reports. */
export const COMS_FULL: ComsExperimentConfig = { methods: [...COMS_METHODS], seeds: 8, count: 128, comsEpochs: 50, plainEpochs: 100, cmaGenerations: 100 };

/** A smoke test: small models, few epochs, one seed. */
export const COMS_QUICK: ComsExperimentConfig = { methods: [...COMS_METHODS], seeds: 1, count: 128, hiddenSizes: [64, 64], comsEpochs: 2, plainEpochs: 4, cmaGenerations: 20 };

/** One point of a run's search: the mean predicted and true score of its designs, normalised. */
export interface ComsTracePoint {
  step: number;
  predicted: number;
  actual: number;
}

export interface ComsRunResult {
  method: ComsMethod;
  task: string;
  seed: number;
  score100: number;
  score50: number;
  trace: ComsTracePoint[];
  wallSeconds: number;
}

export interface ComsMethodSummary {
  name: ComsMethod;
  task: string;
  seeds: number;
  score100: number;
  score100Std: number;
  score50: number;
  score50Std: number;
}

export interface ComsExperimentResult {
  task: string;
  /** The training split's best score, normalised: what D(best) is. */
  trainBest: number;
  runs: ComsRunResult[];
  methods: ComsMethodSummary[];
  wallSeconds: number;
}

export interface ComsExperimentHooks {
  store?: ExperimentStore<ComsRunResult>;
  savedOnly?: boolean;
  skipRun?: (id: string) => void;
  /** A progress reporter per run: `update(done, total, detail)` and `stop()`. */
  startRun?: (label: string) => { update(progress: OptimizeProgress): void; stop(): void };
  finishRun?: (run: ComsRunResult) => void;
}

/** The optimiser of one method under this experiment's settings. */
export function comsMethodOptimizer(method: ComsMethod, config: ComsExperimentConfig): DesignOptimizer {
  const hidden = config.hiddenSizes ? { hiddenSizes: config.hiddenSizes } : {};
  switch (method) {
    case 'coms':
      return comsOptimizer({ model: hidden, fit: { epochs: config.comsEpochs } });
    case 'grad-alpha0':
      return comsAlpha0Optimizer({ model: hidden, fit: { epochs: config.comsEpochs } });
    case 'grad':
      return gradientAscentOptimizer({ model: hidden, fit: { epochs: config.plainEpochs }, recordEvery: 4 });
    case 'cma-es':
      return cmaEsOptimizer({ model: hidden, fit: { epochs: config.plainEpochs }, generations: config.cmaGenerations, recordEvery: Math.max(1, Math.floor(config.cmaGenerations / 25)) });
    case 'dataset-best':
      return datasetBestOptimizer();
  }
}

/** What a run's result depends on besides its method and seed: a saved run is reused only under the same key. */
export function comsRunKey(taskId: string, method: ComsMethod, config: ComsExperimentConfig): string {
  const { count, hiddenSizes, comsEpochs, plainEpochs, cmaGenerations } = config;
  const fit = method === 'coms' || method === 'grad-alpha0' ? { comsEpochs } : method === 'dataset-best' ? {} : { plainEpochs };
  return JSON.stringify({ version: 1, task: taskId, method, count, hiddenSizes: method === 'dataset-best' ? undefined : (hiddenSizes ?? null), ...fit, ...(method === 'cma-es' ? { cmaGenerations } : {}) });
}

export async function runComsExperiment(task: DesignTask, config: ComsExperimentConfig, hooks: ComsExperimentHooks = {}): Promise<ComsExperimentResult> {
  const started = performance.now();
  const cells = await runGrid<ComsMethod, ComsRunResult>({
    methods: config.methods,
    seeds: config.seeds,
    cellId: ({ method, seed }) => `${task.id}-${method}-seed${seed}`,
    cellKey: ({ method }) => comsRunKey(task.id, method, config),
    store: hooks.store,
    storedOnly: hooks.savedOnly,
    onSkip: hooks.skipRun,
    run: async ({ method, seed }) => {
      const runStarted = performance.now();
      const progress = hooks.startRun?.(`${method} seed ${seed}`);
      try {
        const solution = await comsMethodOptimizer(method, config).optimize(task, { seed, count: config.count, onProgress: (p) => progress?.update(p) });
        const evaluation = evaluateDesigns(task, solution);
        const run: ComsRunResult = {
          method,
          task: task.id,
          seed,
          score100: evaluation.score100,
          score50: evaluation.score50,
          trace: evaluation.trace.map((t) => ({ step: t.step, predicted: task.normalize(t.predicted), actual: task.normalize(t.actual) })),
          wallSeconds: (performance.now() - runStarted) / 1000,
        };
        return run;
      } finally {
        progress?.stop();
      }
    },
    onResult: ({ result, reused }) => {
      if (!reused) hooks.finishRun?.(result);
    },
  });
  const runs = cells.map((c) => c.result);
  const methods = config.methods.flatMap((name): ComsMethodSummary[] => {
    const mine = runs.filter((r) => r.method === name);
    if (mine.length === 0) return [];
    const [score100, score100Std] = meanAndStd(mine.map((r) => r.score100));
    const [score50, score50Std] = meanAndStd(mine.map((r) => r.score50));
    return [{ name, task: task.id, seeds: mine.length, score100, score100Std, score50, score50Std }];
  });
  return { task: task.id, trainBest: task.normalize(Math.max(...task.train.y)), runs, methods, wallSeconds: (performance.now() - started) / 1000 };
}

/** Mean and sample standard deviation (0 for one value). */
function meanAndStd(values: readonly number[]): [number, number] {
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  const variance = values.length > 1 ? values.reduce((s, v) => s + (v - mean) ** 2, 0) / (values.length - 1) : 0;
  return [mean, Math.sqrt(variance)];
}
