/**
 * The HDF5 plumbing under the design-dataset files: their error type, files opened for reading
 * with `DesignFileError`s that name the file, and attributes read as plain values. Loading
 * h5wasm and the atomic writes are the shared ones of `@bellman/datasets/node`.
 */
import { DatasetError } from '@bellman/core';
import { withHdf5File, type H5wasm } from '@bellman/datasets/node';
import type { File as H5File, Group as H5Group } from 'h5wasm';

/**
 * A design-dataset file that cannot be read: names the file and, where they apply, the dataset
 * key (`x`, `y`) or attribute and the row, in the message and in `context`.
 */
export class DesignFileError extends DatasetError {
  readonly key?: string;
  readonly attribute?: string;
  readonly row?: number;

  constructor(
    readonly file: string,
    message: string,
    where: { readonly key?: string; readonly attribute?: string; readonly row?: number } = {},
  ) {
    const { key, attribute, row } = where;
    const place = key !== undefined ? `key "${key}"${row !== undefined ? ` row ${row}` : ''}: ` : attribute !== undefined ? `attribute "${attribute}": ` : '';
    super(`${file}: ${place}${message}`, { file, key, attribute, row });
    this.name = 'DesignFileError';
    if (key !== undefined) this.key = key;
    if (attribute !== undefined) this.attribute = attribute;
    if (row !== undefined) this.row = row;
  }
}

/** Open `path` read-only, run `fn` on it, always close it; a missing, non-HDF5 or corrupt file is a `DesignFileError`. */
export async function withFileForReading<T>(path: string, fn: (file: H5File, h5: H5wasm) => T): Promise<T> {
  return withHdf5File(path, fn, (message) => new DesignFileError(path, message), { missing: 'does not exist' });
}

/** An attribute's value as a plain JS value: scalars unwrapped from one-element arrays, int64 as number. */
export function readAttribute(group: H5Group, name: string): unknown {
  const attr = group.attrs[name];
  if (!attr) return undefined;
  const value = attr.value;
  if (typeof value === 'bigint') return Number(value);
  if (ArrayBuffer.isView(value) && !(value instanceof DataView) && (value as ArrayLike<unknown>).length === 1) {
    return Number((value as ArrayLike<number | bigint>)[0]);
  }
  return value;
}
