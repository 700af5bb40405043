import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Box, DatasetError, Discrete, spaceFromJSON } from '@bellman/core';
import type { AnySpace, SpaceSpec } from '@bellman/core';
import type { Dataset as H5Dataset, File as H5File, Group as H5Group } from 'h5wasm';
import { OfflineDataset, type DatasetMetadata, type DatasetSpaces, type EpisodeData } from './offline.js';
import { describeValue, firstNonFiniteRow } from './validate.js';
import { hdf5Reason, withHdf5File, writeHdf5Atomically, type H5wasm } from './hdf5-io.js';

/**
 * An HDF5 dataset file that cannot be read: names the file and, where they apply, the key and
 * row, in the message and in `context` (`file`, `key`, `row`).
 */
export class DatasetFileError extends DatasetError {
  constructor(
    readonly file: string,
    message: string,
    readonly key?: string,
    readonly row?: number,
  ) {
    super(`${file}: ${key !== undefined ? `key "${key}"${row !== undefined ? ` row ${row}` : ''}: ` : ''}${message}`, { file, key, row });
    this.name = 'DatasetFileError';
  }
}

export type DatasetFormat = 'd4rl' | 'minari';

export interface WriteMinariOptions {
  datasetId?: string;
  envId?: string;
}

export interface WriteSummary {
  path: string;
  episodes: number;
  steps: number;
  /**
   * Steps left out: the last step of an episode whose final observation the dataset does not
   * know (a flat dataset without next observations that ended in a timeout). Minari needs it.
   */
  droppedSteps: number;
}

/** Version of the Bellman attributes written beside Minari's. */
export const BELLMAN_HDF5_VERSION = 1;

/** Open an HDF5 file for reading with clear errors (`DatasetFileError`s), run `fn`, always close it. */
async function withFile<T>(path: string, fn: (file: H5File, h5: H5wasm, path: string) => T): Promise<T> {
  return withHdf5File(path, fn, (message) => new DatasetFileError(path, message));
}

interface NumericArray {
  values: Float64Array;
  shape: number[];
  integer: boolean;
}

function readNumeric(h5: H5wasm, group: H5Group, key: string, file: string, prefix = ''): NumericArray {
  const full = prefix + key;
  let entity: ReturnType<H5Group['get']>;
  try {
    entity = group.get(key);
  } catch (err) {
    throw new DatasetFileError(file, `cannot read, file truncated or corrupt (${hdf5Reason(err)})`, full);
  }
  if (entity === null) throw new DatasetFileError(file, 'is missing', full);
  if (!(entity instanceof h5.Dataset)) throw new DatasetFileError(file, 'is not a dataset (a group or link)', full);
  const dataset = entity as H5Dataset;
  let raw: unknown;
  let shape: number[] | null;
  try {
    shape = dataset.shape;
    raw = dataset.value;
  } catch (err) {
    throw new DatasetFileError(file, `cannot read, file truncated or corrupt (${hdf5Reason(err)})`, full);
  }
  if (!shape || !ArrayBuffer.isView(raw) || raw instanceof DataView) {
    throw new DatasetFileError(file, `holds ${JSON.stringify(dataset.dtype)} data, expected numbers`, full);
  }
  const typed = raw as unknown as ArrayLike<number | bigint>;
  const values = new Float64Array(typed.length);
  for (let i = 0; i < typed.length; i++) values[i] = Number(typed[i]);
  const integer = !(raw instanceof Float32Array || raw instanceof Float64Array);
  return { values, shape, integer };
}

function rows(a: NumericArray): number {
  return a.shape[0] ?? 1;
}

function rowWidth(a: NumericArray): number {
  return a.shape.slice(1).reduce((x, y) => x * y, 1);
}

function expectRank(a: NumericArray, ranks: number[], file: string, key: string): void {
  if (!ranks.includes(a.shape.length)) {
    throw new DatasetFileError(file, `has shape [${a.shape.join(', ')}] (rank ${a.shape.length}), expected rank ${ranks.join(' or ')}`, key);
  }
}

function expectFinite(a: NumericArray, file: string, key: string): void {
  const width = Math.max(1, rowWidth(a));
  const bad = firstNonFiniteRow(a.values, width);
  if (bad >= 0) {
    const row = Array.from(a.values.subarray(bad * width, bad * width + width), describeValue).join(', ');
    throw new DatasetFileError(file, `holds a NaN or infinite value ([${row}])`, key, bad);
  }
}

function expectFlags(a: NumericArray, file: string, key: string): void {
  for (let i = 0; i < a.values.length; i++) {
    const v = a.values[i]!;
    if (v !== 0 && v !== 1) throw new DatasetFileError(file, `is ${describeValue(v)}, expected 0 or 1 (a boolean flag)`, key, i);
  }
}

function readAttr(group: H5Group, name: string): unknown {
  const attr = group.attrs[name];
  if (!attr) return undefined;
  const value = attr.value;
  if (typeof value === 'bigint') return Number(value);
  if (ArrayBuffer.isView(value) && (value as unknown as ArrayLike<unknown>).length === 1) {
    return Number((value as unknown as ArrayLike<number | bigint>)[0]);
  }
  return value;
}

function readJsonAttr<T>(group: H5Group, name: string, file: string): T | undefined {
  const value = readAttr(group, name);
  if (typeof value !== 'string') return undefined;
  try {
    return JSON.parse(value) as T;
  } catch {
    throw new DatasetFileError(file, `attribute "${name}" is not valid JSON`);
  }
}

/** Minari writes spaces as {"type": "Box", low, high, shape} or {"type": "Discrete", n, start}. */
function minariSpace(spec: unknown): AnySpace | undefined {
  if (!spec || typeof spec !== 'object') return undefined;
  const s = spec as Record<string, unknown>;
  if (s.type === 'Discrete' && typeof s.n === 'number') return new Discrete(s.n, typeof s.start === 'number' ? s.start : 0);
  if (s.type === 'Box' && Array.isArray(s.shape)) {
    const bound = (v: unknown, fallback: number) =>
      Array.isArray(v) ? v.flat(8).map((x) => (x === null ? fallback : Number(x))) : typeof v === 'number' ? v : fallback;
    return new Box(bound(s.low, -Infinity), bound(s.high, Infinity), s.shape as number[]);
  }
  return undefined;
}

/**
 * Spaces stored by Bellman (or Minari) in the file's attributes; otherwise inferred: observations
 * a Box with infinite bounds; actions Discrete(max + 1) when 1-D and integer-valued (and not
 * negative), else a Box bounded by the data's per-column minimum and maximum.
 */
function resolveSpaces(root: H5Group, file: string, observationDim: number, actions: NumericArray[]): DatasetSpaces {
  const stored = (name: string, minariName: string): AnySpace | undefined => {
    const spec = readJsonAttr<SpaceSpec>(root, name, file);
    if (spec) {
      try {
        return spaceFromJSON(spec);
      } catch (err) {
        throw new DatasetFileError(file, `attribute "${name}" is not a space: ${(err as Error).message}`);
      }
    }
    return minariSpace(readJsonAttr<unknown>(root, minariName, file));
  };
  let observationSpace = stored('bellman_observation_space', 'observation_space');
  if (!(observationSpace instanceof Box) || observationSpace.size !== observationDim) {
    observationSpace = new Box(-Infinity, Infinity, [observationDim]);
  }
  const actionWidth = actions.length ? Math.max(1, rowWidth(actions[0]!)) : 1;
  let actionSpace = stored('bellman_action_space', 'action_space');
  const fits = actionSpace && (actionSpace instanceof Discrete ? actions.every((a) => a.shape.length === 1) : actionSpace.size === actionWidth);
  if (!actionSpace || !fits) actionSpace = inferActionSpace(actions, actionWidth);
  return { observationSpace, actionSpace };
}

function inferActionSpace(actions: NumericArray[], width: number): AnySpace {
  const oneD = actions.every((a) => a.shape.length === 1);
  let integerValued = oneD;
  let max = -Infinity;
  let min = Infinity;
  const low = new Array<number>(width).fill(Infinity);
  const high = new Array<number>(width).fill(-Infinity);
  for (const a of actions) {
    for (let i = 0; i < a.values.length; i++) {
      const v = a.values[i]!;
      const j = i % width;
      if (v < low[j]!) low[j] = v;
      if (v > high[j]!) high[j] = v;
      if (v > max) max = v;
      if (v < min) min = v;
      if (integerValued && !Number.isInteger(v)) integerValued = false;
    }
  }
  if (oneD && integerValued && min >= 0 && Number.isFinite(max)) return new Discrete(max + 1);
  if (!Number.isFinite(max)) return new Box(-Infinity, Infinity, [width]);
  return new Box(low, high, [width]);
}

function bellmanMetadata(root: H5Group, file: string, format: DatasetFormat): { metadata: DatasetMetadata; discount?: number } {
  const stored = readJsonAttr<DatasetMetadata>(root, 'bellman_metadata', file) ?? {};
  const metadata: DatasetMetadata = { ...stored, format, source: file };
  const datasetId = readAttr(root, 'dataset_id');
  if (typeof datasetId === 'string' && metadata.datasetId === undefined) metadata.datasetId = datasetId;
  const envId = readAttr(root, 'env_id');
  if (typeof envId === 'string' && metadata.envId === undefined) metadata.envId = envId;
  const discount = readAttr(root, 'bellman_discount');
  return typeof discount === 'number' ? { metadata, discount } : { metadata };
}

function readD4RLFile(file: H5File, h5: H5wasm, path: string): OfflineDataset {
  const observations = readNumeric(h5, file, 'observations', path);
  const actions = readNumeric(h5, file, 'actions', path);
  const rewards = readNumeric(h5, file, 'rewards', path);
  const terminals = readNumeric(h5, file, 'terminals', path);
  const timeouts = readNumeric(h5, file, 'timeouts', path);
  const next = file.get('next_observations') === null ? null : readNumeric(h5, file, 'next_observations', path);
  expectRank(observations, [2], path, 'observations');
  expectRank(actions, [1, 2], path, 'actions');
  expectRank(rewards, [1, 2], path, 'rewards');
  if (rewards.shape.length === 2 && rewards.shape[1] !== 1) {
    throw new DatasetFileError(path, `has shape [${rewards.shape.join(', ')}], expected one reward per row`, 'rewards');
  }
  expectRank(terminals, [1], path, 'terminals');
  expectRank(timeouts, [1], path, 'timeouts');
  if (next) expectRank(next, [2], path, 'next_observations');
  const n = rows(observations);
  const named: [string, NumericArray | null][] = [
    ['actions', actions],
    ['rewards', rewards],
    ['terminals', terminals],
    ['timeouts', timeouts],
    ['next_observations', next],
  ];
  for (const [key, a] of named) {
    if (a && rows(a) !== n) throw new DatasetFileError(path, `has ${rows(a)} rows, "observations" has ${n}: every key needs one row per transition`, key);
  }
  if (next && rowWidth(next) !== rowWidth(observations)) {
    throw new DatasetFileError(path, `rows have ${rowWidth(next)} values, "observations" rows have ${rowWidth(observations)}`, 'next_observations');
  }
  expectFinite(observations, path, 'observations');
  expectFinite(actions, path, 'actions');
  expectFinite(rewards, path, 'rewards');
  if (next) expectFinite(next, path, 'next_observations');
  expectFlags(terminals, path, 'terminals');
  expectFlags(timeouts, path, 'timeouts');
  const spaces = resolveSpaces(file, path, rowWidth(observations), [actions]);
  const { metadata, discount } = bellmanMetadata(file, path, 'd4rl');
  return OfflineDataset.fromArrays(
    {
      observations: observations.values,
      actions: actions.values,
      rewards: rewards.values,
      terminals: terminals.values,
      timeouts: timeouts.values,
      nextObservations: next?.values,
    },
    spaces,
    {
      discount,
      metadata,
      errorContext: { source: path, keys: { nextObservations: 'next_observations' } },
    },
  );
}

const EPISODE_KEY = /^episode_(\d+)$/;

function episodeKeys(file: H5File): string[] {
  return file
    .keys()
    .filter((k) => EPISODE_KEY.test(k))
    .sort((a, b) => Number(EPISODE_KEY.exec(a)![1]) - Number(EPISODE_KEY.exec(b)![1]));
}

function readMinariFile(file: H5File, h5: H5wasm, path: string): OfflineDataset {
  const keys = episodeKeys(file);
  if (keys.length === 0) throw new DatasetFileError(path, 'has no episode_{i} groups: not a Minari dataset file');
  const read: { key: string; observations: NumericArray; actions: NumericArray; rewards: NumericArray; terminated: boolean; seed?: number }[] = [];
  for (const key of keys) {
    const group = file.get(key);
    if (!(group instanceof h5.Group)) throw new DatasetFileError(path, 'is not a group', key);
    const prefix = `${key}/`;
    const observations = readNumeric(h5, group, 'observations', path, prefix);
    const actions = readNumeric(h5, group, 'actions', path, prefix);
    const rewards = readNumeric(h5, group, 'rewards', path, prefix);
    const terminations = readNumeric(h5, group, 'terminations', path, prefix);
    const truncations = readNumeric(h5, group, 'truncations', path, prefix);
    expectRank(observations, [1, 2], path, `${prefix}observations`);
    expectRank(actions, [1, 2], path, `${prefix}actions`);
    expectRank(rewards, [1], path, `${prefix}rewards`);
    expectRank(terminations, [1], path, `${prefix}terminations`);
    expectRank(truncations, [1], path, `${prefix}truncations`);
    const steps = rows(rewards);
    if (steps === 0) throw new DatasetFileError(path, 'has no steps', `${prefix}rewards`);
    if (rows(observations) !== steps + 1) {
      throw new DatasetFileError(path, `has ${rows(observations)} rows, expected ${steps + 1} (one more than "rewards", which has ${steps})`, `${prefix}observations`);
    }
    for (const [name, a] of [['actions', actions], ['terminations', terminations], ['truncations', truncations]] as const) {
      if (rows(a) !== steps) throw new DatasetFileError(path, `has ${rows(a)} rows, "rewards" has ${steps}`, prefix + name);
    }
    expectFinite(observations, path, `${prefix}observations`);
    expectFinite(actions, path, `${prefix}actions`);
    expectFinite(rewards, path, `${prefix}rewards`);
    expectFlags(terminations, path, `${prefix}terminations`);
    expectFlags(truncations, path, `${prefix}truncations`);
    for (const [name, a] of [['terminations', terminations], ['truncations', truncations]] as const) {
      for (let i = 0; i < steps - 1; i++) {
        if (a.values[i]) throw new DatasetFileError(path, `is set before the episode's last step (row ${steps - 1})`, prefix + name, i);
      }
    }
    const seed = readAttr(group as H5Group, 'seed');
    const entry: (typeof read)[number] = { key, observations, actions, rewards, terminated: terminations.values[steps - 1] === 1 };
    if (typeof seed === 'number' && Number.isFinite(seed)) entry.seed = seed;
    read.push(entry);
  }
  const observationDim = Math.max(1, rowWidth(read[0]!.observations));
  for (const ep of read) {
    if (Math.max(1, rowWidth(ep.observations)) !== observationDim) {
      throw new DatasetFileError(path, `rows have ${rowWidth(ep.observations)} values, episode_0's have ${observationDim}`, `${ep.key}/observations`);
    }
  }
  const spaces = resolveSpaces(file, path, observationDim, read.map((ep) => ep.actions));
  const { metadata, discount } = bellmanMetadata(file, path, 'minari');
  const episodes: EpisodeData[] = read.map((ep) => {
    const out: EpisodeData = { observations: ep.observations.values, actions: ep.actions.values, rewards: ep.rewards.values, terminated: ep.terminated };
    if (ep.seed !== undefined) out.seed = ep.seed;
    return out;
  });
  return OfflineDataset.fromEpisodes(episodes, spaces, { discount, metadata, errorContext: { source: path } });
}

/** If `path` is a Minari dataset directory, the HDF5 file inside it. */
function resolveDatasetPath(path: string): string {
  const inner = join(path, 'data', 'main_data.hdf5');
  try {
    if (statSync(path).isDirectory() && existsSync(inner)) return inner;
  } catch {
    // Missing paths are reported by the reader, with the name the user gave.
  }
  return path;
}

/** Read a D4RL-layout HDF5 file (flat per-transition keys). */
export async function readD4RL(path: string): Promise<OfflineDataset> {
  return withFile(path, readD4RLFile);
}

/** Read a Minari-layout HDF5 file (`episode_{i}` groups), or a Minari dataset directory. */
export async function readMinari(path: string): Promise<OfflineDataset> {
  return withFile(resolveDatasetPath(path), readMinariFile);
}

/** Read a D4RL or Minari file, telling which layout it found. */
export async function readDataset(path: string): Promise<{ format: DatasetFormat; dataset: OfflineDataset }> {
  const target = resolveDatasetPath(path);
  return withFile(target, (file, h5, p) => {
    if (file.get('observations') !== null) return { format: 'd4rl' as const, dataset: readD4RLFile(file, h5, p) };
    if (episodeKeys(file).length > 0) return { format: 'minari' as const, dataset: readMinariFile(file, h5, p) };
    throw new DatasetFileError(
      p,
      `is neither a D4RL file (no "observations" key) nor a Minari file (no episode_{i} groups); its top-level keys: ${file.keys().join(', ') || '(none)'}`,
    );
  });
}

function minariSpaceJson(space: AnySpace): string {
  if (space instanceof Discrete) return JSON.stringify({ type: 'Discrete', dtype: 'int64', start: space.start, n: space.n });
  const finite = (v: number) => (Number.isFinite(v) ? v : null);
  return JSON.stringify({ type: 'Box', dtype: 'float32', shape: [...space.shape], low: Array.from(space.low, finite), high: Array.from(space.high, finite) });
}

/**
 * Write a dataset in Minari's layout: one `episode_{i}` group per episode with observations
 * (N + 1 rows, float32), actions (N rows; int64 for Discrete, float32 for Box), rewards (float64),
 * terminations and truncations (int8 0/1: h5py reads them as int8 arrays, not its enum bool).
 * Attributes: total_episodes, total_steps, dataset_id, env_id, Minari-style observation_space
 * and action_space JSON, and Bellman's own (spaces, metadata, discount) so a read restores them.
 * Written to a temporary file beside `path`, then renamed over it.
 */
export async function writeMinari(path: string, dataset: OfflineDataset, options: WriteMinariOptions = {}): Promise<WriteSummary> {
  const od = dataset.observationDim;
  const ad = dataset.actionDim;
  const discrete = dataset.actionSpace instanceof Discrete;
  let episodes = 0;
  let steps = 0;
  let droppedSteps = 0;
  const fill = (file: H5File): void => {
    for (const ep of dataset.episodes()) {
      // Without the final observation Minari's N + 1 rows cannot be filled: end one step early.
      const n = ep.finalObservation ? ep.length : ep.length - 1;
      droppedSteps += ep.length - n;
      if (n === 0) continue;
      const observations = new Float32Array((n + 1) * od);
      observations.set(ep.observations.subarray(0, n * od));
      observations.set(ep.nextObservations.subarray((n - 1) * od, n * od), n * od);
      const terminations = new Int8Array(n);
      const truncations = new Int8Array(n);
      if (n === ep.length && ep.terminated) terminations[n - 1] = 1;
      else truncations[n - 1] = 1;
      const group = file.create_group(`episode_${episodes}`);
      group.create_dataset({ name: 'observations', data: observations, shape: [n + 1, od], dtype: '<f' });
      if (discrete) {
        group.create_dataset({ name: 'actions', data: BigInt64Array.from(ep.actions.subarray(0, n), (a) => BigInt(a)), shape: [n], dtype: '<q' });
      } else {
        group.create_dataset({ name: 'actions', data: ep.actions.slice(0, n * ad), shape: [n, ad], dtype: '<f' });
      }
      group.create_dataset({ name: 'rewards', data: Float64Array.from(ep.rewards.subarray(0, n)), shape: [n], dtype: '<d' });
      group.create_dataset({ name: 'terminations', data: terminations, shape: [n], dtype: '<b' });
      group.create_dataset({ name: 'truncations', data: truncations, shape: [n], dtype: '<b' });
      group.create_attribute('id', BigInt64Array.from([BigInt(episodes)]), [], '<q');
      group.create_attribute('total_steps', BigInt64Array.from([BigInt(n)]), [], '<q');
      if (ep.seed !== undefined) group.create_attribute('seed', BigInt64Array.from([BigInt(ep.seed)]), [], '<q');
      episodes++;
      steps += n;
    }
    file.create_attribute('total_episodes', BigInt64Array.from([BigInt(episodes)]), [], '<q');
    file.create_attribute('total_steps', BigInt64Array.from([BigInt(steps)]), [], '<q');
    const datasetId = options.datasetId ?? dataset.metadata.datasetId;
    const envId = options.envId ?? dataset.metadata.envId;
    if (datasetId !== undefined) file.create_attribute('dataset_id', datasetId);
    if (envId !== undefined) file.create_attribute('env_id', envId);
    file.create_attribute('observation_space', minariSpaceJson(dataset.observationSpace));
    file.create_attribute('action_space', minariSpaceJson(dataset.actionSpace));
    file.create_attribute('bellman_format_version', BELLMAN_HDF5_VERSION, [], '<i');
    file.create_attribute('bellman_observation_space', JSON.stringify(dataset.observationSpace.toJSON()));
    file.create_attribute('bellman_action_space', JSON.stringify(dataset.actionSpace.toJSON()));
    const { format: _format, source: _source, ...kept } = dataset.metadata;
    file.create_attribute('bellman_metadata', JSON.stringify({ ...kept, ...(datasetId !== undefined ? { datasetId } : {}), ...(envId !== undefined ? { envId } : {}) }));
    file.create_attribute('bellman_discount', dataset.discount, [], '<d');
  };
  const abs = await writeHdf5Atomically(path, fill, (reason, err) => new Error(`writeMinari ${path}: ${reason}`, err instanceof Error ? { cause: err } : undefined));
  return { path: abs, episodes, steps, droppedSteps };
}
