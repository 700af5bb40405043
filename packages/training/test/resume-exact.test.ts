import { Discrete, type Metrics } from '@bellman/core';
import { make } from '@bellman/envs';
import {
  DivergenceError,
  MemoryCheckpointStore,
  OfflineTrainer,
  OnlineTrainer,
  type OnlineTrainerState,
  type TrainerCheckpoint,
  type TrainerEvent,
} from '../src/index.js';
import { LinearLearner, MemoryLogger, RecordingLearner, ToyEnv, collectDataset, toyExpertPolicy } from './fixtures.js';


const weights = (learner: { save(): { weights: unknown } }) => JSON.stringify(learner.save().weights);

/** The rows a resumed run logs, after cutting the interrupted run's rows to the checkpoint's step (as the CLI does). */
function joinedRows(first: MemoryLogger, checkpointStep: number, second: MemoryLogger): { step: number; metrics: Metrics }[] {
  return [...first.rows.filter((r) => r.step <= checkpointStep), ...second.rows];
}

describe('OfflineTrainer resume', () => {
  const env = new ToyEnv('discrete');
  const data = collectDataset(env, toyExpertPolicy('discrete'), 10, 0);
  const newLearner = (seed = 5) => new LinearLearner({ observationDim: 2, numActions: 2, seed });
  const options = { dataset: data, steps: 60, batchSize: 16, seed: 2, logEvery: 10, evalEvery: 25, evalEpisodes: 2, env };

  it('a stop between two logging steps logs the same rows as an uninterrupted run', async () => {
    const reference = newLearner();
    const referenceLog = new MemoryLogger();
    await new OfflineTrainer({ ...options, learner: reference, logger: referenceLog }).run();

    const store = new MemoryCheckpointStore();
    const firstLog = new MemoryLogger();
    const first = newLearner();
    const interrupted: OfflineTrainer = new OfflineTrainer({
      ...options,
      learner: first,
      logger: firstLog,
      checkpointPath: 'ckpt',
      checkpointStore: store,
      onProgress: (e) => {
        if (e.type === 'update' && e.step === 37) interrupted.stop();
      },
    });
    expect(await interrupted.run()).toMatchObject({ steps: 37, stopped: true });
    // the 7 updates since the row at step 30 wait in the checkpoint, not as a short row at 37
    expect(firstLog.rows.map((r) => r.step)).toEqual([10, 20, 25, 30]);

    const secondLog = new MemoryLogger();
    const second = newLearner(99);
    await new OfflineTrainer({ ...options, learner: second, logger: secondLog, checkpointPath: 'ckpt', checkpointStore: store }).resume('ckpt');
    expect(weights(second)).toBe(weights(reference));
    expect(joinedRows(firstLog, 37, secondLog)).toEqual(referenceLog.rows);
    for (const l of [reference, first, second]) l.dispose();
  });

  it('checkpoints after every evaluation and every checkpointEvery steps, with checkpointMeta', async () => {
    const store = new MemoryCheckpointStore();
    const saves: number[] = [];
    const learner = newLearner();
    await new OfflineTrainer({
      ...options,
      learner,
      checkpointPath: 'ckpt',
      checkpointEvery: 20,
      checkpointMeta: { env: 'Toy' },
      checkpointStore: store,
      onProgress: (e) => {
        if (e.type === 'checkpoint') saves.push(e.step);
      },
    }).run();
    expect(saves).toEqual([20, 25, 40, 50, 60]);
    learner.dispose();
  });

  it('stops on a NaN metric with a DivergenceError, after logging the steps before it', async () => {
    const learner = new RecordingLearner(new Discrete(2));
    const update = learner.update.bind(learner);
    learner.update = (batch) => (learner.updates >= 14 ? { loss: Number.NaN } : { ...update(batch), loss: 0.5 });
    const logger = new MemoryLogger();
    const run = new OfflineTrainer({ learner, dataset: data, steps: 50, batchSize: 4, logEvery: 10, logger }).run();
    await expect(run).rejects.toThrow(DivergenceError);
    await expect(run).rejects.toMatchObject({ step: 15, metric: 'loss', message: 'recording diverged at step 15: metric "loss" is NaN' });
    expect(logger.rows.map((r) => [r.step, r.metrics.loss])).toEqual([[10, 0.5], [14, 0.5]]);
  });

  it('warns once when the mean Q passes 10x the largest discounted return', async () => {
    const learner = new RecordingLearner(new Discrete(2));
    Object.assign(learner, { config: { gamma: 0.9 } });
    // the toy dataset pays rewards of 1: max|r| / (1 - gamma) = 10, so the bound is 100
    learner.update = () => ({ loss: 1, qMean: learner.updates++ < 3 ? 99 : -101 });
    const warnings: Extract<TrainerEvent, { type: 'warning' }>[] = [];
    await new OfflineTrainer({
      learner,
      dataset: data,
      steps: 6,
      batchSize: 64,
      onProgress: (e) => {
        if (e.type === 'warning') warnings.push(e);
      },
    }).run();
    expect(warnings.map((w) => w.step)).toEqual([4]);
    expect(warnings[0]!.message).toBe(
      'recording may be diverging: mean Q is -101 at step 4, more than 10x the largest possible discounted return max|r|/(1-gamma) = 10.0 (max|r| 1.00, gamma 0.9); try a lower learning rate',
    );
  });
});

describe('OnlineTrainer resume', () => {
  // CartPole rewards are all 1, so the learner imitates its own (epsilon-greedy) actions.
  const newLearner = (seed: number, nStep: number) => new LinearLearner({ observationDim: 4, numActions: 2, seed, nStep, gamma: 0.9, learningRate: 0.05 });
  const options = { steps: 420, warmupSteps: 64, batchSize: 32, seed: 4, evalEvery: 0, logEvery: 50, envFactory: () => make('CartPole-v1', { maxEpisodeSteps: 40 }) };

  for (const nStep of [1, 3]) {
    it(`continues the replay buffer and the episode in progress to the uninterrupted result (nStep ${nStep})`, async () => {
      const reference = newLearner(1, nStep);
      const referenceLog = new MemoryLogger();
      await new OnlineTrainer({ ...options, learner: reference, logger: referenceLog }).run();

      const store = new MemoryCheckpointStore();
      const firstLog = new MemoryLogger();
      const first = newLearner(1, nStep);
      const stopAt = 233;
      const interrupted: OnlineTrainer = new OnlineTrainer({
        ...options,
        learner: first,
        logger: firstLog,
        checkpointPath: 'online',
        checkpointStore: store,
        onProgress: (e) => {
          if (e.type === 'update' && e.step === stopAt) interrupted.stop();
        },
      });
      expect(await interrupted.run()).toMatchObject({ steps: stopAt, stopped: true });
      const state = (store.load('online') as TrainerCheckpoint<OnlineTrainerState>).state;
      // n-step windows enter the buffer only once complete
      if (nStep === 1) expect(state.buffer?.count).toBe(stopAt);
      else expect(state.buffer?.count).toBeLessThan(stopAt);
      // stopped part-way through an episode (episodes are at most 40 steps)
      expect(state.episode?.length).toBeGreaterThan(0);
      if (nStep > 1) expect(state.episode?.pending.length).toBeGreaterThan(0);

      const secondLog = new MemoryLogger();
      const second = newLearner(7, nStep);
      await new OnlineTrainer({ ...options, learner: second, logger: secondLog, checkpointStore: store }).resume('online');
      expect(weights(second)).toBe(weights(reference));
      expect(joinedRows(firstLog, stopAt, secondLog)).toEqual(referenceLog.rows);
      for (const l of [reference, first, second]) l.dispose();
    });
  }
});
