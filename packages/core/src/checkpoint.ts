import { mkdirSync, readFileSync, renameSync, writeFileSync, openSync, fsyncSync, closeSync, existsSync, rmSync } from 'node:fs';
import { dirname, basename, join } from 'node:path';

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

/** Load a checkpoint written by `saveCheckpoint`, with a clear error for anything else. */
export function loadCheckpoint<T>(path: string): CheckpointFile<T> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new Error(`cannot read checkpoint ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new Error(`checkpoint ${path} is not valid JSON (truncated or not a Bellman checkpoint)`);
  }
  const file = parsed as Partial<CheckpointFile<T>>;
  if (!file || file.format !== CHECKPOINT_FORMAT) throw new Error(`${path} is not a Bellman checkpoint (missing format "${CHECKPOINT_FORMAT}")`);
  if (file.version !== CHECKPOINT_VERSION) throw new Error(`checkpoint ${path} has version ${file.version}; this Bellman reads version ${CHECKPOINT_VERSION}`);
  if (file.payload === undefined) throw new Error(`checkpoint ${path} has no payload`);
  return file as CheckpointFile<T>;
}
