import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { closestMatches } from '@bellman/core';
import { writeFileAtomic } from '@bellman/core/node';
import { DESIGN_TASK_IDS } from '@bellman/mbo';
import { loadDesignTaskCached } from '@bellman/mbo/node';
import { seedList } from '@bellman/training';
import { describeSeeds, looksLikePath, parseBackend, parseChoiceList, parseHiddenSizes, parseOptionalInteger, parseSeeds, rejectOptions, resolvePath, seedsSetting } from '../args.js';
import { resolveDesignDataset } from '../datasets.js';
import type { CommandContext } from '../context.js';
import { UsageError } from '../errors.js';
import { COMS_FULL, COMS_METHODS, COMS_QUICK, runComsExperiment, type ComsExperimentConfig, type ComsExperimentResult, type ComsRunResult } from '../experiments/coms.js';
import { writeComsPlots } from '../experiments/coms-plots.js';
import { savedRunsStore } from '../experiments/saved-runs.js';
import { checkOutputDirectory } from '../paths.js';
import { startProgress, type Progress } from '../progress.js';
import { fmtNumber, formatTable } from '../table.js';
import type { ExperimentCliOptions } from './experiment.js';

/**
 * `bellman experiment coms --task <id>`: COMs, grad, grad-alpha0, CMA-ES and the dataset's best on
 * a design task. Every option is checked before anything is trained or written; finished runs are
 * saved under <out>/runs, so a stopped experiment goes on where it was.
 */
export async function comsCommand(ctx: CommandContext, opts: ExperimentCliOptions, preset?: ComsExperimentConfig): Promise<number> {
  const reporter = ctx.reporter(opts.json);
  const base = preset ?? (opts.quick ? COMS_QUICK : COMS_FULL);
  if (opts.task === undefined) throw new UsageError(`--task is required: a design task (${DESIGN_TASK_IDS.join(', ')}) or a design-task HDF5 file`);
  // a design-task file (`writeDesignDataset`) stands for its task: its data, the built-in oracle of its id
  const fromFile = await resolveDesignDataset(ctx, opts.task);
  if (!fromFile && !DESIGN_TASK_IDS.includes(opts.task)) {
    if (looksLikePath(opts.task)) throw new UsageError(`--task: design-task file ${opts.task} does not exist`);
    const close = closestMatches(opts.task, [...DESIGN_TASK_IDS], 2);
    throw new UsageError(`--task: unknown design task "${opts.task}"${close.length > 0 ? `; did you mean ${close.map((c) => `"${c}"`).join(' or ')}?` : ''} (available: ${DESIGN_TASK_IDS.join(', ')})`);
  }
  const methods = opts.methods === undefined ? base.methods : [...new Set(parseChoiceList('--methods', opts.methods, COMS_METHODS, 'method'))];
  const seeds = parseSeeds('--seeds', opts.seeds) ?? seedList(base.seeds);
  const epochs = parseOptionalInteger('--epochs', opts.epochs, { min: 1, max: 10_000 });
  const hiddenSizes = opts.hidden === undefined ? base.hiddenSizes : parseHiddenSizes('--hidden', opts.hidden);
  const backend = parseBackend(opts.backend);
  const outDir = resolvePath(ctx.io.cwd, opts.out ?? (opts.quick ? 'runs/experiment-coms-quick' : 'runs/experiment-coms'));
  checkOutputDirectory(opts.out ?? outDir, '--out', { cwd: ctx.io.cwd });
  rejectOptions(opts, ['updates', 'probeEvery', 'cqlUpdates', 'tasks', 'gamma', 'criticLayers', 'targetUpdateInterval', 'cqlHidden', 'cqlAlpha', 'data', 'only', 'cqlDataset', 'maze', 'steps', 'siteModel'], 'is not an option of the coms experiment');
  // --epochs scales both fits in the authors' ratio: COMs 50 to the plain model's 100
  const config: ComsExperimentConfig = {
    ...base,
    methods,
    seeds: seedsSetting(seeds),
    hiddenSizes,
    ...(epochs !== undefined ? { comsEpochs: epochs, plainEpochs: 2 * epochs } : {}),
  };
  await ctx.backend(backend);
  await ctx.announceBackend();

  // a built-in task is generated once and cached under --data-dir, as the dataset recipes are
  const loaded = fromFile ? undefined : await loadDesignTaskCached(opts.task, { ...(opts.dataDir === undefined ? {} : { dataDir: resolvePath(ctx.io.cwd, opts.dataDir) }) });
  const task = fromFile?.task ?? loaded!.task;
  if (loaded) reporter.say(`${loaded.cached ? 'read' : 'generated and cached'} ${task.id} at ${loaded.path}`);
  reporter.say(`COMs experiment${opts.quick ? ' (quick)' : ''} on ${task.id}: ${methods.join(', ')}; seeds ${describeSeeds(seeds)}`);
  reporter.say(
    `  ${task.train.count} training designs of ${task.full.count} (at or below the ${task.split.maxPercentile}th percentile); models [${(hiddenSizes ?? [2048, 2048]).join(', ')}]; ` +
      `COMs ${config.comsEpochs} epochs, plain model ${config.plainEpochs}; CMA-ES ${config.cmaGenerations} generations; ${config.count} designs each`,
  );
  const runsDir = join(outDir, 'runs');
  const result = await runComsExperiment(task, config, {
    store: savedRunsStore<ComsRunResult>(runsDir, (id) => reporter.say(`reusing ${id} from ${runsDir} (finished earlier with the same settings)`)),
    savedOnly: Boolean(opts.savedOnly),
    skipRun: (id) => reporter.say(`no saved run ${id} with these settings: left out (--saved-only)`),
    startRun: (label) => phasedProgress(reporter, label),
    finishRun: (run) => reporter.say(runLine(run)),
  });
  if (result.runs.length === 0) throw new UsageError(`--saved-only: ${runsDir} holds no run with these settings`);

  mkdirSync(outDir, { recursive: true });
  const resultsPath = join(outDir, `results-${task.id}.json`);
  writeFileAtomic(resultsPath, `${JSON.stringify(result, null, 1)}\n`);
  const plots = await writeComsPlots(result, outDir);
  reporter.say('');
  reporter.say(summaryTable(result));
  reporter.say('');
  reporter.say(`${result.wallSeconds.toFixed(1)}s; wrote ${resultsPath}`);
  if (plots.length > 0) reporter.say(`plots: ${plots.join(', ')}`);
  if (opts.json) reporter.result({ methods: result.methods.map((m) => ({ name: m.name, task: m.task, score100: m.score100, score50: m.score50, score100Std: m.score100Std, score50Std: m.score50Std, seeds: m.seeds })) });
  return 0;
}

/** One bar per phase of a run (the model's fit, then the search), labelled with the run. */
function phasedProgress(reporter: Parameters<typeof startProgress>[0], label: string) {
  let phase: string | undefined;
  let bar: Progress | undefined;
  return {
    update: (p: { phase: string; done: number; total: number; metrics?: Readonly<Record<string, number>> }) => {
      if (p.phase !== phase) {
        bar?.stop();
        phase = p.phase;
        bar = startProgress(reporter, `${label} ${p.phase}`, p.total);
      }
      const detail = p.metrics ? Object.entries(p.metrics).map(([k, v]) => `${k} ${fmtNumber(v, 3)}`).join(', ') : undefined;
      bar!.update(p.done, detail);
    },
    stop: () => bar?.stop(),
  };
}

function runLine(run: ComsRunResult): string {
  return `${run.method} seed ${run.seed}: score100 ${fmtNumber(run.score100, 3)}, score50 ${fmtNumber(run.score50, 3)} (${run.wallSeconds.toFixed(0)}s)`;
}

function summaryTable(result: ComsExperimentResult): string {
  const rows = result.methods.map((m) => [m.name, String(m.seeds), `${fmtNumber(m.score100, 3)} ± ${fmtNumber(m.score100Std, 3)}`, `${fmtNumber(m.score50, 3)} ± ${fmtNumber(m.score50Std, 3)}`]);
  return `${formatTable(['method', 'seeds', '100th percentile', '50th percentile'], rows)}\n(normalised scores; the training set's best is ${fmtNumber(result.trainBest, 3)})`;
}
