import { Rng } from '@bellman/core';
import { initBackend } from '@bellman/nn';
import { evaluatePolicy, OnlineTrainer } from '@bellman/training';
import { createLearnerByName } from '../src/index.js';
import { ToyEnv, collectDataset, toyExpertPolicy } from '../../training/test/fixtures.js';

beforeAll(async () => {
  await initBackend({ backend: 'wasm' });
});

/**
 * Smoke tests of learning on the toy task (reward 1 - |a - expert(s)| per step, 20 steps): the
 * offline learners from the expert's data, SAC from its own experience. A uniformly random policy scores about 6; the expert 20.
 */
describe('continuous learners learn the toy task', () => {
  const env = new ToyEnv('continuous');
  const data = collectDataset(env, toyExpertPolicy('continuous'), 20, 0);
  const randomScore = evaluatePolicy(env, { act: () => env.actionSpace.sample(new Rng(1)) }, { episodes: 5, seed: 900 }).mean;

  it.each([
    ['td3bc', {}],
    ['iql', {}],
    ['crr', {}],
    ['cql', { cqlSamples: 2, cqlAlpha: 1, initialAlpha: 0.1 }],
  ])('%s from expert data', (algo, extra) => {
    const learner = createLearnerByName(algo, { observationSpace: env.observationSpace, actionSpace: env.actionSpace, seed: 1, config: { hiddenSizes: [32, 32], gamma: 0.5, actorLearningRate: 1e-3, criticLearningRate: 1e-3, ...extra } });
    const rng = new Rng(0);
    for (let i = 0; i < 200; i++) learner.update(data.sampleTransitions(64, rng));
    const score = evaluatePolicy(env, learner, { episodes: 5, seed: 900 }).mean;
    expect(randomScore).toBeLessThan(8);
    expect(score).toBeGreaterThan(16);
    learner.dispose();
  });

  it('sac online', async () => {
    const learner = createLearnerByName('sac', { observationSpace: env.observationSpace, actionSpace: env.actionSpace, seed: 1, config: { hiddenSizes: [32, 32], gamma: 0.5, initialAlpha: 0.1, actorLearningRate: 1e-3, criticLearningRate: 1e-3 } });
    const summary = await new OnlineTrainer({ learner, envFactory: () => new ToyEnv('continuous'), steps: 400, warmupSteps: 100, batchSize: 64, evalEvery: 0, evalEpisodes: 5, seed: 0 }).run();
    expect(summary.evalReturnMean).toBeGreaterThan(17);
    learner.dispose();
  });
});
