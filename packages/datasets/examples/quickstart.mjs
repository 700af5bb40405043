// Run after `npx tsup` in packages/core, envs and datasets: node packages/datasets/examples/quickstart.mjs
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Rng } from '@bellman/core';
import { make } from '@bellman/envs';
import { collect, makeRecipe, randomPolicy, ReplayBuffer } from '@bellman/datasets';
import { loadRecipe, readDataset, writeMinari } from '@bellman/datasets/node';

// A recipe: generated deterministically, cached as Minari HDF5 under $BELLMAN_DATA_DIR or ~/.bellman/datasets.
const dataset = await loadRecipe('cartpole-mixed-v0');
const stats = dataset.statistics();
console.log(`${dataset.size} transitions, ${stats.episodes} episodes, mean return ${stats.returnMean.toFixed(1)}`);

// Batches for Q-learning (with next actions for SARSA) and windows for trajectory models.
const rng = new Rng(0);
const batch = dataset.sampleTransitions(256, rng);
console.log(batch.observations.length, batch.nextActions?.length, batch.nextActionMask?.reduce((a, b) => a + b, 0));
const windows = dataset.sampleWindows(32, 8, rng);
console.log(windows.mask.reduce((a, b) => a + b, 0), 'of', 8 * 32, 'window steps inside their episodes');

// Collect your own data, write it in Minari's layout and read it back.
const env = make('Pendulum-v1');
const own = collect(env, randomPolicy(env.actionSpace), { episodes: 5, seed: 1 });
const path = join(tmpdir(), 'bellman-example', 'main_data.hdf5');
await writeMinari(path, own, { datasetId: 'example/pendulum-random-v0' });
const { format, dataset: back } = await readDataset(path);
console.log(format, back.size, back.episodeReturns().map((r) => Math.round(r)).join(' '));

// An online replay buffer on preallocated typed arrays.
const buffer = new ReplayBuffer({ capacity: 100_000, observationDim: 3, actionDim: 1 });
for (const ep of own.episodes()) {
  for (let t = 0; t < ep.length; t++) {
    buffer.add(ep.observations.subarray(3 * t, 3 * t + 3), ep.actions.subarray(t, t + 1), ep.rewards[t], ep.nextObservations.subarray(3 * t, 3 * t + 3), false, t === ep.length - 1);
  }
}
console.log(buffer.size, buffer.sampleTransitions(64, rng).rewards.length);
console.log(makeRecipe('acrobot-expert-v0', { minTransitions: 1000 }).statistics().returnMean);
