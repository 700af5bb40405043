#!/usr/bin/env node
// Bit-identical check: a short, seeded run of every learner (offline on a small recipe, and online
// for DQN and SAC) on the cpu and wasm backends, reduced to a SHA-256 of its final snapshot
// (weights, optimizer moments, random streams, update count) plus the last update's metrics and the
// final evaluation return. A refactor that keeps the numbers keeps every fingerprint.
//
//   npm run build
//   node tools/fingerprints/run.mjs            # compare with tools/fingerprints/baseline.json; exit 1 on a difference
//   node tools/fingerprints/run.mjs --record   # write the baseline (only when a change of numbers is meant)
//   node tools/fingerprints/run.mjs --only cql,dqn-online --backends cpu
/* global console, process */ // Node globals: eslint.config.js lists them for tools/**/*.js only
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { initBackend } from '@bellman/nn';
import { makeRecipe } from '@bellman/datasets';
import { make } from '@bellman/envs';
import { createLearner } from '@bellman/q-learning';
import { OfflineTrainer, OnlineTrainer } from '@bellman/training';

const BASELINE = join(dirname(fileURLToPath(import.meta.url)), 'baseline.json');
const UPDATES = 25;
const BATCH = 64;
const ONLINE_STEPS = 300;

/** Evaluation policies of the two FQE learners: uniform over CartPole's actions, uniform in Pendulum's box. */
const uniformProbabilities = { policyProbabilities: (_obs, count) => new Float32Array(2 * count).fill(0.5) };
const uniformSampler = {
  sampleActions(_obs, count, rng) {
    const out = new Float32Array(count);
    for (let i = 0; i < count; i++) out[i] = rng.uniformRange(-2, 2);
    return out;
  },
};

/** Every case: a name, the learner, and how it trains. */
const CASES = [
  ...['bc', 'cql-discrete', 'dqn', 'iql', 'sarsa', 'fqe'].map((algo) => ({ name: `${algo}-cartpole`, algo, env: 'CartPole-v1', dataset: 'cartpole-medium-v0' })),
  ...['bc', 'cql', 'crr', 'iql', 'sac', 'sarsa-continuous', 'td3bc', 'fqe-continuous'].map((algo) => ({
    name: `${algo}-pendulum`,
    algo,
    env: 'Pendulum-v1',
    dataset: 'pendulum-medium-v0',
  })),
  { name: 'dqn-online', algo: 'dqn', env: 'CartPole-v1', online: true },
  { name: 'sac-online', algo: 'sac', env: 'Pendulum-v1', online: true },
];

function parseArgs(argv) {
  const args = { record: false, only: null, backends: ['cpu', 'wasm'] };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    if (flag === '--record') args.record = true;
    else if (flag === '--only') args.only = argv[++i].split(',');
    else if (flag === '--backends') args.backends = argv[++i].split(',');
    else {
      console.error(`fingerprints: unknown argument "${flag}" (use --record, --only a,b, --backends cpu,wasm)`);
      process.exit(2);
    }
  }
  if (args.only) {
    const unknown = args.only.filter((name) => !CASES.some((c) => c.name === name));
    if (unknown.length > 0) {
      console.error(`fingerprints: unknown case ${unknown.join(', ')} (cases: ${CASES.map((c) => c.name).join(', ')})`);
      process.exit(2);
    }
  }
  return args;
}

const datasets = new Map();
function datasetOf(name) {
  if (!datasets.has(name)) datasets.set(name, makeRecipe(name, { minTransitions: 2000 }));
  return datasets.get(name);
}

/** One case on the current backend: its fingerprint and the numbers it is made of, for the report. */
async function runCase(spec) {
  const env = make(spec.env);
  const init = { observationSpace: env.observationSpace, actionSpace: env.actionSpace, seed: 0 };
  env.close();
  let lastMetrics = {};
  const onProgress = (event) => {
    if (event.type === 'update') lastMetrics = event.metrics;
  };
  let learner;
  let summary;
  if (spec.online) {
    learner = createLearner(spec.algo, init);
    const trainer = new OnlineTrainer({ learner, envFactory: () => make(spec.env), steps: ONLINE_STEPS, warmupSteps: 100, batchSize: BATCH, seed: 0, evalEvery: 0, evalEpisodes: 1, onProgress });
    summary = await trainer.run();
  } else {
    const dataset = datasetOf(spec.dataset);
    const statistics = dataset.statistics();
    const evaluationPolicy = spec.algo === 'fqe' ? uniformProbabilities : spec.algo === 'fqe-continuous' ? uniformSampler : undefined;
    learner = createLearner(spec.algo, { ...init, episodeStatistics: statistics, normalization: statistics, ...(evaluationPolicy ? { evaluationPolicy } : {}) });
    const trainer = new OfflineTrainer({ learner, dataset, envFactory: () => make(spec.env), steps: UPDATES, batchSize: BATCH, seed: 0, evalEvery: 0, evalEpisodes: 1, onProgress });
    summary = await trainer.run();
  }
  const snapshot = learner.save();
  learner.dispose();
  const state = JSON.stringify({ weights: snapshot.weights, optimizers: snapshot.optimizers, rng: snapshot.rng, updates: snapshot.updates });
  const numbers = { metrics: lastMetrics, evalReturn: summary.evalReturnMean };
  const sha256 = createHash('sha256').update(state).update(JSON.stringify(numbers)).digest('hex');
  return { sha256, updates: snapshot.updates, ...numbers };
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const baseline = existsSync(BASELINE) ? JSON.parse(readFileSync(BASELINE, 'utf8')) : {};
  const cases = CASES.filter((c) => !args.only || args.only.includes(c.name));
  const results = args.record ? { ...baseline } : {};
  const differences = [];
  for (const backend of args.backends) {
    await initBackend({ backend });
    for (const spec of cases) {
      const key = `${spec.name}@${backend}`;
      const got = await runCase(spec);
      results[key] = got;
      const want = baseline[key];
      const verdict = args.record ? 'recorded' : !want ? 'NEW (no baseline)' : want.sha256 === got.sha256 ? 'same' : 'DIFFERENT';
      console.log(`${key.padEnd(32)} ${got.sha256.slice(0, 16)}  ${verdict}`);
      if (!args.record && (!want || want.sha256 !== got.sha256)) differences.push({ key, want, got });
    }
  }
  if (args.record) {
    const sorted = Object.fromEntries(Object.keys(results).sort().map((k) => [k, results[k]]));
    writeFileSync(BASELINE, `${JSON.stringify(sorted, null, 1)}\n`);
    console.log(`wrote ${BASELINE}`);
    return 0;
  }
  if (differences.length === 0) {
    console.log(`fingerprints: all ${cases.length * args.backends.length} runs are bit-identical to ${BASELINE}`);
    return 0;
  }
  for (const { key, want, got } of differences) {
    console.error(`\n${key}: ${want ? 'differs from the baseline' : 'has no baseline'}`);
    if (want) {
      for (const field of Object.keys({ ...want.metrics, ...got.metrics })) {
        if (want.metrics[field] !== got.metrics[field]) console.error(`  metric ${field}: baseline ${want.metrics[field]}, now ${got.metrics[field]}`);
      }
      if (want.evalReturn !== got.evalReturn) console.error(`  eval return: baseline ${want.evalReturn}, now ${got.evalReturn}`);
    }
  }
  console.error(`\nfingerprints: ${differences.length} of ${cases.length * args.backends.length} runs differ (record a new baseline with --record only when the change of numbers is meant)`);
  return 1;
}

process.exitCode = await main();
