import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { closestMatches, type Action, type Env, type Learner, type Space } from '@bellman/core';
import { CsvLogger, JsonlLogger, MultiLogger, loadCheckpoint, readJsonlMetrics, saveCheckpoint, writeFileAtomic } from '@bellman/core/node';
import { make } from '@bellman/envs';
import { createLearner, listAlgorithms, type TrainerEvent, type TrainerSummary } from '@bellman/q-learning';
import { OfflineTrainer, OnlineTrainer } from '@bellman/q-learning/node';
import type { BackendChoice } from './args.js';
import type { CommandContext } from './context.js';
import { resolveDataset, type ResolvedDataset } from './datasets.js';
import { UsageError, fromUserInput } from './errors.js';
import type { Reporter } from './io.js';
import { plotMetrics } from './plot.js';
import { startProgress } from './progress.js';
import { shortSpace } from './table.js';

/** Everything one training run needs, validated. */
export interface TrainRunOptions {
  algo: string;
  envId: string;
  /** Recipe name or dataset file (offline); absent with `online`. */
  dataset?: string;
  steps: number;
  seed: number;
  /** Absolute run directory. */
  outDir: string;
  config: Record<string, unknown>;
  evalEvery?: number;
  evalEpisodes: number;
  batchSize?: number;
  backend: BackendChoice;
  online: boolean;
  /** OnlineTrainer settings from the command line (only with `online`); unset ones keep the trainer's defaults. */
  onlineOptions?: OnlineOptions;
  resume: boolean;
  dataDir?: string;
  /** Plot the learning curve after training (default true). */
  plot?: boolean;
}

export interface OnlineOptions {
  warmupSteps?: number;
  updateEvery?: number;
  gradientSteps?: number;
  bufferCapacity?: number;
}

const ONLINE_FLAGS: Record<keyof OnlineOptions, string> = {
  warmupSteps: '--warmup-steps',
  updateEvery: '--update-every',
  gradientSteps: '--gradient-steps',
  bufferCapacity: '--buffer-size',
};

/** The files a run writes under its directory. */
export interface RunFiles {
  dir: string;
  metrics: string;
  metricsCsv: string;
  checkpoint: string;
  /** The learner at the best evaluation so far (written when an evaluation sets a new best). */
  bestCheckpoint: string;
  config: string;
  curveSvg: string;
  curvePng: string;
}

export interface TrainRunResult {
  algo: string;
  env: string;
  dataset: string | null;
  datasetFormat: string | null;
  steps: number;
  seed: number;
  evalReturnMean: number | null;
  evalReturnStd: number | null;
  evalEpisodes: number;
  /** Mean episode return of the dataset (offline runs). */
  datasetReturnMean: number | null;
  bestEvalReturnMean: number | null;
  wallSeconds: number;
  backend: string;
  out: RunFiles;
}

export function runFiles(dir: string): RunFiles {
  return {
    dir,
    metrics: join(dir, 'metrics.jsonl'),
    metricsCsv: join(dir, 'metrics.csv'),
    checkpoint: join(dir, 'checkpoint.json'),
    bestCheckpoint: join(dir, 'best-checkpoint.json'),
    config: join(dir, 'config.json'),
    curveSvg: join(dir, 'curve.svg'),
    curvePng: join(dir, 'curve.png'),
  };
}

/** Throws a UsageError naming the closest algorithms when `algo` is unknown. */
export function checkAlgorithm(algo: string): void {
  const names = listAlgorithms().map((a) => a.algo);
  if (names.includes(algo)) return;
  const close = closestMatches(algo, names, 3);
  const hint = close.length > 0 ? `; did you mean ${close.map((c) => `"${c}"`).join(' or ')}?` : '';
  throw new UsageError(`unknown algorithm "${algo}"${hint} (available: ${names.join(', ')})`);
}

/** Throws a UsageError when `algo` needs init fields a command line cannot give (fqe: the policy to evaluate). */
export function checkTrainable(algo: string): void {
  const needs = listAlgorithms().find((a) => a.algo === algo)?.requiredInit ?? [];
  if (needs.length === 0) return;
  throw new UsageError(
    `${algo} is API only: it needs ${needs.map((f) => `init.${f}`).join(' and ')}, which \`bellman train\` cannot give; ` +
      `build it with createLearner('${algo}', { observationSpace, actionSpace, ${needs.join(', ')} }) from @bellman/q-learning`,
  );
}

/** A fresh env by id; an unknown id is a usage error carrying the registry's suggestions. */
export function makeEnv(envId: string): Env<Float32Array, Action> {
  return fromUserInput(() => make(envId));
}

const describeSpace = shortSpace;

function sameSpace(a: Space<unknown>, b: Space<unknown>): boolean {
  const sa = a.toJSON();
  const sb = b.toJSON();
  if (sa.kind !== sb.kind) return false;
  if (sa.kind === 'discrete' && sb.kind === 'discrete') return sa.n === sb.n && sa.start === sb.start;
  return JSON.stringify(a.shape) === JSON.stringify(b.shape);
}

/** The dataset must have been collected in an env with the same spaces as the one we evaluate in. */
export function checkSpaces(resolved: ResolvedDataset, env: Env<Float32Array, Action>, envId: string): void {
  const { dataset } = resolved;
  if (!sameSpace(dataset.observationSpace, env.observationSpace)) {
    throw new UsageError(
      `dataset ${resolved.source} has observation space ${describeSpace(dataset.observationSpace)} but ${envId} has ${describeSpace(env.observationSpace)}`,
    );
  }
  if (!sameSpace(dataset.actionSpace, env.actionSpace)) {
    throw new UsageError(`dataset ${resolved.source} has action space ${describeSpace(dataset.actionSpace)} but ${envId} has ${describeSpace(env.actionSpace)}`);
  }
}

/**
 * The short status a progress bar shows: the latest loss, the latest evaluation with the step it
 * was made at (`eval 212.3 ± 10.1 @ 400`) and, online, the return of the latest episode.
 */
export class ProgressDetail {
  private loss: string | undefined;
  private evalText: string | undefined;
  private episodeText: string | undefined;

  onEvent(event: TrainerEvent): void {
    if (event.type === 'update') {
      const key = Object.keys(event.metrics).find((k) => /loss/i.test(k));
      if (key) this.loss = `${key} ${event.metrics[key]!.toPrecision(3)}`;
    } else if (event.type === 'evaluation') {
      this.evalText = `eval ${event.evaluation.returnMean.toFixed(1)} ± ${event.evaluation.returnStd.toFixed(1)} @ ${event.step}`;
    } else if (event.type === 'episode') {
      this.episodeText = `episode return ${event.episodeReturn.toFixed(1)}`;
    }
  }

  toString(): string {
    return [this.loss, this.evalText, this.episodeText].filter(Boolean).join(' | ');
  }
}

/** Drop logged rows past the checkpoint's step: they will be produced again by the resumed run. */
function truncateMetrics(path: string, step: number): void {
  if (!existsSync(path)) return;
  const kept = readFileSync(path, 'utf8')
    .split('\n')
    .filter((line) => line.trim() && (JSON.parse(line) as { step: number }).step <= step);
  writeFileAtomic(path, kept.length ? `${kept.join('\n')}\n` : '');
}

/**
 * Train one learner as `bellman train` does: validates the names, loads the dataset, trains with
 * progress, writes metrics (JSONL and CSV), checkpoint, config and curves under `outDir`.
 */
export async function trainRun(ctx: CommandContext, reporter: Reporter, options: TrainRunOptions): Promise<TrainRunResult> {
  checkAlgorithm(options.algo);
  checkTrainable(options.algo);
  const env = makeEnv(options.envId);
  env.close();
  if (options.online && options.dataset !== undefined) throw new UsageError('--online trains by interacting with the env: drop --dataset');
  if (!options.online && options.dataset === undefined) throw new UsageError('--dataset <recipe|path> is required (or --online for online algorithms)');
  const onlineOptions = Object.fromEntries(Object.entries(options.onlineOptions ?? {}).filter(([, v]) => v !== undefined)) as OnlineOptions;
  const offlineUse = Object.keys(onlineOptions) as (keyof OnlineOptions)[];
  if (!options.online && offlineUse.length > 0) {
    throw new UsageError(`${offlineUse.map((k) => ONLINE_FLAGS[k]).join(', ')} only apply to --online training`);
  }
  const files = runFiles(options.outDir);
  let resumeStep: number | undefined;
  if (options.resume) {
    if (!existsSync(files.checkpoint)) throw new UsageError(`--resume: no checkpoint at ${files.checkpoint}`);
    const meta = fromUserInput(() => loadCheckpoint(files.checkpoint).meta, '--resume');
    resumeStep = typeof meta.step === 'number' ? meta.step : undefined;
  }
  const backend = await ctx.backend(options.backend);
  // The learner is built on the env's spaces before the dataset loads, so that a bad --config
  // fails at once; the dataset must then have the same spaces (checkSpaces).
  const learner: Learner = fromUserInput(
    () => createLearner(options.algo, { observationSpace: env.observationSpace, actionSpace: env.actionSpace, config: options.config, seed: options.seed }),
    Object.keys(options.config).length > 0 ? '--config' : undefined,
  );
  let resolved: ResolvedDataset | undefined;
  try {
    resolved = options.dataset === undefined ? undefined : await resolveDataset(ctx, options.dataset, reporter, { dataDir: options.dataDir });
    if (resolved) checkSpaces(resolved, env, options.envId);
  } catch (err) {
    learner.dispose();
    throw err;
  }
  await ctx.announceBackend();

  mkdirSync(files.dir, { recursive: true });
  const datasetStats = resolved?.dataset.statistics();
  const runConfig = {
    algo: options.algo,
    env: options.envId,
    dataset: resolved ? resolved.source : null,
    datasetFormat: resolved ? resolved.format : null,
    online: options.online,
    steps: options.steps,
    seed: options.seed,
    batchSize: options.batchSize ?? null,
    evalEvery: options.evalEvery ?? null,
    evalEpisodes: options.evalEpisodes,
    ...(options.online ? { onlineOptions } : {}),
    backend,
    learnerConfig: learner.save().config,
  };
  writeFileAtomic(files.config, `${JSON.stringify(runConfig, null, 2)}\n`);

  if (resumeStep !== undefined) truncateMetrics(files.metrics, resumeStep);
  const csv = new CsvLogger(files.metricsCsv);
  if (options.resume && existsSync(files.metrics)) for (const row of readJsonlMetrics(files.metrics)) csv.log(row.step, rowMetrics(row));
  const logger = new MultiLogger([new JsonlLogger(files.metrics, { append: options.resume }), csv]);

  const label = `${options.algo} ${options.envId}`;
  const progress = startProgress(reporter, label, options.steps);
  const detail = new ProgressDetail();
  const common = {
    learner,
    steps: options.steps,
    seed: options.seed,
    evalEpisodes: options.evalEpisodes,
    logger,
    checkpointPath: files.checkpoint,
    bestCheckpointPath: files.bestCheckpoint,
    onProgress: (event: TrainerEvent) => {
      detail.onEvent(event);
      if (event.type !== 'checkpoint') progress.update(event.step, detail.toString());
    },
    ...(options.batchSize !== undefined ? { batchSize: options.batchSize } : {}),
    ...(options.evalEvery !== undefined ? { evalEvery: options.evalEvery } : {}),
  };
  let summary: TrainerSummary;
  try {
    const trainer = resolved
      ? new OfflineTrainer({ ...common, dataset: resolved.dataset, envFactory: () => make(options.envId) })
      : new OnlineTrainer({ ...common, ...onlineOptions, envFactory: () => make(options.envId) });
    summary = await (options.resume ? trainer.resume(files.checkpoint) : trainer.run());
  } catch (err) {
    if (options.resume) throw fromResume(err);
    throw err;
  } finally {
    progress.stop();
    await logger.close();
    learner.dispose();
  }

  // The checkpoint names its env and dataset, so that `bellman eval` needs only the file.
  for (const path of [files.checkpoint, files.bestCheckpoint]) {
    if (!existsSync(path)) continue;
    const saved = loadCheckpoint<unknown>(path);
    saveCheckpoint(path, saved.payload, { ...saved.meta, env: options.envId, dataset: runConfig.dataset, seed: options.seed });
  }

  if (options.plot !== false) {
    await plotMetrics([{ path: files.metrics, label: options.algo }], join(files.dir, 'curve'), {
      title: `${options.algo} on ${options.envId}`,
      referenceLines: datasetStats ? [{ label: 'dataset mean return', value: datasetStats.returnMean }] : [],
    });
  }

  return {
    algo: options.algo,
    env: options.envId,
    dataset: runConfig.dataset,
    datasetFormat: runConfig.datasetFormat,
    steps: summary.steps,
    seed: options.seed,
    evalReturnMean: summary.evalReturnMean,
    evalReturnStd: summary.evalReturnStd,
    evalEpisodes: options.evalEpisodes,
    datasetReturnMean: datasetStats ? datasetStats.returnMean : null,
    bestEvalReturnMean: summary.bestEval ? summary.bestEval.returnMean : null,
    wallSeconds: summary.wallSeconds,
    backend,
    out: files,
  };
}

function rowMetrics(row: Record<string, number>): Record<string, number> {
  const { step: _step, ...rest } = row;
  return rest;
}

/** A checkpoint that does not fit this run (other batch size, seed, trainer) is the user's to fix. */
function fromResume(err: unknown): unknown {
  if (err instanceof Error && /checkpoint|trained with|not a trainer checkpoint|written by the/.test(err.message)) {
    return new UsageError(`--resume: ${err.message}`, { cause: err });
  }
  return err;
}
