/**
 * The Diffuser experiment (Janner et al. 2022) on D4RL's maze2d: a trajectory diffusion model
 * trained on goal-reaching windows of the waypoint controller's data plans once from the start
 * to the goal (the start and the goal state inpainted) and a controller follows the plan; BC,
 * CQL and IQL train on the same data with its sparse reward. Every method is scored by D4RL's
 * normalised score over seeded evaluation episodes. Each cell (maze, method, seed) checkpoints as
 * it trains and is saved when done, so a stopped grid resumes.
 */
import { UsageError, type Action, type Env, type Logger, type Metrics, type Policy } from '@bellman/core';
import { OfflineDataset } from '@bellman/datasets';
import { loadRecipe } from '@bellman/datasets/node';
import { Diffuser, GoalPlanner, LimitsNormalizer, MAZE2D_DIFFUSER, PlanningLearner, trajectoryRows, type DiffuserModelFile, type Sampler } from '@bellman/diffusion';
import { loadEnv, make } from '@bellman/envs';
import { MAZE2D_LAYOUTS, maze2dNormalizedScore, renderMaze2d, type Maze2dSize } from '@bellman/envs-mujoco';
import { createLearnerByName } from '@bellman/q-learning';
import { OfflineTrainer, evaluatePolicy, meanStd, runGrid, transitionBatches, windowBatches, type BatchLearner, type BatchSource, type ExperimentStore } from '@bellman/training/node';

export const DIFFUSER_MAZES = {
  umaze: { envId: 'maze2d-umaze-v1', horizon: 128, diffusionSteps: 64 },
  medium: { envId: 'maze2d-medium-v1', horizon: 256, diffusionSteps: 256 },
  large: { envId: 'maze2d-large-v1', horizon: 384, diffusionSteps: 256 },
} as const satisfies Record<Maze2dSize, { envId: string; horizon: number; diffusionSteps: number }>;
export type DiffuserMaze = keyof typeof DIFFUSER_MAZES;

export const DIFFUSER_METHODS = ['diffuser', 'bc', 'cql', 'iql'] as const;
export type DiffuserMethod = (typeof DIFFUSER_METHODS)[number];

/** The paper's normalised scores (Table 1, maze2d), for the table beside ours. */
export const DIFFUSER_PAPER_SCORES: Readonly<Record<DiffuserMaze, Record<DiffuserMethod, number>>> = {
  umaze: { diffuser: 113.9, bc: Number.NaN, cql: 5.7, iql: 47.4 },
  medium: { diffuser: 121.5, bc: Number.NaN, cql: 5.0, iql: 34.9 },
  large: { diffuser: 123.0, bc: Number.NaN, cql: 12.5, iql: 58.6 },
};

export interface DiffuserExperimentConfig {
  mazes: DiffuserMaze[];
  methods: DiffuserMethod[];
  /** Seeds 0 .. seeds - 1, or these seeds. */
  seeds: number | readonly number[];
  /** Evaluation episodes per seed (episode i resets with seed 10_000 + i for every method). */
  episodes: number;
  /** Rows of each maze's dataset; undefined: D4RL's 1M / 2M / 4M. */
  datasetTransitions?: number;
  diffuser: {
    trainSteps: number;
    batchSize: number;
    dim: number;
    dimMults: number[];
    /** Horizon and diffusion steps per maze as Diffuser's (a factor < 1 shortens both, for quick runs). */
    horizonScale: number;
    sampler: Sampler;
    learningRate: number;
    emaStart: number;
  };
  baselines: { updates: number; batchSize: number; hiddenSizes: number[] };
  /** Updates between checkpoints of a cell in training. */
  checkpointEvery: number;
}

/**
 * Diffuser's maze2d network (dim 32, mults 1, 4, 8; horizon 128 / 256 / 384 and 64 / 256 / 256
 * diffusion steps) and schedule, trained for far fewer steps than its 2M at batch 32: see
 * docs/experiments/diffuser.md for what a CPU affords.
 */
export const DIFFUSER_FULL: Readonly<DiffuserExperimentConfig> = Object.freeze<DiffuserExperimentConfig>({
  mazes: ['umaze'],
  methods: [...DIFFUSER_METHODS],
  seeds: 3,
  episodes: 20,
  diffuser: { trainSteps: 4000, batchSize: 32, dim: 32, dimMults: [1, 4, 8], horizonScale: 1, sampler: { kind: 'ddpm' }, learningRate: 2e-4, emaStart: 2000 },
  baselines: { updates: 20_000, batchSize: 256, hiddenSizes: [256, 256] },
  checkpointEvery: 500,
});

/** A minute or so: a small U-Net on horizon 32, 300 steps, few updates of the baselines. */
export const DIFFUSER_QUICK: Readonly<DiffuserExperimentConfig> = Object.freeze<DiffuserExperimentConfig>({
  mazes: ['umaze'],
  methods: [...DIFFUSER_METHODS],
  seeds: 1,
  episodes: 3,
  datasetTransitions: 100_000,
  diffuser: { trainSteps: 300, batchSize: 16, dim: 8, dimMults: [1, 2, 4], horizonScale: 0.25, sampler: { kind: 'ddim', steps: 8 }, learningRate: 1e-3, emaStart: 100 },
  baselines: { updates: 300, batchSize: 128, hiddenSizes: [64, 64] },
  checkpointEvery: 100,
});

/**
 * The small umaze model the docs site ships (its Diffuser page plans with it in the browser):
 * Diffuser's horizon and schedule (H 128, T 64) on a U-Net of dim 8, 3000 steps of batch 32 on
 * 200,000 transitions, planning by DDIM in 16 steps.
 */
export const DIFFUSER_SITE: Readonly<DiffuserExperimentConfig> = Object.freeze<DiffuserExperimentConfig>({
  mazes: ['umaze'],
  methods: ['diffuser'],
  seeds: 1,
  episodes: 5,
  datasetTransitions: 200_000,
  diffuser: { trainSteps: 3000, batchSize: 32, dim: 8, dimMults: [1, 2, 4], horizonScale: 1, sampler: { kind: 'ddim', steps: 16 }, learningRate: 1e-3, emaStart: 1000 },
  baselines: { updates: 1, batchSize: 32, hiddenSizes: [64, 64] },
  checkpointEvery: 500,
});

/** One evaluated cell. */
export interface DiffuserRunResult {
  maze: DiffuserMaze;
  method: DiffuserMethod;
  seed: number;
  /** Normalised score of each evaluation episode. */
  scores: number[];
  returns: number[];
  /** Mean seconds of planning per episode (diffuser only). */
  planSeconds: number | null;
  /** The mean training loss over stretches of updates: [last update, mean] (about 200 points). */
  curve: Array<[number, number]>;
  /** Which metric `curve` is. */
  curveMetric: string | null;
  /** The first evaluation episode: the ball's path and (diffuser) the plan, [x0, y0, x1, ...]. */
  firstEpisode: { path: number[]; plan: number[] | null };
  trainSeconds: number;
}

export interface DiffuserMethodSummary {
  name: DiffuserMethod;
  maze: DiffuserMaze;
  seeds: number;
  /** Mean normalised score over all episodes of all seeds. */
  normalizedScore: number;
  /** Standard deviation of the per-episode scores. */
  scoreStd: number;
  /** Standard error over seeds' means (as the paper reports). */
  scoreStandardError: number;
  episodes: number;
  paperScore: number;
}

export interface DiffuserExperimentResult {
  config: DiffuserExperimentConfig;
  runs: DiffuserRunResult[];
  methods: DiffuserMethodSummary[];
  /** Mean seconds per plan of the diffuser runs. */
  planSeconds: number | null;
  wallSeconds: number;
}

export interface DiffuserRunnerHooks {
  startRun?(label: string, total: number): { update(step: number, detail?: string): void; stop(): void } | undefined;
  finishRun?(run: DiffuserRunResult): void;
  checkpointPath?(id: string): string;
  hasCheckpoint?(path: string): boolean;
  removeCheckpoint?(path: string): void;
  store?: ExperimentStore<DiffuserRunResult>;
  savedOnly?: boolean;
  skipRun?(id: string): void;
  /** Where the recipes are cached. */
  dataDir?: string;
  /** Receives each trained Diffuser's planning model (its model file) before it is evaluated. */
  trainedModel?(cell: { maze: DiffuserMaze; seed: number }, model: DiffuserModelFile): void;
}

export function diffuserRunId(cell: { maze: DiffuserMaze; method: DiffuserMethod; seed: number }): string {
  return `${cell.maze}-${cell.method}-seed${cell.seed}`;
}

function runKey(config: DiffuserExperimentConfig, cell: { maze: DiffuserMaze; method: DiffuserMethod; seed: number }): string {
  const { mazes: _m, methods: _k, seeds: _s, ...settings } = config;
  const relevant = cell.method === 'diffuser' ? { ...settings, baselines: undefined } : { ...settings, diffuser: undefined };
  return JSON.stringify({ cell, settings: relevant });
}

const EVAL_SEED = 10_000;

/**
 * A trainer logger that keeps one training loss: the first logged metric whose name says loss
 * (Diffuser's `loss`, the critic or value loss of CQL and IQL), as the trainer's mean over each
 * logging window: [step, mean].
 */
class LossCurve implements Logger {
  readonly points: Array<[number, number]> = [];
  metric: string | null = null;

  log(step: number, metrics: Metrics): void {
    this.metric ??= Object.keys(metrics).find((k) => /loss/i.test(k)) ?? null;
    const loss = this.metric === null ? undefined : metrics[this.metric];
    if (loss !== undefined) this.points.push([step, loss]);
  }

  close(): void {}

  last(): string {
    const point = this.points[this.points.length - 1];
    return point ? `${this.metric} ${point[1].toPrecision(3)}` : '';
  }
}

/** Run (or reuse) every cell, maze by maze. */
export async function runDiffuserExperiment(config: DiffuserExperimentConfig, hooks: DiffuserRunnerHooks = {}): Promise<DiffuserExperimentResult> {
  const started = Date.now();
  const runs: DiffuserRunResult[] = [];
  for (const maze of config.mazes) {
    const { envId } = DIFFUSER_MAZES[maze];
    await loadEnv(envId);
    let dataset: OfflineDataset | undefined;
    const datasetOf = async () => (dataset ??= await loadRecipe(envId, { ...(hooks.dataDir ? { cacheDir: hooks.dataDir } : {}), ...(config.datasetTransitions ? { minTransitions: config.datasetTransitions } : {}) }));
    const results = await runGrid({
      methods: config.methods,
      seeds: config.seeds,
      cellId: ({ method, seed }) => diffuserRunId({ maze, method, seed }),
      cellKey: ({ method, seed }) => runKey(config, { maze, method, seed }),
      store: hooks.store,
      storedOnly: hooks.savedOnly,
      onSkip: (id) => hooks.skipRun?.(id),
      onResult: ({ result }) => hooks.finishRun?.(result),
      run: async ({ method, seed }) => (method === 'diffuser' ? trainDiffuser(config, maze, seed, await datasetOf(), hooks) : trainBaseline(config, maze, method, seed, await datasetOf(), hooks)),
    });
    runs.push(...results.map((r) => r.result));
  }
  const diffuserRuns = runs.filter((r) => r.planSeconds !== null);
  const planSeconds = diffuserRuns.length > 0 ? diffuserRuns.reduce((s, r) => s + r.planSeconds!, 0) / diffuserRuns.length : null;
  return { config, runs, methods: summarise(runs, config), planSeconds, wallSeconds: (Date.now() - started) / 1000 };
}

/**
 * The windows Diffuser trains on for maze2d: the data is one continuous trajectory, cut where the
 * ball leaves the goal's 0.5 disc (at the goal at t, not at t + 1), so that each segment ends
 * with a visit to the goal; the other cuts of the data (its reached random targets) are dropped.
 */
export function goalSegments(dataset: OfflineDataset, goal: readonly [number, number], radius = 0.5): OfflineDataset {
  const arrays = dataset.toArrays();
  const n = dataset.size;
  const od = dataset.observationDim;
  const atGoal = (i: number) => Math.hypot(arrays.observations[i * od]! - goal[0], arrays.observations[i * od + 1]! - goal[1]) < radius;
  const timeouts = new Uint8Array(n);
  for (let i = 0; i + 1 < n; i++) timeouts[i] = atGoal(i) && !atGoal(i + 1) ? 1 : 0;
  timeouts[n - 1] = 1;
  for (let i = 0; i + 1 < n; i++) {
    if (!arrays.nextObservationKnown[i]) throw new UsageError(`goalSegments: row ${i} has no next observation: the data must be one continuous trajectory`);
  }
  return OfflineDataset.fromArrays(
    { observations: arrays.observations, actions: arrays.actions, rewards: arrays.rewards, terminals: arrays.terminals, timeouts, nextObservations: arrays.nextObservations },
    { observationSpace: dataset.observationSpace, actionSpace: dataset.actionSpace },
    { metadata: { ...dataset.metadata, source: `${dataset.metadata.datasetId ?? 'maze2d'} cut at the goal` } },
  );
}

/** Per-dimension limits of every row [action, observation] of the data, for Diffuser's normaliser. */
export function datasetNormalizer(dataset: OfflineDataset): LimitsNormalizer {
  const { observations, actions } = dataset.toArrays();
  return LimitsNormalizer.fit(trajectoryRows(actions, observations, dataset.actionDim, dataset.observationDim), dataset.actionDim + dataset.observationDim);
}

async function trainDiffuser(config: DiffuserExperimentConfig, maze: DiffuserMaze, seed: number, dataset: OfflineDataset, hooks: DiffuserRunnerHooks): Promise<DiffuserRunResult> {
  const { horizon: fullHorizon, diffusionSteps } = DIFFUSER_MAZES[maze];
  const c = config.diffuser;
  const divisor = 2 ** (c.dimMults.length - 1);
  const horizon = Math.max(divisor, Math.round((fullHorizon * c.horizonScale) / divisor) * divisor);
  const layout = MAZE2D_LAYOUTS[maze];
  const model = new Diffuser({
    observationDim: 4,
    actionDim: 2,
    normalizer: datasetNormalizer(dataset),
    seed,
    config: {
      ...MAZE2D_DIFFUSER,
      horizon,
      nDiffusionSteps: Math.max(1, Math.round(diffusionSteps * c.horizonScale)),
      dim: c.dim,
      dimMults: c.dimMults,
      batchSize: c.batchSize,
      learningRate: c.learningRate,
      emaStart: c.emaStart,
    },
  });
  const planner = new GoalPlanner({ diffuser: model, goal: [layout.goal[0], layout.goal[1]], sampler: c.sampler, seed });
  const learner = new PlanningLearner({ diffuser: model }, planner);
  const cell = { maze, method: 'diffuser' as const, seed };
  const planOf = () => {
    const plan = planner.plan;
    return plan ? Array.from(plan.observations.subarray(0, plan.horizon * 4)).filter((_, i) => i % 4 < 2) : null;
  };
  const trained = await trainCell({
    id: diffuserRunId(cell),
    label: `diffuser ${maze} seed ${seed}`,
    learner,
    batches: windowBatches(goalSegments(dataset, layout.goal), horizon, { padding: false }),
    steps: c.trainSteps,
    batchSize: c.batchSize,
    seed,
    checkpointEvery: config.checkpointEvery,
    hooks,
    evaluate: (policy) => {
      hooks.trainedModel?.(cell, model.exportModel({ maze, envId: DIFFUSER_MAZES[maze].envId, goal: layout.goal, sampler: c.sampler, seed, trainSteps: c.trainSteps, batchSize: c.batchSize, datasetTransitions: dataset.size }));
      return evaluateMaze(DIFFUSER_MAZES[maze].envId, policy, config.episodes, planOf);
    },
  });
  return { ...cell, ...trained.evaluation, planSeconds: planner.metrics().plan_seconds ?? null, curve: trained.curve, curveMetric: trained.curveMetric, trainSeconds: trained.trainSeconds };
}

async function trainBaseline(config: DiffuserExperimentConfig, maze: DiffuserMaze, method: Exclude<DiffuserMethod, 'diffuser'>, seed: number, dataset: OfflineDataset, hooks: DiffuserRunnerHooks): Promise<DiffuserRunResult> {
  const b = config.baselines;
  const learner = createLearnerByName(method, { observationSpace: dataset.observationSpace, actionSpace: dataset.actionSpace, seed, config: { hiddenSizes: b.hiddenSizes } });
  const cell = { maze, method, seed };
  const trained = await trainCell({
    id: diffuserRunId(cell),
    label: `${method} ${maze} seed ${seed}`,
    learner,
    batches: transitionBatches(dataset),
    steps: b.updates,
    batchSize: b.batchSize,
    seed,
    checkpointEvery: config.checkpointEvery,
    hooks,
    evaluate: (policy) => evaluateMaze(DIFFUSER_MAZES[maze].envId, policy, config.episodes, () => null),
  });
  return { ...cell, ...trained.evaluation, planSeconds: null, curve: trained.curve, curveMetric: trained.curveMetric, trainSeconds: trained.trainSeconds };
}

/** The progress and checkpoint hooks a cell trains with. */
export type CellTrainingHooks = Pick<DiffuserRunnerHooks, 'startRun' | 'checkpointPath' | 'hasCheckpoint' | 'removeCheckpoint'>;

/** What `trainCell` gives back: the evaluation, the loss curve and the training time. */
export interface TrainedCell<E> {
  evaluation: E;
  /** The mean training loss over stretches of updates: [last update, mean] (about 200 points). */
  curve: Array<[number, number]>;
  curveMetric: string | null;
  trainSeconds: number;
}

/**
 * Trains one cell's learner offline (resuming from its checkpoint when there is one, which is
 * removed once the cell is done), then evaluates it; the learner is disposed after.
 */
export async function trainCell<B, E>(options: {
  id: string;
  label: string;
  learner: BatchLearner<B>;
  batches: BatchSource<B>;
  steps: number;
  batchSize: number;
  seed: number;
  checkpointEvery: number;
  hooks: CellTrainingHooks;
  evaluate: (policy: BatchLearner<B>) => E;
}): Promise<TrainedCell<E>> {
  const { learner, hooks } = options;
  const started = Date.now();
  const lossCurve = new LossCurve();
  const checkpointPath = hooks.checkpointPath?.(options.id);
  const progress = hooks.startRun?.(options.label, options.steps);
  const trainer = new OfflineTrainer<B>({
    learner,
    batches: options.batches,
    steps: options.steps,
    batchSize: options.batchSize,
    seed: options.seed,
    evalEvery: 0,
    // about 200 points of the loss curve
    logEvery: Math.max(1, Math.floor(options.steps / 200)),
    logger: lossCurve,
    ...(checkpointPath ? { checkpointPath, checkpointEvery: options.checkpointEvery } : {}),
    onProgress: (event) => {
      if (event.type === 'update' && event.step % 10 === 0) progress?.update(event.step, lossCurve.last());
    },
  });
  try {
    if (checkpointPath && hooks.hasCheckpoint?.(checkpointPath)) await trainer.resume(checkpointPath);
    else await trainer.run();
    const trainSeconds = (Date.now() - started) / 1000;
    const evaluation = options.evaluate(learner);
    if (checkpointPath) hooks.removeCheckpoint?.(checkpointPath);
    return { evaluation, curve: lossCurve.points, curveMetric: lossCurve.metric, trainSeconds };
  } finally {
    progress?.stop();
    learner.dispose();
  }
}

/**
 * Greedy episodes from seeded resets (episode i resets with seed 10_000 + i, the same for every
 * method; `evaluatePolicy`), each return scored by D4RL's normalisation; the first episode's path
 * (and plan) kept.
 */
function evaluateMaze(envId: string, policy: Policy<Float32Array, Action>, episodes: number, planOf: () => number[] | null): Pick<DiffuserRunResult, 'scores' | 'returns' | 'firstEpisode'> {
  const env = make(envId) as Env<Float32Array, Action>;
  const path: number[] = [];
  let plan: number[] | null = null;
  let episode = -1;
  // records the first episode as it is played: evaluatePolicy resets the policy before each one
  const recorder: Policy<Float32Array, Action> = {
    act: (observation, options) => {
      if (episode === 0) path.push(observation[0]!, observation[1]!);
      const action = policy.act(observation, options);
      if (episode === 0) plan ??= planOf();
      return action;
    },
    reset: () => {
      episode += 1;
      policy.reset?.();
    },
  };
  try {
    const { returns } = evaluatePolicy(env, recorder, { episodes, seed: EVAL_SEED });
    return { returns, scores: returns.map((r) => maze2dNormalizedScore(envId, r)), firstEpisode: { path, plan } };
  } finally {
    env.close();
  }
}

function summarise(runs: readonly DiffuserRunResult[], config: DiffuserExperimentConfig): DiffuserMethodSummary[] {
  const out: DiffuserMethodSummary[] = [];
  for (const maze of config.mazes) {
    for (const method of config.methods) {
      const group = runs.filter((r) => r.maze === maze && r.method === method);
      if (group.length === 0) continue;
      const all = group.flatMap((r) => r.scores);
      const { mean, std } = meanStd(all);
      const seedMeans = group.map((r) => meanStd(r.scores).mean);
      const spread = meanStd(seedMeans).std;
      out.push({
        name: method,
        maze,
        seeds: group.length,
        normalizedScore: mean,
        scoreStd: std,
        scoreStandardError: group.length > 1 ? (spread * Math.sqrt(group.length / (group.length - 1))) / Math.sqrt(group.length) : Number.NaN,
        episodes: all.length,
        paperScore: DIFFUSER_PAPER_SCORES[maze][method],
      });
    }
  }
  return out;
}

/** An SVG of the maze with the first evaluation episode's path and, for Diffuser, its plan. */
export function renderFirstEpisode(run: DiffuserRunResult): string {
  return renderMaze2d(MAZE2D_LAYOUTS[run.maze], {
    points: run.firstEpisode.path,
    ...(run.firstEpisode.plan ? { plan: run.firstEpisode.plan } : {}),
    title: `${run.method} ${run.maze} seed ${run.seed}: score ${meanStd(run.scores).mean.toFixed(1)}`,
  });
}

