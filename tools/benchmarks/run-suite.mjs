#!/usr/bin/env node
// Bellman benchmark suite: trains every learner on the built-in dataset recipes (offline) or in the
// environment (online), with default configs, several seeds, and a final evaluation; writes raw
// results to docs/benchmarks/<suite>.json and renders the tables of docs/benchmarks.md from them.
//
//   npm run build   # the suite imports the built packages
//   node tools/benchmarks/run-suite.mjs --suite discrete|continuous|online|timing [--seeds 0,1,2] [--steps N]
//        [--algos a,b] [--datasets name,...] [--batch 256] [--eval-episodes 10] [--eval-every N]
//        [--backend wasm|cpu|auto] [--force] [--render]
//
// A run already in the JSON with the same steps, batch size and evaluation episodes is skipped, so an
// interrupted suite continues where it stopped. `--render` only re-renders the markdown.
// The discrete suite is a `bellman sweep` (docs/benchmarks/discrete.sweep.json, results in
// docs/benchmarks/discrete-sweep/): `--suite discrete` runs it on 2 worker processes.
/* global console, process, performance */ // Node globals: eslint.config.js lists them for tools/**/*.js only
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync, existsSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import os from 'node:os';
import { Rng } from '@bellman/core';
import { initBackend } from '@bellman/nn';
import { makeRecipe } from '@bellman/datasets';
import { make } from '@bellman/envs';
import { createLearner, getLearnerDefinition } from '@bellman/q-learning';
import { OfflineTrainer, OnlineTrainer } from '@bellman/training';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const RESULTS_DIR = join(ROOT, 'docs', 'benchmarks');
const DOC_PATH = join(ROOT, 'docs', 'benchmarks.md');
const BELLMAN_BIN = join(ROOT, 'packages', 'cli', 'bin', 'bellman.js');
const DISCRETE_SPEC = join(RESULTS_DIR, 'discrete.sweep.json');
const DISCRETE_SWEEP = join(RESULTS_DIR, 'discrete-sweep');

/** What each suite runs; the defaults were sized to the machine (see docs/benchmarks.md). */
const SUITES = {
  // The discrete learners, for the timing suite; their benchmark grid is DISCRETE_SPEC.
  discrete: { algos: ['bc', 'dqn', 'cql-discrete', 'iql', 'sarsa'] },
  continuous: {
    algos: ['bc', 'cql', 'td3bc', 'iql', 'crr'],
    datasets: [
      'pendulum-medium-v0',
      'pendulum-mixed-v0',
      'pendulum-expert-v0',
      'mountaincarcontinuous-medium-v0',
      'mountaincarcontinuous-mixed-v0',
      'mountaincarcontinuous-expert-v0',
    ],
    steps: 5000,
  },
  online: {
    // Setups, by name (`--algos` picks among them): the learner, its env, the return that counts
    // as solved, the default number of env steps, and any config / trainer option that differs
    // from the defaults (`hyperparameters` says where those come from).
    algos: ['dqn', 'dqn-zoo', 'sac'],
    tasks: {
      dqn: { algo: 'dqn', env: 'CartPole-v1', threshold: 475, steps: 20000 },
      // RL Baselines3 Zoo's DQN hyperparameters for CartPole-v1 (lr 2.3e-3, batch 64, 128
      // gradient steps every 256 env steps, target refreshed after each round, epsilon 1 -> 0.04
      // over the first 16% of 50k steps, 1000 warm-up steps, [256, 256] network).
      'dqn-zoo': {
        algo: 'dqn',
        env: 'CartPole-v1',
        threshold: 475,
        steps: 50000,
        hyperparameters: 'RL Baselines3 Zoo (CartPole-v1)',
        config: { learningRate: 2.3e-3, targetUpdateInterval: 128, epsilonEnd: 0.04, epsilonDecaySteps: 8000 },
        trainer: { batchSize: 64, updateEvery: 256, gradientSteps: 128, warmupSteps: 1000, bufferCapacity: 100000 },
      },
      sac: { algo: 'sac', env: 'Pendulum-v1', threshold: -200, steps: 20000 },
    },
  },
};

/** Column labels: SARSA is evaluated by acting greedily in its learned Q. */
const ALGO_LABEL = { sarsa: 'sarsa-greedy', 'cql-discrete': 'cql-discrete' };

/** Recipe name -> Gymnasium id of the env it was collected in. */
const RECIPE_ENV = { cartpole: 'CartPole-v1', pendulum: 'Pendulum-v1', mountaincarcontinuous: 'MountainCarContinuous-v0' };

function parseArgs(argv) {
  const args = { seeds: [0, 1, 2], batch: 256, evalEpisodes: 10, backend: 'wasm', force: false, render: false };
  for (let i = 0; i < argv.length; i++) {
    const key = argv[i];
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`run-suite: ${key} needs a value`);
      return v;
    };
    const int = (name) => {
      const raw = value();
      const n = Number(raw);
      if (!Number.isInteger(n) || n <= 0) throw new Error(`run-suite: ${name} must be a positive integer, got "${raw}"`);
      return n;
    };
    switch (key) {
      case '--suite': args.suite = value(); break;
      case '--seeds': args.seeds = value().split(',').map((s) => {
        const n = Number(s);
        if (!Number.isInteger(n) || n < 0) throw new Error(`run-suite: --seeds must be non-negative integers, got "${s}"`);
        return n;
      }); break;
      case '--steps': args.steps = int('--steps'); break;
      case '--batch': args.batch = int('--batch'); break;
      case '--eval-episodes': args.evalEpisodes = int('--eval-episodes'); break;
      case '--eval-every': args.evalEvery = int('--eval-every'); break;
      case '--algos': args.algos = value().split(','); break;
      case '--datasets': args.datasets = value().split(','); break;
      case '--backend': args.backend = value(); break;
      case '--force': args.force = true; break;
      case '--render': args.render = true; break;
      case '--help': case '-h':
        console.log(readFileSync(fileURLToPath(import.meta.url), 'utf8').split('\n').slice(1, 12).join('\n'));
        process.exit(0);
        break;
      default: throw new Error(`run-suite: unknown argument "${key}" (see --help)`);
    }
  }
  if (!args.render && !['discrete', 'continuous', 'online', 'timing'].includes(args.suite ?? '')) {
    throw new Error(`run-suite: --suite must be discrete, continuous, online or timing, got "${args.suite ?? ''}"`);
  }
  return args;
}

// ---------------------------------------------------------------- result files

function resultsPath(suite) {
  return join(RESULTS_DIR, `${suite}.json`);
}

function loadResults(suite) {
  const path = resultsPath(suite);
  if (!existsSync(path)) return { suite, runs: [] };
  const data = JSON.parse(readFileSync(path, 'utf8'));
  if (!Array.isArray(data.runs)) throw new Error(`run-suite: ${path} has no "runs" array`);
  return data;
}

function saveResults(suite, data) {
  mkdirSync(RESULTS_DIR, { recursive: true });
  const path = resultsPath(suite);
  const tmp = `${path}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(data, null, 1)}\n`);
  renameSync(tmp, path);
}

/** Offline runs of different lengths are kept side by side; an online run replaces the previous one of its setup. */
function runKey(run) {
  if (run.dataset !== undefined) return `${run.algo}|${run.dataset}|${run.seed}|${run.steps}`;
  return `${run.setup ?? run.algo}|${run.env}|${run.seed}`;
}

/**
 * Add (or replace) one run and save. The file is read again first, so two suites writing the same
 * file (e.g. `--algos dqn` and `--algos sac` side by side) keep each other's runs.
 */
function recordRun(suite, data, run) {
  const key = runKey(run);
  const fresh = loadResults(suite);
  fresh.runs = fresh.runs.filter((r) => runKey(r) !== key);
  fresh.runs.push(run);
  saveResults(suite, fresh);
  data.runs = fresh.runs;
}

function alreadyDone(data, probe) {
  return data.runs.find(
    (r) => runKey(r) === runKey(probe) && r.steps === probe.steps && r.batchSize === probe.batchSize && r.evalEpisodes === probe.evalEpisodes,
  );
}

function environmentInfo(backendName) {
  return {
    backend: backendName,
    node: process.version,
    cpu: os.cpus()[0]?.model ?? 'unknown',
    cores: os.cpus().length,
    loadAverage: os.loadavg().map((x) => Number(x.toFixed(2))),
    date: new Date().toISOString(),
  };
}

// ---------------------------------------------------------------- runs

function envIdForRecipe(recipe) {
  const id = RECIPE_ENV[recipe.split('-')[0]];
  if (!id) throw new Error(`run-suite: no env known for recipe "${recipe}"`);
  return id;
}

function learnerInit(dataset, seed) {
  // As `bellman train` does: the dataset's statistics, episode returns for IQL's reward scale
  // ('auto' by default) and observation moments for TD3+BC's normalisation (neither a config field).
  const statistics = dataset.statistics();
  return { observationSpace: dataset.observationSpace, actionSpace: dataset.actionSpace, seed, episodeStatistics: statistics, normalization: statistics };
}

async function runOffline(args, suiteName, data, backendName) {
  const suite = SUITES[suiteName];
  const algos = args.algos ?? suite.algos;
  const datasets = args.datasets ?? suite.datasets;
  const steps = args.steps ?? suite.steps;
  for (const algo of algos) getLearnerDefinition(algo);
  const recipes = new Map();
  for (const dataset of datasets) {
    for (const algo of algos) {
      for (const seed of args.seeds) {
        const probe = { algo, dataset, seed, steps, batchSize: args.batch, evalEpisodes: args.evalEpisodes };
        if (!args.force && alreadyDone(data, probe)) {
          console.log(`skip ${algo} ${dataset} seed ${seed} (in ${resultsPath(suiteName)})`);
          continue;
        }
        if (!recipes.has(dataset)) recipes.set(dataset, makeRecipe(dataset));
        const recipe = recipes.get(dataset);
        const envId = envIdForRecipe(dataset);
        const learner = createLearner(algo, learnerInit(recipe, seed));
        let lastMetrics = null;
        const trainer = new OfflineTrainer({
          learner,
          dataset: recipe,
          envFactory: () => make(envId),
          steps,
          batchSize: args.batch,
          seed,
          evalEvery: args.evalEvery ?? steps,
          evalEpisodes: args.evalEpisodes,
          logEvery: Math.max(1, Math.floor(steps / 10)),
          // The last update's training metrics (losses, Q means, advantage weights) go into the JSON.
          onProgress: (e) => {
            if (e.type === 'update') lastMetrics = e.metrics;
          },
        });
        const summary = await trainer.run();
        learner.dispose();
        const stats = recipe.statistics();
        const run = {
          ...probe,
          env: envId,
          datasetReturnMean: stats.returnMean,
          datasetReturnStd: stats.returnStd,
          evalReturnMean: summary.evalReturnMean,
          evalReturnStd: summary.evalReturnStd,
          evalHistory: summary.evalHistory,
          finalTrainingMetrics: lastMetrics,
          wallSeconds: summary.wallSeconds,
          msPerStep: (summary.wallSeconds * 1000) / steps,
          ...environmentInfo(backendName),
        };
        recordRun(suiteName, data, run);
        console.log(
          `${algo.padEnd(12)} ${dataset.padEnd(32)} seed ${seed}: return ${summary.evalReturnMean.toFixed(1)} ` +
            `+- ${summary.evalReturnStd.toFixed(1)} (dataset ${stats.returnMean.toFixed(1)}), ${summary.wallSeconds.toFixed(1)} s`,
        );
        renderDoc();
      }
    }
  }
}

async function runOnline(args, data, backendName) {
  const suite = SUITES.online;
  const setups = args.algos ?? suite.algos;
  for (const setup of setups) {
    const task = suite.tasks[setup];
    if (!task) throw new Error(`run-suite: the online suite has no setup "${setup}" (it has ${Object.keys(suite.tasks).join(', ')})`);
    const { algo } = task;
    const steps = args.steps ?? task.steps;
    const evalEvery = args.evalEvery ?? 1000;
    const batchSize = task.trainer?.batchSize ?? args.batch;
    for (const seed of args.seeds) {
      const probe = { setup, algo, env: task.env, seed, steps, batchSize, evalEpisodes: args.evalEpisodes };
      if (!args.force && alreadyDone(data, probe)) {
        console.log(`skip ${setup} ${task.env} seed ${seed} (in ${resultsPath('online')})`);
        continue;
      }
      const env = make(task.env);
      const learner = createLearner(algo, {
        observationSpace: env.observationSpace,
        actionSpace: env.actionSpace,
        seed,
        ...(task.config ? { config: task.config } : {}),
      });
      env.close();
      const episodeReturns = [];
      const trainer = new OnlineTrainer({
        learner,
        envFactory: () => make(task.env),
        steps,
        seed,
        batchSize: args.batch,
        evalEvery,
        evalEpisodes: args.evalEpisodes,
        logEvery: 1000,
        ...(task.trainer ?? {}),
        onProgress: (e) => {
          if (e.type === 'episode') episodeReturns.push([e.step, e.episodeReturn]);
          if (e.type === 'evaluation') console.log(`  ${setup} seed ${seed} step ${e.step}: eval return ${e.evaluation.returnMean.toFixed(1)}`);
        },
      });
      const summary = await trainer.run();
      learner.dispose();
      const reached = summary.evalHistory.find((r) => r.returnMean >= task.threshold);
      const run = {
        ...probe,
        ...(task.config ? { config: task.config } : {}),
        ...(task.trainer ? { trainerOptions: task.trainer } : {}),
        threshold: task.threshold,
        evalEvery,
        stepsToThreshold: reached ? reached.step : null,
        evalReturnMean: summary.evalReturnMean,
        evalReturnStd: summary.evalReturnStd,
        bestEvalReturnMean: summary.bestEval?.returnMean ?? null,
        evalHistory: summary.evalHistory,
        trainingEpisodes: episodeReturns.length,
        wallSeconds: summary.wallSeconds,
        ...environmentInfo(backendName),
      };
      recordRun('online', data, run);
      console.log(
        `${setup} ${task.env} seed ${seed}: final ${summary.evalReturnMean.toFixed(1)}, ` +
          `reached ${task.threshold} at ${run.stepsToThreshold ?? 'never'}, ${summary.wallSeconds.toFixed(1)} s`,
      );
      renderDoc();
    }
  }
}

/** Milliseconds per update of each learner at the suite's batch size, to size the runs. */
async function runTiming(args, backendName) {
  const plan = [
    ['cartpole-mixed-v0', SUITES.discrete.algos],
    ['pendulum-mixed-v0', [...SUITES.continuous.algos, 'sac']],
  ];
  const rows = [];
  for (const [name, algos] of plan) {
    const dataset = makeRecipe(name);
    const rng = new Rng(0);
    for (const algo of args.algos ? algos.filter((a) => args.algos.includes(a)) : algos) {
      const learner = createLearner(algo, learnerInit(dataset, 0));
      for (let i = 0; i < 3; i++) learner.update(dataset.sampleTransitions(args.batch, rng));
      const count = algo === 'cql' ? 5 : 20;
      const start = performance.now();
      for (let i = 0; i < count; i++) learner.update(dataset.sampleTransitions(args.batch, rng));
      const ms = (performance.now() - start) / count;
      learner.dispose();
      rows.push({ algo, dataset: name, batchSize: args.batch, msPerUpdate: Number(ms.toFixed(2)) });
      console.log(JSON.stringify(rows[rows.length - 1]));
    }
  }
  saveResults('timing', { suite: 'timing', runs: rows, ...environmentInfo(backendName) });
  renderDoc();
}

// ---------------------------------------------------------------- rendering

function meanStd(values) {
  const n = values.length;
  const mean = values.reduce((a, b) => a + b, 0) / n;
  // Sample standard deviation over seeds (n - 1); 0 for a single seed.
  const std = n > 1 ? Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1)) : 0;
  return { mean, std, n };
}

function fmt(x, digits = 1) {
  return x === null || x === undefined || Number.isNaN(x) ? '-' : x.toFixed(digits);
}

function cell(runs) {
  if (runs.length === 0) return 'not run';
  const { mean, std, n } = meanStd(runs.map((r) => r.evalReturnMean));
  return `${fmt(mean)} ± ${fmt(std)} (${n})`;
}

function uniformOrList(values) {
  const unique = [...new Set(values)];
  return unique.length === 1 ? String(unique[0]) : unique.join(' / ');
}

const recipeReturns = new Map();
/** The recipe's own mean return, for datasets without runs yet (generating one takes a fraction of a second). */
function recipeReturnMean(name) {
  if (!recipeReturns.has(name)) recipeReturns.set(name, makeRecipe(name).statistics().returnMean);
  return recipeReturns.get(name);
}

function renderOfflineTable(suiteName) {
  const data = loadResults(suiteName);
  const suite = SUITES[suiteName];
  const algos = suite.algos;
  if (data.runs.length === 0) return `No runs recorded yet in docs/benchmarks/${suiteName}.json.`;
  const lengths = [...new Set(data.runs.map((r) => r.steps))].sort((a, b) => a - b);
  const sections = lengths.map((steps) => {
    const runs = data.runs.filter((r) => r.steps === steps);
    const lines = [`**${steps} updates per run**`, ''];
    const header = ['dataset', 'dataset return', ...algos.map((a) => ALGO_LABEL[a] ?? a)];
    lines.push(`| ${header.join(' | ')} |`);
    lines.push(`| ${header.map((_, i) => (i === 0 ? '---' : '---:')).join(' | ')} |`);
    for (const dataset of suite.datasets) {
      const forDataset = runs.filter((r) => r.dataset === dataset);
      if (forDataset.length === 0) continue;
      const datasetReturn = forDataset[0]?.datasetReturnMean ?? recipeReturnMean(dataset);
      const cells = algos.map((algo) => cell(forDataset.filter((r) => r.algo === algo)));
      lines.push(`| ${dataset} | ${fmt(datasetReturn)} | ${cells.join(' | ')} |`);
    }
    const wall = runs.reduce((a, r) => a + r.wallSeconds, 0);
    const perAlgo = algos
      .map((algo) => {
        const rs = runs.filter((r) => r.algo === algo);
        if (rs.length === 0) return null;
        return `${ALGO_LABEL[algo] ?? algo} ${fmt(rs.reduce((a, r) => a + r.msPerStep, 0) / rs.length)}`;
      })
      .filter(Boolean)
      .join(', ');
    lines.push('');
    lines.push(
      `Runs: ${runs.length}; updates per run: ${steps}; batch size: ` +
        `${uniformOrList(runs.map((r) => r.batchSize))}; seeds: ${uniformOrList([...new Set(runs.map((r) => r.seed))].sort((a, b) => a - b))}; ` +
        `evaluation episodes: ${uniformOrList(runs.map((r) => r.evalEpisodes))}; backend: ${uniformOrList(runs.map((r) => r.backend))}; ` +
        `total wall time ${fmt(wall / 60)} min (training and evaluation); mean ms per update including evaluation: ${perAlgo}. ` +
        `Runs done between ${runs.map((r) => r.date).sort()[0]} and ${runs.map((r) => r.date).sort().at(-1)}.`,
    );
    return lines.join('\n');
  });
  return sections.join('\n\n');
}

/** The discrete sweep's table, from `bellman sweep report --json` and each cell's result and timing. */
function renderDiscreteSweep() {
  if (!existsSync(join(DISCRETE_SWEEP, 'sweep.json'))) return 'No sweep results yet in docs/benchmarks/discrete-sweep (`--suite discrete`).';
  const { spec, cells } = JSON.parse(readFileSync(join(DISCRETE_SWEEP, 'sweep.json'), 'utf8'));
  const report = JSON.parse(execFileSync(process.execPath, [BELLMAN_BIN, 'sweep', 'report', DISCRETE_SWEEP, '--json'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }));
  const cellFile = (id, name) => {
    const path = join(DISCRETE_SWEEP, 'cells', id, name);
    return existsSync(path) ? JSON.parse(readFileSync(path, 'utf8')) : undefined;
  };
  const finished = cells.map((c) => ({ cell: c, result: cellFile(c.id, 'result.json'), timing: cellFile(c.id, 'timing.json') })).filter((c) => c.result);
  const { dataset: datasets, algo: algos } = spec.grid;
  const header = ['dataset', 'dataset return', ...algos.map((a) => ALGO_LABEL[a] ?? a)];
  const lines = [`| ${header.join(' | ')} |`, `| ${header.map((_, i) => (i === 0 ? '---' : '---:')).join(' | ')} |`];
  for (const dataset of datasets) {
    const datasetReturn = finished.find((c) => c.cell.params.dataset === dataset)?.result.result.datasetReturnMean;
    const entries = algos.map((algo) => {
      const group = report.groups.find((g) => g.params.dataset === dataset && g.params.algo === algo);
      return group ? `${fmt(group.mean)} ± ${fmt(group.std)} (${group.n})` : 'not run';
    });
    lines.push(`| ${dataset} | ${fmt(datasetReturn)} | ${entries.join(' | ')} |`);
  }
  const steps = spec.args.steps;
  const wallSeconds = finished.reduce((a, c) => a + (c.timing?.wallSeconds ?? 0), 0);
  const msPerUpdate = algos
    .map((algo) => {
      const timed = finished.filter((c) => c.cell.params.algo === algo && c.timing);
      return timed.length === 0 ? null : `${ALGO_LABEL[algo] ?? algo} ${fmt((timed.reduce((a, c) => a + c.timing.wallSeconds, 0) / timed.length / steps) * 1000)}`;
    })
    .filter(Boolean)
    .join(', ');
  const dates = finished.map((c) => c.timing?.finishedAt).filter(Boolean).sort();
  lines.push('');
  lines.push(
    `Cells: ${finished.length} of ${cells.length} (\`bellman ${spec.command} <algo> --dataset <dataset> --seed <seed> ${Object.entries(spec.args).map(([k, v]) => `--${k} ${v}`).join(' ')}\`); ` +
      `seeds ${spec.grid.seed.join(' / ')}; cell wall time ${fmt(wallSeconds / 60)} min in all (each cell's process: start-up, dataset, training and evaluation), ` +
      `mean ms per update including all of that: ${msPerUpdate}. Cells finished between ${dates[0]} and ${dates.at(-1)}.`,
  );
  lines.push('');
  lines.push('![Evaluation return against update, mean ± std over 3 seeds, one panel per dataset](./benchmarks/discrete-sweep/report-curves.svg)');
  return lines.join('\n');
}

function runDiscreteSweep(args) {
  const refused = ['algos', 'datasets', 'steps', 'evalEvery'].filter((key) => args[key] !== undefined);
  if (refused.length > 0) throw new Error(`run-suite: the discrete suite is the sweep ${DISCRETE_SPEC}; edit its grid instead of passing --${refused.join(', --')}`);
  try {
    execFileSync(process.execPath, [BELLMAN_BIN, 'sweep', 'run', DISCRETE_SPEC, '--workers', '2', '--out', DISCRETE_SWEEP], { stdio: 'inherit' });
  } finally {
    // report.svg/.png and report-curves.svg/.png, which the page shows
    execFileSync(process.execPath, [BELLMAN_BIN, 'sweep', 'report', DISCRETE_SWEEP], { stdio: ['ignore', 'ignore', 'inherit'] });
    // A finished cell's checkpoints (about 2 MB each) stay out of the docs: the report reads these files.
    const kept = new Set(['result.json', 'timing.json', 'metrics.jsonl', 'cell.log']);
    const cellsDir = join(DISCRETE_SWEEP, 'cells');
    for (const id of existsSync(cellsDir) ? readdirSync(cellsDir) : []) {
      if (!existsSync(join(cellsDir, id, 'result.json'))) continue;
      for (const name of readdirSync(join(cellsDir, id))) if (!kept.has(name)) rmSync(join(cellsDir, id, name), { recursive: true });
    }
    renderDoc();
  }
}

function renderOnlineTable() {
  const data = loadResults('online');
  const lines = [];
  lines.push('| setup | hyperparameters | env | env steps | final eval return | best eval return | steps to threshold (per seed) | seeds reaching it | wall s per seed |');
  lines.push('| --- | --- | --- | ---: | ---: | ---: | --- | ---: | ---: |');
  const setupOf = (r) => r.setup ?? r.algo;
  for (const setup of SUITES.online.algos) {
    const task = SUITES.online.tasks[setup];
    const algo = setup;
    const hyper = task.hyperparameters ?? 'defaults';
    const runs = data.runs.filter((r) => setupOf(r) === setup).sort((a, b) => a.seed - b.seed);
    if (runs.length === 0) {
      lines.push(`| ${algo} | ${hyper} | ${task.env} | - | not run | - | - | - | - |`);
      continue;
    }
    const best = meanStd(runs.map((r) => r.bestEvalReturnMean));
    const reached = runs.filter((r) => r.stepsToThreshold !== null).length;
    const perSeed = runs.map((r) => `s${r.seed}: ${r.stepsToThreshold ?? 'not reached'}`).join(', ');
    const wall = meanStd(runs.map((r) => r.wallSeconds)).mean;
    lines.push(
      `| ${algo} | ${hyper} | ${task.env} | ${uniformOrList(runs.map((r) => r.steps))} | ${cell(runs)} | ${fmt(best.mean)} ± ${fmt(best.std)} | ` +
        `${task.threshold}: ${perSeed} | ${reached}/${runs.length} | ${fmt(wall, 0)} |`,
    );
  }
  const runs = data.runs;
  if (runs.length > 0) {
    lines.push('');
    lines.push('Evaluation return (mean of the evaluation episodes) at each evaluation, per seed:');
    lines.push('');
    for (const r of [...runs].sort((a, b) => setupOf(a).localeCompare(setupOf(b)) || a.seed - b.seed)) {
      lines.push(`- ${setupOf(r)} seed ${r.seed}: ${r.evalHistory.map((e) => `${e.step}: ${fmt(e.returnMean, 0)}`).join(', ')}`);
    }
    lines.push('');
    lines.push(
      `Batch size ${uniformOrList(runs.map((r) => `${r.batchSize} (${setupOf(r)})`))}; evaluation every ${uniformOrList(runs.map((r) => r.evalEvery))} env steps ` +
        `with ${uniformOrList(runs.map((r) => r.evalEpisodes))} episodes; backend ${uniformOrList(runs.map((r) => r.backend))}; ` +
        `total wall time ${fmt(runs.reduce((a, r) => a + r.wallSeconds, 0) / 60)} min.`,
    );
  }
  return lines.join('\n');
}

function renderTimingTable() {
  const path = resultsPath('timing');
  if (!existsSync(path)) return 'Not measured yet (`--suite timing`).';
  const data = JSON.parse(readFileSync(path, 'utf8'));
  const lines = ['| algo | dataset | batch | ms per update |', '| --- | --- | ---: | ---: |'];
  for (const r of data.runs) lines.push(`| ${r.algo} | ${r.dataset} | ${r.batchSize} | ${fmt(r.msPerUpdate)} |`);
  lines.push('');
  lines.push(
    `\`learner.update\` alone (sampling included, no evaluation), mean of 20 updates (5 for cql) after 3 warm-up updates. ` +
      `Measured ${data.date}, backend ${data.backend}, load average then ${data.loadAverage.join(' / ')} on ${data.cores} cores.`,
  );
  return lines.join('\n');
}

const SECTIONS = {
  timing: renderTimingTable,
  discrete: renderDiscreteSweep,
  continuous: () => renderOfflineTable('continuous'),
  online: renderOnlineTable,
};

/** Replace the text between `<!-- BEGIN name -->` and `<!-- END name -->` in docs/benchmarks.md. */
function renderDoc() {
  if (!existsSync(DOC_PATH)) {
    const skeleton = ['# Benchmarks', '', ...Object.keys(SECTIONS).flatMap((name) => [`## ${name}`, '', `<!-- BEGIN ${name} -->`, `<!-- END ${name} -->`, ''])];
    writeFileSync(DOC_PATH, skeleton.join('\n'));
  }
  let text = readFileSync(DOC_PATH, 'utf8');
  for (const [name, render] of Object.entries(SECTIONS)) {
    const begin = `<!-- BEGIN ${name} -->`;
    const end = `<!-- END ${name} -->`;
    const from = text.indexOf(begin);
    const to = text.indexOf(end);
    if (from < 0 || to < from) continue;
    text = `${text.slice(0, from + begin.length)}\n${render()}\n${text.slice(to)}`;
  }
  // Atomic, so that a second suite running at the same time never reads half a file.
  const tmp = `${DOC_PATH}.${process.pid}.tmp`;
  writeFileSync(tmp, text);
  renameSync(tmp, DOC_PATH);
}

// ---------------------------------------------------------------- main

const args = parseArgs(process.argv.slice(2));
if (args.render) {
  renderDoc();
  console.log(`rendered ${DOC_PATH}`);
} else if (args.suite === 'discrete') {
  runDiscreteSweep(args);
  console.log(`results in ${DISCRETE_SWEEP}, tables in ${DOC_PATH}`);
} else {
  const backend = await initBackend({ backend: args.backend });
  const backendName = backend.name;
  console.log(`${backend.reason ?? backendName}; suite ${args.suite}, seeds ${args.seeds.join(',')}, batch ${args.batch}`);
  if (args.suite === 'timing') await runTiming(args, backendName);
  else if (args.suite === 'online') await runOnline(args, loadResults('online'), backendName);
  else await runOffline(args, args.suite, loadResults(args.suite), backendName);
  console.log(`results in ${resultsPath(args.suite)}, tables in ${DOC_PATH}`);
}
