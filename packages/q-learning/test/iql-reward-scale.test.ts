/**
 * IQL's reward scale: `rewardScale: 'auto'` (the default) derives L / (max return - min return)
 * from the dataset's episode statistics, the scaled reward enters the TD target, and the scale is
 * saved with the weights so that a snapshot resumes (and evaluates) exactly.
 */
import * as tf from '@tensorflow/tfjs';
import { Box, ConfigError, Discrete, type LearnerSnapshot, type TransitionBatch } from '@bellman/core';
import { initBackend } from '@bellman/nn';
import { OfflineDataset } from '@bellman/datasets';
import { DiscreteIQL, IQL, createLearnerByName, learnerFromSnapshot, listAlgorithms } from '../src/index.js';
import { autoRewardScale } from '../src/iql.js';
import { forward64, mean, q64, rows, setFixedWeights, tinyBatch } from './continuous-helpers.js';
import { valueAfterStep64 } from './iql-reference.js';

beforeAll(async () => {
  await initBackend({ backend: 'cpu' });
});

const OBS = new Box(-5, 5, [2]);
const BOX_ACTIONS = new Box(-2, 2, [1]);
const DISCRETE_ACTIONS = new Discrete(3);

/**
 * Three episodes of lengths 3, 2 and 4 (the first and last terminated, the second cut by a time
 * limit) with returns 1, -6 and 10: spread 16, longest episode 4.
 */
function smallDataset(): OfflineDataset {
  const rewards = [1, -1, 1, /* */ -2, -4, /* */ 4, 3, 2, 1];
  const terminals = [0, 0, 1, 0, 0, 0, 0, 0, 1];
  const timeouts = [0, 0, 0, 0, 1, 0, 0, 0, 0];
  const observations = rewards.flatMap((_, i) => [0.1 * i, -0.2 * i]);
  const actions = rewards.map((_, i) => Math.sin(i));
  return OfflineDataset.fromArrays({ observations, actions, rewards, terminals, timeouts }, { observationSpace: OBS, actionSpace: BOX_ACTIONS });
}

describe("rewardScale 'auto'", () => {
  it('is the longest episode over the spread of episode returns, from dataset.statistics()', () => {
    const stats = smallDataset().statistics();
    expect([stats.returnMin, stats.returnMax, stats.lengthMax]).toEqual([-6, 10, 4]);
    expect(autoRewardScale(stats)).toBe(4 / 16);
    const iql = createLearnerByName('iql', { observationSpace: OBS, actionSpace: BOX_ACTIONS, config: { hiddenSizes: [4] }, episodeStatistics: stats }) as IQL;
    expect(iql.config.rewardScale).toBe('auto');
    expect(iql.rewardScale).toBe(0.25);
    iql.dispose();
  });

  it("is the IQL authors' 1000 / (max return - min return) on 1000-step episodes (D4RL locomotion)", () => {
    expect(autoRewardScale({ returnMin: -130.5, returnMax: 3234.25, lengthMax: 1000 })).toBe(1000 / (3234.25 - -130.5));
    // Pendulum-v1's 200-step episodes with the spread of pendulum-medium-v0's returns: a fifth of that.
    expect(autoRewardScale({ returnMin: -1119.85, returnMax: -127.1, lengthMax: 200 })).toBeCloseTo(200 / 992.75, 12);
  });

  it('is 1 without statistics (online) or without a spread of returns, and a number overrides it', () => {
    expect(autoRewardScale(undefined)).toBe(1);
    expect(autoRewardScale({ returnMin: 7, returnMax: 7, lengthMax: 30 })).toBe(1);
    expect(autoRewardScale({ returnMin: 0, returnMax: 0, lengthMax: 0 })).toBe(1); // an empty dataset's statistics
    const online = createLearnerByName('iql', { observationSpace: OBS, actionSpace: BOX_ACTIONS, config: { hiddenSizes: [4] } }) as IQL;
    expect(online.rewardScale).toBe(1);
    const fixed = createLearnerByName('iql', {
      observationSpace: OBS,
      actionSpace: DISCRETE_ACTIONS,
      config: { hiddenSizes: [4], rewardScale: 0.125 },
      episodeStatistics: { returnMin: -6, returnMax: 10, lengthMax: 4 },
    }) as DiscreteIQL;
    expect(fixed.rewardScale).toBe(0.125);
    for (const l of [online, fixed]) l.dispose();
  });

  it('is the default of both implementations, and the config takes "auto" or a positive number only', () => {
    expect(listAlgorithms().find((a) => a.algo === 'iql')?.defaults).toMatchObject({ rewardScale: 'auto', beta: 3 });
    for (const actionSpace of [BOX_ACTIONS, DISCRETE_ACTIONS]) {
      for (const bad of ['Auto', '0.5', -1, 0, null, true, Number.NaN]) {
        const make = () => createLearnerByName('iql', { observationSpace: OBS, actionSpace, config: { hiddenSizes: [4], rewardScale: bad } });
        expect(make).toThrow(ConfigError);
        expect(make).toThrow(`IQL config: "rewardScale" must be "auto" or a number greater than 0, got ${JSON.stringify(bad)}`);
      }
      for (const good of ['auto', 2.5]) createLearnerByName('iql', { observationSpace: OBS, actionSpace, config: { hiddenSizes: [4], rewardScale: good } }).dispose();
    }
  });

  it('rejects statistics that are not numbers or out of order', () => {
    const make = (episodeStatistics: unknown) => () =>
      createLearnerByName('iql', { observationSpace: OBS, actionSpace: BOX_ACTIONS, config: { hiddenSizes: [4] }, episodeStatistics } as Parameters<typeof createLearnerByName>[1]);
    expect(make({ returnMin: 0, returnMax: 5 })).toThrow('episodeStatistics.lengthMax must be a finite number, got undefined');
    expect(make({ returnMin: Number.NaN, returnMax: 5, lengthMax: 10 })).toThrow('episodeStatistics.returnMin must be a finite number');
    expect(make({ returnMin: 5, returnMax: 1, lengthMax: 10 })).toThrow('returnMax (1) is below returnMin (5)');
    expect(make({ returnMin: 1, returnMax: 5, lengthMax: 2.5 })).toThrow('lengthMax must be a positive integer');
  });
});

describe('the scaled reward in the TD target', () => {
  // Spread 8 over 2-step episodes: scale 0.25.
  const STATS = { returnMin: -3, returnMax: 5, lengthMax: 2 };

  it('continuous IQL: y = 0.25 r + gamma (1 - d) V\'(s\') (V\' after the value step), checked against the critic loss', () => {
    const iql = new IQL({ observationSpace: OBS, actionSpace: BOX_ACTIONS, seed: 6, config: { hiddenSizes: [3] }, episodeStatistics: STATS });
    const critics = iql.critics.members.map((m, j) => setFixedWeights(m, 10 + j));
    const targets = iql.critics.targets.map((t, j) => setFixedWeights(t, 20 + j, 1.5));
    setFixedWeights(iql.actor.net, 1);
    const value = setFixedWeights(iql.value, 30);
    const data = rows(tinyBatch());
    const qt = data.map(({ s, a }) => Math.min(q64(targets[0]!, s, a), q64(targets[1]!, s, a)));
    const stepped = valueAfterStep64(value, data.map(({ s }) => s), qt, 0.7, 3e-4);
    const ys = data.map(({ r, sNext, d }) => 0.25 * r + 0.99 * (1 - d) * forward64(stepped, sNext)[0]!);
    const criticLoss = [0, 1].map((j) => mean(data.map(({ s, a }, i) => (q64(critics[j]!, s, a) - ys[i]!) ** 2))).reduce((x, y) => x + y);
    const unscaled = mean(data.map(({ r, sNext, d }) => r + 0.99 * (1 - d) * forward64(stepped, sNext)[0]!));
    expect(Math.abs(mean(ys) - unscaled)).toBeGreaterThan(0.1); // the check below can tell the scale from none

    const metrics = iql.update(tinyBatch());
    expect(metrics.targetMean).toBeCloseTo(mean(ys), 5);
    expect(metrics.criticLoss).toBeCloseTo(criticLoss, 4);
    iql.dispose();
  });

  it("discrete IQL: y = 0.25 r + gamma (1 - d) V'(s') (V' after the value step), checked against the critic loss", () => {
    const iql = new DiscreteIQL({ observationSpace: OBS, actionSpace: DISCRETE_ACTIONS, seed: 4, config: { hiddenSizes: [3] }, episodeStatistics: STATS });
    const critics = iql.critics.map((m, j) => setFixedWeights(m, 10 + j));
    const targets = iql.targets.map((t, j) => setFixedWeights(t, 20 + j, 1.5));
    setFixedWeights(iql.actor, 1);
    const value = setFixedWeights(iql.value, 30);
    const batch: TransitionBatch = { ...tinyBatch(), actions: new Float32Array([0, 2, 1]) };
    const data = rows(batch);
    const qt = data.map(({ s, a }) => Math.min(forward64(targets[0]!, s)[a[0]!]!, forward64(targets[1]!, s)[a[0]!]!));
    const stepped = valueAfterStep64(value, data.map(({ s }) => s), qt, 0.7, 3e-4);
    const ys = data.map(({ r, sNext, d }) => 0.25 * r + 0.99 * (1 - d) * forward64(stepped, sNext)[0]!);
    const criticLoss = [0, 1].map((j) => mean(data.map(({ s, a }, i) => (forward64(critics[j]!, s)[a[0]!]! - ys[i]!) ** 2))).reduce((x, y) => x + y);

    const metrics = iql.update(batch);
    expect(metrics.targetMean).toBeCloseTo(mean(ys), 5);
    expect(metrics.criticLoss).toBeCloseTo(criticLoss, 4);
    iql.dispose();
  });
});

describe('the saved reward scale', () => {
  const STATS = { returnMin: -6, returnMax: 10, lengthMax: 4 }; // scale 0.25

  function discreteBatch(): TransitionBatch {
    return { ...tinyBatch(), actions: new Float32Array([0, 2, 1]) };
  }

  for (const [kind, actionSpace, batch] of [
    ['Box', BOX_ACTIONS, tinyBatch],
    ['Discrete', DISCRETE_ACTIONS, discreteBatch],
  ] as const) {
    it(`round-trips through a snapshot without the statistics (${kind} actions)`, () => {
      const make = (episodeStatistics?: typeof STATS) =>
        createLearnerByName('iql', { observationSpace: OBS, actionSpace, seed: 3, config: { hiddenSizes: [8] }, ...(episodeStatistics ? { episodeStatistics } : {}) }) as IQL | DiscreteIQL;
      const a = make(STATS);
      for (let i = 0; i < 2; i++) a.update(batch());
      const snapshot = JSON.parse(JSON.stringify(a.save())) as LearnerSnapshot;
      expect((snapshot.config as { rewardScale?: unknown }).rewardScale).toBe('auto');
      expect(snapshot.weights.rewardScale?.shape).toEqual([]);

      const restored = learnerFromSnapshot(snapshot) as IQL | DiscreteIQL; // built without statistics: 1, then loaded
      expect(restored.rewardScale).toBe(0.25);
      const other = make({ returnMin: 0, returnMax: 1, lengthMax: 50 }); // another dataset's scale (50) gives way to the snapshot's
      other.load(snapshot);
      expect(other.rewardScale).toBe(0.25);
      const expected = a.update(batch());
      expect(restored.update(batch())).toEqual(expected);
      expect(other.update(batch())).toEqual(expected);

      // A learner that trained on with scale 1 would not match: the check above can tell.
      const unscaled = make();
      unscaled.load({ ...snapshot, weights: { ...snapshot.weights, rewardScale: make().save().weights.rewardScale! } });
      expect(unscaled.rewardScale).toBe(1);
      const restoredAgain = learnerFromSnapshot(snapshot);
      expect(unscaled.update(batch()).targetMean).not.toBeCloseTo(restoredAgain.update(batch()).targetMean!, 3);
      for (const l of [a, restored, other, unscaled, restoredAgain]) l.dispose();
    });

    it(`loads a snapshot saved before the scale was a weight from its numeric config (${kind} actions)`, () => {
      const a = createLearnerByName('iql', { observationSpace: OBS, actionSpace, seed: 3, config: { hiddenSizes: [8], rewardScale: 0.5 } }) as IQL | DiscreteIQL;
      a.update(batch());
      const { rewardScale: _dropped, ...oldWeights } = a.save().weights;
      const old = { ...a.save(), weights: oldWeights };
      const restored = learnerFromSnapshot(old) as IQL | DiscreteIQL;
      expect(restored.rewardScale).toBe(0.5);
      expect(restored.update(batch())).toEqual(a.update(batch()));
      // With 'auto' there is no number to fall back on.
      const auto = createLearnerByName('iql', { observationSpace: OBS, actionSpace, seed: 3, config: { hiddenSizes: [8] } });
      const { rewardScale: _gone, ...autoWeights } = auto.save().weights;
      expect(() => auto.load({ ...auto.save(), weights: autoWeights })).toThrow('snapshot is missing weight "rewardScale"');
      for (const l of [a, restored, auto]) l.dispose();
    });
  }

  it('leaves no tensors behind', () => {
    const before = tf.memory().numTensors;
    const iql = createLearnerByName('iql', { observationSpace: OBS, actionSpace: BOX_ACTIONS, config: { hiddenSizes: [4] }, episodeStatistics: STATS });
    iql.update(tinyBatch());
    const restored = learnerFromSnapshot(iql.save());
    for (const l of [iql, restored]) l.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});
