/**
 * `bellman sweep run | worker | report`: a grid of `bellman train` or `bellman experiment` runs
 * from a spec file, on a local pool of processes, in this process, or as BullMQ jobs for workers
 * on any number of machines, and one report of the finished cells.
 */
import { existsSync, readFileSync, rmSync, statSync } from 'node:fs';
import { basename, dirname, extname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  PLAN_FILE,
  SweepFolder,
  checkRedisUrl,
  parseSweepText,
  processCellRunner,
  reportTable,
  runQueueWorker,
  runSweepOnQueue,
  runSweepPool,
  shortHash,
  summarizeSweep,
  sweepCells,
  validateSweepSpec,
  workerName,
  type CellRunner,
  type CommandSchema,
  type SweepCell,
  type SweepCounts,
  type SweepEvent,
  type SweepReport,
  type SweepSpec,
  type SweepSummary,
} from '@bellman/sweep';
import { SIGNAL_EXIT_CODES, watchInterrupts } from '@bellman/training/node';
import { parseInteger, parseOptionalInteger, resolvePath } from '../args.js';
import type { CommandContext } from '../context.js';
import { EXIT_FAILURE, EXIT_OK, UsageError } from '../errors.js';
import type { Reporter } from '../io.js';
import { startProgress } from '../progress.js';
import { formatTable } from '../table.js';
import { checkAlgorithm } from '../training.js';
import { commandOptionNames } from '../program.js';
import { sweepCurvesSpec, sweepMetricSpec } from '../sweep-plots.js';
import { writePlot } from '../plot.js';
import { EXPERIMENTS } from './experiment.js';

export interface SweepRunCliOptions {
  out?: string;
  workers?: string;
  inProcess?: boolean;
  queue?: string;
  queueName?: string;
  json?: boolean;
}

export interface SweepWorkerCliOptions {
  queue?: string;
  queueName?: string;
  concurrency?: string;
  lockSeconds?: string;
}

export interface SweepReportCliOptions {
  out?: string;
  metric?: string;
  rows?: string;
  columns?: string;
  markdown?: boolean;
  json?: boolean;
}

/** Flags of a cell that the sweep sets itself. */
const RESERVED = {
  out: "each cell's run folder is <sweep out>/cells/<cell id>; give the sweep's own out instead",
  json: "the sweep reads each cell's JSON result line",
  resume: 'a cell resumes from its checkpoint by itself',
};

/** Result keys that differ between two runs of one cell (time, paths), kept out of result.json. */
const VOLATILE_RESULT_KEYS = ['wallSeconds', 'out', 'interrupted'];

/** The schema of `bellman train` and of each `bellman experiment <name>`. */
function schemaFor(command: string): CommandSchema | undefined {
  const words = command.split(' ');
  if (command === 'train') {
    const flags = commandOptionNames(['train'])!;
    return { command, positional: ['algo'], flags, jsonFlags: ['config'], reserved: RESERVED, seedKey: 'seed', defaultMetric: 'evalReturnMean', volatileResultKeys: VOLATILE_RESULT_KEYS };
  }
  if (words.length === 2 && words[0] === 'experiment' && EXPERIMENTS.includes(words[1]!)) {
    const flags = commandOptionNames(['experiment'])!;
    return { command, positional: [], flags, reserved: RESERVED, seedKey: 'seeds', volatileResultKeys: VOLATILE_RESULT_KEYS };
  }
  return undefined;
}

const COMMANDS = ['train', ...EXPERIMENTS.map((name) => `experiment ${name}`)];

interface LoadedSweep {
  spec: SweepSpec;
  schema: CommandSchema;
  cells: SweepCell[];
  folder: SweepFolder;
  /** Where cells run (relative paths in the spec are relative to the spec's folder). */
  cwd: string;
}

/** Reads, checks and expands a spec file; `outOption` (--out) wins over the spec's `out`. Reads only. */
function loadSweep(ctx: CommandContext, specPath: string, outOption: string | undefined): LoadedSweep {
  const path = resolvePath(ctx.io.cwd, specPath);
  if (!existsSync(path) || !statSync(path).isFile()) throw new UsageError(`sweep spec ${specPath} does not exist`);
  const { spec, schema } = validateSweepSpec(parseSweepText(readFileSync(path, 'utf8'), specPath), specPath, schemaFor, COMMANDS);
  const cells = sweepCells(spec, schema);
  if (spec.command === 'train') {
    for (const algo of new Set(cells.map((cell) => String(cell.params.algo ?? spec.args.algo)))) checkAlgorithm(algo);
  }
  const specDir = dirname(path);
  const out = outOption !== undefined ? resolvePath(ctx.io.cwd, outOption) : spec.out !== undefined ? resolve(specDir, spec.out) : resolvePath(ctx.io.cwd, `runs/sweep-${basename(path, extname(path))}`);
  return { spec, schema, cells, folder: new SweepFolder(out), cwd: specDir };
}

/** The `bellman` bin of this package (the children a sweep forks run it). */
function bellmanBin(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === '@bellman/cli') return join(dir, 'bin', 'bellman.js');
    const parent = dirname(dir);
    if (parent === dir) throw new Error('bellman sweep: cannot find the @bellman/cli package folder');
    dir = parent;
  }
}

/**
 * The command line of a cell in its run folder. A `train` cell with a checkpoint resumes from it;
 * one whose checkpoint already has every step (killed between its last checkpoint and its
 * result) starts again, since the result is the same.
 */
function cellArgv(cell: SweepCell, cellDir: string, schema: CommandSchema): string[] {
  const argv = [...cell.args, '--out', cellDir, '--json'];
  if (schema.command !== 'train') return argv;
  const checkpoint = join(cellDir, 'checkpoint.json');
  if (existsSync(checkpoint)) {
    const steps = Number(cell.args[cell.args.indexOf('--steps') + 1]);
    let step = Number.NaN;
    try {
      step = (JSON.parse(readFileSync(checkpoint, 'utf8')) as { meta?: { step?: number } }).meta?.step ?? Number.NaN;
    } catch {
      // an unreadable checkpoint: start again
    }
    if (Number.isInteger(step) && step < steps) return [...argv, '--resume'];
    rmSync(cellDir, { recursive: true, force: true });
    return argv;
  }
  return existsSync(join(cellDir, 'config.json')) ? [...argv, '--resume'] : argv;
}

function childRunner(ctx: CommandContext, schema: CommandSchema, cwd: string | undefined): CellRunner {
  // children run non-interactively: their progress goes to cell.log as plain lines
  const env = { ...process.env, ...ctx.io.env, CI: '1' };
  return processCellRunner({ script: bellmanBin(), argvFor: (cell, dir) => cellArgv(cell, dir, schema), cwd, env, execArgv: [] });
}

/** Runs each cell by calling the CLI in this process, one after the other. */
function inProcessRunner(ctx: CommandContext, schema: CommandSchema, cwd: string): CellRunner {
  return {
    async run(cell, cellDir) {
      const { run } = await import('../program.js');
      const { appendFileSync, mkdirSync } = await import('node:fs');
      const { lastJsonObject } = await import('@bellman/sweep');
      const argv = cellArgv(cell, cellDir, schema);
      mkdirSync(cellDir, { recursive: true });
      const log = join(cellDir, 'cell.log');
      let stdout = '';
      const lastErrors: string[] = [];
      const stderr = {
        write: (chunk: string) => {
          appendFileSync(log, chunk);
          lastErrors.push(...chunk.split('\n').filter((line) => /\berror:/.test(line)));
          return true;
        },
      };
      const started = performance.now();
      const code = await run(argv, { stdout: { write: (chunk: string) => (stdout += chunk) }, stderr, env: { ...ctx.io.env, CI: '1' }, cwd });
      const result = lastJsonObject(stdout);
      if (code === 0 && result) return { status: 'done', result, wallSeconds: (performance.now() - started) / 1000, worker: workerName() };
      return { status: 'failed', error: `${lastErrors[lastErrors.length - 1] ?? 'no JSON result'} (exit code ${code})`, exitCode: code };
    },
  };
}

/** A progress display of the whole sweep: cells done of total, running, failed, and the time left. */
function sweepProgress(reporter: Reporter, total: number) {
  const progress = startProgress(reporter, 'sweep', total, { lineIntervalMs: 10_000, lineFraction: 0.05 });
  const started = Date.now();
  let ranCount = 0;
  return {
    event(event: SweepEvent, counts: SweepCounts): void {
      if (event.type === 'finished' && event.outcome.status === 'done') ranCount++;
      if (event.type === 'finished' && event.outcome.status === 'failed') reporter.note(`cell ${event.cell.id}: failed: ${event.outcome.error}`);
      const elapsed = (Date.now() - started) / 1000;
      const left = counts.total - counts.done - counts.failed;
      const eta = ranCount > 0 && left > 0 ? ` · about ${formatDuration((elapsed / ranCount) * left)} left` : '';
      progress.update(counts.done + counts.failed, `${counts.done} done, ${counts.running} running, ${counts.failed} failed${eta}`);
    },
    stop: () => progress.stop(),
  };
}

function formatDuration(seconds: number): string {
  if (seconds < 90) return `${Math.round(seconds)} s`;
  if (seconds < 5400) return `${Math.round(seconds / 60)} min`;
  return `${(seconds / 3600).toFixed(1)} h`;
}

/** `bellman sweep run <spec> [--out DIR] [--workers N | --in-process | --queue URL]`. */
export async function sweepRunCommand(ctx: CommandContext, specPath: string, opts: SweepRunCliOptions): Promise<number> {
  const reporter = ctx.reporter(opts.json);
  const workers = parseInteger('--workers', opts.workers ?? '1', { min: 1, max: 256 });
  const modes = [opts.inProcess ? '--in-process' : undefined, opts.queue !== undefined ? '--queue' : undefined, opts.workers !== undefined ? '--workers' : undefined].filter(Boolean);
  if (modes.length > 1) throw new UsageError(`${modes.join(' and ')} do not go together: a sweep runs in this process, on a local pool of --workers, or on a --queue`);
  if (opts.queue !== undefined) checkRedisUrl(opts.queue);
  const sweep = loadSweep(ctx, specPath, opts.out);
  const { folder, cells, schema } = sweep;
  folder.checkResults(cells);
  // everything is checked: now the folder is written
  folder.writePlan({ spec: sweep.spec, cells });
  const how = opts.queue !== undefined ? `on the queue ${opts.queue}` : opts.inProcess ? 'in this process' : `on ${workers} worker process${workers === 1 ? '' : 'es'}`;
  reporter.say(`sweep: ${cells.length} cells of \`bellman ${sweep.spec.command}\` ${how}; results in ${folder.dir}`);
  if (opts.queue !== undefined) reporter.say(`sweep: workers take the cells: \`bellman sweep worker --queue ${opts.queue}\` on each machine`);

  const stop = new AbortController();
  const watch = watchInterrupts(() => stop.abort(), (line) => reporter.note(`sweep ${line.replace('finishing the current step', 'stopping the running cells')}`));
  const progress = sweepProgress(reporter, cells.length);
  const started = performance.now();
  let summary: SweepSummary;
  try {
    if (opts.queue !== undefined) {
      const sweepId = shortHash(`${folder.dir}\n${JSON.stringify(cells.map((cell) => cell.args))}`);
      summary = await runSweepOnQueue(folder, cells, {
        url: opts.queue,
        queueName: opts.queueName,
        sweepId,
        cwd: sweep.cwd,
        volatileResultKeys: schema.volatileResultKeys,
        signal: stop.signal,
        onEvent: (event, counts) => progress.event(event, counts),
      });
    } else {
      const runner = opts.inProcess ? inProcessRunner(ctx, schema, sweep.cwd) : childRunner(ctx, schema, sweep.cwd);
      summary = await runSweepPool(folder, cells, {
        workers: opts.inProcess ? 1 : workers,
        runner,
        volatileResultKeys: schema.volatileResultKeys,
        signal: stop.signal,
        onEvent: (event, counts) => progress.event(event, counts),
      });
    }
  } finally {
    progress.stop();
    watch.dispose();
  }
  const seconds = (performance.now() - started) / 1000;
  reporter.say(`sweep: ${cells.length} cells: ${summary.ran.length} ran, ${summary.reused.length} already done, ${summary.failed.length} failed, ${summary.stopped.length} not finished, in ${seconds.toFixed(1)} s`);
  for (const failure of summary.failed) reporter.say(`  failed ${failure.id}: ${failure.error} (log: ${join(folder.cellDir(failure), 'cell.log')})`);
  if (summary.stopped.length > 0) reporter.say(`sweep: stopped; the same command continues it${opts.queue !== undefined ? ' (its queued cells stay queued)' : ''}`);
  else if (summary.failed.length === 0) reporter.say(`sweep: report with \`bellman sweep report ${folder.dir}\``);
  if (opts.json) reporter.result({ out: folder.dir, cells: cells.length, ran: summary.ran, reused: summary.reused, failed: summary.failed, stopped: summary.stopped, wallSeconds: seconds });
  if (watch.signal) return SIGNAL_EXIT_CODES[watch.signal];
  return summary.failed.length > 0 || summary.stopped.length > 0 ? EXIT_FAILURE : EXIT_OK;
}

/** `bellman sweep worker --queue URL [--concurrency N]`: runs queued cells until stopped. */
export async function sweepWorkerCommand(ctx: CommandContext, opts: SweepWorkerCliOptions): Promise<number> {
  const reporter = ctx.reporter(false);
  if (opts.queue === undefined) throw new UsageError('--queue is required (redis://host:port)');
  checkRedisUrl(opts.queue);
  const concurrency = parseInteger('--concurrency', opts.concurrency ?? '1', { min: 1, max: 256 });
  const lockSeconds = parseOptionalInteger('--lock-seconds', opts.lockSeconds, { min: 1 });
  const stop = new AbortController();
  const watch = watchInterrupts(() => stop.abort(), (line) => reporter.note(`worker ${line.replace('finishing the current step and writing a checkpoint', 'stopping its cells (they checkpoint and go back to the queue)')}`));
  try {
    reporter.say(`worker ${workerName()}: taking cells from ${opts.queue}, ${concurrency} at a time (Ctrl-C stops)`);
    await runQueueWorker({
      url: opts.queue,
      queueName: opts.queueName,
      concurrency,
      lockSeconds,
      signal: stop.signal,
      runnerFor: (cwd) => ({
        run: (cell, cellDir, signal) => {
          const command = cell.args[0] === 'train' ? 'train' : cell.args.slice(0, 2).join(' ');
          const schema = schemaFor(command);
          if (!schema) return Promise.resolve({ status: 'failed' as const, error: `this worker's bellman has no command \`${command}\``, exitCode: null });
          return childRunner(ctx, schema, cwd).run(cell, cellDir, signal);
        },
      }),
      onEvent: (event) => {
        if (event.type === 'started') reporter.say(`worker: started ${event.cell.id}`);
        else reporter.say(`worker: ${event.status} ${event.cell.id}: ${event.detail}`);
      },
    });
  } finally {
    watch.dispose();
  }
  return watch.signal ? SIGNAL_EXIT_CODES[watch.signal] : EXIT_OK;
}

/** The sweep a report is about: a folder holding sweep.json, or a spec file (its results folder). */
function reportTarget(ctx: CommandContext, target: string, out: string | undefined): { folder: SweepFolder; spec: SweepSpec; cells: SweepCell[]; schema: CommandSchema } {
  const path = resolvePath(ctx.io.cwd, target);
  if (existsSync(path) && statSync(path).isDirectory()) {
    const folder = new SweepFolder(path);
    const plan = folder.readPlan();
    if (!plan) throw new UsageError(`${target} holds no ${PLAN_FILE}: give a sweep's results folder or its spec file`);
    const schema = schemaFor(plan.spec.command);
    if (!schema) throw new UsageError(`${join(target, PLAN_FILE)}: unknown command "${plan.spec.command}"`);
    return { folder, spec: plan.spec, cells: plan.cells, schema };
  }
  const sweep = loadSweep(ctx, target, out);
  return { folder: sweep.folder, spec: sweep.spec, cells: sweep.cells, schema: sweep.schema };
}

/** `bellman sweep report <spec|dir> [--json] [--markdown]`: the table over seeds and its plots. */
export async function sweepReportCommand(ctx: CommandContext, target: string, opts: SweepReportCliOptions): Promise<number> {
  const reporter = ctx.reporter(opts.json);
  const { folder, spec, cells, schema } = reportTarget(ctx, target, opts.out);
  const metric = opts.metric ?? spec.report?.metric ?? schema.defaultMetric;
  if (metric === undefined) throw new UsageError(`the report of \`bellman ${spec.command}\` needs a metric: --metric <path into its JSON result>, or report.metric in the spec`);
  const gridKeys = Object.keys(spec.grid).filter((key) => key !== schema.seedKey);
  const columns = opts.columns ?? spec.report?.columns;
  const rows = opts.rows !== undefined ? opts.rows.split(',').map((key) => key.trim()) : (spec.report?.rows ?? gridKeys.filter((key) => key !== columns));
  for (const [option, keys] of [['--rows', rows], ['--columns', columns === undefined ? [] : [columns]]] as const) {
    for (const key of keys) if (!gridKeys.includes(key)) throw new UsageError(`${option}: "${key}" is not a grid key of this sweep besides its seed (${gridKeys.join(', ')})`);
  }
  const uncovered = gridKeys.filter((key) => !rows.includes(key) && key !== columns);
  if (uncovered.length > 0) throw new UsageError(`--rows: the table must show every grid key but the seed; add ${uncovered.join(', ')}`);

  const report = summarizeSweep(cells.map((cell) => cell.id), cells.map((cell) => folder.result(cell)), metric, schema.seedKey);
  if (opts.json) {
    reporter.result(reportJson(report));
    return EXIT_OK;
  }
  const table = reportTable(report, rows, columns);
  reporter.say(opts.markdown ? markdownTable(table.header, table.rows, rows.length) : formatTable(table.header, table.rows));
  if (report.unfinished.length > 0) reporter.say(`${report.unfinished.length} of ${cells.length} cells have not finished: ${report.unfinished.slice(0, 5).join('; ')}${report.unfinished.length > 5 ? '; ...' : ''}`);
  if (report.withoutMetric.length > 0) reporter.say(`${report.withoutMetric.length} finished cells have no number at "${metric}": ${report.withoutMetric.slice(0, 5).join('; ')}`);
  if (report.groups.length > 0) {
    const written = await writePlot(sweepMetricSpec(report, rows, columns), join(folder.dir, 'report'));
    const curves = sweepCurvesSpec(report, cells, folder, rows, columns);
    if (curves) written.push(...(await writePlot(curves, join(folder.dir, 'report-curves'))));
    reporter.say(`wrote ${written.join(', ')}`);
  }
  return EXIT_OK;
}

/** The report's numbers, for `--json`: the same bytes for the same finished cells. */
function reportJson(report: SweepReport): unknown {
  return {
    metric: report.metric,
    seedKey: report.seedKey,
    groups: report.groups.map(({ params, mean, std, n, values, seeds }) => ({ params, mean, std, n, values, seeds })),
    unfinished: report.unfinished,
    withoutMetric: report.withoutMetric,
  };
}

/** A Markdown table whose first `labelColumns` columns are left-aligned and the numbers right-aligned. */
function markdownTable(header: readonly string[], rows: readonly (readonly string[])[], labelColumns: number): string {
  const line = (cells: readonly string[]) => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map((_, i) => (i < labelColumns ? '---' : '---:'))), ...rows.map(line)].join('\n');
}
