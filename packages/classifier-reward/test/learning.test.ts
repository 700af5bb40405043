import { Rng } from '@bellman/core';
import { ReplayBuffer } from '@bellman/datasets';
import { OPEN_POINT_GOAL, make, mazeSuccessExamples, type PointMazeInfo } from '@bellman/envs';
import { initBackend } from '@bellman/nn';
import { createLearner } from '@bellman/q-learning';
import { MemoryCheckpointStore, OnlineTrainer } from '@bellman/training';
import { RewardRelabelling, metaNml } from '../src/index.js';

beforeAll(async () => {
  await initBackend({ backend: 'wasm', quiet: true });
});

/**
 * PointGoal-v0 gives no reward ('none'): the 150 success examples near (3, 3) and meta-NML's
 * classifier are all SAC learns from. Networks of 2 x 64 and a quarter of the public meta-NML
 * batch sizes keep it to seconds.
 */
function setup(seed: number) {
  const env = make('PointGoal-v0');
  const buffer = new ReplayBuffer({ capacity: 5000, observationDim: 2, actionDim: 2 });
  const learner = createLearner('sac', { observationSpace: env.observationSpace, actionSpace: env.actionSpace, seed, config: { hiddenSizes: [64, 64], initialAlpha: 0.1 } });
  const model = metaNml({ observationDim: 2, seed, config: { hiddenSizes: [64, 64], queriesPerEpoch: 64, outerPointsPerLabel: 127 } });
  const examples = mazeSuccessExamples(OPEN_POINT_GOAL, 150, new Rng(seed));
  const relabel = new RewardRelabelling({ model, examples, buffer, seed, schedule: { every: 250, firstUpdates: 10, updates: 2, positives: 256, negatives: 256 } });
  env.close();
  return { buffer, learner, relabel };
}

function greedyFinalDistance(policy: { act(o: Float32Array, options: { deterministic: boolean }): Float32Array | number }): number {
  const env = make('PointGoal-v0');
  let observation = env.reset().observation;
  let info = {} as PointMazeInfo;
  for (let t = 0; t < 100; t++) {
    const step = env.step(policy.act(observation, { deterministic: true }));
    observation = step.observation;
    info = step.info as PointMazeInfo;
  }
  env.close();
  return info.distance;
}

it('SAC with meta-NML rewards from success examples alone reaches the goal of PointGoal-v0', async () => {
  const { buffer, learner, relabel } = setup(0);
  const before = greedyFinalDistance(learner);
  await new OnlineTrainer({ learner, steps: 4000, envFactory: () => make('PointGoal-v0'), buffer, hooks: [relabel], batchSize: 128, warmupSteps: 500, evalEvery: 0, evalEpisodes: 1, seed: 0 }).run();
  const after = greedyFinalDistance(learner);
  expect(before).toBeGreaterThan(2);
  expect(after).toBeLessThan(0.5);
  // the reward it learned: high at the examples, lower where the agent started
  const [atGoal, atStart] = relabel.model.rewards({ size: 2, observationDim: 2, observations: Float32Array.from([3, 3, -3, -3]) });
  expect(atGoal).toBeGreaterThan(0.6);
  expect(atStart).toBeLessThan(0.45);
  learner.dispose();
  relabel.model.dispose();
}, 180_000);

it('a run stopped and resumed from its checkpoint ends with the reward model and learner of an uninterrupted run', async () => {
  const options = { steps: 900, envFactory: () => make('PointGoal-v0'), batchSize: 32, warmupSteps: 300, evalEvery: 0, evalEpisodes: 1, seed: 3 };
  const reference = setup(1);
  await new OnlineTrainer({ ...options, learner: reference.learner, buffer: reference.buffer, hooks: [reference.relabel], extras: { reward: reference.relabel } }).run();

  const store = new MemoryCheckpointStore();
  const first = setup(1);
  const stopAt = 620;
  const interrupted: OnlineTrainer = new OnlineTrainer({
    ...options,
    learner: first.learner,
    buffer: first.buffer,
    hooks: [first.relabel],
    extras: { reward: first.relabel },
    checkpointPath: 'run',
    checkpointStore: store,
    onProgress: (e) => {
      if (e.type === 'update' && e.step === stopAt) interrupted.stop();
    },
  });
  expect(await interrupted.run()).toMatchObject({ steps: stopAt, stopped: true });

  const second = setup(1);
  await new OnlineTrainer({ ...options, learner: second.learner, buffer: second.buffer, hooks: [second.relabel], extras: { reward: second.relabel }, checkpointStore: store }).resume('run');
  expect(JSON.stringify(second.relabel.save())).toBe(JSON.stringify(reference.relabel.save()));
  expect(JSON.stringify(second.learner.save().weights)).toBe(JSON.stringify(reference.learner.save().weights));
  for (const run of [reference, first, second]) {
    run.learner.dispose();
    run.relabel.model.dispose();
  }
}, 180_000);
