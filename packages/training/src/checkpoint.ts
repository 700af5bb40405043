/**
 * Trainer checkpoints: the learner, the trainer's own state and any named extra modules (a reward
 * model, a normaliser, ...) a run needs to resume. Browser-safe: files come in through a
 * CheckpointStore (the '@bellman/training/node' entry supplies one backed by the file system).
 */
import { CheckpointError, type ErrorContext, type LearnerSnapshot } from '@bellman/core';

/** Anything besides the learner whose state a checkpoint keeps, as JSON data. */
export interface CheckpointModule<S = unknown> {
  save(): S;
  load(state: S): void;
}

/** The payload of a trainer checkpoint: the learner, the trainer's own state and the extra modules' states. */
export interface TrainerCheckpoint<S = unknown> {
  trainer: 'offline' | 'online';
  learner: LearnerSnapshot;
  state: S;
  /** The `extras` modules' states by name (absent when the run has none). */
  extras?: Record<string, unknown>;
}

/** A checkpoint that cannot be read back into this run; `path` names it (also as `context.file`). */
export class TrainerCheckpointError extends CheckpointError {
  constructor(
    readonly path: string,
    message: string,
    context: ErrorContext = {},
  ) {
    super(`checkpoint ${path}: ${message}`, { file: path, ...context });
    this.name = 'TrainerCheckpointError';
  }
}

/**
 * The state an extra module stored under `name`, checked with `isState`. Throws a
 * TrainerCheckpointError naming the module when it is missing or malformed.
 */
export function checkpointExtra<T>(checkpoint: TrainerCheckpoint, path: string, name: string, isState: (value: unknown) => value is T): T {
  const extras = checkpoint.extras ?? {};
  if (!Object.prototype.hasOwnProperty.call(extras, name)) {
    const stored = Object.keys(extras);
    throw new TrainerCheckpointError(path, `has no extra module "${name}" (it stores ${stored.length ? stored.map((s) => `"${s}"`).join(', ') : 'none'})`);
  }
  const value = extras[name];
  if (!isState(value)) throw new TrainerCheckpointError(path, `the state of extra module "${name}" has an unexpected shape`);
  return value;
}

/** Where checkpoints go. Writes should be atomic (a crash leaves the old checkpoint or the new one). */
export interface CheckpointStore {
  save(path: string, checkpoint: TrainerCheckpoint, meta: Record<string, unknown>): void | Promise<void>;
  load(path: string): TrainerCheckpoint | Promise<TrainerCheckpoint>;
}

/** Keeps checkpoints in memory, as JSON text (so a loaded checkpoint shares nothing with the live run). */
export class MemoryCheckpointStore implements CheckpointStore {
  private readonly files = new Map<string, string>();

  save(path: string, checkpoint: TrainerCheckpoint, meta: Record<string, unknown>): void {
    this.files.set(path, JSON.stringify({ checkpoint, meta }));
  }

  load(path: string): TrainerCheckpoint {
    const text = this.files.get(path);
    if (text === undefined) throw new CheckpointError(`no checkpoint stored at "${path}"`, { file: path });
    return (JSON.parse(text) as { checkpoint: TrainerCheckpoint }).checkpoint;
  }

  has(path: string): boolean {
    return this.files.has(path);
  }
}
