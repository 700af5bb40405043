import { mkdirSync, readFileSync, renameSync, writeFileSync, openSync, fsyncSync, closeSync, existsSync, rmSync } from 'node:fs';
import { dirname, basename, join } from 'node:path';
import { CheckpointError } from './errors.js';

/**
 * Write a file atomically: write a temporary file beside it, flush it to disk, then rename it
 * over the target. A crash leaves either the old file or the new one, never half of one.
 */
export function writeFileAtomic(path: string, data: string | Uint8Array): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = join(dirname(path), `.${basename(path)}.tmp-${process.pid}-${Date.now()}`);
  try {
    writeFileSync(tmp, data);
    const fd = openSync(tmp, 'r+');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
  } catch (err) {
    if (existsSync(tmp)) rmSync(tmp, { force: true });
    throw err;
  }
}

export const CHECKPOINT_FORMAT = 'bellman-checkpoint';
export const CHECKPOINT_VERSION = 1;

export interface CheckpointFile<T> {
  format: typeof CHECKPOINT_FORMAT;
  version: number;
  createdAt: string;
  payload: T;
  /** Free-form context: env id, dataset, trainer step, ... */
  meta: Record<string, unknown>;
}

/** Save a JSON checkpoint atomically. */
export function saveCheckpoint<T>(path: string, payload: T, meta: Record<string, unknown> = {}): void {
  const file: CheckpointFile<T> = {
    format: CHECKPOINT_FORMAT,
    version: CHECKPOINT_VERSION,
    createdAt: new Date().toISOString(),
    payload,
    meta,
  };
  writeFileAtomic(path, JSON.stringify(file));
}

/** Load a checkpoint written by `saveCheckpoint`; anything else throws a `CheckpointError` naming the file. */
export function loadCheckpoint<T>(path: string): CheckpointFile<T> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    throw new CheckpointError(`cannot read checkpoint ${path}: ${reason}`, { file: path, reason }, { cause: err });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new CheckpointError(`checkpoint ${path} is not valid JSON (truncated or not a Bellman checkpoint)`, { file: path, expected: 'JSON' }, { cause: err });
  }
  const file = parsed as Partial<CheckpointFile<T>>;
  if (!file || file.format !== CHECKPOINT_FORMAT) {
    throw new CheckpointError(`${path} is not a Bellman checkpoint (missing format "${CHECKPOINT_FORMAT}")`, { file: path, field: 'format', expected: CHECKPOINT_FORMAT });
  }
  if (file.version !== CHECKPOINT_VERSION) {
    throw new CheckpointError(`checkpoint ${path} has version ${file.version}; this Bellman reads version ${CHECKPOINT_VERSION}`, {
      file: path,
      field: 'version',
      expected: CHECKPOINT_VERSION,
      got: typeof file.version === 'number' ? file.version : String(file.version),
    });
  }
  if (file.payload === undefined) throw new CheckpointError(`checkpoint ${path} has no payload`, { file: path, field: 'payload' });
  return file as CheckpointFile<T>;
}
