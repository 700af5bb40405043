/**
 * The HDF5 plumbing shared by the packages that read and write HDF5 files (the Minari / D4RL
 * datasets here, mbo's design-task files): h5wasm loaded once, files opened for reading with
 * errors that name the file, and files written to a temporary sibling then renamed, so a failed
 * write never leaves a half-written file under the real name. Each caller builds its own typed
 * errors from the messages through a `fail` function.
 */
import { closeSync, fsyncSync, mkdirSync, openSync, readSync, renameSync, rmSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import type { File as H5File } from 'h5wasm';

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

/** Whether the file at `path` (`size` bytes) has the HDF5 signature: at byte 0, or at 512, 1024, 2048, ... after a user block. */
export function hasHdf5Signature(path: string, size: number): boolean {
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

export interface WithHdf5FileOptions {
  /** The message for a file that does not exist (ENOENT); without it, `cannot read: ENOENT`. */
  readonly missing?: string;
}

/**
 * Open `path` read-only, run `fn` on it (with h5wasm and `path` as given), always close it. A
 * missing file, a directory, a file without the HDF5 signature, one HDF5 cannot open, and an
 * HDF5 library error while `fn` reads (a damaged object inside a file that opened) are thrown
 * as `fail(message)`, the caller's error type; other errors from `fn` pass through as they are.
 */
export async function withHdf5File<T>(
  path: string,
  fn: (file: H5File, h5: H5wasm, path: string) => T,
  fail: (message: string) => Error,
  options: WithHdf5FileOptions = {},
): Promise<T> {
  const abs = resolve(path);
  let st: ReturnType<typeof statSync>;
  try {
    st = statSync(abs);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw fail(code === 'ENOENT' && options.missing !== undefined ? options.missing : `cannot read: ${code ?? (err as Error).message}`);
  }
  if (st.isDirectory()) throw fail('is a directory, not an HDF5 file');
  const size = st.size;
  if (!hasHdf5Signature(abs, size)) throw fail(`not an HDF5 file (no HDF5 signature in its ${size} bytes)`);
  const h5 = await loadH5();
  let file: H5File;
  try {
    file = new h5.File(abs, 'r');
  } catch (err) {
    throw fail(`cannot open as HDF5, truncated or corrupt (${hdf5Reason(err)})`);
  }
  try {
    return fn(file, h5, path);
  } catch (err) {
    // Errors of the HDF5 library itself: a damaged object inside a file that opened.
    if (!(err instanceof Error) || /HDF5/.test(err.message)) throw fail(`cannot read, truncated or corrupt (${hdf5Reason(err)})`);
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
 * is atomic), synced, then renamed over `path`; returns the absolute path. Parent directories are
 * created; on any failure the temporary file is removed, `path` is left as it was and the error
 * thrown is `fail(reason, err)`, by default an `Error` "writing <path>: <reason>" with `err` as
 * its cause (`reason` is `hdf5Reason(err)`).
 */
export async function writeHdf5Atomically(
  path: string,
  fill: (file: H5File) => void,
  fail: (reason: string, err: unknown) => Error = (reason, err) => new Error(`writing ${path}: ${reason}`, { cause: err }),
): Promise<string> {
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
    throw fail(hdf5Reason(err), err);
  }
  return abs;
}
