import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CheckpointError, Discrete, type Action, type TransitionBatch } from '@bellman/core';
import {
  MemoryCheckpointStore,
  OfflineTrainer as BrowserOfflineTrainer,
  OnlineTrainer as BrowserOnlineTrainer,
  evaluatePolicy,
  type TrainerEvent,
  type TransitionBuffer,
} from '../src/index.js';
import { OfflineTrainer } from '../src/node.js';
import { ArrayDataset, LinearLearner, MemoryLogger, RecordingLearner, ToyEnv, collectDataset, toyExpert, toyExpertPolicy } from './fixtures.js';


const env = new ToyEnv('discrete');
const data = collectDataset(env, toyExpertPolicy('discrete'), 10, 0);
const newLearner = (seed = 5) => new LinearLearner({ observationDim: 2, numActions: 2, seed });
const weights = (learner: { save(): { weights: unknown } }) => JSON.stringify(learner.save().weights);

describe('evaluatePolicy', () => {
  it('resets episode i with seed + i, acts deterministically and reports mean and population std', () => {
    const toy = new ToyEnv('discrete', 5);
    const seen: (boolean | undefined)[] = [];
    // Right on even steps of an episode, wrong on the third: returns are 2 unless an episode is shorter.
    let t = 0;
    const policy = {
      act: (obs: Float32Array, options?: { deterministic?: boolean }) => {
        seen.push(options?.deterministic);
        const expert = obs[0]! > obs[1]! ? 1 : 0;
        return t++ % 3 === 2 ? 1 - expert : expert;
      },
    };
    const result = evaluatePolicy(toy, policy, { episodes: 3, seed: 40 });
    expect(toy.resetSeeds).toEqual([40, 41, 42]);
    expect(seen.every((d) => d === true)).toBe(true);
    expect(result.returns).toEqual([2, 2, 2]);
    expect(result.lengths).toEqual([3, 3, 3]);
    expect(result.mean).toBe(2);
    expect(result.std).toBe(0);
    const expert = evaluatePolicy(new ToyEnv('continuous', 4), { act: (o) => new Float32Array([Math.tanh(2 * (o[0]! - o[1]!))]) }, { episodes: 2 });
    expect(expert.returns.map((r) => +r.toFixed(5))).toEqual([4, 4]);
    expect(() => evaluatePolicy(toy, policy, { episodes: 0 })).toThrow('evaluatePolicy: episodes must be a positive integer, got 0');
  });

  it('is repeatable and its std is the population std', () => {
    const learner = newLearner();
    const a = evaluatePolicy(env, learner, { episodes: 4, seed: 3 });
    const b = evaluatePolicy(env, learner, { episodes: 4, seed: 3 });
    expect(b).toEqual(a);
    const mean = a.returns.reduce((s, r) => s + r, 0) / 4;
    expect(a.mean).toBeCloseTo(mean, 12);
    expect(a.std).toBeCloseTo(Math.sqrt(a.returns.reduce((s, r) => s + (r - mean) ** 2, 0) / 4), 12);
  });
});

describe('OfflineTrainer', () => {
  it('trains, logs window means, evaluates periodically and at the end, and reports progress', async () => {
    const learner = newLearner();
    const logger = new MemoryLogger();
    const events: TrainerEvent[] = [];
    const trainer = new BrowserOfflineTrainer({
      learner,
      dataset: data,
      env,
      steps: 25,
      batchSize: 32,
      evalEvery: 10,
      evalEpisodes: 2,
      logEvery: 10,
      logger,
      onProgress: (e) => events.push(e),
    });
    const summary = await trainer.run();
    expect(summary.steps).toBe(25);
    expect(learner.updates).toBe(25);
    expect(summary.evalHistory.map((e) => e.step)).toEqual([10, 20, 25]);
    expect(summary.evalReturnMean).toBe(summary.evalHistory[2]!.returnMean);
    expect(summary.stopped).toBe(false);
    const updates = events.filter((e): e is Extract<TrainerEvent, { type: 'update' }> => e.type === 'update');
    expect(updates.map((e) => e.step)).toEqual(Array.from({ length: 25 }, (_, i) => i + 1));
    const trainRows = logger.rows.filter((r) => 'loss' in r.metrics);
    expect(trainRows.map((r) => r.step)).toEqual([10, 20, 25]);
    const firstTen = updates.slice(0, 10).reduce((s, e) => s + e.metrics.loss!, 0) / 10;
    expect(trainRows[0]!.metrics.loss).toBeCloseTo(firstTen, 10);
    expect(logger.rows.filter((r) => 'eval_return_mean' in r.metrics).map((r) => r.step)).toEqual([10, 20, 25]);
    learner.dispose();
  });

  it('saves the learner at each new best evaluation to bestCheckpointPath', async () => {
    // Acts like the toy expert (return 20) only in some update ranges, wrongly (return 0) elsewhere,
    // so evaluations go 0, 20, 0, 20: only the first and the first 20 are new bests.
    class PhasedLearner extends RecordingLearner {
      override act(observation: Float32Array): Action {
        const skilled = [2, 5].includes(Math.floor(this.updates / 3));
        const expert = toyExpert('discrete', observation) as number;
        return skilled ? expert : 1 - expert;
      }
    }
    const learner = new PhasedLearner(new Discrete(2));
    const store = new MemoryCheckpointStore();
    const events: TrainerEvent[] = [];
    const summary = await new BrowserOfflineTrainer({
      learner,
      dataset: data,
      env,
      steps: 18,
      batchSize: 4,
      evalEvery: 3,
      evalEpisodes: 2,
      bestCheckpointPath: 'run/best.json',
      checkpointStore: store,
      onProgress: (e) => events.push(e),
    }).run();
    expect(summary.evalHistory.map((r) => [r.step, r.returnMean])).toEqual([[3, 0], [6, 20], [9, 0], [12, 0], [15, 20], [18, 0]]);
    const saves = events.filter((e): e is Extract<TrainerEvent, { type: 'checkpoint' }> => e.type === 'checkpoint');
    expect(saves.map((e) => [e.path, e.step])).toEqual([['run/best.json', 3], ['run/best.json', 6]]);
    expect(summary.bestEval).toMatchObject({ step: 6, returnMean: 20 });
    const restored = new PhasedLearner(new Discrete(2));
    restored.load(store.load('run/best.json').learner);
    expect(restored.updates).toBe(6);
    expect(evaluatePolicy(env, restored, { episodes: 2, seed: 0 }).mean).toBe(20);
  });

  it('resumes from a stop to exactly the weights of an uninterrupted run', async () => {
    const reference = newLearner();
    await new BrowserOfflineTrainer({ learner: reference, dataset: data, steps: 30, batchSize: 32, seed: 11 }).run();

    const store = new MemoryCheckpointStore();
    const first = newLearner();
    const interrupted = new BrowserOfflineTrainer({
      learner: first,
      dataset: data,
      steps: 30,
      batchSize: 32,
      seed: 11,
      checkpointPath: 'run/ckpt.json',
      checkpointStore: store,
      onProgress: (e) => {
        if (e.type === 'update' && e.step === 13) interrupted.stop();
      },
    });
    const partial = await interrupted.run();
    expect(partial).toMatchObject({ steps: 13, stopped: true });
    expect(store.has('run/ckpt.json')).toBe(true);

    // A fresh process: new learner (another seed: the checkpoint overrides its weights) and trainer.
    const second = newLearner(99);
    const resumed = new BrowserOfflineTrainer({ learner: second, dataset: data, steps: 30, batchSize: 32, seed: 11, checkpointStore: store });
    const summary = await resumed.resume('run/ckpt.json');
    expect(summary.steps).toBe(30);
    expect(second.updates).toBe(30);
    expect(weights(second)).toBe(weights(reference));
    for (const l of [reference, first, second]) l.dispose();
  });

  it('checkpoints to files from the node entry and extends a finished run', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bellman-training-'));
    try {
      const path = join(dir, 'ckpt.json');
      const reference = newLearner();
      await new OfflineTrainer({ learner: reference, dataset: data, steps: 20, batchSize: 16 }).run();
      const a = newLearner();
      await new OfflineTrainer({ learner: a, dataset: data, steps: 12, batchSize: 16, checkpointPath: path, checkpointEvery: 5 }).run();
      expect(existsSync(path)).toBe(true);
      const b = newLearner();
      const summary = await new OfflineTrainer({ learner: b, dataset: data, steps: 20, batchSize: 16, checkpointPath: path }).resume(path);
      expect(summary.steps).toBe(20);
      expect(weights(b)).toBe(weights(reference));
      const mismatch = new OfflineTrainer({ learner: newLearner(), dataset: data, steps: 20, batchSize: 32 }).resume(path);
      await expect(mismatch).rejects.toThrow(/was trained with batchSize 16, this trainer has 32; resume with the same batchSize/);
      // Typed, so a caller (the CLI's exit code) tells it from a failure of the run without reading the message.
      await expect(mismatch).rejects.toBeInstanceOf(CheckpointError);
      await expect(mismatch).rejects.toMatchObject({ context: { file: path, field: 'batchSize', saved: '16', current: '32' } });
      for (const l of [reference, a, b]) l.dispose();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('explains missing stores, bad options and divergence', async () => {
    const learner = newLearner();
    expect(() => new BrowserOfflineTrainer({ learner, dataset: data, steps: 5, checkpointPath: 'x.json' })).toThrow(
      "OfflineTrainer: checkpointPath needs a checkpointStore; in Node import OfflineTrainer from '@bellman/training/node', which writes files",
    );
    expect(() => new BrowserOfflineTrainer({ learner, dataset: data, steps: 0 })).toThrow('OfflineTrainer: steps must be a positive integer, got 0');
    expect(() => new BrowserOfflineTrainer({ learner, dataset: data, steps: 5, checkpointEvery: 2 })).toThrow('OfflineTrainer: checkpointEvery needs a checkpointPath');
    const diverging = new RecordingLearner(new Discrete(2));
    diverging.update = () => ({ loss: NaN });
    await expect(new BrowserOfflineTrainer({ learner: diverging, dataset: data, steps: 5, batchSize: 4 }).run()).rejects.toThrow(
      'recording diverged at step 1: metric "loss" is NaN',
    );
    learner.dispose();
  });
});

interface AddedRow {
  reward: number;
  terminated: boolean;
  truncated: boolean | undefined;
}

class RecordingBuffer implements TransitionBuffer {
  readonly rows: AddedRow[] = [];
  private readonly data = new ArrayDataset(2, 1);
  get size(): number {
    return this.data.size;
  }
  add(o: ArrayLike<number>, a: number | ArrayLike<number>, r: number, n: ArrayLike<number>, terminated: boolean, truncated?: boolean): void {
    this.rows.push({ reward: r, terminated, truncated });
    this.data.add(o, typeof a === 'number' ? a : Float32Array.from(a), r, n, terminated);
  }
  sampleTransitions(n: number, rng: Parameters<ArrayDataset['sampleTransitions']>[1]): TransitionBatch {
    return this.data.sampleTransitions(n, rng);
  }
}

describe('OnlineTrainer', () => {
  it('acts randomly during warm-up, then stochastically through the learner, and updates on schedule', async () => {
    const learner = new RecordingLearner(new Discrete(2));
    const buffer = new RecordingBuffer();
    const envs: ToyEnv[] = [];
    const trainer = new BrowserOnlineTrainer({
      learner,
      envFactory: () => {
        const e = new ToyEnv('discrete');
        envs.push(e);
        return e;
      },
      buffer,
      steps: 100,
      warmupSteps: 30,
      batchSize: 8,
      updateEvery: 2,
      evalEvery: 50,
      evalEpisodes: 1,
      seed: 3,
    });
    const summary = await trainer.run();
    expect(summary.steps).toBe(100);
    expect(learner.envSteps).toEqual(Array.from({ length: 100 }, (_, i) => i));
    const collecting = learner.actCalls.filter((c) => c.options?.deterministic === false);
    expect(collecting).toHaveLength(70);
    expect(collecting.every((c) => c.options?.rng !== undefined)).toBe(true);
    // Updates at even steps from 30 to 100 once the buffer holds max(warmupSteps, batchSize) = 30 rows.
    expect(learner.updates).toBe(36);
    expect(learner.batches.every((b) => b.size === 8)).toBe(true);
    // Stored flags: terminated where the MDP ended (a wrong action), never for time limits.
    expect(buffer.rows).toHaveLength(100);
    expect(buffer.rows.some((r) => r.terminated)).toBe(true);
    expect(buffer.rows.some((r) => r.truncated)).toBe(true);
    for (const r of buffer.rows) {
      expect(r.terminated).toBe(r.reward === 0);
      if (r.truncated) expect(r.terminated).toBe(false);
    }
    // The learner acts like the expert, so evaluation episodes run to the time limit.
    expect(summary.evalHistory.map((e) => [e.step, e.returnMean])).toEqual([
      [50, 20],
      [100, 20],
    ]);
    // One env collects, another evaluates; episode seeds are reproducible.
    expect(envs).toHaveLength(2);
    const again = new BrowserOnlineTrainer({ learner: new RecordingLearner(new Discrete(2)), envFactory: () => envs[0]!, buffer: new RecordingBuffer(), steps: 5, warmupSteps: 0, batchSize: 8, seed: 3, evalEvery: 0 });
    const seedsBefore = envs[0]!.resetSeeds.length;
    await again.run();
    expect(envs[0]!.resetSeeds[seedsBefore]).toBe(envs[0]!.resetSeeds[0]);
  });

  it('fills a ReplayBuffer from @bellman/datasets by default and samples terminals from it', async () => {
    const learner = new RecordingLearner(new Discrete(2));
    await new BrowserOnlineTrainer({ learner, envFactory: () => new ToyEnv('discrete'), steps: 60, warmupSteps: 40, batchSize: 16, seed: 1, evalEvery: 0 }).run();
    expect(learner.updates).toBe(21);
    const terminals = learner.batches.flatMap((b) => Array.from(b.terminals));
    expect(new Set(terminals)).toEqual(new Set([0, 1]));
  });

  it('checkpoints and resumes counters, random streams and the learner', async () => {
    const store = new MemoryCheckpointStore();
    const learner = new RecordingLearner(new Discrete(2));
    const trainer = new BrowserOnlineTrainer({
      learner,
      envFactory: () => new ToyEnv('discrete'),
      buffer: new RecordingBuffer(),
      steps: 50,
      warmupSteps: 10,
      batchSize: 4,
      evalEvery: 0,
      checkpointPath: 'online.json',
      checkpointStore: store,
      onProgress: (e) => {
        if (e.type === 'update' && e.step === 20) trainer.stop();
      },
    });
    expect((await trainer.run()).steps).toBe(20);
    expect(learner.updates).toBe(11);
    const next = new RecordingLearner(new Discrete(2));
    const resumed = new BrowserOnlineTrainer({
      learner: next,
      envFactory: () => new ToyEnv('discrete'),
      buffer: new RecordingBuffer(),
      steps: 50,
      warmupSteps: 10,
      batchSize: 4,
      evalEvery: 0,
      checkpointStore: store,
    });
    const summary = await resumed.resume('online.json');
    expect(summary.steps).toBe(50);
    // 11 restored + updates from step 30 (buffer refilled to 10 rows after the resume at 20) to 50.
    expect(next.updates).toBe(11 + 21);
    expect(next.envSteps[0]).toBe(20);
    await expect(
      new BrowserOfflineTrainer({ learner: newLearner(), dataset: data, steps: 5, checkpointStore: store }).resume('online.json'),
    ).rejects.toThrow('online.json was written by the online trainer, not the offline one');
  });
});
