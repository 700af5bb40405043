import { listRecipes, makeRecipeAsync, recipeInfo, type OfflineDataset } from '@bellman/datasets';
import { loadRecipe, recipeCachePath, writeMinari } from '@bellman/datasets/node';
import type { DesignSpace } from '@bellman/mbo';
import { parseOptionalInteger, resolvePath } from '../args.js';
import type { CommandContext } from '../context.js';
import { checkRecipeName, resolveDataset, resolveDesignDataset, type ResolvedDataset, type ResolvedDesignDataset } from '../datasets.js';
import type { Reporter } from '../io.js';
import { checkOutputDirectory, checkOutputFile } from '../paths.js';
import { formatTable, fmtNumber, shortSpace } from '../table.js';

/** `bellman dataset list`: the built-in recipes. */
export async function datasetListCommand(ctx: CommandContext, opts: { json?: boolean }): Promise<number> {
  const reporter = ctx.reporter(opts.json);
  const recipes = listRecipes();
  if (opts.json) {
    reporter.result(recipes);
    return 0;
  }
  reporter.say(formatTable(['recipe', 'env', 'transitions', 'description'], recipes.map((r) => [r.name, r.envId, `≥${r.minTransitions}`, r.description])));
  return 0;
}

/** `bellman dataset make <recipe>`: generate (deterministic for the seed) and write Minari HDF5. */
export async function datasetMakeCommand(
  ctx: CommandContext,
  recipe: string,
  opts: { out?: string; seed?: string; dataDir?: string; json?: boolean },
): Promise<number> {
  const reporter = ctx.reporter(opts.json);
  checkRecipeName(recipe);
  const seed = parseOptionalInteger('--seed', opts.seed, { min: 0 });
  const seedOption = seed === undefined ? {} : { seed };
  // Generation can take a while: a --out (or cache directory) that cannot be written fails first.
  if (opts.out !== undefined) checkOutputFile(opts.out, '--out', { cwd: ctx.io.cwd });
  else if (opts.dataDir !== undefined) checkOutputDirectory(opts.dataDir, '--data-dir', { cwd: ctx.io.cwd });
  else checkOutputDirectory(ctx.dataDir(), ctx.io.env.BELLMAN_DATA_DIR?.trim() ? 'BELLMAN_DATA_DIR' : 'the recipe cache', { cwd: ctx.io.cwd });
  const started = Date.now();
  let out: string;
  let dataset: OfflineDataset;
  reporter.say(`generating ${recipe}${seed === undefined ? '' : ` with seed ${seed}`} ...`);
  if (opts.out !== undefined) {
    out = resolvePath(ctx.io.cwd, opts.out);
    dataset = await makeRecipeAsync(recipe, seedOption);
    await writeMinari(out, dataset, { datasetId: recipe, envId: recipeInfo(recipe).envId });
  } else {
    // Without --out the dataset goes to the recipe cache, where `train --dataset <recipe>` finds it.
    const cacheDir = ctx.dataDir(opts.dataDir);
    out = recipeCachePath(recipe, { ...seedOption, cacheDir });
    dataset = await loadRecipe(recipe, { ...seedOption, cacheDir, refresh: true });
  }
  const stats = dataset.statistics();
  reporter.say(
    `wrote ${out}: ${stats.transitions} transitions, ${stats.episodes} episodes, return ${fmtNumber(stats.returnMean)} ± ${fmtNumber(stats.returnStd)} (${((Date.now() - started) / 1000).toFixed(1)}s)`,
  );
  if (opts.json) {
    reporter.result({ recipe, seed: seed ?? recipeInfo(recipe).defaultSeed, path: out, format: 'minari', transitions: stats.transitions, episodes: stats.episodes, returnMean: stats.returnMean, returnStd: stats.returnStd });
  }
  return 0;
}

/** The JSON that `bellman dataset info --json` prints. */
export function datasetInfo(resolved: ResolvedDataset): Record<string, unknown> {
  const { dataset } = resolved;
  const stats = dataset.statistics();
  return {
    source: resolved.source,
    format: resolved.format,
    transitions: stats.transitions,
    episodes: stats.episodes,
    observationShape: [...dataset.observationSpace.shape],
    observationSpace: dataset.observationSpace.toJSON(),
    actionSpace: dataset.actionSpace.toJSON(),
    rewardSum: stats.rewardSum,
    rewardMean: stats.rewardMean,
    rewardStd: stats.rewardStd,
    returnMean: stats.returnMean,
    returnStd: stats.returnStd,
    returnMin: stats.returnMin,
    returnMax: stats.returnMax,
    terminals: stats.terminals,
    timeouts: stats.timeouts,
    metadata: dataset.metadata,
  };
}

/** `bellman dataset info <path|recipe>`. */
export async function datasetInfoCommand(ctx: CommandContext, target: string, opts: { json?: boolean; dataDir?: string }): Promise<number> {
  const reporter = ctx.reporter(opts.json);
  // A design-task file holds designs and scores, not transitions: described by its own fields.
  const design = await resolveDesignDataset(ctx, target);
  if (design) return designInfo(reporter, design, opts);
  const resolved = await resolveDataset(ctx, target, reporter, opts);
  const info = datasetInfo(resolved);
  if (opts.json) {
    reporter.result(info);
    return 0;
  }
  const stats = resolved.dataset.statistics();
  const rows: [string, string][] = [
    ['source', resolved.source],
    ['format', resolved.format],
    ['transitions', String(stats.transitions)],
    ['episodes', String(stats.episodes)],
    ['observations', shortSpace(resolved.dataset.observationSpace)],
    ['actions', shortSpace(resolved.dataset.actionSpace)],
    ['return', `${fmtNumber(stats.returnMean)} ± ${fmtNumber(stats.returnStd)} (min ${fmtNumber(stats.returnMin)}, max ${fmtNumber(stats.returnMax)})`],
    ['reward sum', fmtNumber(stats.rewardSum)],
    ['terminals / timeouts', `${stats.terminals} / ${stats.timeouts}`],
  ];
  const width = Math.max(...rows.map(([k]) => k.length));
  for (const [k, v] of rows) reporter.say(`${k.padEnd(width)}  ${v}`);
  return 0;
}

/** The JSON that `bellman dataset info --json` prints for a design-task file. */
export async function designDatasetInfo(resolved: ResolvedDesignDataset): Promise<Record<string, unknown>> {
  const { task } = resolved;
  const { DESIGN_TASK_IDS } = await import('@bellman/mbo/node');
  let sum = 0;
  for (const v of task.full.y) sum += v;
  return {
    source: resolved.source,
    format: 'design-task',
    task: task.id,
    space: task.space,
    ...(task.seed === undefined ? {} : { seed: task.seed }),
    designs: task.full.count,
    trainingDesigns: task.train.count,
    maxPercentile: task.split.maxPercentile,
    threshold: task.split.threshold,
    yMin: task.yMin,
    yMax: task.yMax,
    yMean: sum / task.full.count,
    // Whether `loadDesignTask` can score new designs: only built-in tasks bring an oracle.
    oracle: DESIGN_TASK_IDS.includes(task.id),
  };
}

function describeDesignSpace(space: DesignSpace): string {
  return space.kind === 'continuous' ? `continuous, ${space.dim} reals` : `discrete, ${space.length} positions of ${space.classes} classes`;
}

async function designInfo(reporter: Reporter, resolved: ResolvedDesignDataset, opts: { json?: boolean }): Promise<number> {
  const info = await designDatasetInfo(resolved);
  if (opts.json) {
    reporter.result(info);
    return 0;
  }
  const { task } = resolved;
  const rows: [string, string][] = [
    ['source', resolved.source],
    ['format', 'design-task'],
    ['task', task.id],
    ['space', describeDesignSpace(task.space)],
    ...(task.seed === undefined ? [] : [['seed', String(task.seed)] as [string, string]]),
    ['designs', String(task.full.count)],
    ['training designs', `${task.train.count} (y at or below the ${task.split.maxPercentile}th percentile)`],
    ['threshold', String(task.split.threshold)],
    ['y', `mean ${fmtNumber(info.yMean as number, 4)} (min ${task.yMin}, max ${task.yMax})`],
    ['oracle', info.oracle ? 'built in' : `none ("${task.id}" is not a built-in design task)`],
  ];
  const width = Math.max(...rows.map(([k]) => k.length));
  for (const [k, v] of rows) reporter.say(`${k.padEnd(width)}  ${v}`);
  return 0;
}
