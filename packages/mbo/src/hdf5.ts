/**
 * Design-task datasets as HDF5 files, laid out as design-bench stores a task's data so that
 * Python tools (h5py, NumPy) read them as they are:
 *
 *   x   the full dataset's designs: float32 [N, dim] (continuous) or int32 [N, length] (class indices)
 *   y   their scores: float32 [N, 1]
 *
 * and root attributes: `bellman_format` = "design-task", `bellman_format_version`, `task` (the
 * id), `space` (JSON), `max_percentile`, `threshold`, `y_min`, `y_max` and, for tasks whose designs
 * were drawn at random, the generation `seed`. The split and the normalisation are recomputed on
 * load; the stored values are there for Python readers and to catch a file edited by hand.
 */
import { DatasetError, UsageError } from '@bellman/core';
import type { Dataset as H5Dataset, File as H5File } from 'h5wasm';
import { writeHdf5Atomically, type H5wasm } from '@bellman/datasets/node';
import { DesignFileError, readAttribute, withFileForReading } from './hdf5-file.js';
import { DESIGN_TASK_IDS, designTaskOracle } from './registry.js';
import { createDesignTask, designSize, percentile, type DesignSpace, type DesignTask, type Designs } from './task.js';

/** The value of the `bellman_format` attribute that marks a design-task file. */
export const DESIGN_DATASET_FORMAT = 'design-task';
/** The layout version this package writes, and the newest it reads. */
export const DESIGN_DATASET_VERSION = 1;

/** What a design-task file holds, as stored (`readDesignDataset`). */
export interface DesignDatasetContents {
  /** The file, as the caller named it. */
  readonly path: string;
  readonly version: number;
  /** The task id (`task` attribute). */
  readonly id: string;
  readonly space: DesignSpace;
  /** `count` rows of `designSize(space)` values: Float32Array (continuous) or Int32Array (discrete). */
  readonly x: Designs;
  readonly y: Float32Array;
  readonly count: number;
  readonly maxPercentile: number;
  readonly threshold: number;
  readonly yMin: number;
  readonly yMax: number;
  readonly seed?: number;
}

export interface DesignDatasetWriteSummary {
  /** The absolute path written. */
  readonly path: string;
  readonly designs: number;
}

/** Where a check found a problem: the dataset key or attribute, and the row. */
interface Problem {
  key?: string;
  attribute?: string;
  row?: number;
  message: string;
}

/** Stored and recomputed scores agree to float32 resolution (y is float32; NumPy's percentile may round differently). */
function sameScore(stored: number, computed: number): boolean {
  return Math.abs(stored - computed) <= 1e-6 * Math.max(1, Math.abs(stored), Math.abs(computed));
}

/** The space a `space` attribute (or a task) describes, or what is wrong with it. */
function checkSpace(value: unknown): DesignSpace | string {
  if (typeof value !== 'object' || value === null) return `is ${JSON.stringify(value)}, expected {"kind": "continuous", "dim"} or {"kind": "discrete", "length", "classes"}`;
  const s = value as Record<string, unknown>;
  const positive = (v: unknown) => typeof v === 'number' && Number.isInteger(v) && v >= 1;
  if (s.kind === 'continuous') return positive(s.dim) ? { kind: 'continuous', dim: s.dim as number } : `has dim ${JSON.stringify(s.dim)}, expected a positive integer`;
  if (s.kind === 'discrete') {
    if (!positive(s.length)) return `has length ${JSON.stringify(s.length)}, expected a positive integer`;
    if (!(positive(s.classes) && (s.classes as number) >= 2)) return `has classes ${JSON.stringify(s.classes)}, expected an integer of at least 2`;
    return { kind: 'discrete', length: s.length as number, classes: s.classes as number };
  }
  return `has kind ${JSON.stringify(s.kind)}, expected "continuous" or "discrete"`;
}

/** Designs and scores that fit the space: whole rows, finite scores, finite values or classes in range. */
function designProblem(space: DesignSpace, x: Designs, y: Float32Array): Problem | null {
  const size = designSize(space);
  const count = y.length;
  if (count === 0) return { key: 'y', message: 'has no rows: a task needs at least one design' };
  if (x.length !== count * size) return { key: 'x', message: `holds ${x.length} values, expected ${count} rows (one per score in "y") of ${size}` };
  const badScore = y.findIndex((v) => !Number.isFinite(v));
  if (badScore >= 0) return { key: 'y', row: badScore, message: `is ${y[badScore]}, not a finite number` };
  if (space.kind === 'continuous') {
    const bad = x.findIndex((v) => !Number.isFinite(v));
    if (bad >= 0) return { key: 'x', row: Math.floor(bad / size), message: `has ${x[bad]} at position ${bad % size}, not a finite number` };
  } else {
    const bad = x.findIndex((v) => v < 0 || v >= space.classes);
    if (bad >= 0) return { key: 'x', row: Math.floor(bad / size), message: `has class ${x[bad]} at position ${bad % size}; the space has classes 0..${space.classes - 1}` };
  }
  return null;
}

/** The split and normalisation that `y` gives, against the stored ones. */
function summaryProblem(y: Float32Array, stored: { maxPercentile: number; threshold: number; yMin: number; yMax: number }): Problem | null {
  if (!(stored.maxPercentile >= 0 && stored.maxPercentile <= 100)) return { attribute: 'max_percentile', message: `is ${stored.maxPercentile}, expected a number in [0, 100]` };
  let yMin = Infinity;
  let yMax = -Infinity;
  for (const v of y) {
    yMin = Math.min(yMin, v);
    yMax = Math.max(yMax, v);
  }
  const threshold = percentile(y, stored.maxPercentile);
  const checks: [string, number, number][] = [
    ['threshold', stored.threshold, threshold],
    ['y_min', stored.yMin, yMin],
    ['y_max', stored.yMax, yMax],
  ];
  for (const [attribute, value, computed] of checks) {
    if (!sameScore(value, computed)) {
      const what = attribute === 'threshold' ? `the ${stored.maxPercentile}th percentile of "y"` : `the ${attribute === 'y_min' ? 'lowest' : 'highest'} score in "y"`;
      return { attribute, message: `is ${value}, but ${what} is ${computed}: the file was edited, or written wrong` };
    }
  }
  return null;
}

/** What in `task` cannot be written as a design-task file that reads back the same. */
function taskProblem(task: DesignTask): Problem | null {
  if (typeof task.id !== 'string' || task.id.length === 0) return { attribute: 'task', message: 'the task has no id' };
  const space = checkSpace(task.space);
  if (typeof space === 'string') return { attribute: 'space', message: space };
  const { x, y } = task.full;
  if (space.kind === 'continuous' && !(x instanceof Float32Array)) return { key: 'x', message: 'a continuous task needs Float32Array designs' };
  if (space.kind === 'discrete' && !(x instanceof Int32Array)) return { key: 'x', message: 'a discrete task needs Int32Array designs (class indices)' };
  if (!(y instanceof Float32Array)) return { key: 'y', message: 'scores must be a Float32Array' };
  if (task.full.count !== y.length) return { key: 'y', message: `holds ${y.length} scores, but the task counts ${task.full.count} designs` };
  if (task.seed !== undefined && !Number.isFinite(task.seed)) return { attribute: 'seed', message: `is ${task.seed}, not a finite number` };
  return designProblem(space, x, y) ?? summaryProblem(y, { maxPercentile: task.split.maxPercentile, threshold: task.split.threshold, yMin: task.yMin, yMax: task.yMax });
}

/**
 * Write the full dataset of `task` (every design and score, not only the training split) with
 * the attributes above. The task is checked first: nothing is written if it would not read back
 * as the same task (a `DatasetError` naming the key). Written atomically; parent directories are
 * created.
 */
export async function writeDesignDataset(path: string, task: DesignTask): Promise<DesignDatasetWriteSummary> {
  const problem = taskProblem(task);
  if (problem) {
    const place = problem.key !== undefined ? `key "${problem.key}"${problem.row !== undefined ? ` row ${problem.row}` : ''}` : `attribute "${problem.attribute}"`;
    throw new DatasetError(`writeDesignDataset ${path}: task ${JSON.stringify(task.id)}: ${place}: ${problem.message}`, { file: path, task: task.id, ...problem });
  }
  const { space, full, split } = task;
  const size = designSize(space);
  const written = await writeHdf5Atomically(path, (file) => {
    file.create_dataset({ name: 'x', data: full.x, shape: [full.count, size], dtype: space.kind === 'continuous' ? '<f' : '<i' });
    file.create_dataset({ name: 'y', data: full.y, shape: [full.count, 1], dtype: '<f' });
    file.create_attribute('bellman_format', DESIGN_DATASET_FORMAT);
    file.create_attribute('bellman_format_version', DESIGN_DATASET_VERSION, [], '<i');
    file.create_attribute('task', task.id);
    file.create_attribute('space', JSON.stringify(space.kind === 'continuous' ? { kind: space.kind, dim: space.dim } : { kind: space.kind, length: space.length, classes: space.classes }));
    file.create_attribute('max_percentile', split.maxPercentile, [], '<d');
    file.create_attribute('threshold', split.threshold, [], '<d');
    file.create_attribute('y_min', task.yMin, [], '<d');
    file.create_attribute('y_max', task.yMax, [], '<d');
    // An integer seed stays an integer for Python (int64), any other finite one a float64.
    if (task.seed !== undefined) {
      if (Number.isSafeInteger(task.seed)) file.create_attribute('seed', BigInt64Array.of(BigInt(task.seed)), [], '<q');
      else file.create_attribute('seed', task.seed, [], '<d');
    }
  });
  return { path: written, designs: full.count };
}

/** A numeric dataset of the file as its typed array and shape. */
function readArray(h5: H5wasm, file: H5File, key: string, path: string): { values: ArrayLike<number | bigint>; float: boolean; shape: number[] } {
  const entity = file.get(key);
  if (entity === null) throw new DesignFileError(path, 'is missing', { key });
  if (!(entity instanceof h5.Dataset)) throw new DesignFileError(path, 'is not a dataset (a group or link)', { key });
  const dataset = entity as H5Dataset;
  const shape = dataset.shape;
  const value = dataset.value;
  if (!shape || !ArrayBuffer.isView(value) || value instanceof DataView) throw new DesignFileError(path, `holds ${JSON.stringify(dataset.dtype)} data, expected numbers`, { key });
  return { values: value as unknown as ArrayLike<number | bigint>, float: value instanceof Float32Array || value instanceof Float64Array, shape };
}

function numberAttribute(file: H5File, name: string, path: string, optional: true): number | undefined;
function numberAttribute(file: H5File, name: string, path: string, optional?: false): number;
function numberAttribute(file: H5File, name: string, path: string, optional = false): number | undefined {
  const value = readAttribute(file, name);
  if (value === undefined && optional) return undefined;
  if (value === undefined) throw new DesignFileError(path, 'is missing', { attribute: name });
  if (typeof value !== 'number' || !Number.isFinite(value)) throw new DesignFileError(path, `is ${JSON.stringify(value)}, expected a finite number`, { attribute: name });
  return value;
}

function stringAttribute(file: H5File, name: string, path: string): string {
  const value = readAttribute(file, name);
  if (value === undefined) throw new DesignFileError(path, 'is missing', { attribute: name });
  if (typeof value !== 'string') throw new DesignFileError(path, `is ${JSON.stringify(value)}, expected a string`, { attribute: name });
  return value;
}

function readContents(h5: H5wasm, file: H5File, path: string): DesignDatasetContents {
  const format = readAttribute(file, 'bellman_format');
  if (format !== DESIGN_DATASET_FORMAT) {
    const found = format === undefined ? `no "bellman_format" attribute; its top-level keys: ${file.keys().join(', ') || '(none)'}` : `"bellman_format" is ${JSON.stringify(format)}`;
    throw new DesignFileError(path, `is not a design-task dataset file (${found})`);
  }
  const version = numberAttribute(file, 'bellman_format_version', path);
  if (!Number.isInteger(version) || version < 1 || version > DESIGN_DATASET_VERSION) {
    throw new DesignFileError(path, `is version ${version}; this @bellman/mbo reads versions 1 to ${DESIGN_DATASET_VERSION} (a newer Bellman wrote it?)`, { attribute: 'bellman_format_version' });
  }
  const id = stringAttribute(file, 'task', path);
  let spaceJson: unknown;
  try {
    spaceJson = JSON.parse(stringAttribute(file, 'space', path));
  } catch (err) {
    if (err instanceof DesignFileError) throw err;
    throw new DesignFileError(path, 'is not valid JSON', { attribute: 'space' });
  }
  const space = checkSpace(spaceJson);
  if (typeof space === 'string') throw new DesignFileError(path, space, { attribute: 'space' });
  const size = designSize(space);

  const xRaw = readArray(h5, file, 'x', path);
  const yRaw = readArray(h5, file, 'y', path);
  if (xRaw.shape.length !== 2 || xRaw.shape[1] !== size) {
    const expected = space.kind === 'continuous' ? `[N, ${size}] (dim ${size})` : `[N, ${size}] (length ${size})`;
    throw new DesignFileError(path, `has shape [${xRaw.shape.join(', ')}], expected ${expected} for the space in "space"`, { key: 'x' });
  }
  if (!(yRaw.shape.length === 1 || (yRaw.shape.length === 2 && yRaw.shape[1] === 1))) throw new DesignFileError(path, `has shape [${yRaw.shape.join(', ')}], expected [N, 1]: one score per design`, { key: 'y' });
  if (yRaw.shape[0] !== xRaw.shape[0]) throw new DesignFileError(path, `has ${yRaw.shape[0]} rows, but "x" has ${xRaw.shape[0]}: one score per design`, { key: 'y' });
  if (space.kind === 'continuous' && !xRaw.float) throw new DesignFileError(path, 'holds integers, but the space is continuous (float32 designs expected)', { key: 'x' });
  if (space.kind === 'discrete' && xRaw.float) throw new DesignFileError(path, 'holds floats, but the space is discrete (integer class indices expected)', { key: 'x' });
  if (!yRaw.float) throw new DesignFileError(path, 'holds integers, expected float32 scores', { key: 'y' });
  // Bellman computes in float32 and class indices in int32; other widths Python may write are converted.
  if (space.kind === 'discrete') {
    // Checked before the conversion: an int64 of 2^32 would wrap to a valid class in an Int32Array.
    const bad = Array.prototype.findIndex.call(xRaw.values, (v: number | bigint) => !(Number(v) >= 0 && Number(v) < space.classes));
    if (bad >= 0) throw new DesignFileError(path, `has class ${xRaw.values[bad]} at position ${bad % size}; the space has classes 0..${space.classes - 1}`, { key: 'x', row: Math.floor(bad / size) });
  }
  const x = space.kind === 'continuous' ? toTyped(xRaw.values, Float32Array) : toTyped(xRaw.values, Int32Array);
  const y = toTyped(yRaw.values, Float32Array);

  const contents: DesignDatasetContents = {
    path,
    version,
    id,
    space,
    x,
    y,
    count: y.length,
    maxPercentile: numberAttribute(file, 'max_percentile', path),
    threshold: numberAttribute(file, 'threshold', path),
    yMin: numberAttribute(file, 'y_min', path),
    yMax: numberAttribute(file, 'y_max', path),
    ...optionalSeed(numberAttribute(file, 'seed', path, true)),
  };
  const problem = designProblem(space, x, y) ?? summaryProblem(y, contents);
  if (problem) throw new DesignFileError(path, problem.message, problem);
  return contents;
}

function optionalSeed(seed: number | undefined): { seed?: number } {
  return seed === undefined ? {} : { seed };
}

/** `values` as a Float32Array or Int32Array: the array itself when it already is one, else converted. */
function toTyped<T extends Float32Array | Int32Array>(values: ArrayLike<number | bigint>, type: { new (n: number): T; prototype: T }): T {
  if (values instanceof type) return values;
  const out = new type(values.length);
  for (let i = 0; i < values.length; i++) out[i] = Number(values[i]!);
  return out;
}

/**
 * The contents of a design-task file as stored, checked: a missing or non-HDF5 file, one without
 * the design-task marker, an `x` whose shape does not fit `space` or whose rows are not `y`'s,
 * classes out of range, non-finite values and stored summaries that `y` does not give are
 * `DesignFileError`s (a `DatasetError`) naming the file and the key, attribute or row.
 */
export async function readDesignDataset(path: string): Promise<DesignDatasetContents> {
  return withFileForReading(path, (file, h5) => readContents(h5, file, path));
}

/** Whether `path` is an HDF5 file marked as a design-task dataset (false for anything unreadable). */
export async function isDesignDataset(path: string): Promise<boolean> {
  try {
    return await withFileForReading(path, (file) => readAttribute(file, 'bellman_format') === DESIGN_DATASET_FORMAT);
  } catch {
    return false;
  }
}

function sameSpace(a: DesignSpace, b: DesignSpace): boolean {
  if (a.kind === 'continuous') return b.kind === 'continuous' && a.dim === b.dim;
  return b.kind === 'discrete' && a.length === b.length && a.classes === b.classes;
}

/**
 * The built-in task's oracle for a file's designs, built on the first call (training never calls
 * it), without generating the built-in task's dataset where that costs. A task id that
 * is not built in has no oracle: calling it is a `UsageError`.
 */
function oracleFor(contents: DesignDatasetContents): (x: Designs) => Float64Array {
  const { id, path, space, seed } = contents;
  if (!DESIGN_TASK_IDS.includes(id)) {
    return () => {
      throw new UsageError(`${path}: task "${id}" is not a built-in design task (${DESIGN_TASK_IDS.join(', ')}), so it has no oracle: its designs can be trained on, not scored`, { file: path, task: id });
    };
  }
  let oracle: ((x: Designs) => Float64Array) | undefined;
  return (x) => {
    if (!oracle) {
      const builtIn = designTaskOracle(id, seed === undefined ? {} : { seed });
      if (!sameSpace(builtIn.space, space)) {
        throw new DesignFileError(path, `is ${JSON.stringify(space)}, but the built-in "${id}" has ${JSON.stringify(builtIn.space)}: its oracle cannot score these designs`, { attribute: 'space' });
      }
      oracle = builtIn.oracle;
    }
    return oracle(x);
  };
}

/**
 * A design task from a design-task file: the split and normalisation recomputed from the full
 * dataset as `createDesignTask` does, and the oracle of the built-in task of the file's id (built
 * when first called; a file of another task has none, see `oracleFor`).
 */
export async function loadDesignTask(path: string): Promise<DesignTask> {
  const contents = await readDesignDataset(path);
  const { id, space, x, y, maxPercentile, seed } = contents;
  return createDesignTask<Designs>({ id, space, x, y, maxPercentile, oracle: oracleFor(contents), ...optionalSeed(seed) });
}
