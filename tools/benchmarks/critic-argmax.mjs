// Where does a continuous actor-critic's critic put its maximum, and does its actor find it?
//
//   node tools/benchmarks/critic-argmax.mjs <checkpoint.json> <recipe> <env-id> [--grid 81] [--states 512] [--episodes 5]
//
// Loads a learner from a `bellman train` checkpoint (SAC, CQL: any learner with twin `critics`),
// samples states of the recipe's data (seeded) and reads min(Q1, Q2)(s, a) on an even grid of
// actions over the 1-D action box; prints, per state, the data's action, the actor's and the
// grid's argmax, and on average how far apart they are; then plays the critic-greedy policy (the
// grid's argmax at every step) and the actor's deterministic policy in the env. A critic-greedy
// return far above the actor's says the actor does not find its critic's maximum.
import * as tf from '@tensorflow/tfjs';
import { Rng } from '@bellman/core';
import { loadRecipe } from '@bellman/datasets/node';
import { make } from '@bellman/envs';
import { initBackend } from '@bellman/nn';
import { loadLearner } from '@bellman/q-learning/node';

function option(args, name, fallback) {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : fallback;
}

const args = process.argv.slice(2);
const [checkpoint, recipe, envId] = args;
if (!checkpoint || !recipe || !envId) {
  console.error('usage: node tools/benchmarks/critic-argmax.mjs <checkpoint.json> <recipe> <env-id> [--grid 81] [--states 512] [--episodes 5]');
  process.exit(2);
}
const gridSize = option(args, '--grid', 81);
const stateCount = option(args, '--states', 512);
const episodes = option(args, '--episodes', 5);

await initBackend({ backend: 'wasm' });
const learner = loadLearner(checkpoint);
if (!learner.critics || learner.actionSpace.kind !== 'box' || learner.actionSpace.size !== 1) {
  console.error(`critic-argmax: needs a learner with twin critics and a 1-D Box action space (got ${learner.algo})`);
  process.exit(2);
}
const low = learner.actionSpace.low[0];
const high = learner.actionSpace.high[0];
const grid = Array.from({ length: gridSize }, (_, k) => low + ((high - low) * k) / (gridSize - 1));
const obsDim = learner.observationDim;

/** min(Q1, Q2) of every row of `observations` at every grid action: number[rows][gridSize]. */
function criticOnGrid(observations, rows) {
  return tf.tidy(() => {
    const s = tf.reshape(tf.tile(tf.expandDims(tf.tensor2d(observations, [rows, obsDim]), 1), [1, gridSize, 1]), [rows * gridSize, obsDim]);
    const a = tf.tile(tf.tensor2d(grid, [gridSize, 1]), [rows, 1]);
    const [q1, q2] = learner.critics.values(s, a);
    return tf.reshape(tf.minimum(q1, q2), [rows, gridSize]).arraySync();
  });
}
const argmax = (row) => row.reduce((best, q, k) => (q > row[best] ? k : best), 0);
const nearest = (action) => Math.round(((action - low) / (high - low)) * (gridSize - 1));

const dataset = await loadRecipe(recipe);
const batch = dataset.sampleTransitions(stateCount, new Rng(7));
const q = criticOnGrid(batch.observations, stateCount);
let dataGap = 0;
let actorGap = 0;
let actorData = 0;
for (let i = 0; i < stateCount; i++) {
  const observation = batch.observations.slice(i * obsDim, (i + 1) * obsDim);
  const best = grid[argmax(q[i])];
  const data = batch.actions[i];
  const actor = learner.act(observation, { deterministic: true })[0];
  dataGap += Math.abs(best - data);
  actorGap += Math.abs(best - actor);
  actorData += Math.abs(actor - data);
  if (i < 8) {
    const row = q[i];
    console.log(
      `s=[${Array.from(observation, (x) => x.toFixed(2))}] data ${data.toFixed(2)} actor ${actor.toFixed(2)} argmax ${best.toFixed(2)} | ` +
        `Q(data) ${row[nearest(data)].toFixed(2)} Q(actor) ${row[nearest(actor)].toFixed(2)} Q(low) ${row[0].toFixed(2)} Q(mid) ${row[nearest((low + high) / 2)].toFixed(2)} Q(high) ${row[gridSize - 1].toFixed(2)}`,
    );
  }
}
console.log(`mean |argmax - data| ${(dataGap / stateCount).toFixed(3)}, |argmax - actor| ${(actorGap / stateCount).toFixed(3)}, |actor - data| ${(actorData / stateCount).toFixed(3)}`);

for (const mode of ['critic-greedy', 'actor']) {
  const returns = [];
  for (let episode = 0; episode < episodes; episode++) {
    const env = make(envId);
    let { observation } = env.reset({ seed: 1000 + episode });
    let total = 0;
    for (;;) {
      const action = mode === 'actor' ? learner.act(observation, { deterministic: true }) : new Float32Array([grid[argmax(criticOnGrid(observation, 1)[0])]]);
      const step = env.step(action);
      total += step.reward;
      observation = step.observation;
      if (step.terminated || step.truncated) break;
    }
    returns.push(total);
  }
  const mean = returns.reduce((a, b) => a + b, 0) / returns.length;
  console.log(`${mode}: ${returns.map((r) => r.toFixed(0)).join(' ')} (mean ${mean.toFixed(1)})`);
}
