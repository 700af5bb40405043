import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { resolvePath } from '../args.js';
import type { CommandContext } from '../context.js';
import { UsageError } from '../errors.js';
import { plotMetrics } from '../plot.js';

/** `bellman plot <run-dir...>`: learning and loss curves of the runs, overlaid. */
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
  const prefix = opts.out ? resolvePath(ctx.io.cwd, opts.out) : statSync(firstPath).isDirectory() ? join(firstPath, 'curve') : firstPath.replace(/\.jsonl$/, '') + '-curve';
  const written = await plotMetrics(files, prefix, { title: opts.title });
  for (const f of written) reporter.say(`wrote ${f}`);
  return 0;
}
