/**
 * The DR3 experiment (Kumar et al. 2021, arXiv 2112.04716) on Bellman's small tasks.
 *
 * 1. Offline evaluation of the behaviour policy of a controller-generated dataset, three ways:
 *    'sarsa' backs up Q(s', a'_data); 'td' backs up Q(s', a') with a' drawn afresh from the same
 *    behaviour distribution (FQE in sample mode); 'td+dr3' is 'td' with the DR3 penalty
 *    c0 * mean phi(s,a).phi(s',a'); and, on a continuous task, 'td-policy': the critic of continuous
 *    CQL, whose backup draws a' ~ pi(.|s') from the policy it learns (the paper's own comparison).
 *    The behaviour data is the task's medium recipe, or its random one. The critic is probed on one fixed batch of the dataset (the
 *    same rows for every method and seed, a' the data's next action): phi(s,a).phi(s',a'), their
 *    cosine, srank (delta 0.01) and mean Q, at log-spaced updates early on and every `probeEvery`
 *    updates after. The learners train on their fastest path (no probe inside the update). The
 *    paper's finding: the dot product grows under TD and stays flat under SARSA; DR3 holds it down.
 * 2. CQL with and without DR3 on one dataset: discrete CQL on a CartPole recipe, continuous CQL on
 *    a Pendulum one; final evaluation return over seeds.
 *
 * Every run of a seed samples the same sequence of batches (the sampler's rng depends on the seed
 * only), so methods are compared on the same data. Each part is a methods x seeds grid of
 * @bellman/training's runGrid, each run an OfflineTrainer loop with the probes as hooks.
 */
import { Rng, type Action, type Box, type Discrete, type Env, type Learner, type Metrics, type TransitionBatch } from '@bellman/core';
import type { FeatureProbe, Regularizer } from '@bellman/nn';
import type { OfflineDataset } from '@bellman/datasets';
import { make, mediumActionProbabilities, mediumActionSampler, uniformActionProbabilities, uniformActionSampler } from '@bellman/envs';
import * as tf from '@tensorflow/tfjs-core';
import { CQL, CQL_DEFAULTS, ContinuousFQE, ContinuousSARSA, ContinuousTDEvaluator, DiscreteCQL, FQE, SARSA, TDEvaluator, type CQLConfig } from '@bellman/q-learning';
import { OfflineTrainer, evaluatePolicy, meanStd, runGrid, seedList, type ExperimentStore, type GridCell, type TrainerHooks } from '@bellman/training';
import { diagnosticsMetrics, dr3, featureDiagnostics, featureProbe } from '@bellman/regularizers';

export type Dr3Task = 'cartpole' | 'pendulum';
export type Dr3EvaluationMethod = 'sarsa' | 'td' | 'td+dr3' | 'td-policy';
export type Dr3CqlMethod = 'cql' | 'cql+dr3';
export type Dr3Method = Dr3EvaluationMethod | Dr3CqlMethod;
/** Which recipe of a task the evaluation part learns from: its behaviour policy is the one evaluated. */
export type Dr3BehaviourData = 'medium' | 'random';

/** The evaluation methods a run makes unless told otherwise. */
export const DR3_EVALUATION_METHODS: readonly Dr3EvaluationMethod[] = ['sarsa', 'td', 'td+dr3'];
export const DR3_ALL_EVALUATION_METHODS: readonly Dr3EvaluationMethod[] = ['sarsa', 'td', 'td+dr3', 'td-policy'];
export const DR3_CQL_METHODS: readonly Dr3CqlMethod[] = ['cql', 'cql+dr3'];
export const DR3_BEHAVIOUR_DATA: readonly Dr3BehaviourData[] = ['medium', 'random'];

/** The env each task runs in, and whether its actions are continuous ('td-policy' needs them). */
export const DR3_TASKS: Readonly<Record<Dr3Task, { envId: string; continuous: boolean }>> = {
  cartpole: { envId: 'CartPole-v1', continuous: false },
  pendulum: { envId: 'Pendulum-v1', continuous: true },
};

/** The recipe a task's evaluation part learns from, e.g. "pendulum-random-v0". */
export function dr3Dataset(task: Dr3Task, data: Dr3BehaviourData): string {
  return `${task}-${data}-v0`;
}

export interface Dr3EvaluationSettings {
  tasks: Dr3Task[];
  /** The methods to run, in this order. */
  methods: Dr3EvaluationMethod[];
  data: Dr3BehaviourData;
  steps: number;
  batchSize: number;
  /** Probe every this many updates (and at log-spaced updates before that). */
  probeEvery: number;
  /** Rows of the fixed probe batch. */
  probeBatchSize: number;
  hiddenSizes: number[];
  learningRate: number;
  targetUpdateInterval: number;
}

export interface Dr3CqlSettings {
  /** The task of the dataset: cartpole runs discrete CQL, pendulum continuous CQL. */
  task: Dr3Task;
  envId: string;
  dataset: string;
  steps: number;
  batchSize: number;
  probeEvery: number;
  hiddenSizes: number[];
  /** Discrete CQL: lr of the Q-network; continuous CQL: of the critics (the actor keeps its 1e-4). */
  learningRate: number;
  /** The weight of CQL's gap: discrete CQL's alpha, continuous CQL's cqlAlpha. */
  alpha: number;
  /** Discrete CQL's hard target copies (continuous CQL keeps its Polyak tau 0.005). */
  targetUpdateInterval: number;
  evalEpisodes: number;
}

export interface Dr3ExperimentConfig {
  /** Seeds 0 .. seeds - 1, or these seeds. */
  seeds: number | readonly number[];
  /** DR3's c0, for td+dr3 and cql+dr3 (0.03: the paper's CQL setting). */
  coefficient: number;
  /** srank threshold. */
  srankDelta: number;
  gamma: number;
  evaluation: Dr3EvaluationSettings;
  /** null: no CQL part. */
  cql: Dr3CqlSettings | null;
  /** Generate each dataset in memory with at least this many transitions instead of the cached recipe. */
  datasetTransitions?: number;
}

/** What the docs' run uses: about 15 minutes on two shared cores with the wasm backend. */
export const DR3_FULL: Readonly<Dr3ExperimentConfig> = Object.freeze<Dr3ExperimentConfig>({
  seeds: 3,
  coefficient: 0.03,
  srankDelta: 0.01,
  gamma: 0.99,
  evaluation: { tasks: ['cartpole', 'pendulum'], methods: [...DR3_EVALUATION_METHODS], data: 'medium', steps: 3000, batchSize: 256, probeEvery: 100, probeBatchSize: 1024, hiddenSizes: [256, 256], learningRate: 3e-4, targetUpdateInterval: 100 },
  cql: {
    task: 'cartpole',
    envId: 'CartPole-v1',
    dataset: 'cartpole-medium-v0',
    steps: 3000,
    batchSize: 256,
    probeEvery: 100,
    hiddenSizes: [256, 256],
    learningRate: 3e-4,
    alpha: 1,
    targetUpdateInterval: 500,
    evalEpisodes: 10,
  },
});

/** `--quick`: about a minute, for smoke tests and CI. */
export const DR3_QUICK: Readonly<Dr3ExperimentConfig> = Object.freeze({
  ...DR3_FULL,
  seeds: 1,
  evaluation: { ...DR3_FULL.evaluation, steps: 300, batchSize: 128, probeEvery: 50, probeBatchSize: 256, hiddenSizes: [64, 64] },
  cql: { ...DR3_FULL.cql!, steps: 300, batchSize: 128, probeEvery: 50, hiddenSizes: [64, 64], targetUpdateInterval: 100, evalEpisodes: 3 },
});

/**
 * One probe of a run's critic features after `step` updates: on the fixed probe batch (evaluation
 * runs), or on the batch of update `step` before that update (CQL runs).
 */
export interface Dr3ProbePoint {
  step: number;
  featureDot: number;
  srank: number;
  featureNorm: number;
  featureNextNorm: number;
  /** Mean cosine between phi(s,a) and phi(s',a'): the dot product without the growth of the norms. */
  featureCosine: number;
  qMean: number;
}

export interface Dr3RunResult {
  task: Dr3Task;
  method: Dr3Method;
  dataset: string;
  seed: number;
  probes: Dr3ProbePoint[];
  /** Mean return of the final evaluation (CQL runs). */
  evalReturn?: number;
  wallSeconds: number;
}

/** One entry of the JSON summary: numbers averaged over seeds. */
export interface Dr3MethodSummary {
  name: Dr3Method;
  task: Dr3Task;
  dataset: string;
  seeds: number;
  /** phi(s,a).phi(s',a') at the first probe (update 0) and the last. */
  dotStart: number;
  dotEnd: number;
  srankStart: number;
  srankEnd: number;
  /** featureCosine at the first and last probe. */
  cosineStart: number;
  cosineEnd: number;
  /** Mean Q(s, a) on the batch of the last probe. */
  qEnd: number;
  evalReturnMean?: number;
  /** Standard deviation over seeds of the per-seed mean returns. */
  evalReturnStd?: number;
  evalReturns?: number[];
}

/** CQL + DR3 minus CQL, seed by seed (the same seed: the same initial weights and batches). */
export interface Dr3PairedDifference {
  dataset: string;
  seeds: number[];
  /** evalReturn of cql+dr3 minus that of cql, per seed. */
  differences: number[];
  mean: number;
  /** Sample standard deviation of the differences (0 for one seed). */
  std: number;
  /** mean / (std / sqrt(n)): the paired t statistic (NaN below two seeds or at zero spread). */
  t: number;
  /** Seeds where cql+dr3 ended above cql. */
  dr3Ahead: number;
}

export interface Dr3ExperimentResult {
  config: Dr3ExperimentConfig;
  runs: Dr3RunResult[];
  methods: Dr3MethodSummary[];
  /** The CQL part's paired difference, when both methods have evaluated seeds in common. */
  cqlDifference?: Dr3PairedDifference;
  wallSeconds: number;
}

/** How the runner reports progress (the CLI shows a bar or lines). */
export interface Dr3Progress {
  update(step: number): void;
  stop(): void;
}

export interface Dr3RunnerHooks {
  loadDataset(name: string): Promise<OfflineDataset>;
  startRun?(label: string, steps: number): Dr3Progress;
  finishRun?(run: Dr3RunResult): void;
  /**
   * Runs finished earlier, each under a key naming all its settings: one is reused instead of
   * trained again only under the same key, so a long experiment that stops goes on where it was.
   */
  store?: ExperimentStore<Dr3RunResult>;
  /** Use saved runs only: a run the store does not have is left out (reported to skipRun), not trained. */
  savedOnly?: boolean;
  skipRun?(id: string): void;
}

/** The file-name-safe id of one run. */
export function dr3RunId(run: { task: Dr3Task; method: Dr3Method; seed: number }): string {
  return `${run.task}-${run.method.replace('+', '-')}-seed${run.seed}`;
}

/** Which run of the experiment: task, method, dataset and seed. */
interface Dr3RunInfo {
  task: Dr3Task;
  method: Dr3Method;
  dataset: string;
  seed: number;
}

/** Everything a run's result depends on, as a string: a saved run is reused only under the same key. */
function runKey(config: Dr3ExperimentConfig, run: Dr3RunInfo, settings: object): string {
  return JSON.stringify({
    run,
    settings,
    coefficient: config.coefficient,
    srankDelta: config.srankDelta,
    gamma: config.gamma,
    datasetTransitions: config.datasetTransitions ?? null,
  });
}

/** The updates after which an evaluation run is probed: 0, log-spaced (ten a decade) up to probeEvery, then every probeEvery, and the last. */
export function probeSteps(steps: number, probeEvery: number): number[] {
  const out = new Set<number>([0, steps]);
  for (let i = 0; ; i++) {
    const t = Math.round(10 ** (i / 10));
    if (t >= probeEvery || t > steps) break;
    out.add(t);
  }
  for (let t = probeEvery; t <= steps; t += probeEvery) out.add(t);
  return [...out].sort((a, b) => a - b);
}

/** How many runs (task x method x seed) a config makes, and their total gradient steps. */
export function dr3Workload(config: Dr3ExperimentConfig): { runs: number; steps: number } {
  const seedCount = seedList(config.seeds).length;
  const evalRuns = config.evaluation.tasks.length * config.evaluation.methods.length * seedCount;
  const cqlRuns = config.cql ? DR3_CQL_METHODS.length * seedCount : 0;
  return { runs: evalRuns + cqlRuns, steps: evalRuns * config.evaluation.steps + cqlRuns * (config.cql?.steps ?? 0) };
}

/** Run every part of the experiment; runs go one after the other (they share two cores). */
export async function runDr3Experiment(config: Dr3ExperimentConfig, hooks: Dr3RunnerHooks): Promise<Dr3ExperimentResult> {
  const started = Date.now();
  const runs: Dr3RunResult[] = [];
  const datasets = new Map<string, OfflineDataset>();
  const datasetOf = async (name: string) => {
    let dataset = datasets.get(name);
    if (!dataset) {
      dataset = await hooks.loadDataset(name);
      if (!dataset.hasNextActions) throw new Error(`dataset ${name} has no next actions; SARSA needs them`);
      datasets.set(name, dataset);
    }
    return dataset;
  };
  /** One grid of runs of `task` on `dataset`: every method of seed 0, then of seed 1, ... */
  const grid = <M extends Dr3Method>(task: Dr3Task, dataset: string, methods: readonly M[], settingsOf: (method: M) => object, train: (info: Dr3RunInfo) => Promise<Dr3RunResult>) => {
    const infoOf = ({ method, seed }: GridCell<M>): Dr3RunInfo => ({ task, method, dataset, seed });
    return runGrid({
      methods,
      seeds: config.seeds,
      cellId: (cell) => dr3RunId(infoOf(cell)),
      cellKey: (cell) => runKey(config, infoOf(cell), settingsOf(cell.method)),
      store: hooks.store,
      storedOnly: hooks.savedOnly,
      onSkip: (id) => hooks.skipRun?.(id),
      onResult: ({ result }) => {
        runs.push(result);
        hooks.finishRun?.(result);
      },
      run: (cell) => train(infoOf(cell)),
    });
  };
  // Which tasks and methods the invocation runs is not a setting of a run, and the data is in its
  // dataset name.
  const { tasks: _tasks, methods: _methods, data: _data, ...evaluationSettings } = config.evaluation;
  for (const task of config.evaluation.tasks) {
    const { envId, continuous } = DR3_TASKS[task];
    if (config.evaluation.methods.includes('td-policy') && !continuous) {
      throw new Error(`td-policy runs on continuous tasks only (${task} is discrete: its learned-policy critic, discrete CQL's, has another architecture)`);
    }
    const name = dr3Dataset(task, config.evaluation.data);
    const dataset = await datasetOf(name);
    // The same rows for every method and seed; only rows whose next action is known.
    const probeBatch = probeBatchOf(dataset, config.evaluation.probeBatchSize);
    const settingsOf = (method: Dr3EvaluationMethod) =>
      method === 'td-policy' ? { ...evaluationSettings, policyLearner: policyCriticConfig(config) } : evaluationSettings;
    await grid(task, name, config.evaluation.methods, settingsOf, (info) =>
      trainAndProbe(evaluationLearner(envId, info.method as Dr3EvaluationMethod, dataset, info.seed, config), dataset, info, config.evaluation, hooks, undefined, {
        steps: probeSteps(config.evaluation.steps, config.evaluation.probeEvery),
        measure: (trained) => probeOnBatch(trained, probeBatch, config.srankDelta),
      }),
    );
  }
  if (config.cql) {
    const cql = config.cql;
    const dataset = await datasetOf(cql.dataset);
    await grid(cql.task, cql.dataset, DR3_CQL_METHODS, () => cql, (info) => {
      const { method, seed } = info;
      const common = {
        observationSpace: dataset.observationSpace,
        actionSpace: dataset.actionSpace,
        seed,
        regularizers: method === 'cql+dr3' ? [dr3({ coefficient: config.coefficient })] : [],
        featureProbe: probeOf(cql.probeEvery, config.srankDelta),
      };
      const learner =
        dataset.actionSpace.kind === 'discrete'
          ? new DiscreteCQL({
              ...common,
              config: { hiddenSizes: cql.hiddenSizes, learningRate: cql.learningRate, alpha: cql.alpha, targetUpdateInterval: cql.targetUpdateInterval, gamma: config.gamma },
            })
          : new CQL({ ...common, config: continuousCqlConfig(cql.hiddenSizes, cql.learningRate, config.gamma, cql.alpha) });
      return trainAndProbe(learner, dataset, info, cql, hooks, (trained) => {
        const env = make(cql.envId) as Env<Float32Array, Action>;
        try {
          // The same evaluation episodes for every method and seed.
          return evaluatePolicy(env, trained, { episodes: cql.evalEpisodes, seed: 10_000 }).mean;
        } finally {
          env.close();
        }
      });
    });
  }
  const cqlDifference = pairedDifference(runs);
  return { config, runs, methods: summarize(runs), ...(cqlDifference ? { cqlDifference } : {}), wallSeconds: (Date.now() - started) / 1000 };
}

/**
 * The regularizers package's probe (featureDot, featureNorm, featureNextNorm, srank) with
 * featureCosine: the mean over the batch of the cosine between phi(s,a) and phi(s',a'), which
 * separates feature alignment from the growth of the feature norms.
 */
function probeOf(every: number, delta: number): FeatureProbe {
  return featureProbe({ every, delta, cosine: true });
}

/** The probe's measure taken now, whatever its schedule says. */
function measureFeatures(phi: tf.Tensor2D, phiNext: tf.Tensor2D, delta: number): Metrics {
  return diagnosticsMetrics(featureDiagnostics(phi, phiNext, { delta, cosine: true }));
}

/** A fixed batch of `size` rows that have a next action (drawn once, from a stream of its own). */
export interface Dr3ProbeBatch {
  rows: number;
  observations: Float32Array;
  actions: Float32Array;
  nextObservations: Float32Array;
  nextActions: Float32Array;
}

export function probeBatchOf(dataset: OfflineDataset, size: number): Dr3ProbeBatch {
  const od = (dataset.observationSpace as Box).size;
  const ad = dataset.actionSpace.kind === 'discrete' ? 1 : (dataset.actionSpace as Box).size;
  const rng = new Rng(777).split();
  const out = { observations: [] as number[], actions: [] as number[], nextObservations: [] as number[], nextActions: [] as number[] };
  let rows = 0;
  while (rows < size) {
    const batch = dataset.sampleTransitions(size, rng);
    for (let i = 0; i < size && rows < size; i++) {
      if (!batch.nextActionMask?.[i]) continue;
      out.observations.push(...batch.observations.subarray(i * od, (i + 1) * od));
      out.actions.push(...batch.actions.subarray(i * ad, (i + 1) * ad));
      out.nextObservations.push(...batch.nextObservations.subarray(i * od, (i + 1) * od));
      out.nextActions.push(...batch.nextActions!.subarray(i * ad, (i + 1) * ad));
      rows += 1;
    }
  }
  return {
    rows,
    observations: Float32Array.from(out.observations),
    actions: Float32Array.from(out.actions),
    nextObservations: Float32Array.from(out.nextObservations),
    nextActions: Float32Array.from(out.nextActions),
  };
}

/**
 * The critic's features on the probe batch: phi(s, a) and phi(s', a') with a' the action the
 * method backs up, and Q(s, a). For SARSA and TD that is the data's next action (a sample of the
 * behaviour policy at s', as TD's a' is); for td-policy the learned policy's action at s', its
 * mode squash(mu(s')), on the first critic.
 */
export function probeOnBatch(learner: Learner, probe: Dr3ProbeBatch, srankDelta: number): Omit<Dr3ProbePoint, 'step'> {
  const measured = tf.tidy(() => {
    const obs = tf.tensor2d(probe.observations, [probe.rows, probe.observations.length / probe.rows]);
    const next = tf.tensor2d(probe.nextObservations, [probe.rows, probe.nextObservations.length / probe.rows]);
    let phi: tf.Tensor2D;
    let phiNext: tf.Tensor2D;
    let q: tf.Tensor1D;
    if (learner instanceof TDEvaluator) {
      const start = (learner.actionSpace as Discrete).start;
      const oneHot = (actions: Float32Array) => tf.cast(tf.oneHot(tf.tensor1d(Array.from(actions, (a) => a - start), 'int32'), learner.numActions), 'float32') as tf.Tensor2D;
      ({ q, phi } = learner.critic.at(obs, oneHot(probe.actions)));
      phiNext = learner.critic.at(next, oneHot(probe.nextActions)).phi;
    } else if (learner instanceof ContinuousTDEvaluator) {
      const ad = probe.actions.length / probe.rows;
      const { output, features } = learner.critic.forwardWithFeatures(tf.concat([obs, tf.tensor2d(probe.actions, [probe.rows, ad])], 1) as tf.Tensor2D);
      q = tf.reshape(output, [-1]) as tf.Tensor1D;
      phi = features;
      phiNext = learner.critic.features(tf.concat([next, tf.tensor2d(probe.nextActions, [probe.rows, ad])], 1) as tf.Tensor2D);
    } else if (learner instanceof CQL) {
      const values = learner.critics.valuesWithFeatures(obs, tf.tensor2d(probe.actions, [probe.rows, probe.actions.length / probe.rows]));
      q = values.values[0]!;
      phi = values.phi;
      phiNext = learner.critics.features(next, learner.actor.mode(next));
    } else {
      throw new TypeError(`the DR3 probe needs a SARSA, FQE or CQL learner, got ${learner.algo}`);
    }
    return { phi: tf.keep(phi), phiNext: tf.keep(phiNext), qMean: tf.keep(tf.mean(q)) };
  });
  try {
    const m = measureFeatures(measured.phi, measured.phiNext, srankDelta);
    return {
      featureDot: m.featureDot ?? Number.NaN,
      srank: m.srank ?? Number.NaN,
      featureNorm: m.featureNorm ?? Number.NaN,
      featureNextNorm: m.featureNextNorm ?? Number.NaN,
      featureCosine: m.featureCosine ?? Number.NaN,
      qMean: measured.qMean.dataSync()[0]!,
    };
  } finally {
    tf.dispose([measured.phi, measured.phiNext, measured.qMean]);
  }
}

function evaluationLearner(envId: string, method: Dr3EvaluationMethod, dataset: OfflineDataset, seed: number, config: Dr3ExperimentConfig): Learner {
  const settings = config.evaluation;
  const base = {
    hiddenSizes: settings.hiddenSizes,
    learningRate: settings.learningRate,
    targetUpdateInterval: settings.targetUpdateInterval,
    gamma: config.gamma,
  };
  const regularizers: Regularizer[] = method === 'td+dr3' ? [dr3({ coefficient: config.coefficient })] : [];
  // No probe inside the update: the fixed probe batch is measured between updates.
  const common = {
    observationSpace: dataset.observationSpace,
    actionSpace: dataset.actionSpace,
    seed,
    regularizers,
  };
  const observationDim = (dataset.observationSpace as Box).size;
  const data = settings.data;
  if (dataset.actionSpace.kind === 'discrete') {
    const actions = dataset.actionSpace as Discrete;
    if (method === 'sarsa') return new SARSA({ ...common, config: base });
    const evaluationPolicy = data === 'random' ? uniformActionProbabilities(actions.n) : mediumActionProbabilities(envId, observationDim, actions.n, actions.start);
    return new FQE({ ...common, config: { ...base, mode: 'sample' }, evaluationPolicy });
  }
  if (method === 'sarsa') return new ContinuousSARSA({ ...common, config: base });
  if (method === 'td-policy') return new CQL({ ...common, config: policyCriticConfig(config) });
  const box = dataset.actionSpace as Box;
  return new ContinuousFQE({ ...common, config: base, evaluationPolicy: data === 'random' ? uniformActionSampler(box) : mediumActionSampler(envId, observationDim, box) });
}

/**
 * td-policy's learner: continuous CQL with its defaults (cqlAlpha 5, 10 proposals of each kind,
 * Polyak targets with tau 0.005, actor lr 1e-4), the evaluation critics' layers, critic learning
 * rate and discount.
 */
export function policyCriticConfig(config: Dr3ExperimentConfig): CQLConfig {
  return continuousCqlConfig(config.evaluation.hiddenSizes, config.evaluation.learningRate, config.gamma);
}

/** Continuous CQL's defaults with the experiment's layers, critic learning rate, discount and weight. */
function continuousCqlConfig(hiddenSizes: readonly number[], criticLearningRate: number, gamma: number, cqlAlpha = CQL_DEFAULTS.cqlAlpha): CQLConfig {
  return { ...CQL_DEFAULTS, hiddenSizes: [...hiddenSizes], criticLearningRate, gamma, cqlAlpha };
}

/**
 * Train `learner` for `settings.steps` updates with the OfflineTrainer (no evaluation, no
 * checkpoints) and collect its probes: the fixed-batch probe after the updates in
 * `fixedProbe.steps` (and before the first), and the learner's own probe metrics when an update
 * reports them. Every method of a seed samples the same batches: the trainer's sampling stream
 * comes from its seed, 1000 + the run's seed.
 */
async function trainAndProbe(
  learner: Learner,
  dataset: OfflineDataset,
  run: Dr3RunInfo,
  settings: { steps: number; batchSize: number },
  hooks: Dr3RunnerHooks,
  evaluate?: (learner: Learner) => number,
  fixedProbe?: { steps: readonly number[]; measure: (learner: Learner) => Omit<Dr3ProbePoint, 'step'> },
): Promise<Dr3RunResult> {
  const started = Date.now();
  const progress = hooks.startRun?.(`${run.method} ${run.task} seed ${run.seed}`, settings.steps);
  const probes: Dr3ProbePoint[] = [];
  let evalReturn: number | undefined;
  const probeAt = new Set(fixedProbe?.steps ?? []);
  const probeNow = (step: number): void => {
    if (fixedProbe && probeAt.has(step)) probes.push({ step, ...fixedProbe.measure(learner) });
  };
  const probing: TrainerHooks<TransitionBatch> = {
    afterUpdate: (metrics, _batch, { step }) => {
      probeNow(step);
      // The learner's probe measured the batch of this update before it: it is numbered by the updates before it.
      if (metrics.featureDot !== undefined) {
        probes.push({
          step: step - 1,
          featureDot: metrics.featureDot,
          srank: metrics.srank ?? Number.NaN,
          featureNorm: metrics.featureNorm ?? Number.NaN,
          featureNextNorm: metrics.featureNextNorm ?? Number.NaN,
          featureCosine: metrics.featureCosine ?? Number.NaN,
          qMean: metrics.qMean ?? Number.NaN,
        });
      }
      progress?.update(step);
    },
  };
  try {
    probeNow(0);
    await new OfflineTrainer({ learner, dataset, steps: settings.steps, batchSize: settings.batchSize, seed: 1_000 + run.seed, evalEvery: 0, hooks: [probing] }).run();
    if (evaluate) evalReturn = evaluate(learner);
  } finally {
    progress?.stop();
    learner.dispose();
  }
  return { ...run, probes, ...(evalReturn !== undefined ? { evalReturn } : {}), wallSeconds: (Date.now() - started) / 1000 };
}

function average(values: number[]): number {
  return values.reduce((a, b) => a + b, 0) / values.length;
}

/** Per task and method: start / end of the probes and the evaluation returns, averaged over seeds. */
export function summarize(runs: readonly Dr3RunResult[]): Dr3MethodSummary[] {
  const groups = new Map<string, Dr3RunResult[]>();
  for (const run of runs) {
    const key = `${run.task}\u0000${run.method}`;
    groups.set(key, [...(groups.get(key) ?? []), run]);
  }
  const out: Dr3MethodSummary[] = [];
  for (const group of groups.values()) {
    const first = group[0]!;
    const withProbes = group.filter((r) => r.probes.length > 0);
    const at = (pick: (r: Dr3RunResult) => Dr3ProbePoint, field: 'featureDot' | 'srank' | 'featureCosine' | 'qMean') => average(withProbes.map((r) => pick(r)[field]));
    const summary: Dr3MethodSummary = {
      name: first.method,
      task: first.task,
      dataset: first.dataset,
      seeds: group.length,
      dotStart: at((r) => r.probes[0]!, 'featureDot'),
      dotEnd: at((r) => r.probes[r.probes.length - 1]!, 'featureDot'),
      srankStart: at((r) => r.probes[0]!, 'srank'),
      srankEnd: at((r) => r.probes[r.probes.length - 1]!, 'srank'),
      cosineStart: at((r) => r.probes[0]!, 'featureCosine'),
      cosineEnd: at((r) => r.probes[r.probes.length - 1]!, 'featureCosine'),
      qEnd: at((r) => r.probes[r.probes.length - 1]!, 'qMean'),
    };
    const returns = group.map((r) => r.evalReturn).filter((x): x is number => x !== undefined);
    if (returns.length > 0) {
      const { mean, std } = meanStd(returns);
      summary.evalReturnMean = mean;
      summary.evalReturnStd = std;
      summary.evalReturns = returns;
    }
    out.push(summary);
  }
  return out;
}

/** cql+dr3 minus cql on the seeds both have an evaluation return for; undefined when none. */
export function pairedDifference(runs: readonly Dr3RunResult[]): Dr3PairedDifference | undefined {
  const plain = new Map(runs.filter((r) => r.method === 'cql' && r.evalReturn !== undefined).map((r) => [r.seed, r]));
  const pairs = runs
    .filter((r) => r.method === 'cql+dr3' && r.evalReturn !== undefined && plain.has(r.seed))
    .map((r) => ({ seed: r.seed, dataset: r.dataset, difference: r.evalReturn! - plain.get(r.seed)!.evalReturn! }))
    .sort((a, b) => a.seed - b.seed);
  if (pairs.length === 0) return undefined;
  const differences = pairs.map((p) => p.difference);
  const n = differences.length;
  const mean = average(differences);
  const std = n > 1 ? Math.sqrt(differences.reduce((acc, d) => acc + (d - mean) ** 2, 0) / (n - 1)) : 0;
  return {
    dataset: pairs[0]!.dataset,
    seeds: pairs.map((p) => p.seed),
    differences,
    mean,
    std,
    t: n > 1 && std > 0 ? mean / (std / Math.sqrt(n)) : Number.NaN,
    dr3Ahead: differences.filter((d) => d > 0).length,
  };
}

/** Probe curves averaged over seeds: one row per task, method and probe step. */
export interface Dr3CurvePoint {
  task: Dr3Task;
  method: Dr3Method;
  step: number;
  featureDot: number;
  featureCosine: number;
  srank: number;
  qMean: number;
}

export function meanCurves(runs: readonly Dr3RunResult[]): Dr3CurvePoint[] {
  const sums = new Map<string, Dr3CurvePoint & { n: number }>();
  for (const run of runs) {
    for (const p of run.probes) {
      const key = `${run.task}\u0000${run.method}\u0000${p.step}`;
      const entry = sums.get(key) ?? { task: run.task, method: run.method, step: p.step, featureDot: 0, featureCosine: 0, srank: 0, qMean: 0, n: 0 };
      entry.featureDot += p.featureDot;
      entry.featureCosine += p.featureCosine;
      entry.srank += p.srank;
      entry.qMean += p.qMean;
      entry.n += 1;
      sums.set(key, entry);
    }
  }
  return [...sums.values()].map(({ n, ...e }) => ({ ...e, featureDot: e.featureDot / n, featureCosine: e.featureCosine / n, srank: e.srank / n, qMean: e.qMean / n }));
}
