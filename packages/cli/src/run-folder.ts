/**
 * What `--resume` may continue in a run folder: the same run, with steps to go. It reads only, so
 * that a rejected resume leaves the folder as it was (cutting the metrics back to the
 * checkpoint's step and removing the debris of killed writes are @bellman/training/node's).
 */
import { existsSync, readFileSync } from 'node:fs';
import { loadCheckpoint } from '@bellman/core/node';
import { UsageError, fromUserInput } from './errors.js';

/** The run a folder's checkpoint (or, before the first checkpoint, its config.json) describes. */
interface SavedRun {
  algo?: unknown;
  env?: unknown;
  seed?: unknown;
  trainer?: unknown;
  online?: unknown;
  step?: unknown;
  steps?: unknown;
  batchSize?: unknown;
}

/** What `--resume` will do. */
export type ResumePlan =
  /** Continue from the checkpoint, whose trainer is at `step`. */
  | { kind: 'checkpoint'; step: number }
  /** The run stopped before its first checkpoint: start again from step 0 in the same folder. */
  | { kind: 'restart'; notice: string };

export interface ResumeRequest {
  dir: string;
  checkpoint: string;
  config: string;
  algo: string;
  envId: string;
  seed: number;
  online: boolean;
  steps: number;
  /** --batch-size, or undefined for the trainer's default. */
  batchSize: number | undefined;
  /** The trainer's default batch size, which a checkpoint without --batch-size was trained with. */
  defaultBatchSize: number;
}

/**
 * Check that `--resume` can continue the run in `dir` with these settings: the same algorithm,
 * env, seed, trainer kind and batch size, and more steps to go. Reads only; throws a UsageError
 * naming the mismatch.
 */
export function planResume(req: ResumeRequest): ResumePlan {
  if (existsSync(req.checkpoint)) {
    const file = fromUserInput(() => loadCheckpoint<{ state?: { batchSize?: unknown; seed?: unknown } }>(req.checkpoint), '--resume');
    const saved: SavedRun = { ...file.meta, batchSize: file.payload?.state?.batchSize };
    if (saved.seed === undefined) saved.seed = file.payload?.state?.seed;
    checkSameRun(req, saved, req.checkpoint);
    const step = typeof saved.step === 'number' ? saved.step : Number.NaN;
    if (!Number.isInteger(step) || step < 0) throw new UsageError(`--resume: ${req.checkpoint} does not say at which step it was taken (meta.step)`);
    if (step === req.steps) {
      throw new UsageError(`--resume: the run in ${req.dir} already finished its ${step} steps; nothing to resume (pass a larger --steps to train it further)`);
    }
    if (step > req.steps) throw new UsageError(`--resume: --steps ${req.steps} is lower than the ${step} steps the run in ${req.dir} has already done`);
    return { kind: 'checkpoint', step };
  }
  if (existsSync(req.config)) {
    const saved = fromUserInput(() => JSON.parse(readFileSync(req.config, 'utf8')) as SavedRun, `--resume: ${req.config}`);
    checkSameRun(req, { ...saved, trainer: saved.online === true ? 'online' : 'offline', batchSize: undefined }, req.config);
    return { kind: 'restart', notice: `--resume: ${req.dir} has no checkpoint yet (the run stopped before its first one); starting from step 0` };
  }
  throw new UsageError(`--resume: no checkpoint at ${req.checkpoint}`);
}

function checkSameRun(req: ResumeRequest, saved: SavedRun, source: string): void {
  const differ = (what: string, was: unknown, now: unknown, fix: string): never => {
    throw new UsageError(`--resume: the run in ${req.dir} was trained with ${what} ${String(was)}, not ${String(now)} (${source}); ${fix}`);
  };
  const otherFolder = 'use another --out for a new run';
  if (saved.algo !== undefined && saved.algo !== req.algo) differ('algorithm', saved.algo, req.algo, `resume it with \`bellman train ${String(saved.algo)}\` or ${otherFolder}`);
  if (saved.env !== undefined && saved.env !== req.envId) differ('--env', saved.env, req.envId, `resume it with --env ${String(saved.env)} or ${otherFolder}`);
  if (saved.seed !== undefined && saved.seed !== req.seed) differ('--seed', saved.seed, req.seed, `resume it with --seed ${String(saved.seed)} or ${otherFolder}`);
  const trainer = req.online ? 'online' : 'offline';
  if (saved.trainer !== undefined && saved.trainer !== trainer) {
    differ('the trainer', saved.trainer, trainer, saved.trainer === 'online' ? 'resume it with --online' : 'resume it without --online');
  }
  const batchSize = req.batchSize ?? req.defaultBatchSize;
  if (saved.batchSize !== undefined && saved.batchSize !== batchSize) differ('--batch-size', saved.batchSize, batchSize, `resume it with --batch-size ${String(saved.batchSize)}`);
}
