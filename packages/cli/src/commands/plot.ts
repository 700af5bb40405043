import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { resolvePath } from '../args.js';
import type { CommandContext } from '../context.js';
import { UsageError } from '../errors.js';
import { plotMetrics } from '../plot.js';

/** The algo and env a run's config.json (written by `bellman train`) names, when it has one. */
function runConfig(metricsPath: string): { algo?: string; env?: string } {
  const path = join(dirname(metricsPath), 'config.json');
  if (!existsSync(path)) return {};
  try {
    const config = JSON.parse(readFileSync(path, 'utf8')) as { algo?: unknown; env?: unknown };
    return { ...(typeof config.algo === 'string' ? { algo: config.algo } : {}), ...(typeof config.env === 'string' ? { env: config.env } : {}) };
  } catch {
    // an unreadable config only costs the title
    return {};
  }
}

/** The title `bellman train` gives one run ("bc on CartPole-v1"), or the env several runs share. */
function defaultTitle(metricsPaths: readonly string[]): string | undefined {
  const configs = metricsPaths.map(runConfig);
  const envs = new Set(configs.map((c) => c.env));
  const env = envs.size === 1 ? [...envs][0] : undefined;
  if (!env) return undefined;
  if (configs.length === 1 && configs[0]!.algo) return `${configs[0]!.algo} on ${env}`;
  return `Learning curves on ${env}`;
}

/**
 * `bellman plot <run-dir...>`: learning and loss curves of the runs, overlaid. By default it writes
 * `<first run>/plot.*`: the `curve.*` beside it are what `bellman train` drew (with the dataset's
 * mean return, which a run directory does not record), and stay as they are.
 */
export async function plotCommand(ctx: CommandContext, runs: readonly string[], opts: { out?: string; title?: string }): Promise<number> {
  const reporter = ctx.reporter();
  const files = runs.map((run) => {
    const path = resolvePath(ctx.io.cwd, run);
    if (!existsSync(path)) throw new UsageError(`run directory ${run} does not exist`);
    if (statSync(path).isDirectory()) {
      const metrics = join(path, 'metrics.jsonl');
      if (!existsSync(metrics)) throw new UsageError(`${run} has no metrics.jsonl (is it a run directory written by \`bellman train\`?)`);
      return metrics;
    }
    return path;
  });
  const first = runs[0]!;
  const firstPath = resolvePath(ctx.io.cwd, first);
  const prefix = opts.out ? resolvePath(ctx.io.cwd, opts.out) : statSync(firstPath).isDirectory() ? join(firstPath, 'plot') : firstPath.replace(/\.jsonl$/, '') + '-curve';
  const title = opts.title ?? defaultTitle(files);
  const written = await plotMetrics(files, prefix, title === undefined ? {} : { title });
  for (const f of written) reporter.say(`wrote ${f}`);
  return 0;
}
