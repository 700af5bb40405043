import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { CheckpointError, closestMatches, type Action, type Env, type Learner, type Space } from '@bellman/core';
import { CsvLogger, JsonlLogger, MultiLogger, readJsonlMetrics, writeFileAtomic } from '@bellman/core/node';
import { loadEnv, make } from '@bellman/envs';
import { createLearnerByName, listAlgorithms } from '@bellman/q-learning';
import {
  DivergenceError,
  OfflineTrainer,
  OnlineTrainer,
  TRAINER_DEFAULTS,
  cutMetrics,
  removeStaleTempFiles,
  watchInterrupts,
  type InterruptWatch,
  type StopSignal,
  type TrainerEvent,
  type TrainerSummary,
} from '@bellman/training/node';
import type { BackendChoice } from './args.js';
import type { CommandContext } from './context.js';
import { resolveDataset, type ResolvedDataset } from './datasets.js';
import { DEFAULT_CHECKPOINT_EVERY } from './defaults.js';
import { UsageError, fromUserInput } from './errors.js';
import { resumeCommand } from './interrupt.js';
import { checkOutputDirectory } from './paths.js';
import { planResume } from './run-folder.js';
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
  /** --out as the user typed it, for messages (default: outDir). */
  outArg?: string;
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
  /** Write the checkpoint every this many steps besides evaluations (default DEFAULT_CHECKPOINT_EVERY for the mode; 0: only those). */
  checkpointEvery?: number;
  /** The command that resumes this run, printed when a signal stops it (default: a `bellman train` command built from these options). */
  resumeCommand?: string;
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
  /** The signal that stopped the run early (its checkpoint is written), or null when it ran to the end. */
  interrupted: StopSignal | null;
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


const describeSpace = shortSpace;

/** Spaces a learner can move between: the same kind, and the same n (Discrete) or shape (Box; bounds may differ). */
export function sameSpace(a: Space<unknown>, b: Space<unknown>): boolean {
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

/**
 * Train one learner as `bellman train` does: validates the names, loads the dataset, trains with
 * progress, writes metrics (JSONL and CSV), checkpoint, config and curves under `outDir`.
 */
export async function trainRun(ctx: CommandContext, reporter: Reporter, options: TrainRunOptions): Promise<TrainRunResult> {
  checkAlgorithm(options.algo);
  checkTrainable(options.algo);
  await loadEnv(options.envId);
  const env = make(options.envId);
  env.close();
  if (options.online && options.dataset !== undefined) throw new UsageError('--online trains by interacting with the env: drop --dataset');
  if (!options.online && options.dataset === undefined) throw new UsageError('--dataset <recipe|path> is required (or --online for online algorithms)');
  const onlineOptions = Object.fromEntries(Object.entries(options.onlineOptions ?? {}).filter(([, v]) => v !== undefined)) as OnlineOptions;
  const offlineUse = Object.keys(onlineOptions) as (keyof OnlineOptions)[];
  if (!options.online && offlineUse.length > 0) {
    throw new UsageError(`${offlineUse.map((k) => ONLINE_FLAGS[k]).join(', ')} only apply to --online training`);
  }
  const files = runFiles(options.outDir);
  checkOutputDirectory(options.outArg ?? options.outDir, '--out', { cwd: ctx.io.cwd });
  const checkpointEvery = options.checkpointEvery ?? DEFAULT_CHECKPOINT_EVERY[options.online ? 'online' : 'offline'];
  if (options.online) checkReplayCapacity(options, onlineOptions);
  const plan = options.resume
    ? planResume({
        dir: files.dir,
        checkpoint: files.checkpoint,
        config: files.config,
        algo: options.algo,
        envId: options.envId,
        seed: options.seed,
        online: options.online,
        steps: options.steps,
        batchSize: options.batchSize,
        defaultBatchSize: TRAINER_DEFAULTS.batchSize,
      })
    : null;
  const backend = await ctx.backend(options.backend);
  // A learner is built on the env's spaces (and dropped) before the dataset loads, so that a bad
  // --config fails at once; the dataset must then have the same spaces (checkSpaces). The one that
  // trains gets the dataset's episode statistics too (IQL's rewardScale 'auto' reads them).
  const learnerInit = { observationSpace: env.observationSpace, actionSpace: env.actionSpace, config: options.config, seed: options.seed };
  const configSource = Object.keys(options.config).length > 0 ? '--config' : undefined;
  fromUserInput(() => createLearnerByName(options.algo, learnerInit), configSource).dispose();
  const resolved: ResolvedDataset | undefined =
    options.dataset === undefined ? undefined : await resolveDataset(ctx, options.dataset, reporter, { dataDir: options.dataDir });
  if (resolved) checkSpaces(resolved, env, options.envId);
  const datasetStats = resolved?.dataset.statistics();
  const learner: Learner = fromUserInput(
    // the dataset's statistics: episode returns for IQL's reward scale, observation moments for TD3+BC's normalisation
    () => createLearnerByName(options.algo, datasetStats ? { ...learnerInit, episodeStatistics: datasetStats, normalization: datasetStats } : learnerInit),
    configSource,
  );
  await ctx.announceBackend();

  // Every input is checked: from here on the run folder is written.
  mkdirSync(files.dir, { recursive: true });
  const staleFiles = removeStaleTempFiles(files.dir);
  if (staleFiles > 0) reporter.note(`removed ${staleFiles} temporary file${staleFiles === 1 ? '' : 's'} left in ${files.dir} by an interrupted write`);
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

  const continuing = plan?.kind === 'checkpoint';
  if (plan?.kind === 'restart') reporter.note(plan.notice);
  if (!continuing) {
    // A new run replaces whatever run the folder held: none of its checkpoints may pass for this one's.
    for (const path of [files.checkpoint, files.bestCheckpoint]) rmSync(path, { force: true });
  }
  let checkpointWritten = continuing;
  if (plan?.kind === 'checkpoint') {
    const cut = fromUserInput(() => cutMetrics(files.metrics, plan.step), '--resume');
    if (cut.tornLine) reporter.note(`${files.metrics}: cut off a half-written last line (the run was stopped while writing it)`);
  }
  // The CSV is rebuilt from the JSONL rows, so that both hold exactly the rows up to the checkpoint.
  const csv = new CsvLogger(files.metricsCsv, { rows: continuing && existsSync(files.metrics) ? readJsonlMetrics(files.metrics) : [] });
  const logger = new MultiLogger([new JsonlLogger(files.metrics, { append: continuing }), csv]);

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
    checkpointEvery,
    // The checkpoint names its env and dataset, so that `bellman eval` needs only the file.
    checkpointMeta: { env: options.envId, dataset: runConfig.dataset, seed: options.seed },
    onProgress: (event: TrainerEvent) => {
      if (event.type === 'warning') {
        reporter.note(`warning: ${event.message}`);
        return;
      }
      if (event.type === 'checkpoint' && event.path === files.checkpoint) checkpointWritten = true;
      detail.onEvent(event);
      if (event.type !== 'checkpoint') progress.update(event.step, detail.toString());
    },
    ...(options.batchSize !== undefined ? { batchSize: options.batchSize } : {}),
    ...(options.evalEvery !== undefined ? { evalEvery: options.evalEvery } : {}),
  };
  let summary: TrainerSummary;
  let watch: InterruptWatch | undefined;
  try {
    const trainer = resolved
      ? new OfflineTrainer({ ...common, dataset: resolved.dataset, envFactory: () => make(options.envId) })
      : new OnlineTrainer({ ...common, ...onlineOptions, envFactory: () => make(options.envId) });
    watch = watchInterrupts(() => trainer.stop(), (line) => reporter.note(line));
    summary = await (continuing ? trainer.resume(files.checkpoint) : trainer.run());
  } catch (err) {
    if (err instanceof DivergenceError) {
      throw new TrainingDiverged(
        `${err.message}; metrics up to step ${err.step - 1} are in ${files.metrics}` +
          (checkpointWritten ? ` and the last good checkpoint in ${files.checkpoint}` : '') +
          '; try a lower learning rate (--config \'{"learningRate": ...}\')',
        { cause: err },
      );
    }
    if (options.resume) throw fromResume(err);
    throw err;
  } finally {
    watch?.dispose();
    progress.stop();
    await logger.close();
    learner.dispose();
  }
  const interrupted = watch?.signal ?? null;
  if (interrupted) {
    reporter.say(
      `stopped at step ${summary.steps} of ${options.steps}; checkpoint written to ${files.checkpoint}. Resume with: ${options.resumeCommand ?? trainCommandLine(options)}`,
    );
  }

  if (options.plot !== false && !interrupted) {
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
    interrupted,
  };
}

/** Training stopped because a loss or another metric became NaN or infinite. */
export class TrainingDiverged extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'TrainingDiverged';
  }
}

/** Online training needs a replay buffer that can hold max(warm-up, batch) transitions before its first update. */
function checkReplayCapacity(options: TrainRunOptions, online: OnlineOptions): void {
  const capacity = online.bufferCapacity ?? Math.min(options.steps, TRAINER_DEFAULTS.maxBufferCapacity);
  const warmup = online.warmupSteps ?? TRAINER_DEFAULTS.warmupSteps;
  const batch = options.batchSize ?? TRAINER_DEFAULTS.batchSize;
  if (capacity >= Math.max(warmup, batch)) return;
  const source = online.bufferCapacity !== undefined ? `--buffer-size ${capacity}` : `the replay buffer (min(--steps, 1e6) = ${capacity})`;
  const needs = warmup >= batch ? `${online.warmupSteps !== undefined ? '--warmup-steps' : 'the warm-up (default'} ${warmup}${online.warmupSteps !== undefined ? '' : ')'}` : `--batch-size ${batch}`;
  throw new UsageError(
    `${source} cannot hold the ${Math.max(warmup, batch)} transitions ${needs} needs before the first update: ` +
      `raise --steps or --buffer-size, or lower --warmup-steps and --batch-size`,
  );
}

/** A `bellman train` command that continues the run these options describe. */
function trainCommandLine(o: TrainRunOptions): string {
  const args = ['train', o.algo, '--env', o.envId];
  if (o.dataset !== undefined) args.push('--dataset', o.dataset);
  if (o.online) args.push('--online');
  args.push('--steps', String(o.steps), '--seed', String(o.seed), '--out', o.outDir, '--eval-episodes', String(o.evalEpisodes));
  if (o.evalEvery !== undefined) args.push('--eval-every', String(o.evalEvery));
  if (o.batchSize !== undefined) args.push('--batch-size', String(o.batchSize));
  if (Object.keys(o.config).length > 0) args.push('--config', JSON.stringify(o.config));
  const flags: [keyof OnlineOptions, string][] = Object.entries(ONLINE_FLAGS) as [keyof OnlineOptions, string][];
  for (const [key, flag] of flags) if (o.onlineOptions?.[key] !== undefined) args.push(flag, String(o.onlineOptions[key]));
  if (o.checkpointEvery !== undefined) args.push('--checkpoint-every', String(o.checkpointEvery));
  if (o.backend !== 'auto') args.push('--backend', o.backend);
  if (o.dataDir !== undefined) args.push('--data-dir', o.dataDir);
  return resumeCommand(args);
}

/** A checkpoint that does not fit this run (other batch size, seed, trainer, learner) is the user's to fix. */
function fromResume(err: unknown): unknown {
  if (err instanceof CheckpointError) return new UsageError(`--resume: ${err.message}`, err.context, { cause: err });
  return err;
}
