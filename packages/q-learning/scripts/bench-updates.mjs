#!/usr/bin/env node
/* global process, performance, console */
/**
 * ms per `learner.update(batch)` of the continuous-action learners on the wasm backend: batch 256,
 * hidden [256, 256], default configs, Pendulum dimensions (obs 3, act 1) and Hopper-like ones
 * (obs 17, act 6), Box [-1, 1] actions. 4 fixed random batches, made before timing, are cycled.
 *
 *   npm run build && node packages/q-learning/scripts/bench-updates.mjs [--algos sac,cql] [--dims pendulum,hopper]
 *       [--warmup 3] [--updates 15] [--backend wasm] [--kernels '{"simdGemm":false}']
 *
 * Prints one JSON line per (dims, algo): mean, min, median and max ms per update, and the process
 * CPU time per update (less sensitive to other jobs on a shared machine than wall time).
 */
import { Box } from '@bellman/core';
import { initBackend, setKernelOptions } from '@bellman/nn';
import { createLearner } from '@bellman/q-learning';

const args = process.argv.slice(2);
function option(name, fallback) {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && i + 1 < args.length ? args[i + 1] : fallback;
}
const algos = option('algos', 'sac,cql,td3bc,crr,iql').split(',');
const dims = option('dims', 'pendulum,hopper').split(',');
const warmup = Number(option('warmup', '3'));
const updates = Number(option('updates', '15'));
const DIMS = { pendulum: [3, 1], hopper: [17, 6] };
const BATCH = 256;

function randomBatch(observationDim, actionDim, seed) {
  let state = seed;
  const next = () => ((state = (state * 1103515245 + 12345) % 2147483648) / 2147483648) * 2 - 1;
  const values = (n) => Float32Array.from({ length: n }, next);
  return {
    size: BATCH,
    observationDim,
    actionDim,
    observations: values(BATCH * observationDim),
    actions: values(BATCH * actionDim),
    rewards: values(BATCH),
    nextObservations: values(BATCH * observationDim),
    terminals: new Float32Array(BATCH),
  };
}

await initBackend({ backend: option('backend', 'wasm') });
const kernels = option('kernels', '');
if (kernels) setKernelOptions(JSON.parse(kernels));
for (const name of dims) {
  if (!(name in DIMS)) throw new RangeError(`--dims: unknown "${name}" (expected ${Object.keys(DIMS).join(', ')})`);
  const [obs, act] = DIMS[name];
  for (const algo of algos) {
    const learner = createLearner(algo, {
      observationSpace: new Box(-10, 10, [obs]),
      actionSpace: new Box(-1, 1, [act]),
      seed: 1,
      config: { hiddenSizes: [256, 256] },
    });
    const batches = [1, 2, 3, 4].map((seed) => randomBatch(obs, act, seed));
    for (let i = 0; i < warmup; i++) learner.update(batches[i % batches.length]);
    const wall = [];
    const cpu = [];
    for (let i = 0; i < updates; i++) {
      const cpu0 = process.cpuUsage();
      const t0 = performance.now();
      learner.update(batches[i % batches.length]);
      wall.push(performance.now() - t0);
      const used = process.cpuUsage(cpu0);
      cpu.push((used.user + used.system) / 1000);
    }
    learner.dispose();
    wall.sort((a, b) => a - b);
    const mean = (xs) => xs.reduce((s, x) => s + x, 0) / xs.length;
    const round = (x) => Math.round(x * 10) / 10;
    console.log(
      JSON.stringify({
        dims: name,
        algo,
        meanMs: round(mean(wall)),
        minMs: round(wall[0]),
        medianMs: round(wall[wall.length >> 1]),
        maxMs: round(wall[wall.length - 1]),
        cpuMeanMs: round(mean(cpu)),
      }),
    );
  }
}
