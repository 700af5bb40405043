// The learners of this package under @bellman/training's trainers: checkpoint files that
// loadLearner reads, and DQN's exploration schedule and n-step returns across a resume.
import { mkdtempSync, existsSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Discrete } from '@bellman/core';
import { make } from '@bellman/envs';
import { initBackend } from '@bellman/nn';
import { MemoryCheckpointStore, OnlineTrainer } from '@bellman/training';
import { OfflineTrainer } from '@bellman/training/node';
import { BC, DQN } from '../src/index.js';
import { loadLearner } from '../src/node.js';
import { ToyEnv, collectDataset, toyExpertPolicy } from '../../training/test/fixtures.js';

beforeAll(async () => {
  await initBackend({ backend: 'cpu' });
});

const weights = (learner: { save(): { weights: unknown } }) => JSON.stringify(learner.save().weights);

describe('q-learning learners under the trainers', () => {
  it('a BC run checkpointed to a file resumes to the uninterrupted weights, and loadLearner reads the file', async () => {
    const env = new ToyEnv('discrete');
    const data = collectDataset(env, toyExpertPolicy('discrete'), 10, 0);
    const newBC = () => new BC({ observationSpace: env.observationSpace, actionSpace: env.actionSpace, config: { hiddenSizes: [16] }, seed: 5 });
    const dir = mkdtempSync(join(tmpdir(), 'bellman-ql-'));
    try {
      const path = join(dir, 'ckpt.json');
      const reference = newBC();
      await new OfflineTrainer({ learner: reference, dataset: data, steps: 20, batchSize: 16 }).run();
      const a = newBC();
      await new OfflineTrainer({ learner: a, dataset: data, steps: 12, batchSize: 16, checkpointPath: path, checkpointEvery: 5 }).run();
      expect(existsSync(path)).toBe(true);
      const b = newBC();
      await new OfflineTrainer({ learner: b, dataset: data, steps: 20, batchSize: 16, checkpointPath: path }).resume(path);
      expect(weights(b)).toBe(weights(reference));
      const loaded = loadLearner(path);
      expect(loaded.algo).toBe('bc');
      expect(weights(loaded)).toBe(weights(reference));
      for (const l of [reference, a, b, loaded]) l.dispose();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('DQN with 3-step returns resumes mid-episode to the uninterrupted weights', async () => {
    const newDQN = (seed: number) =>
      new DQN({ observationSpace: make('CartPole-v1').observationSpace, actionSpace: new Discrete(2), config: { hiddenSizes: [16], targetUpdateInterval: 25, epsilonDecaySteps: 300, nStep: 3 }, seed });
    const options = { steps: 300, warmupSteps: 64, batchSize: 32, seed: 4, evalEvery: 0, envFactory: () => make('CartPole-v1', { maxEpisodeSteps: 40 }) };
    const reference = newDQN(1);
    await new OnlineTrainer({ ...options, learner: reference }).run();
    const store = new MemoryCheckpointStore();
    const first = newDQN(1);
    const interrupted: OnlineTrainer = new OnlineTrainer({
      ...options,
      learner: first,
      checkpointPath: 'online',
      checkpointStore: store,
      onProgress: (e) => {
        if (e.type === 'update' && e.step === 173) interrupted.stop();
      },
    });
    await interrupted.run();
    const second = newDQN(7);
    await new OnlineTrainer({ ...options, learner: second, checkpointStore: store }).resume('online');
    expect(second.epsilon).toBe(reference.epsilon);
    expect(weights(second)).toBe(weights(reference));
    for (const l of [reference, first, second]) l.dispose();
  });
});
