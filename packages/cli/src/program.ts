import { Command, CommanderError, Help, Option } from 'commander';
import { CommandContext } from './context.js';
import { EXIT_OK, EXIT_USAGE, exitCodeFor, oneLine } from './errors.js';
import { processIo } from './io.js';
import { DEFAULT_CHECKPOINT_EVERY } from './defaults.js';
import type { CliIo } from './io.js';
import type { ExperimentCliOptions } from './commands/experiment.js';
import type { SweepReportCliOptions, SweepRunCliOptions, SweepWorkerCliOptions } from './commands/sweep.js';

export const VERSION = '0.1.0';

/** Options of `bellman train` as commander parses them (strings; validated by the command). */
export interface TrainCliOptions {
  env?: string;
  dataset?: string;
  steps?: string;
  seed?: string;
  out?: string;
  json?: boolean;
  config?: string;
  evalEvery?: string;
  evalEpisodes?: string;
  batchSize?: string;
  backend?: string;
  online?: boolean;
  warmupSteps?: string;
  updateEvery?: string;
  gradientSteps?: string;
  bufferSize?: string;
  checkpointEvery?: string;
  resume?: boolean;
  dataDir?: string;
}

/** commander's description of an option, with "(required)" after those that must be given. */
function describeOption(this: Help, option: Option): string {
  const text = Help.prototype.optionDescription.call(this, option);
  return option.mandatory ? `${text} (required)` : text;
}

function buildProgram(ctx: CommandContext, setExit: (code: number) => void): Command {
  const { io } = ctx;
  const program = new Command('bellman');
  program
    .description('Reinforcement learning on TensorFlow.js: environments, offline datasets, training, evaluation and plots.')
    .version(VERSION, '-V, --version')
    // inherited by every command defined below
    .configureHelp({ optionDescription: describeOption })
    .configureOutput({
      writeOut: (s) => io.stdout.write(s),
      writeErr: (s) => io.stderr.write(s),
      // commander's own parse errors become the CLI's one-line usage error
      outputError: (s, write) => write(`bellman: error: ${oneLine(s.replace(/^error: /, ''))}\n`),
    })
    .exitOverride()
    .showSuggestionAfterError(true)
    .allowExcessArguments(false);

  const done = (code: number | void) => setExit(code ?? EXIT_OK);

  program
    .command('envs')
    .description('list the registered environments: ids, spaces, time limits, solved thresholds')
    .option('--json', 'print the list as JSON')
    .action(async (opts: { json?: boolean }) => {
      const { envsCommand } = await import('./commands/envs.js');
      done(await envsCommand(ctx, opts));
    });

  program
    .command('algos')
    .description('list the learning algorithms `bellman train` accepts')
    .option('--json', 'print the list as JSON')
    .action(async (opts: { json?: boolean }) => {
      const { algosCommand } = await import('./commands/algos.js');
      done(await algosCommand(ctx, opts));
    });

  const dataset = program.command('dataset').description('make, list and inspect offline datasets');
  dataset
    .command('list')
    .description('list the dataset recipes')
    .option('--json', 'print the list as JSON')
    .action(async (opts: { json?: boolean }) => {
      const { datasetListCommand } = await import('./commands/dataset.js');
      done(await datasetListCommand(ctx, opts));
    });
  dataset
    .command('make')
    .description('generate a dataset from a recipe (deterministic for a seed) and write it as Minari HDF5')
    .argument('<recipe>', 'recipe name (see `bellman dataset list`)')
    .option('--out <path>', 'output file (default: the recipe cache)')
    .option('--seed <n>', 'generation seed (default: the recipe default)')
    .option('--data-dir <dir>', 'recipe cache directory (default $BELLMAN_DATA_DIR or ~/.bellman/datasets)')
    .option('--json', 'print a JSON summary as the last line of stdout')
    .action(async (recipe: string, opts: { out?: string; seed?: string; dataDir?: string; json?: boolean }) => {
      const { datasetMakeCommand } = await import('./commands/dataset.js');
      done(await datasetMakeCommand(ctx, recipe, opts));
    });
  dataset
    .command('info')
    .description('statistics of a dataset file (D4RL or Minari HDF5, or a design-task HDF5 file of @bellman/mbo) or a recipe')
    .argument('<path|recipe>', 'an HDF5 file or a recipe name')
    .option('--json', 'print one JSON object')
    .option('--data-dir <dir>', 'recipe cache directory (default $BELLMAN_DATA_DIR or ~/.bellman/datasets)')
    .action(async (target: string, opts: { json?: boolean; dataDir?: string }) => {
      const { datasetInfoCommand } = await import('./commands/dataset.js');
      done(await datasetInfoCommand(ctx, target, opts));
    });

  program
    .command('train')
    .description('train an agent offline on a dataset (or online with --online) and evaluate it')
    .argument('<algo>', 'algorithm (see `bellman algos`)')
    .requiredOption('--env <id>', 'environment id (see `bellman envs`)')
    .option('--dataset <recipe|path>', 'dataset recipe name or HDF5 file (required unless --online)')
    .requiredOption('--steps <n>', 'gradient steps (offline) or environment steps (online)')
    .option('--seed <n>', 'seed for the learner, sampling and evaluation', '0')
    .option('--out <dir>', 'run directory (default runs/<algo>-<env>)')
    .option('--json', 'end stdout with one JSON line of results; progress goes to stderr')
    .option('--config <json|@file>', 'algorithm config overrides as JSON or @file.json')
    .option('--eval-every <n>', 'evaluate every n steps')
    .option('--eval-episodes <n>', 'episodes per evaluation', '10')
    .option('--batch-size <n>', 'batch size')
    .addOption(new Option('--backend <name>', 'tfjs backend').choices(['auto', 'wasm', 'cpu', 'tensorflow']).default('auto'))
    .option('--online', 'train online by interacting with the env (no dataset)')
    .option('--warmup-steps <n>', 'online: random env steps before the first update (default 1000)')
    .option('--update-every <n>', 'online: env steps between rounds of updates (default 1)')
    .option('--gradient-steps <n>', 'online: updates per round (default 1)')
    .option('--buffer-size <n>', 'online: replay capacity (default min(steps, 1e6))')
    .option('--checkpoint-every <n>', `write <out>/checkpoint.json every n steps, besides after every evaluation and at the end (default ${DEFAULT_CHECKPOINT_EVERY.offline} offline, ${DEFAULT_CHECKPOINT_EVERY.online} online; 0: only those)`)
    .option('--resume', 'continue from <out>/checkpoint.json (the same command with --resume continues a stopped or killed run)')
    .option('--data-dir <dir>', 'recipe cache directory (default $BELLMAN_DATA_DIR or ~/.bellman/datasets)')
    .action(async (algo: string, opts: TrainCliOptions) => {
      const { trainCommand } = await import('./commands/train.js');
      done(await trainCommand(ctx, algo, opts));
    });

  program
    .command('eval')
    .description('evaluate a checkpoint in its environment')
    .argument('<checkpoint>', 'checkpoint.json written by `bellman train`')
    .option('--episodes <n>', 'episodes to run', '10')
    .option('--seed <n>', 'seed of the first episode', '1000')
    .option('--env <id>', 'environment (default: the one the checkpoint was trained on)')
    .option('--json', 'print one JSON object')
    .addOption(new Option('--backend <name>', 'tfjs backend').choices(['auto', 'wasm', 'cpu', 'tensorflow']).default('auto'))
    .action(async (checkpoint: string, opts: { episodes?: string; seed?: string; env?: string; json?: boolean; backend?: string }) => {
      const { evalCommand } = await import('./commands/eval.js');
      done(await evalCommand(ctx, checkpoint, opts));
    });

  program
    .command('quickstart')
    .description('CartPole-v1 end to end: dataset, training of each offline algorithm, results table, plots')
    .option('--steps <n>', 'gradient steps per algorithm')
    .option('--out <dir>', 'output directory', 'runs/quickstart')
    .option('--seed <n>', 'seed', '0')
    .addOption(new Option('--backend <name>', 'tfjs backend').choices(['auto', 'wasm', 'cpu', 'tensorflow']).default('auto'))
    .option('--data-dir <dir>', 'recipe cache directory (default $BELLMAN_DATA_DIR or ~/.bellman/datasets)')
    .action(async (opts: { steps?: string; out?: string; seed?: string; backend?: string; dataDir?: string }) => {
      const { quickstartCommand } = await import('./commands/quickstart.js');
      done(await quickstartCommand(ctx, opts));
    });

  program
    .command('experiment')
    .description('run a paper-reproduction experiment and write its plots: dr3 (SARSA vs TD feature co-adaptation, CQL vs CQL+DR3), mural (SAC from success examples on the point mazes: sparse, count, VICE, meta-NML), mural-cnml (meta-NML against exact CNML rewards on one labelled set), diffuser (Diffuser against BC, CQL and IQL on maze2d), diffuser-guided (value-guided Diffuser against IQL and CQL on Pendulum), coms (Conservative Objective Models against gradient ascent, CMA-ES and the dataset\'s best on a design task)')
    .argument('<name>', 'experiment name: dr3, mural, mural-cnml, diffuser, diffuser-guided or coms')
    .option('--quick', 'small steps and one seed (about a minute), for smoke tests')
    .option('--updates <n>', 'dr3: updates of each evaluation run (sarsa, td, td+dr3; default 3000); diffuser: updates of BC, CQL and IQL')
    .option('--saved-only', 'dr3, mural, diffuser: train nothing; summarise and plot the runs saved under <out>/runs with these settings')
    .option('--probe-every <n>', 'dr3: probe the critic every n updates, after log-spaced early probes (default: 1% of --updates, at least 100)')
    .option('--cql-updates <n>', 'dr3: updates of each CQL run (default 3000)')
    .option('--tasks <list>', 'dr3: evaluation tasks, comma-separated (cartpole, pendulum; default both); diffuser-guided: pendulum, mountaincarcontinuous (default pendulum)')
    .option('--gamma <g>', 'dr3: discount (default 0.99)')
    .option('--critic-layers <n>', 'dr3: hidden layers of 256 units in the evaluation critics (default 2)')
    .option('--target-update-interval <n>', 'dr3: updates between target-network copies in the evaluation part (default 100; 1: no target network)')
    .option('--maze <list>', 'mural: mazes, comma-separated: zigzag, spiral (default both); diffuser: umaze, medium, large (default umaze)')
    .option('--steps <n>', 'mural: env steps of each run (default 200000; --quick 3000); diffuser: training steps of the diffusion model')
    .option('--methods <list>', "coms: coms, grad, grad-alpha0, cma-es, dataset-best (default all); diffuser: diffuser, bc, cql, iql (default all); mural: rewards, comma-separated: sparse, count, vice, meta-nml (default all); dr3: evaluation methods, comma-separated: sarsa, td, td+dr3, td-policy (continuous CQL's critic, a' from its policy; continuous tasks only); default sarsa,td,td+dr3")
    .option('--data <kind>', 'dr3: behaviour data of the evaluation part: medium or random (the <task>-<kind>-v0 recipe; default medium)')
    .option('--json', 'end stdout with one JSON line of results; progress goes to stderr')
    .option('--seeds <n>', 'seeds: a count n (0..n-1), a range a-b or a list 1,4,7 (split a grid over processes sharing --out)')
    .option('--out <dir>', 'output directory (default runs/experiment-<name>)')
    .option('--only <part>', 'dr3: run one part only: evaluation (sarsa, td, td+dr3) or cql (cql vs cql+dr3)')
    .option('--cql-dataset <recipe>', 'dr3: recipe of the CQL part: CartPole (discrete CQL) or Pendulum (continuous CQL) (default cartpole-medium-v0)')
    .option('--cql-hidden <sizes>', 'dr3: hidden layer widths of the CQL part\'s networks, e.g. 64,64 (default 256,256)')
    .option('--cql-alpha <a>', "dr3: CQL's conservative weight in the CQL part (default: the learner's own, 1 discrete, 5 continuous)")
    .addOption(new Option('--backend <name>', 'tfjs backend').choices(['auto', 'wasm', 'cpu', 'tensorflow']).default('auto'))
    .option('--data-dir <dir>', 'recipe cache directory (default $BELLMAN_DATA_DIR or ~/.bellman/datasets)')
    .option('--task <id>', 'coms: the design task (toy-continuous-v0, toy-discrete-v0, ...; `bellman experiment coms --task x` lists them)')
    .option('--epochs <n>', "coms: COMs' training epochs (default 50; the plain model of grad and cma-es trains twice as many)")
    .option('--hidden <sizes>', 'coms: hidden layer widths of every model, e.g. 256,256 (default 2048,2048)')
    .option('--site-model <file>', "diffuser: train the docs site's small umaze model (H 128, T 64, dim 8) instead of the comparison, and write its model file (Diffuser.fromModel reads it)")
    .action(async (name: string, opts: ExperimentCliOptions) => {
      const { experimentCommand } = await import('./commands/experiment.js');
      done(await experimentCommand(ctx, name, opts));
    });

  const sweep = program.command('sweep').description('grids of `bellman train` or `bellman experiment` runs from a spec file: on a pool of local processes, or on BullMQ workers over Redis; and their report');
  sweep
    .command('run')
    .description('run every unfinished cell of a sweep spec (JSON or YAML); a stopped sweep continues where it was')
    .argument('<spec>', 'sweep spec file: {"command": "train", "args": {...}, "grid": {"algo": [...], "seed": [0, 1, 2]}}')
    .option('--out <dir>', "results folder (default: the spec's out, else runs/sweep-<spec name>)")
    .option('--workers <n>', 'cells at a time, each in its own process (default 1)')
    .option('--in-process', 'run the cells in this process, one after the other')
    .option('--queue <url>', 'queue the cells on Redis (redis://host:port) for `bellman sweep worker` processes, and collect their results')
    .option('--queue-name <name>', 'BullMQ queue name (default bellman-sweep)')
    .option('--json', 'end stdout with one JSON line: cells ran, reused, failed')
    .action(async (spec: string, opts: SweepRunCliOptions) => {
      const { sweepRunCommand } = await import('./commands/sweep.js');
      done(await sweepRunCommand(ctx, spec, opts));
    });
  sweep
    .command('worker')
    .description("take sweep cells from a Redis queue and run them until stopped (Ctrl-C: the running cells checkpoint and go back to the queue)")
    .requiredOption('--queue <url>', 'Redis URL, redis://host:port')
    .option('--concurrency <n>', 'cells at a time (default 1)')
    .option('--lock-seconds <s>', "how long a dead worker's cell stays locked before another worker takes it (default 30)")
    .option('--queue-name <name>', 'BullMQ queue name (default bellman-sweep)')
    .action(async (opts: SweepWorkerCliOptions) => {
      const { sweepWorkerCommand } = await import('./commands/sweep.js');
      done(await sweepWorkerCommand(ctx, opts));
    });
  sweep
    .command('report')
    .description('the table of a sweep (mean ± std over seeds of each group of cells) and its plots (<out>/report.svg/.png, report-curves.svg/.png)')
    .argument('<spec|dir>', 'the sweep spec, or its results folder')
    .option('--out <dir>', 'results folder of the spec, when run with --out')
    .option('--metric <path>', "the number to table, a path into each cell's JSON result (default evalReturnMean for train)")
    .option('--rows <keys>', 'grid keys of the rows, comma-separated (default: every grid key but the seed and --columns)')
    .option('--columns <key>', 'a grid key whose values become columns')
    .option('--markdown', 'print the table as Markdown')
    .option('--json', "print one JSON line: each group's mean, std, n and values")
    .action(async (target: string, opts: SweepReportCliOptions) => {
      const { sweepReportCommand } = await import('./commands/sweep.js');
      done(await sweepReportCommand(ctx, target, opts));
    });

  program
    .command('plot')
    .description('plot learning and loss curves of one or more run directories')
    .argument('<run-dir...>', 'run directories (holding metrics.jsonl) or metrics.jsonl files')
    .option('--out <prefix>', 'output prefix: writes <prefix>.svg/.png and <prefix>-losses.svg/.png (default <first run>/plot, which leaves the curve.svg/.png of `bellman train` alone; <file>-curve when the first run is a metrics file)')
    .option('--title <text>', 'plot title')
    .action(async (runs: string[], opts: { out?: string; title?: string }) => {
      const { plotCommand } = await import('./commands/plot.js');
      done(await plotCommand(ctx, runs, opts));
    });

  return program;
}

/**
 * The long option names (without `--`) of a `bellman` command given by its words (`['train']`,
 * `['experiment']`), or undefined when there is no such command. Sweep specs are checked against them.
 */
export function commandOptionNames(words: readonly string[]): string[] | undefined {
  let command: Command | undefined = buildProgram(new CommandContext(processIo()), () => undefined);
  for (const word of words) command = command?.commands.find((c) => c.name() === word);
  if (!command || command.commands.length > 0) return undefined;
  return command.options.map((option) => option.long?.replace(/^--/, '')).filter((name): name is string => name !== undefined);
}

/**
 * Run the `bellman` command with `argv` (the arguments after the program name). Returns the exit
 * code: 0 on success, 2 on a usage error (one line on stderr), 1 on any other failure.
 */
export async function run(argv: readonly string[], io: CliIo = processIo()): Promise<number> {
  const ctx = new CommandContext(io, argv);
  let exitCode = EXIT_OK;
  const program = buildProgram(ctx, (code) => {
    exitCode = code;
  });
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return exitCode;
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version') return EXIT_OK;
      // parse errors were already printed by outputError; bare `bellman` / `bellman dataset` print help
      return EXIT_USAGE;
    }
    const debug = Boolean(io.env.BELLMAN_DEBUG && io.env.BELLMAN_DEBUG !== '0');
    const message = err instanceof Error ? err.message : String(err);
    io.stderr.write(`bellman: error: ${oneLine(message)}\n`);
    if (debug && err instanceof Error && err.stack) io.stderr.write(`${err.stack}\n`);
    return exitCodeFor(err);
  }
}
