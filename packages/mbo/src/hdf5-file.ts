/**
 * The HDF5 plumbing under the design-dataset files: h5wasm loaded once, files opened for reading
 * with errors that name the file, and files written to a temporary sibling then renamed, so a
 * failed write never leaves a half-written file under the real name.
 */
import { closeSync, fsyncSync, mkdirSync, openSync, readSync, renameSync, rmSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { DatasetError } from '@bellman/core';
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

export type H5wasm = typeof import('h5wasm').default;
let h5Loading: Promise<H5wasm> | null = null;

/**
 * h5wasm, loaded once (it is ESM-only, hence `import()`), with HDF5's error reports routed into
 * the thrown errors instead of stderr.
 */
export async function loadH5(): Promise<H5wasm> {
  h5Loading ??= (async () => {
    const h5 = (await import('h5wasm/node')).default;
    const module = await h5.ready;
    module.activate_throwing_error_handler();
    return h5;
  })();
  return h5Loading;
}

const HDF5_SIGNATURE = [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a];

/** The HDF5 signature sits at byte 0, or at 512, 1024, 2048, ... after a user block. */
function hasHdf5Signature(path: string, size: number): boolean {
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.alloc(8);
    for (let offset = 0; offset + 8 <= size; offset = offset === 0 ? 512 : offset * 2) {
      if (readSync(fd, buf, 0, 8, offset) === 8 && HDF5_SIGNATURE.every((b, i) => buf[i] === b)) return true;
    }
    return false;
  } finally {
    closeSync(fd);
  }
}

/** The line of an HDF5 error report that says what went wrong. */
export function hdf5Reason(err: unknown): string {
  const text = String(err instanceof Error ? err.message : err);
  const truncated = /truncated file[^\n]*/i.exec(text);
  if (truncated) return truncated[0].trim();
  const minor = [...text.matchAll(/minor: ([^\n]+)/g)].map((m) => m[1]!.trim());
  if (minor.length) return minor[minor.length - 1]!;
  return text.split('\n')[0]!.slice(0, 200);
}

/** Open `path` read-only, run `fn` on it, always close it; a missing, non-HDF5 or corrupt file is a `DesignFileError`. */
export async function withFileForReading<T>(path: string, fn: (file: H5File, h5: H5wasm) => T): Promise<T> {
  const abs = resolve(path);
  let size: number;
  try {
    const st = statSync(abs);
    if (st.isDirectory()) throw new DesignFileError(path, 'is a directory, not an HDF5 file');
    size = st.size;
  } catch (err) {
    if (err instanceof DesignFileError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    throw new DesignFileError(path, code === 'ENOENT' ? 'does not exist' : `cannot read: ${code ?? (err as Error).message}`);
  }
  if (!hasHdf5Signature(abs, size)) throw new DesignFileError(path, `not an HDF5 file (no HDF5 signature in its ${size} bytes)`);
  const h5 = await loadH5();
  let file: H5File;
  try {
    file = new h5.File(abs, 'r');
  } catch (err) {
    throw new DesignFileError(path, `cannot open as HDF5, truncated or corrupt (${hdf5Reason(err)})`);
  }
  try {
    return fn(file, h5);
  } catch (err) {
    // Errors of the HDF5 library itself: a damaged object inside a file that opened.
    if (!(err instanceof Error) || /HDF5/.test(err.message)) throw new DesignFileError(path, `cannot read, truncated or corrupt (${hdf5Reason(err)})`);
    throw err;
  } finally {
    try {
      file.close();
    } catch {
      // The file is unusable anyway; the error that matters has been thrown already.
    }
  }
}

/**
 * Write `path` through `fill`: into a temporary file beside it (same file system, so the rename
 * is atomic), synced, then renamed over `path`. Parent directories are created; on any failure
 * the temporary file is removed and `path` is left as it was.
 */
export async function writeFileAtomically(path: string, fill: (file: H5File) => void): Promise<string> {
  const h5 = await loadH5();
  const abs = resolve(path);
  mkdirSync(dirname(abs), { recursive: true });
  const tmp = join(dirname(abs), `.${basename(abs)}.tmp-${process.pid}-${Date.now()}`);
  let file: H5File | null = null;
  try {
    file = new h5.File(tmp, 'w');
    fill(file);
    file.close();
    file = null;
    const fd = openSync(tmp, 'r+');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, abs);
  } catch (err) {
    if (file) {
      try {
        file.close();
      } catch {
        // Already failing; the temporary file is removed below.
      }
    }
    rmSync(tmp, { force: true });
    throw new Error(`writing ${path}: ${hdf5Reason(err)}`, { cause: err });
  }
  return abs;
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
