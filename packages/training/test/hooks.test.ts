import { Discrete, Rng, type Metrics, type TransitionBatch, type WindowBatch } from '@bellman/core';
import {
  MemoryCheckpointStore,
  OfflineTrainer,
  OnlineTrainer,
  TrainerCheckpointError,
  windowBatches,
  type BatchLearner,
  type CheckpointModule,
  type TrainerHooks,
} from '../src/index.js';
import { LinearLearner, RecordingLearner, ToyEnv, collectDataset, toyExpertPolicy } from './fixtures.js';

const env = new ToyEnv('discrete');
const data = collectDataset(env, toyExpertPolicy('discrete'), 10, 0);

/** A stand-in for a learned success classifier: reward 1 where the next observation's first coordinate is above 0.5, else 0. */
function classifierRewards(batch: TransitionBatch): Float32Array {
  const out = new Float32Array(batch.size);
  for (let i = 0; i < batch.size; i++) out[i] = batch.nextObservations[i * batch.observationDim]! > 0.5 ? 1 : 0;
  return out;
}

const relabel: TrainerHooks<TransitionBatch> = { transformBatch: (batch) => ({ ...batch, rewards: classifierRewards(batch) }) };

describe('trainer hooks', () => {
  it('a batch transform relabels rewards before the learner sees them (offline)', async () => {
    const learner = new RecordingLearner(new Discrete(2));
    await new OfflineTrainer({ learner, dataset: data, steps: 6, batchSize: 32, evalEvery: 0, hooks: [relabel] }).run();
    expect(learner.batches).toHaveLength(6);
    for (const batch of learner.batches) {
      // the dataset pays 1 for every expert step; the relabelled batch pays by the classifier
      expect(Array.from(batch.rewards)).toEqual(Array.from(classifierRewards(batch)));
      expect(new Set(batch.rewards)).toEqual(new Set([0, 1]));
    }
  });

  it('a batch transform relabels every replayed batch (online)', async () => {
    const learner = new RecordingLearner(new Discrete(2));
    await new OnlineTrainer({ learner, envFactory: () => new ToyEnv('discrete'), steps: 40, warmupSteps: 20, batchSize: 16, seed: 2, evalEvery: 0, hooks: [relabel] }).run();
    expect(learner.batches).toHaveLength(21);
    for (const batch of learner.batches) expect(Array.from(batch.rewards)).toEqual(Array.from(classifierRewards(batch)));
  });

  it('afterEnvStep sees every collected transition, before any batch holding it is sampled', async () => {
    const seen: Array<{ step: number; next: number[]; reward: number }> = [];
    const learner = new RecordingLearner(new Discrete(2));
    const counter: TrainerHooks<TransitionBatch> = {
      afterEnvStep: (t, context) => seen.push({ step: context.step, next: Array.from(t.nextObservation), reward: t.reward }),
      transformBatch: (batch, context) => {
        // every next observation in the batch was announced at an earlier or the current step
        for (let i = 0; i < batch.size; i++) {
          const next = Array.from(batch.nextObservations.subarray(i * batch.observationDim, (i + 1) * batch.observationDim));
          expect(seen.some((s) => s.step <= context.step && s.next.every((v, k) => v === next[k]))).toBe(true);
        }
        return batch;
      },
    };
    await new OnlineTrainer({ learner, envFactory: () => new ToyEnv('discrete'), steps: 30, warmupSteps: 10, batchSize: 8, seed: 5, evalEvery: 0, hooks: [counter] }).run();
    expect(seen.map((s) => s.step)).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
  });

  it('changes what a learner learns: relabelled rewards give other weights', async () => {
    const train = async (hooks: TrainerHooks<TransitionBatch>[]) => {
      const learner = new LinearLearner({ observationDim: 2, numActions: 2, seed: 1 });
      await new OfflineTrainer({ learner, dataset: data, steps: 5, batchSize: 16, evalEvery: 0, hooks }).run();
      return Array.from(learner.weights);
    };
    const plain = await train([]);
    expect(await train([relabel])).not.toEqual(plain);
    expect(await train([{ transformBatch: (b) => b }])).toEqual(plain);
  });

  it('runs the hooks at fixed points, in the order given', async () => {
    const calls: string[] = [];
    const learner = new RecordingLearner(new Discrete(2));
    const update = learner.update.bind(learner);
    learner.update = (batch) => {
      calls.push(`update ${learner.updates + 1}`);
      return update(batch);
    };
    const hook = (name: string): TrainerHooks<TransitionBatch> => ({
      transformBatch: (batch, ctx) => {
        calls.push(`${name}.transform ${ctx.step}`);
        return batch;
      },
      afterUpdate: (metrics: Metrics, _batch, ctx) => calls.push(`${name}.after ${ctx.step} loss ${metrics.loss}`),
      afterEvaluation: (evaluation, ctx) => calls.push(`${name}.eval ${evaluation.step} ${ctx.step}`),
    });
    await new OfflineTrainer({ learner, dataset: data, env, steps: 4, batchSize: 4, evalEvery: 2, evalEpisodes: 1, hooks: [hook('a'), hook('b')] }).run();
    const step = (n: number) => [`a.transform ${n - 1}`, `b.transform ${n - 1}`, `update ${n}`, `a.after ${n} loss ${1 / n}`, `b.after ${n} loss ${1 / n}`];
    expect(calls).toEqual([...step(1), ...step(2), 'a.eval 2 2', 'b.eval 2 2', ...step(3), ...step(4), 'a.eval 4 4', 'b.eval 4 4']);
  });

  it("the second transform receives the first one's batch", async () => {
    const learner = new RecordingLearner(new Discrete(2));
    const affine: TrainerHooks<TransitionBatch> = { transformBatch: (b) => ({ ...b, rewards: b.rewards.map((r) => 2 * r + 1) }) };
    await new OfflineTrainer({ learner, dataset: data, steps: 2, batchSize: 8, evalEvery: 0, hooks: [relabel, affine] }).run();
    for (const batch of learner.batches) expect(Array.from(batch.rewards)).toEqual(Array.from(classifierRewards(batch), (r) => 2 * r + 1));
  });
});

describe('batch sources', () => {
  it("trains a learner over trajectory windows drawn with the trainer's stream", async () => {
    const drawn: number[] = [];
    const source = {
      sampleWindows(horizon: number, n: number, rng: Rng): WindowBatch {
        const first = rng.uniform();
        drawn.push(first);
        const cells = n * horizon;
        const zeros = () => new Float32Array(cells);
        return { size: n, horizon, observationDim: 1, actionDim: 1, observations: zeros().fill(first), actions: zeros(), rewards: zeros(), terminals: zeros(), mask: zeros().fill(1), returnsToGo: zeros() };
      },
    };
    const seen: WindowBatch[] = [];
    const recorder = new RecordingLearner(new Discrete(2));
    const learner: BatchLearner<WindowBatch> = {
      algo: 'window-recorder',
      act: () => 0,
      update: (batch) => {
        seen.push(batch);
        return { loss: batch.observations[0]! };
      },
      save: () => recorder.save(),
      load: () => {},
      dispose: () => {},
    };
    await new OfflineTrainer<WindowBatch>({ learner, batches: windowBatches(source, 8), steps: 3, batchSize: 4, seed: 9, evalEvery: 0 }).run();
    expect(seen.map((b) => [b.size, b.horizon])).toEqual([[4, 8], [4, 8], [4, 8]]);
    const stream = new Rng(9).split();
    expect(drawn).toEqual([stream.uniform(), stream.uniform(), stream.uniform()]);
    expect(() => new OfflineTrainer({ learner: recorder, dataset: data, batches: { sample: () => data.batchOf([0]) }, steps: 1 })).toThrow(
      'OfflineTrainer: give dataset or batches, not both',
    );
  });

  it('asks a window source for windows without padding when told to', () => {
    const asked: unknown[] = [];
    const source = {
      sampleWindows(horizon: number, n: number, _rng: Rng, out?: WindowBatch, options?: { padding?: boolean }): WindowBatch {
        asked.push([horizon, n, out, options]);
        const zeros = () => new Float32Array(n * horizon);
        return { size: n, horizon, observationDim: 1, actionDim: 1, observations: zeros(), actions: zeros(), rewards: zeros(), terminals: zeros(), mask: zeros().fill(1), returnsToGo: zeros() };
      },
    };
    windowBatches(source, 8, { padding: false }).sample(2, new Rng(0));
    windowBatches(source, 8).sample(2, new Rng(0));
    expect(asked).toEqual([
      [8, 2, undefined, { padding: false }],
      [8, 2, undefined, undefined],
    ]);
  });
});

describe('checkpoint extras', () => {
  class Counter implements CheckpointModule<{ count: number }> {
    count = 0;
    save() {
      return { count: this.count };
    }
    load(state: { count: number }) {
      this.count = state.count;
    }
  }

  it('stores each extra module with every checkpoint and restores it on resume', async () => {
    const store = new MemoryCheckpointStore();
    const counter = new Counter();
    const first: OfflineTrainer = new OfflineTrainer({
      learner: new RecordingLearner(new Discrete(2)),
      dataset: data,
      steps: 10,
      batchSize: 4,
      evalEvery: 0,
      checkpointPath: 'ckpt',
      checkpointStore: store,
      extras: { rewardModel: counter },
      hooks: [{ afterUpdate: () => (counter.count += 1) }],
      onProgress: (e) => {
        if (e.type === 'update' && e.step === 4) first.stop();
      },
    });
    await first.run();
    expect(store.load('ckpt').extras).toEqual({ rewardModel: { count: 4 } });

    const restored = new Counter();
    await new OfflineTrainer({
      learner: new RecordingLearner(new Discrete(2)),
      dataset: data,
      steps: 10,
      batchSize: 4,
      evalEvery: 0,
      checkpointStore: store,
      extras: { rewardModel: restored },
      hooks: [{ afterUpdate: () => (restored.count += 1) }],
    }).resume('ckpt');
    // 4 counted before the stop, restored, then 6 more
    expect(restored.count).toBe(10);
  });

  it('rejects a checkpoint without a configured extra before loading anything', async () => {
    const store = new MemoryCheckpointStore();
    await new OfflineTrainer({ learner: new RecordingLearner(new Discrete(2)), dataset: data, steps: 3, batchSize: 4, evalEvery: 0, checkpointPath: 'plain', checkpointStore: store }).run();
    expect(store.load('plain').extras).toBeUndefined();
    const learner = new RecordingLearner(new Discrete(2));
    const counter = new Counter();
    counter.count = 7;
    const resume = new OfflineTrainer({ learner, dataset: data, steps: 6, batchSize: 4, checkpointStore: store, extras: { rewardModel: counter } }).resume('plain');
    await expect(resume).rejects.toThrow(TrainerCheckpointError);
    await expect(resume).rejects.toThrow('checkpoint plain: has no extra module "rewardModel" (it stores none)');
    expect(learner.updates).toBe(0);
    expect(counter.count).toBe(7);
  });
});
