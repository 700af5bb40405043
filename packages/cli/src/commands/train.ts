import { parseBackend, parseConfigOption, parseInteger, parseOptionalInteger, resolvePath } from '../args.js';
import type { CommandContext } from '../context.js';
import type { TrainCliOptions } from '../program.js';
import { SIGNAL_EXIT_CODES } from '@bellman/training/node';
import { resumeCommand } from '../interrupt.js';
import { fmtNumber } from '../table.js';
import { trainRun, type TrainRunResult } from '../training.js';

/** `bellman train <algo> --env ID --dataset RECIPE|PATH --steps N ...`. */
export async function trainCommand(ctx: CommandContext, algo: string, opts: TrainCliOptions): Promise<number> {
  const reporter = ctx.reporter(opts.json);
  // Every option is checked before any work starts.
  const steps = parseInteger('--steps', opts.steps, { min: 1 });
  const seed = parseInteger('--seed', opts.seed ?? '0', { min: 0 });
  const evalEvery = parseOptionalInteger('--eval-every', opts.evalEvery, { min: 0 });
  const evalEpisodes = parseInteger('--eval-episodes', opts.evalEpisodes ?? '10', { min: 1 });
  const batchSize = parseOptionalInteger('--batch-size', opts.batchSize, { min: 1 });
  const checkpointEvery = parseOptionalInteger('--checkpoint-every', opts.checkpointEvery, { min: 0 });
  const online = {
    warmupSteps: parseOptionalInteger('--warmup-steps', opts.warmupSteps, { min: 0 }),
    updateEvery: parseOptionalInteger('--update-every', opts.updateEvery, { min: 1 }),
    gradientSteps: parseOptionalInteger('--gradient-steps', opts.gradientSteps, { min: 1 }),
    bufferCapacity: parseOptionalInteger('--buffer-size', opts.bufferSize, { min: 1 }),
  };
  const backend = parseBackend(opts.backend);
  const config = parseConfigOption(opts.config, ctx.io.cwd);
  const envId = opts.env!;
  const outDir = resolvePath(ctx.io.cwd, opts.out ?? `runs/${algo}-${envId}`);

  const result = await trainRun(ctx, reporter, {
    algo,
    envId,
    dataset: opts.dataset,
    steps,
    seed,
    outDir,
    config,
    evalEvery,
    evalEpisodes,
    batchSize,
    backend,
    online: Boolean(opts.online),
    onlineOptions: online,
    resume: Boolean(opts.resume),
    dataDir: opts.dataDir,
    checkpointEvery,
    outArg: opts.out,
    resumeCommand: resumeCommand(ctx.argv),
  });
  if (result.interrupted) return SIGNAL_EXIT_CODES[result.interrupted];
  reporter.say(summaryLine(result));
  reporter.say(`wrote ${result.out.dir}/{metrics.jsonl,metrics.csv,checkpoint.json,best-checkpoint.json,config.json,curve.svg,curve.png}`);
  if (opts.json) reporter.result(result);
  return 0;
}

export function summaryLine(r: TrainRunResult): string {
  const evalText = r.evalReturnMean === null ? 'no evaluation' : `eval return ${fmtNumber(r.evalReturnMean)} ± ${fmtNumber(r.evalReturnStd ?? Number.NaN)} over ${r.evalEpisodes} episodes`;
  const data = r.datasetReturnMean === null ? '' : ` (dataset mean return ${fmtNumber(r.datasetReturnMean)})`;
  return `${r.algo} on ${r.env}: ${evalText} after ${r.steps} steps${data}, ${r.wallSeconds.toFixed(1)}s`;
}
