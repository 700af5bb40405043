import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Box, DatasetError, Discrete } from '@bellman/core';
import { OfflineDataset, type EpisodeData } from '../src/offline.js';
import { readD4RL, readDataset, readMinari, writeMinari, DatasetFileError } from '../src/hdf5.js';

const fixtures = join(dirname(fileURLToPath(import.meta.url)), 'fixtures');
const fixture = (name: string) => join(fixtures, name);

let tmp: string;
beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'bellman-hdf5-'));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function sampleEpisodes(continuous: boolean): EpisodeData[] {
  const episodes: EpisodeData[] = [];
  for (let e = 0; e < 12; e++) {
    const steps = 1 + ((e * 7) % 5);
    episodes.push({
      observations: Array.from({ length: (steps + 1) * 3 }, (_, i) => Math.sin(e * 31 + i) * 5),
      actions: Array.from({ length: steps * (continuous ? 2 : 1) }, (_, i) => (continuous ? Math.cos(e + i) : (e + i) % 4)),
      rewards: Array.from({ length: steps }, (_, t) => Math.fround(t * 0.3 - e)),
      terminated: e % 3 === 0,
      seed: 1000 + e,
    });
  }
  return episodes;
}

function expectSameData(a: OfflineDataset, b: OfflineDataset): void {
  const x = a.toArrays();
  const y = b.toArrays();
  expect(b.size).toBe(a.size);
  expect(b.numEpisodes).toBe(a.numEpisodes);
  for (const key of ['observations', 'actions', 'rewards', 'terminals', 'timeouts', 'nextObservations', 'nextActionMask'] as const) {
    expect(Buffer.from(y[key].buffer, y[key].byteOffset, y[key].byteLength).equals(Buffer.from(x[key].buffer, x[key].byteOffset, x[key].byteLength))).toBe(true);
  }
  expect([...b.episodes()].map((e) => e.seed)).toEqual([...a.episodes()].map((e) => e.seed));
}

describe('writeMinari / readMinari', () => {
  it.each([
    ['Discrete', false],
    ['Box', true],
  ])('round-trips a dataset with %s actions exactly, spaces and metadata included', async (_name, continuous) => {
    const spaces = {
      observationSpace: new Box([-5, -6, -7], [5, 6, 7]),
      actionSpace: continuous ? new Box(-1, 1, [2]) : new Discrete(4),
    };
    const ds = OfflineDataset.fromEpisodes(sampleEpisodes(continuous), spaces, { discount: 0.9, metadata: { recipe: 'made-up', seed: 3 } });
    const path = join(tmp, `round-${continuous}`, 'data', 'main_data.hdf5');
    const summary = await writeMinari(path, ds, { datasetId: 'test/round-v0', envId: 'Made-v0' });
    expect(summary).toMatchObject({ episodes: 12, steps: ds.size, droppedSteps: 0 });
    // Only the final file is left: the temporary file was renamed.
    expect(readdirSync(dirname(path))).toEqual(['main_data.hdf5']);
    const back = await readMinari(join(tmp, `round-${continuous}`));
    expectSameData(ds, back);
    expect(back.observationSpace.toJSON()).toEqual(spaces.observationSpace.toJSON());
    expect(back.actionSpace.toJSON()).toEqual(spaces.actionSpace.toJSON());
    expect(back.discount).toBeCloseTo(0.9, 12);
    expect(back.metadata).toMatchObject({ recipe: 'made-up', seed: 3, datasetId: 'test/round-v0', envId: 'Made-v0', format: 'minari' });
    expect((await readDataset(path)).format).toBe('minari');
  });

  it('drops the unknown last step of timeout episodes from flat data without next observations', async () => {
    const flat = OfflineDataset.fromArrays(
      { observations: [0, 1, 2, 3, 4], actions: [0, 1, 0, 1, 0], rewards: [1, 1, 1, 1, 1], terminals: [0, 1, 0, 0, 0], timeouts: [0, 0, 0, 0, 1] },
      { observationSpace: new Box(-10, 10, [1]), actionSpace: new Discrete(2) },
    );
    const path = join(tmp, 'dropped.hdf5');
    const summary = await writeMinari(path, flat);
    expect(summary).toMatchObject({ episodes: 2, steps: 4, droppedSteps: 1 });
    const back = await readMinari(path);
    expect(Array.from(back.episodeLengths())).toEqual([2, 2]);
    expect(Array.from(back.toArrays().observations)).toEqual([0, 1, 2, 3]);
    expect(back.episode(1).truncated).toBe(true);
  });
});

describe('reading h5py fixtures', () => {
  it('reads the D4RL layout', async () => {
    const ds = await readD4RL(fixture('d4rl_small.hdf5'));
    expect(ds.size).toBe(12);
    expect(ds.observationDim).toBe(3);
    expect(ds.actionSpace).toBeInstanceOf(Box);
    expect(Array.from(ds.episodeLengths())).toEqual([5, 5, 2]);
    const a = ds.toArrays();
    expect(a.observations[7 * 3 + 2]).toBe(Math.fround(7.2));
    expect(a.actions[3 * 2 + 1]).toBe(Math.fround(((3 * 2 + 1) % 5) / 5 - 0.5));
    expect(Array.from(a.rewards)).toEqual(Array.from({ length: 12 }, (_, i) => i * 0.5));
    expect(a.terminals[4]).toBe(1);
    expect(a.timeouts[9]).toBe(1);
    expect(a.timeouts[11]).toBe(1);
    // Foreign file: observations unbounded, actions bounded by the data's range per column.
    expect(ds.observationSpace.isBounded()).toBe(false);
    const box = ds.actionSpace as Box;
    expect(Array.from(box.low)).toEqual([-0.5, -0.5].map(Math.fround));
    expect(Array.from(box.high)).toEqual([0.3, 0.3].map(Math.fround));
    expect(ds.metadata.format).toBe('d4rl');
    expect((await readDataset(fixture('d4rl_small.hdf5'))).format).toBe('d4rl');
  });

  it('reads integer D4RL actions as Discrete and keeps given next observations', async () => {
    const ds = await readD4RL(fixture('d4rl_discrete.hdf5'));
    expect(ds.actionSpace).toBeInstanceOf(Discrete);
    expect((ds.actionSpace as Discrete).n).toBe(3);
    expect(Array.from(ds.toArrays().actions)).toEqual([0, 1, 2, 0, 1, 2, 0, 1]);
    expect(Array.from(ds.toArrays().nextObservations.subarray(0, 4))).toEqual([0.25, 0.25, 1.25, -0.75]);
    expect(ds.sampleableSize).toBe(8);
    expect(Array.from(ds.episodeLengths())).toEqual([4, 4]);
  });

  it('reads the Minari layout with episodes in numeric order', async () => {
    const ds = await readMinari(fixture('minari_small.hdf5'));
    expect(ds.numEpisodes).toBe(11);
    const episodes = [...ds.episodes()];
    expect(episodes.map((e) => e.observations[0])).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(episodes.map((e) => e.length)).toEqual([2, 3, 4, 2, 3, 4, 2, 3, 4, 2, 3]);
    expect(episodes.map((e) => e.terminated)).toEqual(episodes.map((_, i) => i % 2 === 0));
    expect(episodes.map((e) => e.seed)).toEqual(episodes.map((_, i) => 100 + i));
    const ep10 = ds.episode(10);
    expect(Array.from(ep10.rewards)).toEqual([10, 10.1, 10.2].map(Math.fround));
    expect(Array.from(ep10.finalObservation!)).toEqual([10, 3]);
    expect(Array.from(ep10.actions)).toEqual([0, 1, 0]);
    expect(ds.actionSpace).toBeInstanceOf(Discrete);
    expect((ds.actionSpace as Discrete).n).toBe(2);
    expect(ds.size).toBe(episodes.reduce((s, e) => s + e.length, 0));
  });
});

describe('bad files', () => {
  const cases: [string, RegExp][] = [
    ['bad_missing_key.hdf5', /bad_missing_key\.hdf5: key "rewards": is missing/],
    ['bad_mismatch.hdf5', /bad_mismatch\.hdf5: key "rewards": has 11 rows, "observations" has 12/],
    ['bad_nan.hdf5', /bad_nan\.hdf5: key "observations" row 6: holds a NaN or infinite value \(\[6, NaN, 6\.2/],
    ['bad_rank.hdf5', /bad_rank\.hdf5: key "observations": has shape \[12\] \(rank 1\), expected rank 2/],
    ['bad_truncated.hdf5', /bad_truncated\.hdf5: cannot open as HDF5, truncated or corrupt \(truncated file/],
    ['bad_not_hdf5.hdf5', /bad_not_hdf5\.hdf5: not an HDF5 file \(no HDF5 signature in its 35 bytes\)/],
    ['bad_minari_mismatch.hdf5', /bad_minari_mismatch\.hdf5: key "episode_1\/observations": has 3 rows, expected 4/],
    ['bad_minari_inf.hdf5', /bad_minari_inf\.hdf5: key "episode_2\/rewards" row 1: holds a NaN or infinite value \(\[Infinity\]\)/],
    ['no_such_file.hdf5', /no_such_file\.hdf5: cannot read: ENOENT/],
  ];

  it.each(cases)('%s gets its message, and HDF5 prints nothing to stderr', async (name, message) => {
    const writes: string[] = [];
    const original = process.stderr.write.bind(process.stderr);
    process.stderr.write = ((chunk: string | Uint8Array) => {
      writes.push(String(chunk));
      return true;
    }) as typeof process.stderr.write;
    try {
      const read = name.includes('minari') ? readMinari : name.includes('not_hdf5') || name.includes('no_such') ? readDataset : readD4RL;
      const err = await read(fixture(name)).then(
        () => null,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(DatasetFileError);
      expect(err).toBeInstanceOf(DatasetError);
      expect((err as DatasetFileError).context.file).toBe(fixture(name));
      expect((err as Error).message).toMatch(message);
    } finally {
      process.stderr.write = original;
    }
    expect(writes.join('')).toBe('');
  });

  it('puts the file, key and row of a bad value in the error\'s context', async () => {
    const err = (await readD4RL(fixture('bad_nan.hdf5')).catch((e: unknown) => e)) as DatasetFileError;
    expect(err).toBeInstanceOf(DatasetError);
    expect(err.name).toBe('DatasetFileError');
    expect(err.context).toEqual({ file: fixture('bad_nan.hdf5'), key: 'observations', row: 6 });
    expect([err.file, err.key, err.row]).toEqual([fixture('bad_nan.hdf5'), 'observations', 6]);
  });

  it('names the file when readDataset finds neither layout', async () => {
    const h5 = (await import('h5wasm/node')).default;
    await h5.ready;
    const path = join(tmp, 'other.hdf5');
    const file = new h5.File(path, 'w');
    file.create_group('something_else');
    file.close();
    const err = await readDataset(path).catch((e: unknown) => e);
    expect((err as Error).message).toMatch(/other\.hdf5: is neither a D4RL file .* top-level keys: something_else$/);
    expect(err).toBeInstanceOf(DatasetFileError);
  });

  it('reports a damaged object inside a file that opens, in one line', async () => {
    const path = join(tmp, 'damaged.hdf5');
    const ds = OfflineDataset.fromEpisodes(sampleEpisodes(false).slice(0, 1), { observationSpace: new Box(-9, 9, [3]), actionSpace: new Discrete(4) });
    await writeMinari(path, ds);
    // Renaming the group's bytes in place breaks the file's link index.
    writeFileSync(path, Buffer.from(readFileSync(path).toString('latin1').replaceAll('episode_0', 'episodeX0'), 'latin1'));
    const err = await readDataset(path).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DatasetFileError);
    expect((err as Error).message).toMatch(/damaged\.hdf5: cannot read, truncated or corrupt \(.+\)$/);
    expect((err as Error).message).not.toMatch(/\n/);
  });
});

describe("D4RL's maze2d files", () => {
  it('read with their infos/goal, infos/qpos and infos/qvel keys beside the transitions', async () => {
    const { collectMaze2dData, loadMujoco } = await import('@bellman/envs-mujoco');
    await loadMujoco();
    const data = collectMaze2dData('umaze', { steps: 1500, seed: 2 });
    const h5 = (await import('h5wasm/node')).default;
    await h5.ready;
    const path = join(tmp, 'maze2d-umaze-v1.hdf5');
    const file = new h5.File(path, 'w');
    const n = data.rewards.length;
    file.create_dataset({ name: 'observations', data: data.observations, shape: [n, 4], dtype: '<f' });
    file.create_dataset({ name: 'actions', data: data.actions, shape: [n, 2], dtype: '<f' });
    file.create_dataset({ name: 'rewards', data: data.rewards, shape: [n], dtype: '<f' });
    file.create_dataset({ name: 'terminals', data: Int8Array.from(data.terminals), shape: [n], dtype: '<b' });
    file.create_dataset({ name: 'timeouts', data: Int8Array.from(data.timeouts), shape: [n], dtype: '<b' });
    const infos = file.create_group('infos');
    infos.create_dataset({ name: 'goal', data: data.goals, shape: [n, 2], dtype: '<f' });
    infos.create_dataset({ name: 'qpos', data: data.qpos, shape: [n, 2], dtype: '<f' });
    infos.create_dataset({ name: 'qvel', data: data.qvel, shape: [n, 2], dtype: '<f' });
    file.close();
    const { format, dataset } = await readDataset(path);
    expect(format).toBe('d4rl');
    expect(dataset.size).toBe(n);
    expect(dataset.numEpisodes).toBe(data.timeouts.reduce((s, t) => s + t, 0));
    const arrays = dataset.toArrays();
    expect(Array.from(arrays.observations)).toEqual(Array.from(data.observations));
    expect(Array.from(arrays.actions)).toEqual(Array.from(data.actions));
    expect(Array.from(arrays.rewards)).toEqual(Array.from(data.rewards));
    // without next_observations the next row stands in inside an episode (at a timeout it is unknown)
    for (let i = 0; i < n; i++) {
      if (data.timeouts[i]) expect(arrays.nextObservationKnown[i]).toBe(0);
      else expect(Array.from(arrays.nextObservations.subarray(4 * i, 4 * i + 4))).toEqual(Array.from(data.nextObservations.subarray(4 * i, 4 * i + 4)));
    }
  });
});
