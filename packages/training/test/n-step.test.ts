import { Discrete, Rng, type TransitionBatch } from '@bellman/core';
import { NStepAccumulator, OnlineTrainer, nStepOf, type TransitionBuffer } from '../src/index.js';
import { RecordingLearner, ToyEnv } from './fixtures.js';

interface Stored {
  obs: number[];
  action: number;
  reward: number;
  next: number[];
  terminated: boolean;
}

class RecordingBuffer implements TransitionBuffer {
  readonly rows: Stored[] = [];
  get size(): number {
    return this.rows.length;
  }
  add(observation: ArrayLike<number>, action: number | ArrayLike<number>, reward: number, nextObservation: ArrayLike<number>, terminated: boolean): void {
    this.rows.push({ obs: Array.from(observation), action: action as number, reward, next: Array.from(nextObservation), terminated });
  }
  sampleTransitions(n: number, rng: Rng): TransitionBatch {
    void n;
    void rng;
    throw new Error('not sampled in this test');
  }
}

const obs = (t: number) => [t, -t];

function feed(acc: NStepAccumulator, rewards: number[], end: 'terminated' | 'truncated', t0 = 0): void {
  rewards.forEach((r, i) => {
    const last = i === rewards.length - 1;
    acc.add(obs(t0 + i), t0 + i, r, obs(t0 + i + 1), last && end === 'terminated', last && end === 'truncated');
  });
}

describe('NStepAccumulator', () => {
  it('stores discounted n-step sums with the n-th next observation; a termination flushes shorter returns', () => {
    const sink = new RecordingBuffer();
    const acc = new NStepAccumulator(3, 0.5, sink);
    feed(acc, [1, 2, 3, 4, 5], 'terminated');
    expect(sink.rows.map((r) => [r.action, r.reward, r.next[0], r.terminated])).toEqual([
      [0, 1 + 0.5 * 2 + 0.25 * 3, 3, false],
      [1, 2 + 0.5 * 3 + 0.25 * 4, 4, false],
      [2, 3 + 0.5 * 4 + 0.25 * 5, 5, true],
      [3, 4 + 0.5 * 5, 5, true],
      [4, 5, 5, true],
    ]);
    expect(acc.pendingCount).toBe(0);
  });

  it('a truncation bootstraps the complete window and drops the shorter ones; the next episode starts clean', () => {
    const sink = new RecordingBuffer();
    const acc = new NStepAccumulator(3, 0.5, sink);
    feed(acc, [1, 1, 1, 1], 'truncated');
    expect(sink.rows.map((r) => [r.action, r.reward, r.next[0], r.terminated])).toEqual([
      [0, 1.75, 3, false],
      [1, 1.75, 4, false],
    ]);
    feed(acc, [2, 2], 'truncated', 10);
    expect(sink.rows).toHaveLength(2);
    feed(acc, [1], 'terminated', 20);
    expect(sink.rows.map((r) => [r.action, r.reward, r.next[0], r.terminated]).slice(2)).toEqual([[20, 1, 21, true]]);
  });

  it('n = 1 passes transitions through unchanged', () => {
    const sink = new RecordingBuffer();
    const acc = new NStepAccumulator(1, 0.9, sink);
    feed(acc, [1, 2], 'truncated');
    expect(sink.rows.map((r) => [r.reward, r.next[0], r.terminated])).toEqual([
      [1, 1, false],
      [2, 2, false],
    ]);
    expect(() => new NStepAccumulator(0, 0.9, sink)).toThrow(/nStep/);
    expect(nStepOf({})).toBe(1);
    expect(() => nStepOf({ nStep: 1.5 })).toThrow(/nStep/);
  });
});

describe('OnlineTrainer with an n-step learner', () => {
  it('stores n-step transitions of the episodes it collects', async () => {
    class TwoStepLearner extends RecordingLearner {
      readonly nStep = 2;
      readonly gamma = 0.5;
    }
    const learner = new TwoStepLearner(new Discrete(2));
    const buffer = new RecordingBuffer();
    // The learner plays the toy expert: reward 1 every step, truncation after 20 steps.
    const trainer = new OnlineTrainer({ learner, envFactory: () => new ToyEnv('discrete', 20), buffer, steps: 40, warmupSteps: 0, randomWarmup: false, batchSize: 1000, evalEvery: 0, evalEpisodes: 1 });
    await trainer.run();
    expect(buffer.rows).toHaveLength(2 * 19);
    expect(buffer.rows.every((r) => r.reward === 1.5 && !r.terminated)).toBe(true);
    // Row t's next observation is the observation two steps later: row t + 2's observation.
    for (let t = 0; t < 17; t++) expect(buffer.rows[t]!.next).toEqual(buffer.rows[t + 2]!.obs);
  });
});
