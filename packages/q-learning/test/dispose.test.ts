import * as tf from '@tensorflow/tfjs';
import { Rng } from '@bellman/core';
import { initBackend } from '@bellman/nn';
import { createLearnerByName, listAlgorithms } from '../src/index.js';
import { ToyEnv, collectDataset, toyExpertPolicy } from '../../training/test/fixtures.js';

beforeAll(async () => {
  await initBackend({ backend: 'cpu' });
});

// fqe and fqe-continuous evaluate a given policy and need it at construction (their own tests cover them).
const NEEDS_POLICY = new Set(['fqe', 'fqe-continuous']);

describe('every registered learner', () => {
  for (const { algo, actionKinds } of listAlgorithms()) {
    if (NEEDS_POLICY.has(algo)) continue;
    for (const kind of actionKinds) {
      it(`${algo} (${kind}) frees every tensor it made when disposed`, () => {
        const env = new ToyEnv(kind === 'discrete' ? 'discrete' : 'continuous');
        const data = collectDataset(env, toyExpertPolicy(env.kind), 3, 0);
        // SARSA backs up the data's next action: any action of the right shape serves here.
        const sampled = data.sampleTransitions(8, new Rng(1));
        const batch = { ...sampled, nextActions: sampled.actions };
        const before = tf.memory().numTensors;
        const learner = createLearnerByName(algo, {
          observationSpace: env.observationSpace,
          actionSpace: env.actionSpace,
          seed: 0,
          config: { hiddenSizes: [8] },
        });
        learner.update(batch);
        learner.update(batch);
        learner.act(batch.observations.subarray(0, 2));
        learner.dispose();
        expect(tf.memory().numTensors - before).toBe(0);
      });
    }
  }
});
