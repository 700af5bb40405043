import { join } from 'node:path';
import { parseBackend, parseInteger, parseOptionalInteger, resolvePath } from '../args.js';
import type { CommandContext } from '../context.js';
import { QUICKSTART_ALGOS, QUICKSTART_DATASET, QUICKSTART_ENV } from '../defaults.js';
import { plotMetrics } from '../plot.js';
import { formatTable, fmtNumber } from '../table.js';
import { SIGNAL_EXIT_CODES } from '@bellman/training/node';
import { trainRun, type TrainRunResult } from '../training.js';
import { summaryLine } from './train.js';

/** Gradient steps per algorithm: the whole quickstart stays within a few minutes on 2 cores. */
export const QUICKSTART_STEPS = 2000;
const QUICKSTART_EVAL_EPISODES = 10;
/** Evaluations per algorithm during training (plus the final one): the points of the learning curve. */
const QUICKSTART_EVALUATIONS = 5;

/**
 * `bellman quickstart`: CartPole-v1 end to end. Builds (or reads from the cache) the
 * cartpole-mixed-v0 dataset, trains each algorithm of QUICKSTART_ALGOS offline, prints a results
 * table and writes a learning-curve plot and per-algorithm checkpoints under the output directory.
 */
export async function quickstartCommand(
  ctx: CommandContext,
  opts: { steps?: string; out?: string; seed?: string; backend?: string; dataDir?: string },
): Promise<number> {
  const reporter = ctx.reporter();
  const steps = parseOptionalInteger('--steps', opts.steps, { min: 1 }) ?? QUICKSTART_STEPS;
  const seed = parseInteger('--seed', opts.seed ?? '0', { min: 0 });
  const backend = parseBackend(opts.backend);
  const outDir = resolvePath(ctx.io.cwd, opts.out ?? 'runs/quickstart');
  reporter.say(`Bellman quickstart: offline RL on ${QUICKSTART_ENV} from the ${QUICKSTART_DATASET} dataset (${QUICKSTART_ALGOS.join(', ')}; ${steps} steps each)`);

  const results: TrainRunResult[] = [];
  for (const algo of QUICKSTART_ALGOS) {
    const result = await trainRun(ctx, reporter, {
      algo,
      envId: QUICKSTART_ENV,
      dataset: QUICKSTART_DATASET,
      steps,
      seed,
      outDir: join(outDir, algo),
      config: {},
      evalEpisodes: QUICKSTART_EVAL_EPISODES,
      evalEvery: Math.max(1, Math.ceil(steps / QUICKSTART_EVALUATIONS)),
      backend,
      online: false,
      resume: false,
      dataDir: opts.dataDir,
    });
    if (result.interrupted) return SIGNAL_EXIT_CODES[result.interrupted];
    reporter.say(summaryLine(result));
    results.push(result);
  }

  const datasetReturn = results[0]?.datasetReturnMean ?? null;
  const plots = await plotMetrics(
    results.map((r) => ({ path: r.out.metrics, label: r.algo })),
    join(outDir, 'curve'),
    {
      title: `Offline RL on ${QUICKSTART_ENV} (${QUICKSTART_DATASET})`,
      referenceLines: datasetReturn === null ? [] : [{ label: 'dataset mean return', value: datasetReturn }],
    },
  );

  reporter.say('');
  reporter.say(
    formatTable(
      ['algo', 'steps', 'eval return (mean ± std)', 'dataset mean return', 'wall time'],
      results.map((r) => [
        r.algo,
        String(r.steps),
        r.evalReturnMean === null ? '-' : `${fmtNumber(r.evalReturnMean, 1)} ± ${fmtNumber(r.evalReturnStd ?? Number.NaN, 1)}`,
        r.datasetReturnMean === null ? '-' : fmtNumber(r.datasetReturnMean, 1),
        `${r.wallSeconds.toFixed(1)}s`,
      ]),
    ),
  );
  reporter.say('');
  reporter.say(`learning curves: ${plots.filter((p) => p.endsWith('.png') || p.endsWith('.svg')).join(', ')}`);
  reporter.say(`checkpoints: ${results.map((r) => r.out.checkpoint).join(', ')}`);
  reporter.say(`evaluate one again with: bellman eval ${results[0] ? results[0].out.checkpoint : '<checkpoint>'} --episodes 20`);
  return 0;
}
