import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '@bellman/core/node';
import { seedList } from '@bellman/training';
import { describeSeeds, parseBackend, parseChoiceList, parseOptionalInteger, parseSeeds, rejectOptions, resolvePath, seedsSetting } from '../args.js';
import type { CommandContext } from '../context.js';
import { UsageError } from '../errors.js';
import { MURAL_FULL, MURAL_MAZES, MURAL_METHODS, MURAL_QUICK, muralRunCount, runMuralExperiment, type MuralExperimentConfig, type MuralExperimentResult, type MuralMaze, type MuralRunResult } from '../experiments/mural.js';
import { writeMuralPlots } from '../experiments/mural-plots.js';
import { NML_COMPARE_FULL, NML_COMPARE_QUICK, runNmlCompare, type NmlCompareConfig } from '../experiments/nml-compare.js';
import { svgToPng } from '../plot.js';
import { cellRunHooks } from '../experiments/saved-runs.js';
import { checkOutputDirectory } from '../paths.js';
import { fmtNumber, formatTable } from '../table.js';
import type { ExperimentCliOptions } from './experiment.js';

/**
 * `bellman experiment mural`: SAC on the point mazes with sparse reward, a count bonus, VICE and
 * meta-NML. Every option is checked before anything is trained or written. `preset` replaces
 * the built-in configs (tests use a tiny one).
 */
export async function muralCommand(ctx: CommandContext, opts: ExperimentCliOptions, preset?: MuralExperimentConfig): Promise<number> {
  const reporter = ctx.reporter(opts.json);
  const base = preset ?? (opts.quick ? MURAL_QUICK : MURAL_FULL);
  const mazes = opts.maze === undefined ? base.mazes : parseChoiceList('--maze', opts.maze, Object.keys(MURAL_MAZES) as MuralMaze[], 'maze');
  const methods = opts.methods === undefined ? base.methods : parseChoiceList('--methods', opts.methods, MURAL_METHODS, 'method');
  const seeds = parseSeeds('--seeds', opts.seeds) ?? seedList(base.seeds);
  const steps = parseOptionalInteger('--steps', opts.steps, { min: 100, max: 10_000_000 }) ?? base.steps;
  const evalEvery = Math.min(base.evalEvery, steps);
  const backend = parseBackend(opts.backend);
  const outDir = resolvePath(ctx.io.cwd, opts.out ?? (opts.quick ? 'runs/experiment-mural-quick' : 'runs/experiment-mural'));
  checkOutputDirectory(opts.out ?? outDir, '--out', { cwd: ctx.io.cwd });
  rejectOptions(opts, ['updates', 'probeEvery', 'cqlUpdates', 'tasks', 'gamma', 'criticLayers', 'targetUpdateInterval', 'cqlHidden', 'cqlAlpha', 'data', 'only', 'cqlDataset'], 'is an option of the dr3 experiment, not of mural');
  rejectOptions(opts, ['task', 'epochs', 'hidden'], 'is an option of the coms experiment');
  const config: MuralExperimentConfig = {
    ...base,
    mazes,
    methods,
    seeds: seedsSetting(seeds),
    steps,
    evalEvery,
    heatmapSteps: base.heatmapSteps.filter((s) => s < steps),
  };
  await ctx.backend(backend);
  await ctx.announceBackend();

  reporter.say(`MURAL experiment${opts.quick ? ' (quick)' : ''}: ${muralRunCount(config)} runs of ${steps} env steps (${mazes.join(', ')}; ${methods.join(', ')}; seeds ${describeSeeds(seeds)})`);
  reporter.say(
    `  SAC [${config.sac.hiddenSizes.join(', ')}], lr ${config.sac.learningRate}, batch ${config.sac.batchSize}, ${config.sac.warmupSteps} warm-up steps; ` +
      `greedy evaluation every ${evalEvery} steps; ${config.examples} success examples`,
  );
  const { runsDir, ...hooks } = cellRunHooks<MuralRunResult>(reporter, outDir, { savedOnly: Boolean(opts.savedOnly), describe: runLine });
  const result = await runMuralExperiment(config, { ...hooks });
  if (result.runs.length === 0) throw new UsageError(`--saved-only: ${runsDir} holds no run with these settings`);

  mkdirSync(outDir, { recursive: true });
  const resultsPath = join(outDir, 'results.json');
  // the heat maps are written as files; results.json keeps everything else
  const stored = { ...result, runs: result.runs.map((r) => ({ ...r, heatmaps: r.heatmaps.map((h) => ({ step: h.step })) })) };
  writeFileAtomic(resultsPath, `${JSON.stringify(stored, null, 1)}\n`);
  const plots = await writeMuralPlots(result, outDir);
  reporter.say('');
  reporter.say(summaryTable(result));
  reporter.say('');
  reporter.say(`${result.wallSeconds.toFixed(1)}s; wrote ${resultsPath}`);
  reporter.say(`plots: ${plots.filter((p) => !p.includes('heatmaps')).join(', ')}; ${plots.filter((p) => p.includes('heatmaps')).length / 2} heat maps under ${join(outDir, 'heatmaps')}`);
  if (opts.json) {
    reporter.result({
      methods: result.methods.map((m) => ({ name: m.name, maze: m.maze, successRate: m.successRate, finalDistance: m.finalDistance, envSteps: m.envSteps })),
      rewardProbe: result.rewardProbe,
    });
  }
  return 0;
}

function runLine(run: MuralRunResult): string {
  const last = run.evaluations[run.evaluations.length - 1];
  const outcome = last ? `${last.success ? 'success' : 'no success'} at the end, maze distance ${fmtNumber(last.mazeDistance, 2)}` : 'not evaluated';
  const first = run.firstSuccessStep === null ? 'never reached the goal' : `first success at step ${run.firstSuccessStep}`;
  return `${run.method} ${run.maze} seed ${run.seed}: ${outcome}; ${first} (${run.wallSeconds.toFixed(0)}s)`;
}

function summaryTable(result: MuralExperimentResult): string {
  const rows = result.methods.map((m) => [
    m.maze,
    m.name,
    String(m.seeds),
    fmtNumber(m.successRate, 2),
    fmtNumber(m.finalDistance, 2),
    m.firstSuccessSteps.map((s) => (s === null ? '-' : String(s))).join(' '),
    m.rewardProbe ? `${fmtNumber(m.rewardProbe.atExamples, 2)} / ${fmtNumber(m.rewardProbe.atVisited, 2)} / ${fmtNumber(m.rewardProbe.atUnvisited, 2)}` : '-',
  ]);
  return formatTable(['maze', 'reward', 'seeds', 'success', 'maze distance', 'first success (per seed)', 'reward at examples / visited / unvisited'], rows);
}

/**
 * `bellman experiment mural-cnml`: meta-NML against exact CNML on one labelled set from the
 * zigzag maze, over a grid of queries; times each per query in this one run.
 */
export async function muralCnmlCommand(ctx: CommandContext, opts: ExperimentCliOptions, preset?: NmlCompareConfig): Promise<number> {
  const reporter = ctx.reporter(opts.json);
  const config = preset ?? (opts.quick ? NML_COMPARE_QUICK : NML_COMPARE_FULL);
  const backend = parseBackend(opts.backend);
  const outDir = resolvePath(ctx.io.cwd, opts.out ?? (opts.quick ? 'runs/experiment-mural-cnml-quick' : 'runs/experiment-mural-cnml'));
  checkOutputDirectory(opts.out ?? outDir, '--out', { cwd: ctx.io.cwd });
  rejectOptions(opts, ['seeds', 'steps', 'maze', 'methods', 'savedOnly'], 'is not an option of mural-cnml (it compares the two rewards on one labelled set)');
  rejectOptions(opts, ['task', 'epochs', 'hidden'], 'is an option of the coms experiment');
  await ctx.backend(backend);
  await ctx.announceBackend();
  reporter.say(
    `meta-NML vs exact CNML on the zigzag maze: ${config.negatives} visited states (${config.episodes} random episodes) + ${config.positives} success examples; ` +
      `a ${config.resolution} x ${config.resolution} grid of queries`,
  );
  const result = await runNmlCompare(config, (text) => reporter.say(`  ${text}`));
  mkdirSync(outDir, { recursive: true });
  const { heatmap, ...numbers } = result;
  writeFileAtomic(join(outDir, 'results.json'), `${JSON.stringify(numbers, null, 1)}\n`);
  writeFileAtomic(join(outDir, 'rewards.svg'), heatmap);
  writeFileAtomic(join(outDir, 'rewards.png'), await svgToPng(heatmap));
  reporter.say('');
  reporter.say(
    `${result.queries} queries: correlation ${fmtNumber(result.correlation, 3)}, mean |difference| ${fmtNumber(result.meanAbsoluteDifference, 3)}; ` +
      `per query: meta-NML ${fmtNumber(result.msPerQuery.metaNml, 3)} ms, CNML ${fmtNumber(result.msPerQuery.cnml, 1)} ms (${fmtNumber(result.speedup, 0)}x)`,
  );
  reporter.say(`training: meta-NML ${result.trainingSeconds.metaNml.toFixed(1)} s, CNML's classifier ${result.trainingSeconds.cnml.toFixed(1)} s; wrote ${join(outDir, 'results.json')}, ${join(outDir, 'rewards.svg')} and .png`);
  if (opts.json) reporter.result({ queries: result.queries, correlation: result.correlation, meanAbsoluteDifference: result.meanAbsoluteDifference, msPerQuery: result.msPerQuery, speedup: result.speedup });
  return 0;
}
