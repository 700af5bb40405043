import { Box, DatasetError, Discrete, Rng } from '@bellman/core';
import { OfflineDataset, normalizeObservations, NORMALIZATION_EPSILON, type EpisodeData } from '../src/offline.js';

const obsSpace = new Box(-Infinity, Infinity, [2]);
const discrete = { observationSpace: obsSpace, actionSpace: new Discrete(3) };

/** Episode e of length T: observation t is [e, t], action (e + t) % 3, reward 10 e + t. */
function episode(e: number, steps: number, terminated: boolean): EpisodeData {
  const observations: number[] = [];
  for (let t = 0; t <= steps; t++) observations.push(e, t);
  return {
    observations,
    actions: Array.from({ length: steps }, (_, t) => (e + t) % 3),
    rewards: Array.from({ length: steps }, (_, t) => 10 * e + t),
    terminated,
    seed: 100 + e,
  };
}

function threeEpisodes(discount?: number): OfflineDataset {
  return OfflineDataset.fromEpisodes([episode(0, 3, true), episode(1, 2, false), episode(2, 4, true)], discrete, { discount });
}

describe('OfflineDataset.fromEpisodes', () => {
  it('lays episodes out flat with terminals and timeouts apart', () => {
    const ds = threeEpisodes();
    expect(ds.size).toBe(9);
    expect(ds.numEpisodes).toBe(3);
    const a = ds.toArrays();
    expect(Array.from(a.terminals)).toEqual([0, 0, 1, 0, 0, 0, 0, 0, 1]);
    expect(Array.from(a.timeouts)).toEqual([0, 0, 0, 0, 1, 0, 0, 0, 0]);
    expect(Array.from(ds.episodeLengths())).toEqual([3, 2, 4]);
    expect(Array.from(ds.episodeReturns())).toEqual([0 + 1 + 2, 10 + 11, 20 + 21 + 22 + 23]);
    const ep1 = ds.episode(1);
    expect(ep1.start).toBe(3);
    expect(ep1.terminated).toBe(false);
    expect(ep1.truncated).toBe(true);
    expect(Array.from(ep1.finalObservation!)).toEqual([1, 2]);
    expect(ep1.seed).toBe(101);
    expect([...ds.episodes()].map((e) => e.length)).toEqual([3, 2, 4]);
  });

  it('derives next observations and next actions within episodes only', () => {
    const ds = threeEpisodes();
    const a = ds.toArrays();
    // Next observation of the last step of each episode is that episode's final observation.
    const next = Array.from({ length: 9 }, (_, i) => [a.nextObservations[2 * i], a.nextObservations[2 * i + 1]]);
    expect(next).toEqual([[0, 1], [0, 2], [0, 3], [1, 1], [1, 2], [2, 1], [2, 2], [2, 3], [2, 4]]);
    expect(Array.from(a.nextActionMask)).toEqual([1, 1, 0, 1, 0, 1, 1, 1, 0]);
    expect(ds.hasNextActions).toBe(true);
    const batch = ds.sampleTransitions(500, new Rng(2));
    const bad: number[] = [];
    for (let i = 0; i < batch.size; i++) {
      const e = batch.observations[2 * i]!;
      const t = batch.observations[2 * i + 1]!;
      const last = t === ds.episodeLengths()[e]! - 1;
      if (batch.nextObservations[2 * i] !== e || batch.nextObservations[2 * i + 1] !== t + 1) bad.push(i);
      if (batch.nextActionMask![i] !== (last ? 0 : 1)) bad.push(i);
      if (!last && batch.nextActions![i] !== (e + t + 1) % 3) bad.push(i);
      if (last && batch.nextActions![i] !== 0) bad.push(i);
      if (batch.actions[i] !== (e + t) % 3 || batch.rewards[i] !== 10 * e + t) bad.push(i);
      if (batch.terminals[i] !== (last && e !== 1 ? 1 : 0)) bad.push(i);
    }
    expect(bad).toEqual([]);
  });

  it('computes returns-to-go by hand', () => {
    const ds = threeEpisodes(0.5);
    // Episode 0 rewards 0, 1, 2: rtg = [0 + .5 * (1 + .5 * 2), 1 + .5 * 2, 2] = [1, 2, 2].
    // Episode 1 rewards 10, 11: [10 + 5.5, 11]. Episode 2 rewards 20..23.
    const e2 = [20 + 0.5 * (21 + 0.5 * (22 + 0.5 * 23)), 21 + 0.5 * (22 + 0.5 * 23), 22 + 0.5 * 23, 23];
    expect(Array.from(ds.returnsToGo())).toEqual([1, 2, 2, 15.5, 11, ...e2]);
    expect(Array.from(ds.returnsToGo(1))).toEqual([3, 3, 2, 21, 11, 86, 66, 45, 23]);
  });

  it('samples windows with padding and masks past the episode end', () => {
    const ds = threeEpisodes();
    const w = ds.sampleWindows(3, 400, new Rng(5));
    expect(w.observations.length).toBe(400 * 3 * 2);
    const rtg = ds.returnsToGo();
    const bad: number[] = [];
    const seenPadding = new Set<number>();
    for (let i = 0; i < w.size; i++) {
      const e = w.observations[i * 6]!;
      const t0 = w.observations[i * 6 + 1]!;
      const len = ds.episodeLengths()[e]!;
      const start = ds.episode(e).start;
      for (let k = 0; k < 3; k++) {
        const r = i * 3 + k;
        const t = t0 + k;
        if (t < len) {
          const ok =
            w.mask[r] === 1 &&
            w.observations[2 * r] === e &&
            w.observations[2 * r + 1] === t &&
            w.actions[r] === (e + t) % 3 &&
            w.rewards[r] === 10 * e + t &&
            w.returnsToGo[r] === rtg[start + t] &&
            w.terminals[r] === (t === len - 1 && e !== 1 ? 1 : 0);
          if (!ok) bad.push(r);
        } else {
          seenPadding.add(k);
          const ok = w.mask[r] === 0 && w.observations[2 * r] === 0 && w.observations[2 * r + 1] === 0 && w.rewards[r] === 0 && w.returnsToGo[r] === 0 && w.terminals[r] === 0;
          if (!ok) bad.push(r);
        }
      }
    }
    expect(bad).toEqual([]);
    expect(seenPadding).toEqual(new Set([1, 2]));
  });

  it('samples only whole windows without padding, uniformly over the starts that fit', () => {
    // episode lengths 3, 2 and 4: windows of 3 fit at 1 start of episode 0 and 2 of episode 2
    const ds = threeEpisodes();
    const w = ds.sampleWindows(3, 3000, new Rng(6), undefined, { padding: false });
    const counts = new Map<string, number>();
    for (let i = 0; i < w.size; i++) {
      const key = `${w.observations[i * 6]},${w.observations[i * 6 + 1]}`;
      counts.set(key, (counts.get(key) ?? 0) + 1);
      for (let k = 0; k < 3; k++) {
        expect(w.mask[i * 3 + k]).toBe(1);
        expect(w.observations[2 * (i * 3 + k) + 1]).toBe(w.observations[i * 6 + 1]! + k);
      }
    }
    expect([...counts.keys()].sort()).toEqual(['0,0', '2,0', '2,1']);
    for (const n of counts.values()) expect(Math.abs(n - 1000)).toBeLessThan(120);
    expect(() => ds.sampleWindows(5, 1, new Rng(0), undefined, { padding: false })).toThrow(/no episode has 5 steps.*the longest has 4/);
  });

  it('reports statistics', () => {
    const s = threeEpisodes().statistics();
    expect(s.transitions).toBe(9);
    expect(s.episodes).toBe(3);
    expect(s.returnMean).toBeCloseTo((3 + 21 + 86) / 3, 10);
    expect(s.returnMin).toBe(3);
    expect(s.returnMax).toBe(86);
    const m = 110 / 3;
    expect(s.returnStd).toBeCloseTo(Math.sqrt(((3 - m) ** 2 + (21 - m) ** 2 + (86 - m) ** 2) / 3), 10);
    expect(s.rewardSum).toBe(110);
    expect(s.rewardMean).toBeCloseTo(110 / 9, 10);
    expect(s.terminals).toBe(2);
    expect(s.timeouts).toBe(1);
    // Observations [e, t] over the 9 transitions: e = 0,0,0,1,1,2,2,2,2; t = 0,1,2,0,1,0,1,2,3.
    expect(s.observationMean[0]).toBeCloseTo(10 / 9, 6);
    expect(s.observationMean[1]).toBeCloseTo(10 / 9, 6);
  });

  it('normalises observations and rewards into a new dataset', () => {
    const ds = threeEpisodes();
    const stats = ds.normalizationStats();
    const norm = ds.normalized({ rewards: 'standardize' });
    expect(norm).not.toBe(ds);
    expect(norm.size).toBe(ds.size);
    const a = norm.toArrays();
    const raw = ds.toArrays();
    for (let i = 0; i < ds.size; i++) {
      for (let j = 0; j < 2; j++) {
        const expected = (raw.observations[2 * i + j]! - stats.observationMean[j]!) / (stats.observationStd[j]! + NORMALIZATION_EPSILON);
        expect(a.observations[2 * i + j]).toBeCloseTo(expected, 5);
      }
      expect(a.rewards[i]).toBeCloseTo((raw.rewards[i]! - stats.rewardMean) / (stats.rewardStd + NORMALIZATION_EPSILON), 5);
    }
    const ns = norm.statistics();
    expect(ns.observationMean[0]).toBeCloseTo(0, 5);
    expect(ns.observationStd[1]).toBeCloseTo(stats.observationStd[1]! / (stats.observationStd[1]! + NORMALIZATION_EPSILON), 5);
    expect(ns.rewardMean).toBeCloseTo(0, 5);
    // An env observation at evaluation time gets the same transform.
    const envObs = normalizeObservations(Float32Array.of(2, 3), norm.normalization!);
    expect(envObs[1]).toBeCloseTo((3 - stats.observationMean[1]!) / (stats.observationStd[1]! + NORMALIZATION_EPSILON), 5);
    // The original is untouched; a scale option scales rewards only.
    expect(ds.toArrays().observations[2]).toBe(0);
    const scaled = ds.normalized({ observations: false, rewards: { scale: 2, shift: 1 } });
    expect(Array.from(scaled.toArrays().rewards.subarray(0, 3))).toEqual([-2, 0, 2]);
    expect(scaled.toArrays().observations[3]).toBe(1);
  });

  it('rejects malformed episodes with the episode named', () => {
    expect(() => OfflineDataset.fromEpisodes([episode(0, 2, true), { ...episode(1, 3, true), observations: [0, 0, 1, 1] }], discrete)).toThrow(
      /episode 1 has 3 rewards, so its observations need 4 rows of 2 \(8 values\), got 4 values/,
    );
    expect(() => OfflineDataset.fromEpisodes([{ ...episode(0, 2, true), actions: [0, 7] }], discrete)).toThrow(/"actions" row 1 is 7, not an action of Discrete\(3\)/);
    expect(() => OfflineDataset.fromEpisodes([{ ...episode(0, 2, true), rewards: [0, NaN] }], discrete)).toThrow(/"rewards" row 1 holds a NaN or infinite value/);
  });
});

describe('OfflineDataset.fromArrays', () => {
  const boxActions = { observationSpace: obsSpace, actionSpace: new Box(-1, 1, [1]) };
  // Rows 0-2: episode ending in a terminal; rows 3-4: a timeout; rows 5-6: no flag at the end.
  const flat = {
    observations: [0, 0, 0, 1, 0, 2, 1, 0, 1, 1, 2, 0, 2, 1],
    actions: [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7],
    rewards: [1, 2, 3, 4, 5, 6, 7],
    terminals: [0, 0, 1, 0, 0, 0, 0],
    timeouts: [0, 0, 0, 0, 1, 0, 0],
  };

  it('ends episodes at terminals and timeouts, the last row counting as a timeout', () => {
    const ds = OfflineDataset.fromArrays(flat, boxActions);
    expect(ds.numEpisodes).toBe(3);
    expect(Array.from(ds.episodeLengths())).toEqual([3, 2, 2]);
    expect(ds.statistics().timeouts).toBe(2);
    expect(ds.statistics().terminals).toBe(1);
    const a = ds.toArrays();
    // Next observations within episodes; after the terminal a copy of the observation stands in;
    // after a timeout the next observation is unknown and the transition is never sampled.
    expect(Array.from(a.nextObservations.subarray(0, 6))).toEqual([0, 1, 0, 2, 0, 2]);
    expect(Array.from(a.nextObservations.subarray(6, 8))).toEqual([1, 1]);
    expect(Array.from(a.nextObservationKnown)).toEqual([1, 1, 1, 1, 0, 1, 0]);
    expect(ds.sampleableSize).toBe(5);
    expect(ds.episode(1).finalObservation).toBeNull();
    expect(Array.from(a.nextActionMask)).toEqual([1, 1, 0, 1, 0, 1, 0]);
    const batch = ds.sampleTransitions(300, new Rng(0));
    const drawn = new Set(Array.from(batch.rewards));
    expect(drawn).toEqual(new Set([1, 2, 3, 4, 6]));
    expect(ds.episodeReturns()[2]).toBe(13);
  });

  it('keeps given next observations and links next actions only where rows continue', () => {
    const next = flat.observations.map((v) => v + 0.5);
    const ds = OfflineDataset.fromArrays({ ...flat, nextObservations: next }, boxActions);
    expect(ds.sampleableSize).toBe(7);
    expect(ds.hasNextActions).toBe(false);
    expect(ds.sampleTransitions(4, new Rng(0)).nextActions).toBeUndefined();
  });

  it('names the key and row of bad input', () => {
    expect(() => OfflineDataset.fromArrays({ ...flat, rewards: [1, 2, 3] }, boxActions)).toThrow(/"rewards" has 3 rows, "observations" has 7/);
    expect(() => OfflineDataset.fromArrays({ ...flat, terminals: [0, 0, 2, 0, 0, 0, 0] }, boxActions)).toThrow(/"terminals" row 2 is 2, expected 0 or 1/);
    const obs = [...flat.observations];
    obs[9] = Infinity;
    expect(() => OfflineDataset.fromArrays({ ...flat, observations: obs }, boxActions)).toThrow(/"observations" row 4 holds a NaN or infinite value \(\[1, Infinity\]\)/);
    expect(() => OfflineDataset.fromArrays({ ...flat, observations: obs.slice(0, 13) }, boxActions)).toThrow(/13 values, not a multiple of the observation size 2/);
  });

  it('throws a DatasetError whose context names the source, key and row', () => {
    const errorOf = (fn: () => unknown): DatasetError => {
      try {
        fn();
      } catch (err) {
        expect(err).toBeInstanceOf(DatasetError);
        return err as DatasetError;
      }
      throw new Error('expected a DatasetError');
    };
    const options = { errorContext: { source: 'data.h5', keys: { terminals: 'dones' } } };
    expect(errorOf(() => OfflineDataset.fromArrays({ ...flat, terminals: [0, 0, 2, 0, 0, 0, 0] }, boxActions, options)).context).toEqual({
      source: 'data.h5',
      key: 'dones',
      row: 2,
      expected: '0 or 1',
    });
    expect(errorOf(() => OfflineDataset.fromArrays({ ...flat, rewards: [1, 2, 3] }, boxActions, options)).context).toEqual({ source: 'data.h5', key: 'rewards', expected: 7, got: 3 });
    const short = errorOf(() => OfflineDataset.fromEpisodes([{ ...episode(0, 2, true), actions: [0] }], discrete));
    expect(short.context).toEqual({ source: 'OfflineDataset.fromEpisodes', episode: 0, key: 'actions', expected: 2, got: 1 });
  });
});
