import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatasetError, UsageError } from '@bellman/core';
import { createDesignTask, makeDesignTask, toyContinuousScore, toyDiscreteScore, type DesignSpace, type DesignTask, type Designs } from '../src/index.js';
import { DESIGN_DATASET_FORMAT, DesignFileError, isDesignDataset, loadDesignTask, readDesignDataset, writeDesignDataset } from '../src/node.js';

type H5 = typeof import('h5wasm').default;
let h5: H5;
let dir: string;

beforeAll(async () => {
  h5 = (await import('h5wasm/node')).default;
  await h5.ready;
  dir = mkdtempSync(join(tmpdir(), 'bellman-mbo-hdf5-'));
});

const bytes = (a: ArrayBufferView) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);

/** Expect `promise` to reject with a DesignFileError whose message matches every pattern. */
async function expectFileError(promise: Promise<unknown>, ...patterns: RegExp[]): Promise<DesignFileError> {
  const err = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(DesignFileError);
  expect(err).toBeInstanceOf(DatasetError);
  for (const p of patterns) expect((err as Error).message).toMatch(p);
  return err as DesignFileError;
}

/** A small discrete task (not built in): 12 designs of 3 positions, 4 classes. */
function smallTask(id = 'small-discrete-v0'): DesignTask {
  const x = Int32Array.from({ length: 36 }, (_, i) => (i * 7) % 4);
  const score = (d: Int32Array) => Float64Array.from({ length: d.length / 3 }, (_, r) => d[r * 3]! - d[r * 3 + 1]! + 0.5 * d[r * 3 + 2]!);
  return createDesignTask<Designs>({ id, space: { kind: 'discrete', length: 3, classes: 4 }, x, y: Float32Array.from(score(x)), oracle: (d) => score(d as Int32Array), maxPercentile: 50 });
}

interface RawFile {
  x: ArrayBufferView;
  xShape: number[];
  xDtype: string;
  y: ArrayBufferView;
  yShape: number[];
  attrs: Record<string, string | number | null>;
}

/** The layout `writeDesignDataset` writes for `smallTask()`, to be edited by a test. */
function smallRaw(): RawFile {
  const t = smallTask();
  return {
    x: t.full.x,
    xShape: [12, 3],
    xDtype: '<i',
    y: t.full.y,
    yShape: [12, 1],
    attrs: {
      bellman_format: DESIGN_DATASET_FORMAT,
      bellman_format_version: 1,
      task: t.id,
      space: JSON.stringify(t.space),
      max_percentile: 50,
      threshold: t.split.threshold,
      y_min: t.yMin,
      y_max: t.yMax,
    },
  };
}

/** Write an HDF5 file by hand (as another tool would), leaving out attributes set to null. */
function writeRaw(name: string, raw: RawFile): string {
  const path = join(dir, name);
  const file = new h5.File(path, 'w');
  try {
    file.create_dataset({ name: 'x', data: raw.x as Int32Array, shape: raw.xShape, dtype: raw.xDtype });
    file.create_dataset({ name: 'y', data: raw.y as Float32Array, shape: raw.yShape, dtype: raw.y instanceof Float64Array ? '<d' : '<f' });
    for (const [key, value] of Object.entries(raw.attrs)) {
      if (value === null) continue;
      if (typeof value === 'string') file.create_attribute(key, value);
      else file.create_attribute(key, value, [], Number.isInteger(value) && key === 'bellman_format_version' ? '<i' : '<d');
    }
  } finally {
    file.close();
  }
  return path;
}

describe.each([
  ['toy-continuous-v0', Float32Array, 7],
  ['toy-discrete-v0', Int32Array, undefined],
] as const)('%s round trip', (id, arrayType, seed) => {
  let task: DesignTask;
  let path: string;

  beforeAll(async () => {
    task = makeDesignTask(id, seed === undefined ? {} : { seed });
    path = join(dir, 'nested', 'deeper', `${id}.h5`);
    const summary = await writeDesignDataset(path, task);
    expect(summary).toEqual({ path, designs: 65536 });
  });

  it('stores the full dataset: the same bytes of x and y, x typed by the space', async () => {
    const contents = await readDesignDataset(path);
    expect(contents.x).toBeInstanceOf(arrayType);
    expect(contents.y).toBeInstanceOf(Float32Array);
    expect(bytes(contents.x).equals(bytes(task.full.x))).toBe(true);
    expect(bytes(contents.y).equals(bytes(task.full.y))).toBe(true);
    expect(contents).toMatchObject({ path, version: 1, id, space: task.space, count: 65536, maxPercentile: 40, threshold: task.split.threshold, yMin: task.yMin, yMax: task.yMax });
    expect(contents.seed).toBe(seed);
  });

  it("lays the file out as design-bench stores a task: x [N, 8] of the space's dtype, y float32 [N, 1], attributes", () => {
    const file = new h5.File(path, 'r');
    try {
      const x = file.get('x') as InstanceType<H5['Dataset']>;
      const y = file.get('y') as InstanceType<H5['Dataset']>;
      expect([x.dtype, x.shape]).toEqual([arrayType === Float32Array ? '<f' : '<i', [65536, 8]]);
      expect([y.dtype, y.shape]).toEqual(['<f', [65536, 1]]);
      const attr = (name: string) => file.attrs[name]?.json_value;
      expect(attr('bellman_format')).toBe('design-task');
      expect(attr('bellman_format_version')).toBe(1);
      expect(attr('task')).toBe(id);
      expect(JSON.parse(attr('space') as string)).toEqual(task.space);
      expect([attr('max_percentile'), attr('threshold'), attr('y_min'), attr('y_max')]).toEqual([40, task.split.threshold, task.yMin, task.yMax]);
      expect(attr('seed')).toBe(seed);
    } finally {
      file.close();
    }
  });

  it('loads the same task: split, threshold, normalisation, seed', async () => {
    const loaded = await loadDesignTask(path);
    expect(loaded.id).toBe(id);
    expect(loaded.space).toEqual(task.space);
    expect(loaded.split).toEqual(task.split);
    expect(loaded.train.count).toBe(task.train.count);
    expect(bytes(loaded.train.x).equals(bytes(task.train.x))).toBe(true);
    expect(bytes(loaded.train.y).equals(bytes(task.train.y))).toBe(true);
    expect([loaded.yMin, loaded.yMax]).toEqual([task.yMin, task.yMax]);
    expect(loaded.normalize(-1)).toBe(task.normalize(-1));
    expect(loaded.seed).toBe(seed);
  });

  it("reattaches the built-in oracle", async () => {
    const loaded = await loadDesignTask(path);
    const designs = loaded.full.x.subarray(8 * 100, 8 * 110);
    const expected = arrayType === Float32Array ? toyContinuousScore(designs as Float32Array) : toyDiscreteScore(designs as Int32Array);
    expect(Array.from(loaded.oracle(designs))).toEqual(Array.from(expected));
    // the stored scores are the oracle's, rounded to float32
    expect(Array.from(Float32Array.from(expected))).toEqual(Array.from(loaded.full.y.subarray(100, 110)));
  });

  it('is recognised as a design-task file', async () => {
    expect(await isDesignDataset(path)).toBe(true);
  });
});

describe('writeDesignDataset', () => {
  it('writes atomically: no temporary file is left, and an existing file is replaced', async () => {
    const sub = mkdtempSync(join(dir, 'atomic-'));
    const path = join(sub, 'task.h5');
    writeFileSync(path, 'old contents');
    await writeDesignDataset(path, smallTask());
    expect(readdirSync(sub)).toEqual(['task.h5']);
    expect((await readDesignDataset(path)).count).toBe(12);
  });

  it.each<[string, (t: DesignTask) => DesignTask, RegExp]>([
    ['x of the wrong type for the space', (t) => ({ ...t, full: { ...t.full, x: Float32Array.from(t.full.x) } }), /key "x": a discrete task needs Int32Array designs/],
    ['x and y of different lengths', (t) => ({ ...t, full: { ...t.full, x: t.full.x.subarray(0, 33) } }), /key "x": holds 33 values, expected 12 rows/],
    ['a class out of range', (t) => ({ ...t, full: { ...t.full, x: Int32Array.from(t.full.x, (v, i) => (i === 7 ? 4 : v)) } }), /key "x" row 2: has class 4 at position 1; the space has classes 0..3/],
    ['a NaN score', (t) => ({ ...t, full: { ...t.full, y: Float32Array.from(t.full.y, (v, i) => (i === 5 ? NaN : v)) } }), /key "y" row 5: is NaN/],
    ['a split that the scores do not give', (t) => ({ ...t, split: { ...t.split, threshold: t.split.threshold + 1 } }), /attribute "threshold": is .*but the 50th percentile of "y" is/],
    ['one class', (t) => ({ ...t, space: { kind: 'discrete', length: 3, classes: 1 } as DesignSpace }), /attribute "space": has classes 1/],
  ])('writes nothing for a task with %s', async (_, edit, pattern) => {
    const sub = mkdtempSync(join(dir, 'bad-'));
    const path = join(sub, 'task.h5');
    await expect(writeDesignDataset(path, edit(smallTask()))).rejects.toThrow(pattern);
    await expect(writeDesignDataset(path, edit(smallTask()))).rejects.toBeInstanceOf(DatasetError);
    expect(readdirSync(sub)).toEqual([]);
  });

  it('leaves an existing file as it was when the task is bad', async () => {
    const path = join(dir, 'kept.h5');
    await writeDesignDataset(path, smallTask());
    const before = readFileSync(path);
    const t = smallTask();
    await expect(writeDesignDataset(path, { ...t, full: { ...t.full, y: t.full.y.subarray(1) } })).rejects.toThrow(DatasetError);
    expect(readFileSync(path).equals(before)).toBe(true);
  });
});

describe('readDesignDataset errors name the file and the key', () => {
  it('a missing file, a directory, a file that is not HDF5', async () => {
    await expectFileError(readDesignDataset(join(dir, 'absent.h5')), /absent\.h5: does not exist/);
    await expectFileError(readDesignDataset(dir), /is a directory/);
    const text = join(dir, 'text.h5');
    writeFileSync(text, 'not hdf5 at all');
    await expectFileError(readDesignDataset(text), /text\.h5: not an HDF5 file/);
    expect(await isDesignDataset(text)).toBe(false);
    expect(await isDesignDataset(join(dir, 'absent.h5'))).toBe(false);
  });

  it('an HDF5 file without the design-task marker', async () => {
    const raw = smallRaw();
    const path = writeRaw('unmarked.h5', { ...raw, attrs: { ...raw.attrs, bellman_format: null } });
    await expectFileError(readDesignDataset(path), /unmarked\.h5: is not a design-task dataset file \(no "bellman_format" attribute; its top-level keys: x, y\)/);
    expect(await isDesignDataset(path)).toBe(false);
  });

  it('x and y with different numbers of rows', async () => {
    const raw = smallRaw();
    const path = writeRaw('rows.h5', { ...raw, y: (raw.y as Float32Array).subarray(0, 11), yShape: [11, 1] });
    const err = await expectFileError(readDesignDataset(path), /rows\.h5: key "y": has 11 rows, but "x" has 12/);
    expect(err.context).toMatchObject({ file: path, key: 'y' });
  });

  it('x rows that do not fit the space', async () => {
    const raw = smallRaw();
    const path = writeRaw('width.h5', { ...raw, x: (raw.x as Int32Array).subarray(0, 24), xShape: [12, 2] });
    await expectFileError(readDesignDataset(path), /width\.h5: key "x": has shape \[12, 2\], expected \[N, 3\] \(length 3\)/);
  });

  it('a class out of range, names the row', async () => {
    const raw = smallRaw();
    const x = Int32Array.from(raw.x as Int32Array);
    x[3 * 9 + 2] = 4;
    const err = await expectFileError(readDesignDataset(writeRaw('class.h5', { ...raw, x })), /class\.h5: key "x" row 9: has class 4 at position 2; the space has classes 0\.\.3/);
    expect(err.row).toBe(9);
  });

  it('a bad space: too few classes, unknown kind, not JSON', async () => {
    const raw = smallRaw();
    await expectFileError(readDesignDataset(writeRaw('classes.h5', { ...raw, attrs: { ...raw.attrs, space: '{"kind":"discrete","length":3,"classes":0}' } })), /attribute "space": has classes 0, expected an integer of at least 2/);
    await expectFileError(readDesignDataset(writeRaw('kind.h5', { ...raw, attrs: { ...raw.attrs, space: '{"kind":"graph"}' } })), /attribute "space": has kind "graph"/);
    await expectFileError(readDesignDataset(writeRaw('json.h5', { ...raw, attrs: { ...raw.attrs, space: '{kind' } })), /attribute "space": is not valid JSON/);
  });

  it('floats where the space wants class indices', async () => {
    const raw = smallRaw();
    await expectFileError(readDesignDataset(writeRaw('float-classes.h5', { ...raw, x: Float32Array.from(raw.x as Int32Array), xDtype: '<f' })), /key "x": holds floats, but the space is discrete/);
  });

  it('a newer format version, a missing attribute', async () => {
    const raw = smallRaw();
    await expectFileError(readDesignDataset(writeRaw('v2.h5', { ...raw, attrs: { ...raw.attrs, bellman_format_version: 2 } })), /attribute "bellman_format_version": is version 2/);
    await expectFileError(readDesignDataset(writeRaw('nopct.h5', { ...raw, attrs: { ...raw.attrs, max_percentile: null } })), /attribute "max_percentile": is missing/);
  });

  it('a threshold that the scores do not give: the file was edited', async () => {
    const raw = smallRaw();
    const path = writeRaw('edited.h5', { ...raw, attrs: { ...raw.attrs, threshold: (raw.attrs.threshold as number) + 0.25 } });
    await expectFileError(loadDesignTask(path), /edited\.h5: attribute "threshold": is .* but the 50th percentile of "y" is .*: the file was edited/);
    const pct = writeRaw('edited-pct.h5', { ...raw, attrs: { ...raw.attrs, max_percentile: 90 } });
    await expectFileError(loadDesignTask(pct), /attribute "threshold"/);
  });
});

describe('files written by other tools', () => {
  it('reads int64 class indices and float64 scores of shape [N] (NumPy defaults) as int32 and float32', async () => {
    const raw = smallRaw();
    const x = BigInt64Array.from(raw.x as Int32Array, (v) => BigInt(v));
    const y = Float64Array.from(raw.y as Float32Array);
    const task = await loadDesignTask(writeRaw('numpy.h5', { ...raw, x, xDtype: '<q', y, yShape: [12] }));
    expect(task.full.x).toBeInstanceOf(Int32Array);
    expect(Array.from(task.full.x)).toEqual(Array.from(raw.x as Int32Array));
    expect(task.full.y).toBeInstanceOf(Float32Array);
    expect(task.split.threshold).toBe(raw.attrs.threshold);
  });

  it('reports an int64 class that int32 would wrap into range', async () => {
    const raw = smallRaw();
    const x = BigInt64Array.from(raw.x as Int32Array, (v) => BigInt(v));
    x[4] = 2n ** 32n + 1n;
    await expectFileError(readDesignDataset(writeRaw('wrap.h5', { ...raw, x, xDtype: '<q' })), /key "x" row 1: has class 4294967297/);
  });
});

describe('the oracle of a loaded file', () => {
  it('is a clear UsageError when the task is not built in, while the data can still be used', async () => {
    const path = join(dir, 'custom.h5');
    await writeDesignDataset(path, smallTask('my-custom-task-v0'));
    const task = await loadDesignTask(path);
    expect(task.train.count).toBeGreaterThan(0);
    expect(() => task.oracle(task.full.x.subarray(0, 3))).toThrow(UsageError);
    expect(() => task.oracle(task.full.x.subarray(0, 3))).toThrow(/custom\.h5: task "my-custom-task-v0" is not a built-in design task .*has no oracle/);
  });

  it("is refused when the file's space is not the built-in task's", async () => {
    const x = Int32Array.from({ length: 30 }, (_, i) => i % 4);
    const other = createDesignTask<Designs>({ id: 'toy-discrete-v0', space: { kind: 'discrete', length: 3, classes: 4 }, x, y: Float32Array.from({ length: 10 }, (_, i) => -i), oracle: () => new Float64Array(10), maxPercentile: 40 });
    const path = join(dir, 'mislabelled.h5');
    await writeDesignDataset(path, other);
    const task = await loadDesignTask(path);
    expect(() => task.oracle(task.full.x.subarray(0, 3))).toThrow(/mislabelled\.h5: attribute "space": .*but the built-in "toy-discrete-v0" has .*"length":8/);
  });

});
