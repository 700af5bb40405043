/**
 * Diffuser's value-guided planning (Janner et al. 2022, its locomotion setting) on a reward task
 * of Bellman's: a diffusion model and a value model V(x_t, t) of the discounted return train on
 * windows of a medium dataset; at every env step 2 gradient steps of V push each denoising step of
 * a batch of plans sampled from the current state, and the best plan by V gives the action. IQL
 * and CQL train on the same data. Each method plays the same seeded episodes.
 */
import { type Action, type Env } from '@bellman/core';
import { OfflineDataset, makeRecipe } from '@bellman/datasets';
import { Diffuser, LOCOMOTION_DIFFUSER, PlanningLearner, ValueGuidedPlanner, ValueModel } from '@bellman/diffusion';
import { make } from '@bellman/envs';
import { createLearnerByName } from '@bellman/q-learning';
import { evaluatePolicy, meanStd, runGrid, transitionBatches, windowBatches, type ExperimentStore } from '@bellman/training/node';
import { datasetNormalizer, trainCell, type CellTrainingHooks } from './diffuser.js';

export const GUIDED_TASKS = {
  pendulum: { envId: 'Pendulum-v1', recipe: 'pendulum-medium-v0' },
  mountaincarcontinuous: { envId: 'MountainCarContinuous-v0', recipe: 'mountaincarcontinuous-medium-v0' },
} as const;
export type GuidedTask = keyof typeof GUIDED_TASKS;

export const GUIDED_METHODS = ['diffuser', 'iql', 'cql'] as const;
export type GuidedMethod = (typeof GUIDED_METHODS)[number];

export interface GuidedExperimentConfig {
  tasks: GuidedTask[];
  methods: GuidedMethod[];
  seeds: number | readonly number[];
  /** Evaluation episodes per seed (reset seeds 10_000 + i for every method). */
  episodes: number;
  /** Time limit of the evaluation episodes; undefined: the env's own (Pendulum 200, MountainCarContinuous 999). */
  episodeSteps?: number;
  /** Discount of the value model's targets (the returns-to-go from each window's start). */
  discount: number;
  diffuser: {
    trainSteps: number;
    batchSize: number;
    horizon: number;
    diffusionSteps: number;
    dim: number;
    dimMults: number[];
    valueHiddenSizes: number[];
    learningRate: number;
    emaStart: number;
    /** Plans sampled per env step (Diffuser: 64). */
    samples: number;
    /** Guidance scale (Diffuser: 0.1). */
    scale: number;
  };
  baselines: { updates: number; batchSize: number; hiddenSizes: number[] };
  checkpointEvery: number;
}

/**
 * Diffuser's locomotion network (H 32, T 20, dim 32, mults 1, 2, 4, 8, first action weighted 10)
 * and guidance (scale 0.1, 2 steps), with 16 plans per step instead of 64 and far fewer training
 * steps than the paper's: each env step samples a guided batch, so evaluation dominates the cost.
 */
export const GUIDED_FULL: Readonly<GuidedExperimentConfig> = Object.freeze<GuidedExperimentConfig>({
  tasks: ['pendulum'],
  methods: [...GUIDED_METHODS],
  seeds: 3,
  episodes: 10,
  discount: 0.99,
  diffuser: { trainSteps: 5000, batchSize: 32, horizon: 32, diffusionSteps: 20, dim: 32, dimMults: [1, 2, 4, 8], valueHiddenSizes: [256, 128], learningRate: 2e-4, emaStart: 2000, samples: 16, scale: 0.1 },
  baselines: { updates: 20_000, batchSize: 256, hiddenSizes: [256, 256] },
  checkpointEvery: 500,
});

/** A minute or so: a dim-8 U-Net on horizon 8, 200 steps, 4 plans per step, 2 episodes. */
export const GUIDED_QUICK: Readonly<GuidedExperimentConfig> = Object.freeze<GuidedExperimentConfig>({
  tasks: ['pendulum'],
  methods: [...GUIDED_METHODS],
  seeds: 1,
  episodes: 2,
  discount: 0.99,
  diffuser: { trainSteps: 200, batchSize: 16, horizon: 8, diffusionSteps: 5, dim: 8, dimMults: [1, 2], valueHiddenSizes: [32], learningRate: 1e-3, emaStart: 50, samples: 4, scale: 0.1 },
  baselines: { updates: 300, batchSize: 128, hiddenSizes: [64, 64] },
  checkpointEvery: 100,
});

export interface GuidedRunResult {
  task: GuidedTask;
  method: GuidedMethod;
  seed: number;
  returns: number[];
  /** Seconds of planning per env step (diffuser only). */
  planSecondsPerStep: number | null;
  curve: Array<[number, number]>;
  curveMetric: string | null;
  trainSeconds: number;
}

export interface GuidedMethodSummary {
  name: GuidedMethod;
  task: GuidedTask;
  seeds: number;
  returnMean: number;
  returnStd: number;
  episodes: number;
}

export interface GuidedExperimentResult {
  config: GuidedExperimentConfig;
  runs: GuidedRunResult[];
  methods: GuidedMethodSummary[];
  wallSeconds: number;
}

export interface GuidedRunnerHooks extends CellTrainingHooks {
  finishRun?(run: GuidedRunResult): void;
  store?: ExperimentStore<GuidedRunResult>;
  savedOnly?: boolean;
  skipRun?(id: string): void;
}

export function guidedRunId(cell: { task: GuidedTask; method: GuidedMethod; seed: number }): string {
  return `${cell.task}-${cell.method}-seed${cell.seed}`;
}

const EVAL_SEED = 10_000;

export async function runGuidedExperiment(config: GuidedExperimentConfig, hooks: GuidedRunnerHooks = {}): Promise<GuidedExperimentResult> {
  const started = Date.now();
  const runs: GuidedRunResult[] = [];
  for (const task of config.tasks) {
    const { recipe } = GUIDED_TASKS[task];
    let dataset: OfflineDataset | undefined;
    // the value model's targets are the discounted returns-to-go that sampleWindows reports
    const datasetOf = () => (dataset ??= withDiscount(makeRecipe(recipe), config.discount));
    const results = await runGrid({
      methods: config.methods,
      seeds: config.seeds,
      cellId: ({ method, seed }) => guidedRunId({ task, method, seed }),
      cellKey: ({ method, seed }) => {
        const { tasks: _t, methods: _m, seeds: _s, ...settings } = config;
        return JSON.stringify({ cell: { task, method, seed }, settings: method === 'diffuser' ? { ...settings, baselines: undefined } : { ...settings, diffuser: undefined } });
      },
      store: hooks.store,
      storedOnly: hooks.savedOnly,
      onSkip: (id) => hooks.skipRun?.(id),
      onResult: ({ result }) => hooks.finishRun?.(result),
      run: ({ method, seed }) => trainGuidedCell(config, task, method, seed, datasetOf(), hooks),
    });
    runs.push(...results.map((r) => r.result));
  }
  return { config, runs, methods: summarise(runs, config), wallSeconds: (Date.now() - started) / 1000 };
}

function withDiscount(dataset: OfflineDataset, discount: number): OfflineDataset {
  const a = dataset.toArrays();
  return OfflineDataset.fromArrays(
    { observations: a.observations, actions: a.actions, rewards: a.rewards, terminals: a.terminals, timeouts: a.timeouts, nextObservations: a.nextObservations },
    { observationSpace: dataset.observationSpace, actionSpace: dataset.actionSpace },
    { discount, metadata: dataset.metadata },
  );
}

async function trainGuidedCell(config: GuidedExperimentConfig, task: GuidedTask, method: GuidedMethod, seed: number, dataset: OfflineDataset, hooks: GuidedRunnerHooks): Promise<GuidedRunResult> {
  const { envId } = GUIDED_TASKS[task];
  const cell = { task, method, seed };
  const evaluate = (policy: Parameters<typeof evaluatePolicy>[1]) => {
    const env = make(envId, config.episodeSteps ? { maxEpisodeSteps: config.episodeSteps } : {}) as Env<Float32Array, Action>;
    try {
      return evaluatePolicy(env, policy, { episodes: config.episodes, seed: EVAL_SEED });
    } finally {
      env.close();
    }
  };
  const common = { id: guidedRunId(cell), label: `${method} ${task} seed ${seed}`, seed, checkpointEvery: config.checkpointEvery, hooks };
  if (method === 'diffuser') {
    const c = config.diffuser;
    const net = { horizon: c.horizon, nDiffusionSteps: c.diffusionSteps, dim: c.dim, dimMults: c.dimMults, learningRate: c.learningRate };
    const init = { observationDim: dataset.observationDim, actionDim: dataset.actionDim, normalizer: datasetNormalizer(dataset) };
    const diffuser = new Diffuser({ ...init, seed, config: { ...LOCOMOTION_DIFFUSER, ...net, batchSize: c.batchSize, emaStart: c.emaStart } });
    const value = new ValueModel({ ...init, seed: seed + 1, config: { ...net, hiddenSizes: c.valueHiddenSizes } });
    const planner = new ValueGuidedPlanner({ diffuser, value, samples: c.samples, guidance: { scale: c.scale }, seed });
    const trained = await trainCell({ ...common, learner: new PlanningLearner({ diffuser, value }, planner), batches: windowBatches(dataset, c.horizon), steps: c.trainSteps, batchSize: c.batchSize, evaluate });
    const { plan_seconds: seconds = 0, plans = 1 } = planner.metrics();
    return { ...cell, returns: trained.evaluation.returns, planSecondsPerStep: seconds / Math.max(1, plans), curve: trained.curve, curveMetric: trained.curveMetric, trainSeconds: trained.trainSeconds };
  }
  const b = config.baselines;
  const learner = createLearnerByName(method, { observationSpace: dataset.observationSpace, actionSpace: dataset.actionSpace, seed, config: { hiddenSizes: b.hiddenSizes } });
  const trained = await trainCell({ ...common, learner, batches: transitionBatches(dataset), steps: b.updates, batchSize: b.batchSize, evaluate });
  return { ...cell, returns: trained.evaluation.returns, planSecondsPerStep: null, curve: trained.curve, curveMetric: trained.curveMetric, trainSeconds: trained.trainSeconds };
}

function summarise(runs: readonly GuidedRunResult[], config: GuidedExperimentConfig): GuidedMethodSummary[] {
  const out: GuidedMethodSummary[] = [];
  for (const task of config.tasks) {
    for (const method of config.methods) {
      const group = runs.filter((r) => r.task === task && r.method === method);
      if (group.length === 0) continue;
      const all = group.flatMap((r) => r.returns);
      const { mean, std } = meanStd(all);
      out.push({ name: method, task, seeds: group.length, returnMean: mean, returnStd: std, episodes: all.length });
    }
  }
  return out;
}
