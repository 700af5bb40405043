/**
 * The MURAL experiment (Li et al. 2021): reaching the goal of a point maze from example success
 * states. SAC learns from one of four rewards:
 *   sparse    the env's -1 per step, 0 within the goal radius (the reward MURAL does without)
 *   count     sparse + 1 / sqrt(N(cell)) on a 51 x 51 grid of visit counts
 *   vice      a success classifier's logit (VICE), examples positive, replay states negative
 *   meta-nml  MURAL's reward p1 / (p0 + p1) from the meta-NML classifier
 * Every `evalEvery` env steps the greedy policy runs one episode (maze and policy are
 * deterministic): success is ending within 0.5 of the goal, and the maze-aware distance left is
 * recorded. Heat maps of the learned reward over the maze, with the visited states, are drawn at
 * `heatmapSteps`. Each cell (maze, method, seed) checkpoints as it trains, so a killed run
 * resumes where it was, and is saved when done, so a stopped grid goes on with the next cell.
 */
import { Rng, type RewardModel, type TransitionBatch } from '@bellman/core';
import { CountBonus, GridCells, MAZE_COUNT_GRID, RewardRelabelling, metaNml, vice, type MetaNmlConfig, type RewardTrainingSchedule, type ViceConfig } from '@bellman/classifier-reward';
import { ReplayBuffer } from '@bellman/datasets';
import { GOAL_RADIUS, SPIRAL_MAZE, ZIGZAG_MAZE, heatMapCentres, insideAnyWall, make, mazeSuccessExamples, renderMaze, type MazeLayout, type PointMazeInfo } from '@bellman/envs';
import { createLearner } from '@bellman/q-learning';
import { OnlineTrainer, gridCells, runGrid, type CheckpointModule, type ExperimentStore, type TrainerHooks } from '@bellman/training/node';

export const MURAL_MAZES = {
  zigzag: { envId: 'ZigzagMaze-v0', layout: ZIGZAG_MAZE },
  spiral: { envId: 'SpiralMaze-v0', layout: SPIRAL_MAZE },
} as const satisfies Record<string, { envId: string; layout: MazeLayout }>;
export type MuralMaze = keyof typeof MURAL_MAZES;

export const MURAL_METHODS = ['sparse', 'count', 'vice', 'meta-nml'] as const;
export type MuralMethod = (typeof MURAL_METHODS)[number];

export interface MuralExperimentConfig {
  mazes: MuralMaze[];
  methods: MuralMethod[];
  /** Seeds 0 .. seeds - 1, or these seeds. */
  seeds: number | readonly number[];
  /** Env steps of each run. */
  steps: number;
  evalEvery: number;
  /** Env steps at which the reward heat maps are drawn (the end of the run always is). */
  heatmapSteps: number[];
  sac: { hiddenSizes: number[]; learningRate: number; batchSize: number; warmupSteps: number; initialAlpha: number };
  /** Success examples given to vice and meta-nml. */
  examples: number;
  vice: { config: Partial<ViceConfig>; schedule: Partial<RewardTrainingSchedule> };
  metaNml: { config: Partial<MetaNmlConfig>; schedule: Partial<RewardTrainingSchedule> };
  checkpointEvery: number;
}

/**
 * MURAL's RL settings (SAC 2 x 256, lr 3e-4, batch 256, one update per env step, 1000 uniform
 * warm-up steps, alpha tuned from 1) and its VICE baseline. meta-NML's classifier is 2 x 256
 * with 64 queries and 511 + 511 outer points per task instead of 2 x 2048, 256 and 1023 + 1023:
 * the public sizes cost about a teraflop per meta-step, hours per 1000 env steps on two cores.
 */
export const MURAL_FULL: Readonly<MuralExperimentConfig> = Object.freeze<MuralExperimentConfig>({
  mazes: ['zigzag', 'spiral'],
  methods: [...MURAL_METHODS],
  seeds: 3,
  steps: 200_000,
  evalEvery: 5000,
  heatmapSteps: [10_000, 50_000],
  sac: { hiddenSizes: [256, 256], learningRate: 3e-4, batchSize: 256, warmupSteps: 1000, initialAlpha: 1 },
  examples: 150,
  vice: { config: {}, schedule: {} },
  metaNml: { config: { hiddenSizes: [256, 256], queriesPerEpoch: 64, outerPointsPerLabel: 511 }, schedule: {} },
  checkpointEvery: 10_000,
});

/** A minute or so per cell: small networks and schedules, 3000 env steps. */
export const MURAL_QUICK: Readonly<MuralExperimentConfig> = Object.freeze<MuralExperimentConfig>({
  mazes: ['zigzag'],
  methods: [...MURAL_METHODS],
  seeds: 1,
  steps: 3000,
  evalEvery: 500,
  heatmapSteps: [1000],
  sac: { hiddenSizes: [64, 64], learningRate: 3e-4, batchSize: 128, warmupSteps: 500, initialAlpha: 0.1 },
  examples: 150,
  vice: { config: { hiddenSizes: [64, 64], learningRate: 1e-3 }, schedule: { every: 250, firstUpdates: 20, updates: 10 } },
  metaNml: {
    config: { hiddenSizes: [64, 64], queriesPerEpoch: 64, outerPointsPerLabel: 127 },
    schedule: { every: 250, firstUpdates: 10, updates: 2, positives: 256, negatives: 256 },
  },
  checkpointEvery: 1000,
});

/** One greedy episode's outcome. */
export interface MuralEvaluation {
  step: number;
  success: boolean;
  /** Euclidean and maze-aware (around the walls) distance to the goal at the episode's end. */
  distance: number;
  mazeDistance: number;
}

/** The learned reward at three kinds of states, at the end of a run. */
export interface RewardProbe {
  /** Mean reward at the success examples. */
  atExamples: number;
  /** At the centres of the most-visited tenth of the visited grid cells, away from the goal. */
  atVisited: number;
  /** At the centres of free cells never visited. */
  atUnvisited: number;
}

export interface MuralHeatmap {
  step: number;
  /** The picture, an SVG string. */
  svg: string;
}

export interface MuralRunResult {
  maze: MuralMaze;
  method: MuralMethod;
  seed: number;
  evaluations: MuralEvaluation[];
  /** The first evaluation step with a success, if any. */
  firstSuccessStep: number | null;
  rewardProbe: RewardProbe | null;
  heatmaps: MuralHeatmap[];
  wallSeconds: number;
}

export interface MuralProgress {
  update(step: number, detail?: string): void;
  stop(): void;
}

export interface MuralRunnerHooks {
  startRun?(label: string, steps: number): MuralProgress;
  finishRun?(run: MuralRunResult): void;
  /** Where a cell checkpoints while it trains (it resumes from there when the file exists). */
  checkpointPath?(id: string): string;
  /** Whether a checkpoint file exists (a resumed cell continues from it). */
  hasCheckpoint?(path: string): boolean;
  /** A finished cell's checkpoint is no longer needed. */
  removeCheckpoint?(path: string): void;
  store?: ExperimentStore<MuralRunResult>;
  savedOnly?: boolean;
  skipRun?(id: string): void;
}

export function muralRunId(run: { maze: MuralMaze; method: MuralMethod; seed: number }): string {
  return `${run.maze}-${run.method}-seed${run.seed}`;
}

/** Everything a cell's result depends on: a saved run is reused only under the same key. */
function runKey(config: MuralExperimentConfig, cell: { maze: MuralMaze; method: MuralMethod; seed: number }): string {
  const { mazes: _m, methods: _k, seeds: _s, ...settings } = config;
  return JSON.stringify({ cell, settings });
}

export interface MuralMethodSummary {
  name: MuralMethod;
  maze: MuralMaze;
  seeds: number;
  /** Fraction of seeds whose last evaluation succeeded. */
  successRate: number;
  /** Mean maze-aware distance to the goal at the last evaluation. */
  finalDistance: number;
  envSteps: number;
  /** Per seed: the first evaluation step with a success (null: none). */
  firstSuccessSteps: Array<number | null>;
  /** The learned reward's probe, averaged over seeds (vice and meta-nml). */
  rewardProbe: RewardProbe | null;
}

export interface MuralExperimentResult {
  config: MuralExperimentConfig;
  runs: MuralRunResult[];
  methods: MuralMethodSummary[];
  /** Mean over the runs of each learned reward (vice, meta-nml). */
  rewardProbe: Partial<Record<'vice' | 'meta-nml', RewardProbe>>;
  wallSeconds: number;
}

/** Run (or reuse) every cell, maze by maze, seed-major within a maze. */
export async function runMuralExperiment(config: MuralExperimentConfig, hooks: MuralRunnerHooks = {}): Promise<MuralExperimentResult> {
  const started = Date.now();
  const runs: MuralRunResult[] = [];
  for (const maze of config.mazes) {
    const results = await runGrid({
      methods: config.methods,
      seeds: config.seeds,
      cellId: ({ method, seed }) => muralRunId({ maze, method, seed }),
      cellKey: ({ method, seed }) => runKey(config, { maze, method, seed }),
      store: hooks.store,
      storedOnly: hooks.savedOnly,
      onSkip: (id) => hooks.skipRun?.(id),
      onResult: ({ result }) => hooks.finishRun?.(result),
      run: ({ method, seed }) => trainMuralRun(config, { maze, method, seed }, hooks),
    });
    runs.push(...results.map((r) => r.result));
  }
  return { config, runs, methods: summarise(runs, config), rewardProbe: meanProbes(runs), wallSeconds: (Date.now() - started) / 1000 };
}

/** How many cells a config makes. */
export function muralRunCount(config: MuralExperimentConfig): number {
  return config.mazes.length * gridCells(config.methods, config.seeds).length;
}

/** The greedy policy's episode from the maze's start. */
function evaluateGreedy(envId: string, policy: { act(o: Float32Array, options: { deterministic: boolean }): Float32Array | number }, step: number): MuralEvaluation {
  const env = make(envId);
  let observation = env.reset().observation;
  let info: PointMazeInfo | undefined;
  let truncated = false;
  while (!truncated) {
    const result = env.step(policy.act(observation, { deterministic: true }));
    observation = result.observation;
    info = result.info as PointMazeInfo;
    truncated = result.truncated || result.terminated;
  }
  env.close();
  return { step, success: info!.distance < GOAL_RADIUS, distance: info!.distance, mazeDistance: info!.mazeDistance };
}

/** A learned reward per method: the reward model and its relabelling hook. */
function rewardHook(config: MuralExperimentConfig, method: MuralMethod, layout: MazeLayout, buffer: ReplayBuffer, seed: number): { hook: TrainerHooks<TransitionBatch> & CheckpointModule; model: RewardModel | null; count: CountBonus | null } | null {
  if (method === 'sparse') return null;
  if (method === 'count') {
    const count = new CountBonus({ grid: MAZE_COUNT_GRID });
    return { hook: count, model: null, count };
  }
  const model = method === 'vice' ? vice({ observationDim: 2, seed, config: config.vice.config }) : metaNml({ observationDim: 2, seed, config: config.metaNml.config });
  const schedule = method === 'vice' ? config.vice.schedule : config.metaNml.schedule;
  const examples = mazeSuccessExamples(layout, config.examples, new Rng(seed));
  return { hook: new RewardRelabelling({ model, examples, buffer, schedule, seed }), model, count: null };
}

const HEATMAP_RESOLUTION = 40;

/** The reward a method would give at each of `points` (NaN inside walls, where no state can be). */
function rewardAt(reward: { model: RewardModel | null; count: CountBonus | null }, layout: MazeLayout, points: Float32Array): Float32Array {
  const n = points.length / 2;
  const values = reward.model
    ? reward.model.rewards({ size: n, observationDim: 2, observations: points })
    : Float32Array.from({ length: n }, (_, i) => reward.count!.bonus(points, 2 * i));
  for (let i = 0; i < n; i++) if (insideAnyWall(layout.walls, points[2 * i]!, points[2 * i + 1]!)) values[i] = Number.NaN;
  return values;
}

/**
 * Up to `max` of the buffer's visited states (next observations), spread over time: one random row
 * from each of `max` equal stretches of the buffer. A fixed stride would alias with the episode
 * length (2000 rows of 200,000 are every 100th row, the first step of every 100-step episode).
 */
export function visitedSample(buffer: ReplayBuffer, max: number, rng: Rng): Float32Array {
  const n = Math.min(max, buffer.size);
  const out = new Float32Array(buffer.observationDim * n);
  for (let i = 0; i < n; i++) {
    const start = Math.floor((i * buffer.size) / n);
    const end = Math.floor(((i + 1) * buffer.size) / n);
    out.set(buffer.get(start + rng.int(end - start)).nextObservation, buffer.observationDim * i);
  }
  return out;
}

/** Mean reward at the examples, the most-visited tenth of the visited cells (away from the goal), and never-visited free cells. */
function probeReward(reward: { model: RewardModel | null; count: CountBonus | null }, layout: MazeLayout, buffer: ReplayBuffer, examples: Float32Array): RewardProbe {
  const grid = new GridCells(MAZE_COUNT_GRID);
  const counts = new Map<number, number>();
  for (let i = 0; i < buffer.size; i++) {
    const cell = grid.cellOf(buffer.get(i).nextObservation);
    counts.set(cell, (counts.get(cell) ?? 0) + 1);
  }
  const centre = (cell: number) => grid.centreOf(cell) as [number, number];
  const awayFromGoal = ([x, y]: [number, number]) => Math.hypot(x - layout.goal[0], y - layout.goal[1]) > 1;
  const free = ([x, y]: [number, number]) => !insideAnyWall(layout.walls, x, y);
  const visited = [...counts.entries()].filter(([cell]) => awayFromGoal(centre(cell)) && free(centre(cell))).sort((a, b) => b[1] - a[1]);
  const often = visited.slice(0, Math.max(1, Math.ceil(visited.length / 10))).map(([cell]) => centre(cell));
  const never: Array<[number, number]> = [];
  for (let cell = 0; cell < grid.cellCount; cell++) {
    const [x, y] = centre(cell);
    if (!counts.has(cell) && free([x, y])) never.push([x, y]);
  }
  const mean = (points: Array<[number, number]> | Float32Array): number => {
    const flat = points instanceof Float32Array ? points : Float32Array.from(points.flat());
    if (flat.length === 0) return Number.NaN;
    // cells whose centre lies inside a wall have no reward (NaN) and are left out
    const values = rewardAt(reward, layout, flat).filter((v) => Number.isFinite(v));
    return values.length === 0 ? Number.NaN : values.reduce((s, v) => s + v, 0) / values.length;
  };
  return { atExamples: mean(examples), atVisited: mean(often), atUnvisited: mean(never) };
}

/** What a cell records as it trains: kept in its checkpoints, so that a resumed cell keeps its curve. */
class RunRecord implements CheckpointModule<{ evaluations: MuralEvaluation[]; heatmaps: MuralHeatmap[] }> {
  evaluations: MuralEvaluation[] = [];
  heatmaps: MuralHeatmap[] = [];
  save() {
    return { evaluations: this.evaluations, heatmaps: this.heatmaps };
  }
  load(state: { evaluations: MuralEvaluation[]; heatmaps: MuralHeatmap[] }) {
    this.evaluations = state.evaluations;
    this.heatmaps = state.heatmaps;
  }
}

async function trainMuralRun(config: MuralExperimentConfig, cell: { maze: MuralMaze; method: MuralMethod; seed: number }, hooks: MuralRunnerHooks): Promise<MuralRunResult> {
  const started = Date.now();
  const { envId, layout } = MURAL_MAZES[cell.maze];
  const envOptions = { reward: cell.method === 'sparse' || cell.method === 'count' ? ('sparse' as const) : ('none' as const) };
  const probeEnv = make(envId, envOptions);
  const learner = createLearner('sac', {
    observationSpace: probeEnv.observationSpace,
    actionSpace: probeEnv.actionSpace,
    seed: cell.seed,
    config: { hiddenSizes: config.sac.hiddenSizes, actorLearningRate: config.sac.learningRate, criticLearningRate: config.sac.learningRate, alphaLearningRate: config.sac.learningRate, initialAlpha: config.sac.initialAlpha },
  });
  probeEnv.close();
  const buffer = new ReplayBuffer({ capacity: config.steps, observationDim: 2, actionDim: 2 });
  const reward = rewardHook(config, cell.method, layout, buffer, cell.seed);
  const record = new RunRecord();
  const id = muralRunId(cell);
  const checkpointPath = hooks.checkpointPath?.(id);
  const progress = hooks.startRun?.(`${cell.method} ${cell.maze} seed ${cell.seed}`, config.steps);
  const heatmapSteps = new Set([...config.heatmapSteps.filter((s) => s < config.steps), config.steps]);
  const drawHeatmap = (step: number) => {
    if (!reward) return;
    // one batch of rewards at the picture's cell centres
    const values = rewardAt(reward, layout, Float32Array.from(heatMapCentres(HEATMAP_RESOLUTION)));
    const fixedScale = cell.method === 'meta-nml' ? { min: 0, max: 1 } : {};
    const svg = renderMaze(layout, { heatMap: { values, resolution: HEATMAP_RESOLUTION, ...fixedScale }, points: visitedSample(buffer, 2000, new Rng(step)), title: `${cell.method} reward, ${cell.maze}, step ${step}` });
    record.heatmaps.push({ step, svg });
  };
  let lastDetail = '';
  const trainer = new OnlineTrainer({
    learner,
    steps: config.steps,
    envFactory: () => make(envId, envOptions),
    buffer,
    batchSize: config.sac.batchSize,
    warmupSteps: config.sac.warmupSteps,
    evalEvery: 0,
    evalEpisodes: 1,
    seed: cell.seed,
    hooks: reward ? [reward.hook] : [],
    extras: { record, ...(reward ? { reward: reward.hook } : {}) },
    ...(checkpointPath ? { checkpointPath, checkpointEvery: config.checkpointEvery } : {}),
    onProgress: (event) => {
      if (event.type !== 'update') return;
      const step = event.step;
      if (step % config.evalEvery === 0 || step === config.steps) {
        const evaluation = evaluateGreedy(envId, learner, step);
        record.evaluations.push(evaluation);
        lastDetail = `${evaluation.success ? 'success' : 'no success'}, maze distance ${evaluation.mazeDistance.toFixed(2)}`;
      }
      if (heatmapSteps.has(step)) drawHeatmap(step);
      if (step % 100 === 0) progress?.update(step, lastDetail);
    },
  });
  try {
    if (checkpointPath && hooks.hasCheckpoint?.(checkpointPath)) await trainer.resume(checkpointPath);
    else await trainer.run();
    const examples = mazeSuccessExamples(layout, config.examples, new Rng(cell.seed));
    const rewardProbe = reward && reward.model ? probeReward(reward, layout, buffer, examples) : null;
    const first = record.evaluations.find((e) => e.success);
    const result: MuralRunResult = {
      ...cell,
      evaluations: record.evaluations,
      firstSuccessStep: first ? first.step : null,
      rewardProbe,
      heatmaps: record.heatmaps,
      wallSeconds: (Date.now() - started) / 1000,
    };
    if (checkpointPath) hooks.removeCheckpoint?.(checkpointPath);
    return result;
  } finally {
    progress?.stop();
    learner.dispose();
    reward?.model?.dispose();
  }
}

function summarise(runs: MuralRunResult[], config: MuralExperimentConfig): MuralMethodSummary[] {
  const out: MuralMethodSummary[] = [];
  for (const maze of config.mazes) {
    for (const method of config.methods) {
      const group = runs.filter((r) => r.maze === maze && r.method === method);
      if (group.length === 0) continue;
      const last = group.map((r) => r.evaluations[r.evaluations.length - 1]!);
      out.push({
        name: method,
        maze,
        seeds: group.length,
        successRate: last.filter((e) => e.success).length / group.length,
        finalDistance: last.reduce((s, e) => s + e.mazeDistance, 0) / group.length,
        envSteps: config.steps,
        firstSuccessSteps: group.map((r) => r.firstSuccessStep),
        rewardProbe: meanProbe(group),
      });
    }
  }
  return out;
}

/** The mean of the runs' reward probes, or null when none has one. */
function meanProbe(runs: readonly MuralRunResult[]): RewardProbe | null {
  const probes = runs.flatMap((r) => (r.rewardProbe ? [r.rewardProbe] : []));
  if (probes.length === 0) return null;
  const mean = (key: keyof RewardProbe) => probes.reduce((s, p) => s + p[key], 0) / probes.length;
  return { atExamples: mean('atExamples'), atVisited: mean('atVisited'), atUnvisited: mean('atUnvisited') };
}

function meanProbes(runs: readonly MuralRunResult[]): Partial<Record<'vice' | 'meta-nml', RewardProbe>> {
  const out: Partial<Record<'vice' | 'meta-nml', RewardProbe>> = {};
  for (const method of ['vice', 'meta-nml'] as const) {
    const probe = meanProbe(runs.filter((r) => r.method === method));
    if (probe) out[method] = probe;
  }
  return out;
}

/** Success rate and mean maze distance over seeds at each evaluation step, per maze and method. */
export function muralCurves(runs: readonly MuralRunResult[]): Array<{ maze: MuralMaze; method: MuralMethod; step: number; successRate: number; mazeDistance: number; seeds: number }> {
  const groups = new Map<string, MuralEvaluation[]>();
  for (const run of runs) {
    for (const e of run.evaluations) {
      const key = JSON.stringify([run.maze, run.method, e.step]);
      groups.set(key, [...(groups.get(key) ?? []), e]);
    }
  }
  return [...groups.entries()].map(([key, evaluations]) => {
    const [maze, method, step] = JSON.parse(key) as [MuralMaze, MuralMethod, number];
    return {
      maze,
      method,
      step,
      successRate: evaluations.filter((e) => e.success).length / evaluations.length,
      mazeDistance: evaluations.reduce((s, e) => s + e.mazeDistance, 0) / evaluations.length,
      seeds: evaluations.length,
    };
  });
}
