// The computation the browser test runs twice, in headless Chromium and in Node: a few updates of
// DQN and of behaviour cloning on one fixed batch, from the built package entries (the universal
// ones, as a page bundles them). Only +, -, * and / build the batch, so that both engines see the
// same floats.
import { Box, Discrete } from '@bellman/core';
import { initBackend, simdStatus } from '@bellman/nn';
import { createLearner } from '@bellman/q-learning';

const ROWS = 48;
const OBSERVATION_DIM = 6;
const UPDATES = 4;

/** A fixed transition batch over Discrete(3) actions. */
function fixedBatch() {
  const observations = new Float32Array(ROWS * OBSERVATION_DIM);
  const nextObservations = new Float32Array(ROWS * OBSERVATION_DIM);
  const actions = new Float32Array(ROWS);
  const rewards = new Float32Array(ROWS);
  const terminals = new Float32Array(ROWS);
  for (let i = 0; i < ROWS; i++) {
    for (let j = 0; j < OBSERVATION_DIM; j++) {
      observations[i * OBSERVATION_DIM + j] = (((i * 7 + j * 3) % 11) - 5) / 4;
      nextObservations[i * OBSERVATION_DIM + j] = (((i * 5 + j * 2) % 13) - 6) / 5;
    }
    actions[i] = (i * 2) % 3;
    rewards[i] = ((i % 5) - 2) / 2;
    terminals[i] = i % 9 === 0 ? 1 : 0;
  }
  return { size: ROWS, observationDim: OBSERVATION_DIM, actionDim: 1, observations, actions, rewards, nextObservations, terminals };
}

/**
 * Initialise the backend with `backendOptions`, train DQN and BC for a few updates and return the
 * backend, the SIMD kernels' state and every update's metrics.
 */
export async function computeLosses(backendOptions) {
  const messages = [];
  const logger = { info: (m) => messages.push(`info: ${m}`), warn: (m) => messages.push(`warn: ${m}`) };
  const backend = await initBackend({ ...backendOptions, logger, verbose: true });
  const batch = fixedBatch();
  const spaces = { observationSpace: new Box(-5, 5, [OBSERVATION_DIM]), actionSpace: new Discrete(3) };
  const metrics = {};
  for (const algo of ['dqn', 'bc']) {
    const learner = createLearner(algo, { ...spaces, config: { hiddenSizes: [64, 64] }, seed: 3 });
    metrics[algo] = [];
    for (let u = 0; u < UPDATES; u++) metrics[algo].push(learner.update(batch));
    learner.dispose();
  }
  return { backend: backend.name, reason: backend.reason, simd: simdStatus(), messages, metrics };
}
