import { listRecipes, type OfflineDataset } from '@bellman/datasets';
import type { DesignTask } from '@bellman/mbo';
import { loadRecipe, readDataset, recipeCachePath } from '@bellman/datasets/node';
import { closestMatches } from '@bellman/core';
import { existsSync } from 'node:fs';
import { isFile, looksLikePath, resolvePath } from './args.js';
import type { CommandContext } from './context.js';
import { UsageError, fromUserInputAsync } from './errors.js';
import type { Reporter } from './io.js';

export type DatasetFormat = 'd4rl' | 'minari' | 'bellman';

/** A design-task file (offline model-based optimisation: designs and their scores), loaded. */
export interface ResolvedDesignDataset {
  task: DesignTask;
  /** The file's absolute path. */
  source: string;
}

export interface ResolvedDataset {
  dataset: OfflineDataset;
  /** 'bellman' for a recipe, else the file's layout. */
  format: DatasetFormat;
  /** The recipe name, or the file's absolute path. */
  source: string;
  recipe?: string;
}

/** Throws a UsageError naming the closest recipes when `name` is not one. */
export function checkRecipeName(name: string): void {
  const names = listRecipes().map((r) => r.name);
  if (names.includes(name)) return;
  const close = closestMatches(name, names, 3);
  const hint = close.length > 0 ? `; did you mean ${close.map((c) => `"${c}"`).join(' or ')}?` : '';
  throw new UsageError(`"${name}" is neither a dataset file nor a recipe${hint} (\`bellman dataset list\` shows the recipes)`);
}

/**
 * A dataset named on the command line: an existing HDF5 file (D4RL or Minari layout), a Minari
 * dataset directory, or a recipe
 * name (generated once, then read from the cache). A missing file or a malformed one is a usage error.
 */
export async function resolveDataset(ctx: CommandContext, target: string, reporter: Reporter, options: { dataDir?: string } = {}): Promise<ResolvedDataset> {
  const path = resolvePath(ctx.io.cwd, target);
  if (existsSync(path)) {
    const { dataset, format } = await fromUserInputAsync(() => readTransitions(path, target), `dataset ${target}`);
    return { dataset, format, source: path };
  }
  if (looksLikePath(target)) throw new UsageError(`dataset file ${target} does not exist`);
  checkRecipeName(target);
  const dataDir = ctx.dataDir(options.dataDir);
  const started = Date.now();
  if (!existsSync(recipeCachePath(target, { cacheDir: dataDir }))) reporter.say(`generating dataset ${target} (first use; cached in ${dataDir}) ...`);
  const dataset = await loadRecipe(target, { cacheDir: dataDir });
  const seconds = (Date.now() - started) / 1000;
  if (seconds > 0.5) reporter.say(`dataset ${target}: ${dataset.size} transitions in ${dataset.numEpisodes} episodes (${seconds.toFixed(1)}s)`);
  return { dataset, format: 'bellman', source: target, recipe: target };
}

/** A D4RL or Minari file; a design-task file is named as such instead of as a malformed transition file. */
async function readTransitions(path: string, target: string): ReturnType<typeof readDataset> {
  try {
    return await readDataset(path);
  } catch (err) {
    const { isDesignDataset } = await import('@bellman/mbo/node');
    if (isFile(path) && (await isDesignDataset(path))) {
      throw new UsageError(`dataset ${target} is a design-task file (designs and scores for offline model-based optimisation), not a dataset of transitions; \`bellman dataset info ${target}\` describes it`);
    }
    throw err;
  }
}

/**
 * The design-task file that `target` names, loaded (the split recomputed, the stored summaries
 * checked); null when `target` is not an existing HDF5 file marked as one. A marked file that
 * does not load is a usage error naming the file and the key.
 */
export async function resolveDesignDataset(ctx: CommandContext, target: string): Promise<ResolvedDesignDataset | null> {
  const path = resolvePath(ctx.io.cwd, target);
  if (!isFile(path)) return null;
  // Imported when needed: most commands never touch @bellman/mbo.
  const { isDesignDataset, loadDesignTask } = await import('@bellman/mbo/node');
  if (!(await isDesignDataset(path))) return null;
  const task = await fromUserInputAsync(() => loadDesignTask(path), `dataset ${target}`);
  return { task, source: path };
}
