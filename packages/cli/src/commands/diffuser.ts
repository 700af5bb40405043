import { existsSync, mkdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { writeFileAtomic } from '@bellman/core/node';
import type { DiffuserModelFile } from '@bellman/diffusion';
import { seedList } from '@bellman/training';
import { describeSeeds, parseBackend, parseChoiceList, parseOptionalInteger, parseSeeds, rejectOptions, resolvePath, seedsSetting } from '../args.js';
import type { CommandContext } from '../context.js';
import { UsageError } from '../errors.js';
import { DIFFUSER_FULL, DIFFUSER_MAZES, DIFFUSER_METHODS, DIFFUSER_QUICK, DIFFUSER_SITE, runDiffuserExperiment, type DiffuserExperimentConfig, type DiffuserExperimentResult, type DiffuserMaze, type DiffuserRunResult } from '../experiments/diffuser.js';
import { writeDiffuserPlots } from '../experiments/diffuser-plots.js';
import { GUIDED_FULL, GUIDED_METHODS, GUIDED_QUICK, GUIDED_TASKS, runGuidedExperiment, type GuidedExperimentConfig, type GuidedRunResult, type GuidedTask } from '../experiments/diffuser-guided.js';
import { cellRunHooks } from '../experiments/saved-runs.js';
import { checkOutputDirectory } from '../paths.js';
import { fmtNumber, formatTable } from '../table.js';
import type { ExperimentCliOptions } from './experiment.js';

/**
 * `bellman experiment diffuser`: Diffuser against BC, CQL and IQL on D4RL's maze2d, by normalised
 * score. Every option is checked before anything is trained or written. `preset` replaces the
 * built-in configs (tests use a tiny one).
 */
export async function diffuserCommand(ctx: CommandContext, opts: ExperimentCliOptions, preset?: DiffuserExperimentConfig): Promise<number> {
  const reporter = ctx.reporter(opts.json);
  if (opts.siteModel !== undefined && opts.quick) throw new UsageError('--site-model trains its own small model; leave out --quick');
  const base = preset ?? (opts.siteModel !== undefined ? DIFFUSER_SITE : opts.quick ? DIFFUSER_QUICK : DIFFUSER_FULL);
  const mazes = opts.maze === undefined ? base.mazes : parseChoiceList('--maze', opts.maze, Object.keys(DIFFUSER_MAZES) as DiffuserMaze[], 'maze');
  const methods = opts.methods === undefined ? base.methods : parseChoiceList('--methods', opts.methods, DIFFUSER_METHODS, 'method');
  const seeds = parseSeeds('--seeds', opts.seeds) ?? seedList(base.seeds);
  const trainSteps = parseOptionalInteger('--steps', opts.steps, { min: 1, max: 10_000_000 }) ?? base.diffuser.trainSteps;
  const updates = parseOptionalInteger('--updates', opts.updates, { min: 1, max: 10_000_000 }) ?? base.baselines.updates;
  const backend = parseBackend(opts.backend);
  const outDir = resolvePath(ctx.io.cwd, opts.out ?? (opts.siteModel !== undefined ? 'runs/experiment-diffuser-site' : opts.quick ? 'runs/experiment-diffuser-quick' : 'runs/experiment-diffuser'));
  checkOutputDirectory(opts.out ?? outDir, '--out', { cwd: ctx.io.cwd });
  rejectOptions(opts, ['probeEvery', 'cqlUpdates', 'tasks', 'gamma', 'criticLayers', 'targetUpdateInterval', 'cqlHidden', 'cqlAlpha', 'data', 'only', 'cqlDataset'], 'is an option of the dr3 experiment, not of diffuser');
  rejectOptions(opts, ['task', 'epochs', 'hidden'], 'is an option of the coms experiment');
  const modelPath = opts.siteModel === undefined ? null : siteModelPath(ctx.io.cwd, opts.siteModel, mazes, methods, seeds);
  const config: DiffuserExperimentConfig = { ...base, mazes, methods, seeds: seedsSetting(seeds), diffuser: { ...base.diffuser, trainSteps }, baselines: { ...base.baselines, updates } };
  await ctx.backend(backend);
  await ctx.announceBackend();

  const d = config.diffuser;
  reporter.say(`Diffuser experiment${opts.quick ? ' (quick)' : ''}: ${mazes.join(', ')}; ${methods.join(', ')}; seeds ${describeSeeds(seeds)}; ${config.episodes} evaluation episodes per seed`);
  reporter.say(
    `  Diffuser: U-Net dim ${d.dim}, mults (${d.dimMults.join(', ')}), horizon x ${d.horizonScale}, ${d.trainSteps} steps of batch ${d.batchSize}, ` +
      `${d.sampler.kind === 'ddim' ? `DDIM in ${d.sampler.steps} steps` : 'DDPM'}; BC / CQL / IQL: ${config.baselines.updates} updates of batch ${config.baselines.batchSize}`,
  );
  const { runsDir, ...hooks } = cellRunHooks<DiffuserRunResult>(reporter, outDir, { savedOnly: Boolean(opts.savedOnly), describe: runLine });
  let modelWritten = false;
  const trainedModel = (_cell: unknown, model: DiffuserModelFile) => {
    if (!modelPath) return;
    mkdirSync(dirname(modelPath), { recursive: true });
    writeFileAtomic(modelPath, `${JSON.stringify({ ...model, meta: { ...model.meta, command: SITE_MODEL_COMMAND } })}\n`);
    modelWritten = true;
  };
  const result = await runDiffuserExperiment(config, { ...hooks, dataDir: ctx.dataDir(opts.dataDir), trainedModel });
  if (result.runs.length === 0) throw new UsageError(`--saved-only: ${runsDir} holds no run with these settings`);
  if (modelPath && !modelWritten) throw new UsageError(`--site-model: the Diffuser run is already saved under ${runsDir}, so nothing was trained and ${modelPath} was not written; use a fresh --out`);

  mkdirSync(outDir, { recursive: true });
  const resultsPath = join(outDir, 'results.json');
  writeFileAtomic(resultsPath, `${JSON.stringify(result, null, 1)}\n`);
  const plots = await writeDiffuserPlots(result, outDir);
  reporter.say('');
  reporter.say(summaryTable(result));
  reporter.say('');
  reporter.say(`${result.wallSeconds.toFixed(1)}s; wrote ${resultsPath}`);
  reporter.say(`plots: ${plots.filter((p) => !p.includes('episodes')).join(', ')}; ${plots.filter((p) => p.includes('episodes')).length / 2} episode pictures under ${join(outDir, 'episodes')}`);
  if (modelPath) reporter.say(`wrote the model file ${modelPath}`);
  if (opts.json) {
    reporter.result({
      methods: result.methods.map((m) => ({ name: m.name, maze: m.maze, normalizedScore: m.normalizedScore, scoreStd: m.scoreStd, episodes: m.episodes })),
      planSeconds: result.planSeconds,
    });
  }
  return 0;
}

/** The command that makes the docs site's model, recorded in the file. */
const SITE_MODEL_COMMAND = 'bellman experiment diffuser --site-model docs/public/models/diffuser-umaze.json --backend wasm';

/** The model file's path, checked before anything trains: one Diffuser cell, and a file path (not a folder). */
function siteModelPath(cwd: string, file: string, mazes: readonly string[], methods: readonly string[], seeds: readonly number[]): string {
  if (file.trim() === '') throw new UsageError('--site-model needs a file path, e.g. docs/public/models/diffuser-umaze.json');
  if (!methods.includes('diffuser') || mazes.length !== 1 || seeds.length !== 1) {
    throw new UsageError(`--site-model writes one Diffuser's model: give one maze and one seed with the diffuser method (got mazes ${mazes.join(', ')}, methods ${methods.join(', ')}, seeds ${seeds.join(', ')})`);
  }
  const path = resolvePath(cwd, file);
  if (existsSync(path) && statSync(path).isDirectory()) throw new UsageError(`--site-model: ${file} is a folder; give the model file's path`);
  return path;
}

function runLine(run: DiffuserRunResult): string {
  const mean = run.scores.reduce((s, v) => s + v, 0) / Math.max(1, run.scores.length);
  const planning = run.planSeconds === null ? '' : `, ${fmtNumber(run.planSeconds, 2)} s planning`;
  return `${run.method} ${run.maze} seed ${run.seed}: normalised score ${fmtNumber(mean, 1)} over ${run.scores.length} episodes (trained ${run.trainSeconds.toFixed(0)} s${planning})`;
}

function summaryTable(result: DiffuserExperimentResult): string {
  const rows = result.methods.map((m) => [
    m.maze,
    m.name,
    String(m.seeds),
    `${fmtNumber(m.normalizedScore, 1)} ± ${Number.isFinite(m.scoreStandardError) ? fmtNumber(m.scoreStandardError, 1) : '-'}`,
    fmtNumber(m.scoreStd, 1),
    String(m.episodes),
    Number.isFinite(m.paperScore) ? fmtNumber(m.paperScore, 1) : '-',
  ]);
  return formatTable(['maze', 'method', 'seeds', 'score ± s.e. (seeds)', 'std (episodes)', 'episodes', 'paper'], rows);
}

/**
 * `bellman experiment diffuser-guided`: Diffuser's value-guided planning against IQL and CQL on a
 * medium dataset of a reward task (Pendulum-v1 by default), by mean return.
 */
export async function diffuserGuidedCommand(ctx: CommandContext, opts: ExperimentCliOptions, preset?: GuidedExperimentConfig): Promise<number> {
  const reporter = ctx.reporter(opts.json);
  const base = preset ?? (opts.quick ? GUIDED_QUICK : GUIDED_FULL);
  const tasks = opts.tasks === undefined ? base.tasks : parseChoiceList('--tasks', opts.tasks, Object.keys(GUIDED_TASKS) as GuidedTask[], 'task');
  const methods = opts.methods === undefined ? base.methods : parseChoiceList('--methods', opts.methods, GUIDED_METHODS, 'method');
  const seeds = parseSeeds('--seeds', opts.seeds) ?? seedList(base.seeds);
  const trainSteps = parseOptionalInteger('--steps', opts.steps, { min: 1, max: 10_000_000 }) ?? base.diffuser.trainSteps;
  const updates = parseOptionalInteger('--updates', opts.updates, { min: 1, max: 10_000_000 }) ?? base.baselines.updates;
  const backend = parseBackend(opts.backend);
  const outDir = resolvePath(ctx.io.cwd, opts.out ?? (opts.quick ? 'runs/experiment-diffuser-guided-quick' : 'runs/experiment-diffuser-guided'));
  checkOutputDirectory(opts.out ?? outDir, '--out', { cwd: ctx.io.cwd });
  rejectOptions(opts, ['maze', 'probeEvery', 'cqlUpdates', 'gamma', 'criticLayers', 'targetUpdateInterval', 'cqlHidden', 'cqlAlpha', 'data', 'only', 'cqlDataset'], 'is not an option of diffuser-guided');
  rejectOptions(opts, ['task', 'epochs', 'hidden'], 'is an option of the coms experiment');
  const config: GuidedExperimentConfig = { ...base, tasks, methods, seeds: seedsSetting(seeds), diffuser: { ...base.diffuser, trainSteps }, baselines: { ...base.baselines, updates } };
  await ctx.backend(backend);
  await ctx.announceBackend();
  const d = config.diffuser;
  reporter.say(`Value-guided Diffuser${opts.quick ? ' (quick)' : ''}: ${tasks.join(', ')}; ${methods.join(', ')}; seeds ${describeSeeds(seeds)}; ${config.episodes} episodes per seed`);
  reporter.say(
    `  Diffuser: H ${d.horizon}, T ${d.diffusionSteps}, dim ${d.dim}, mults (${d.dimMults.join(', ')}), ${d.trainSteps} steps of batch ${d.batchSize}; ` +
      `${d.samples} guided plans per env step (scale ${d.scale}); IQL / CQL: ${config.baselines.updates} updates`,
  );
  const { runsDir, ...hooks } = cellRunHooks<GuidedRunResult>(reporter, outDir, { savedOnly: Boolean(opts.savedOnly), describe: guidedRunLine });
  const result = await runGuidedExperiment(config, hooks);
  if (result.runs.length === 0) throw new UsageError(`--saved-only: ${runsDir} holds no run with these settings`);
  mkdirSync(outDir, { recursive: true });
  const resultsPath = join(outDir, 'results.json');
  writeFileAtomic(resultsPath, `${JSON.stringify(result, null, 1)}\n`);
  const rows = result.methods.map((m) => [m.task, m.name, String(m.seeds), `${fmtNumber(m.returnMean, 1)} ± ${fmtNumber(m.returnStd, 1)}`, String(m.episodes)]);
  reporter.say('');
  reporter.say(formatTable(['task', 'method', 'seeds', 'return (mean ± std over episodes)', 'episodes'], rows));
  reporter.say('');
  reporter.say(`${result.wallSeconds.toFixed(1)}s; wrote ${resultsPath}`);
  if (opts.json) reporter.result({ methods: result.methods });
  return 0;
}

function guidedRunLine(run: GuidedRunResult): string {
  const mean = run.returns.reduce((s, v) => s + v, 0) / Math.max(1, run.returns.length);
  const planning = run.planSecondsPerStep === null ? '' : `, ${fmtNumber(run.planSecondsPerStep, 3)} s planning per step`;
  return `${run.method} ${run.task} seed ${run.seed}: return ${fmtNumber(mean, 1)} over ${run.returns.length} episodes (trained ${run.trainSeconds.toFixed(0)} s${planning})`;
}
