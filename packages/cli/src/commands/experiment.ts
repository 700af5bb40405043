import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { closestMatches } from '@bellman/core';
import { seedList } from '@bellman/training';
import { writeFileAtomic } from '@bellman/core/node';
import { listRecipes, makeRecipe } from '@bellman/datasets';
import { CQL_DEFAULTS, DISCRETE_CQL_DEFAULTS } from '@bellman/q-learning';
import { describeSeeds, parseBackend, parseChoiceList, parseHiddenSizes, parseNumber, parseOptionalInteger, parseSeeds, rejectOptions, resolvePath, seedsSetting } from '../args.js';
import type { CommandContext } from '../context.js';
import { resolveDataset } from '../datasets.js';
import { UsageError } from '../errors.js';
import { DR3_ALL_EVALUATION_METHODS, DR3_BEHAVIOUR_DATA, DR3_FULL, DR3_QUICK, DR3_TASKS, dr3Dataset, dr3Workload, runDr3Experiment, type Dr3ExperimentConfig, type Dr3BehaviourData, type Dr3ExperimentResult, type Dr3RunResult, type Dr3Task } from '../experiments/dr3.js';
import { savedRunsStore } from '../experiments/saved-runs.js';
import { checkOutputDirectory } from '../paths.js';
import { writeDr3Plots } from '../experiments/dr3-plots.js';
import { startProgress } from '../progress.js';
import { fmtNumber, formatTable } from '../table.js';

/** Options of `bellman experiment <name>` as commander parses them. */
export interface ExperimentCliOptions {
  quick?: boolean;
  savedOnly?: boolean;
  updates?: string;
  probeEvery?: string;
  cqlUpdates?: string;
  tasks?: string;
  gamma?: string;
  criticLayers?: string;
  targetUpdateInterval?: string;
  cqlHidden?: string;
  cqlAlpha?: string;
  methods?: string;
  data?: string;
  json?: boolean;
  seeds?: string;
  out?: string;
  only?: string;
  cqlDataset?: string;
  backend?: string;
  dataDir?: string;
  maze?: string;
  steps?: string;
  siteModel?: string;
  task?: string;
  epochs?: string;
  hidden?: string;
}

export const EXPERIMENTS: readonly string[] = ['dr3', 'mural', 'mural-cnml', 'diffuser', 'diffuser-guided', 'coms'];

/** `bellman experiment <name> [--quick] [--json] [--seeds N] [--out DIR]`: dr3 or mural. */
export async function experimentCommand(ctx: CommandContext, name: string, opts: ExperimentCliOptions): Promise<number> {
  if (name === 'dr3') return dr3Command(ctx, opts);
  if (name === 'diffuser' || name === 'diffuser-guided') {
    const { diffuserCommand, diffuserGuidedCommand } = await import('./diffuser.js');
    return name === 'diffuser' ? diffuserCommand(ctx, opts) : diffuserGuidedCommand(ctx, opts);
  }
  if (name === 'coms') {
    const { comsCommand } = await import('./coms.js');
    return comsCommand(ctx, opts);
  }
  if (name === 'mural' || name === 'mural-cnml') {
    const { muralCommand, muralCnmlCommand } = await import('./mural.js');
    return name === 'mural' ? muralCommand(ctx, opts) : muralCnmlCommand(ctx, opts);
  }
  const close = closestMatches(name, [...EXPERIMENTS], 2);
  const hint = close.length > 0 ? `; did you mean ${close.map((c) => `"${c}"`).join(' or ')}?` : '';
  throw new UsageError(`unknown experiment "${name}"${hint} (available: ${EXPERIMENTS.join(', ')})`);
}

/**
 * The DR3 experiment: SARSA vs TD vs TD+DR3 offline evaluation (feature dot product and srank over
 * training) and CQL vs CQL+DR3 returns. `preset` replaces the built-in configs (tests use a tiny one).
 */
export async function dr3Command(ctx: CommandContext, opts: ExperimentCliOptions, preset?: Dr3ExperimentConfig): Promise<number> {
  const reporter = ctx.reporter(opts.json);
  const base = preset ?? (opts.quick ? DR3_QUICK : DR3_FULL);
  const seeds = parseSeeds('--seeds', opts.seeds) ?? seedList(base.seeds);
  const backend = parseBackend(opts.backend);
  const outDir = resolvePath(ctx.io.cwd, opts.out ?? (opts.quick ? 'runs/experiment-dr3-quick' : 'runs/experiment-dr3'));
  const config = applyDr3Scale(selectDr3Parts({ ...base, seeds: seedsSetting(seeds) }, opts), opts);
  checkOutputDirectory(opts.out ?? outDir, '--out', { cwd: ctx.io.cwd });
  rejectOptions(opts, ['task', 'epochs', 'hidden'], 'is an option of the coms experiment');
  await ctx.backend(backend);
  await ctx.announceBackend();

  const workload = dr3Workload(config);
  const evaluation = config.evaluation;
  reporter.say(
    `DR3 experiment${opts.quick ? ' (quick)' : ''}: ${workload.runs} runs, ${workload.steps} gradient steps in all; seeds ${describeSeeds(seeds)}; DR3 coefficient ${config.coefficient}`,
  );
  if (evaluation.tasks.length > 0) {
    reporter.say(
      `  offline evaluation (${evaluation.methods.join(', ')}) on ${evaluation.tasks.map((t) => dr3Dataset(t, evaluation.data)).join(', ')}: ${evaluation.steps} steps, batch ${evaluation.batchSize}, ` +
        `critic [${evaluation.hiddenSizes.join(', ')}], lr ${evaluation.learningRate}, probe every ${evaluation.probeEvery}`,
    );
  }
  if (config.cql) {
    const c = config.cql;
    reporter.say(
      `  ${c.task === 'cartpole' ? 'cql-discrete' : 'cql'} (alpha ${c.alpha}) vs cql+dr3 on ${c.dataset}: ${c.steps} steps, batch ${c.batchSize}, ` +
        `${c.task === 'cartpole' ? 'Q-network' : 'critics'} [${c.hiddenSizes.join(', ')}], ${c.evalEpisodes} eval episodes`,
    );
  }

  const result = await runDr3Experiment(config, {
    loadDataset: async (recipe) => {
      if (config.datasetTransitions !== undefined) return makeRecipe(recipe, { minTransitions: config.datasetTransitions });
      return (await resolveDataset(ctx, recipe, reporter, { dataDir: opts.dataDir })).dataset;
    },
    startRun: (label, steps) => startProgress(reporter, label, steps),
    finishRun: (run) => reporter.say(runLine(run)),
    store: savedRunsStore<Dr3RunResult>(join(outDir, 'runs'), (id) => reporter.say(`reusing ${id} from ${join(outDir, 'runs')} (finished earlier with the same settings)`)),
    savedOnly: Boolean(opts.savedOnly),
    skipRun: (id) => reporter.say(`no saved run ${id} with these settings: left out (--saved-only)`),
  });
  if (result.runs.length === 0) throw new UsageError(`--saved-only: ${join(outDir, 'runs')} holds no run with these settings`);

  mkdirSync(outDir, { recursive: true });
  const resultsPath = join(outDir, 'results.json');
  writeFileAtomic(resultsPath, `${JSON.stringify(result, null, 1)}\n`);
  const plots = await writeDr3Plots(result, outDir);

  reporter.say('');
  reporter.say(summaryTable(result));
  const diff = result.cqlDifference;
  if (diff) {
    reporter.say(
      `cql+dr3 - cql on ${diff.dataset}, paired by seed (${diff.seeds.length}): mean ${fmt(diff.mean, 1)}, std ${fmt(diff.std, 1)}, ` +
        `t ${Number.isFinite(diff.t) ? fmt(diff.t, 2) : '-'}, DR3 ahead in ${diff.dr3Ahead} of ${diff.seeds.length} (per seed: ${diff.differences.map((d) => fmt(d, 1)).join(', ')})`,
    );
  }
  reporter.say('');
  reporter.say(`${result.wallSeconds.toFixed(1)}s; wrote ${resultsPath}`);
  reporter.say(`plots: ${plots.join(', ')}`);
  if (opts.json) reporter.result({ updates: config.evaluation.steps, cqlUpdates: config.cql?.steps ?? null, methods: result.methods, cqlDifference: result.cqlDifference ?? null });
  return 0;
}

/**
 * The scale and the conditions of the evaluation part from the command line: --updates,
 * --probe-every, --tasks, --methods, --data, --gamma, --critic-layers (of 256 units),
 * --target-update-interval; and --cql-updates for the CQL part. Each is checked; unset ones keep
 * the preset's value.
 */
export function applyDr3Scale(config: Dr3ExperimentConfig, opts: ExperimentCliOptions): Dr3ExperimentConfig {
  const evaluation = { ...config.evaluation };
  const updates = parseOptionalInteger('--updates', opts.updates, { min: 1 });
  if (updates !== undefined) evaluation.steps = updates;
  const probeEvery = parseOptionalInteger('--probe-every', opts.probeEvery, { min: 1 });
  evaluation.probeEvery = probeEvery ?? (updates !== undefined ? probeEveryFor(updates, config.evaluation.probeEvery) : evaluation.probeEvery);
  const layers = parseOptionalInteger('--critic-layers', opts.criticLayers, { min: 1, max: 16 });
  if (layers !== undefined) evaluation.hiddenSizes = Array.from({ length: layers }, () => config.evaluation.hiddenSizes[0] ?? 256);
  const targetUpdateInterval = parseOptionalInteger('--target-update-interval', opts.targetUpdateInterval, { min: 1 });
  if (targetUpdateInterval !== undefined) evaluation.targetUpdateInterval = targetUpdateInterval;
  if (opts.tasks !== undefined) evaluation.tasks = parseChoiceList('--tasks', opts.tasks, Object.keys(DR3_TASKS) as Dr3Task[], 'task');
  if (opts.methods !== undefined) evaluation.methods = [...new Set(parseChoiceList('--methods', opts.methods, DR3_ALL_EVALUATION_METHODS, 'method'))];
  if (evaluation.methods.includes('td-policy')) {
    const discrete = evaluation.tasks.filter((t) => !DR3_TASKS[t].continuous);
    if (discrete.length > 0) throw new UsageError(`--methods td-policy runs on continuous tasks only; drop ${discrete.join(', ')} from --tasks (e.g. --tasks pendulum)`);
  }
  if (opts.data !== undefined) {
    if (!(DR3_BEHAVIOUR_DATA as readonly string[]).includes(opts.data)) throw new UsageError(`--data: unknown behaviour data "${opts.data}" (choose ${DR3_BEHAVIOUR_DATA.join(' or ')})`);
    evaluation.data = opts.data as Dr3BehaviourData;
  }
  const gamma = opts.gamma === undefined ? config.gamma : parseNumber('--gamma', opts.gamma, (g) => g >= 0 && g < 1, 'a number in [0, 1)');
  const cqlUpdates = parseOptionalInteger('--cql-updates', opts.cqlUpdates, { min: 1 });
  const cqlHidden = opts.cqlHidden === undefined ? undefined : parseHiddenSizes('--cql-hidden', opts.cqlHidden);
  const cqlAlpha = opts.cqlAlpha === undefined ? undefined : parseNumber('--cql-alpha', opts.cqlAlpha, (a) => a >= 0 && Number.isFinite(a), 'a number at least 0');
  for (const [flag, given] of [['--cql-updates', cqlUpdates], ['--cql-hidden', cqlHidden], ['--cql-alpha', cqlAlpha]] as const) {
    if (given !== undefined && !config.cql) throw new UsageError(`${flag}: this configuration has no CQL part (drop --only evaluation)`);
  }
  let cql = config.cql;
  if (cql) {
    if (cqlUpdates !== undefined) cql = { ...cql, steps: cqlUpdates, probeEvery: probeEveryFor(cqlUpdates, cql.probeEvery) };
    if (cqlHidden !== undefined) cql = { ...cql, hiddenSizes: cqlHidden };
    if (cqlAlpha !== undefined) cql = { ...cql, alpha: cqlAlpha };
  }
  return { ...config, gamma, evaluation, cql };
}

/** Long runs probe every 1% by default (100 points, after the log-spaced early ones), never more often than the preset. */
function probeEveryFor(updates: number, presetEvery: number): number {
  return Math.max(presetEvery, Math.ceil(updates / 100));
}

export const DR3_PARTS: readonly string[] = ['evaluation', 'cql'];

/**
 * Applies `--only` and `--cql-dataset` to a DR3 config; a bad value is a usage error. A Pendulum
 * recipe makes the CQL part continuous CQL, with that learner's own default weight (cqlAlpha 5)
 * unless --cql-alpha says otherwise.
 */
export function selectDr3Parts(config: Dr3ExperimentConfig, opts: Pick<ExperimentCliOptions, 'only' | 'cqlDataset'>): Dr3ExperimentConfig {
  let selected = config;
  if (opts.cqlDataset !== undefined) {
    const tasks = Object.keys(DR3_TASKS) as Dr3Task[];
    const recipes = listRecipes()
      .map((recipe) => recipe.name)
      .filter((recipe) => tasks.some((task) => recipe.startsWith(`${task}-`)));
    if (!recipes.includes(opts.cqlDataset)) {
      throw new UsageError(`--cql-dataset: "${opts.cqlDataset}" is not a CartPole or Pendulum recipe (choose one of ${recipes.join(', ')})`);
    }
    if (!selected.cql) throw new UsageError('--cql-dataset: this configuration has no CQL part');
    const task = tasks.find((t) => opts.cqlDataset!.startsWith(`${t}-`))!;
    const alphaOfKind = task === selected.cql.task ? {} : { alpha: DR3_TASKS[task].continuous ? CQL_DEFAULTS.cqlAlpha : DISCRETE_CQL_DEFAULTS.alpha };
    selected = { ...selected, cql: { ...selected.cql, ...alphaOfKind, task, envId: DR3_TASKS[task].envId, dataset: opts.cqlDataset } };
  }
  if (opts.only !== undefined) {
    if (opts.only === 'evaluation') selected = { ...selected, cql: null };
    else if (opts.only === 'cql') selected = { ...selected, evaluation: { ...selected.evaluation, tasks: [] } };
    else throw new UsageError(`--only: unknown part "${opts.only}" (choose ${DR3_PARTS.join(' or ')})`);
  }
  return selected;
}

function fmt(x: number | undefined, digits = 2): string {
  return x === undefined ? '-' : fmtNumber(x, digits);
}

function runLine(run: Dr3RunResult): string {
  const first = run.probes[0];
  const last = run.probes[run.probes.length - 1];
  const features = first && last ? `dot ${fmt(first.featureDot)} -> ${fmt(last.featureDot)}, srank ${first.srank} -> ${last.srank}, Q ${fmt(last.qMean, 1)}` : 'no probes';
  const evalText = run.evalReturn === undefined ? '' : `, return ${fmt(run.evalReturn, 1)}`;
  return `${run.method} ${run.task} seed ${run.seed}: ${features}${evalText} (${run.wallSeconds.toFixed(1)}s)`;
}

/** The table of the summary: one row per task and method. */
export function summaryTable(result: Dr3ExperimentResult): string {
  return formatTable(
    ['task', 'method', 'dataset', 'seeds', 'dot start', 'dot end', 'cos start', 'cos end', 'srank start', 'srank end', 'Q end', 'eval return'],
    result.methods.map((m) => [
      m.task,
      m.name,
      m.dataset,
      String(m.seeds),
      fmt(m.dotStart),
      fmt(m.dotEnd),
      fmt(m.cosineStart),
      fmt(m.cosineEnd),
      fmt(m.srankStart, 1),
      fmt(m.srankEnd, 1),
      fmt(m.qEnd, 1),
      m.evalReturnMean === undefined ? '-' : `${fmt(m.evalReturnMean, 1)} ± ${fmt(m.evalReturnStd, 1)}`,
    ]),
  );
}
