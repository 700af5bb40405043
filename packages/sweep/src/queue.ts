/**
 * Running a sweep on many machines: each unfinished cell is a BullMQ job on Redis; `runQueueWorker`
 * (any number of them, anywhere) takes jobs and runs them; `runSweepOnQueue` queues the cells,
 * follows them and writes each result into the sweep's folder as it arrives.
 *
 * A worker keeps a lock on each job it runs. A worker that dies (kill -9) stops renewing it; after
 * `lockSeconds` another worker's stalled-job check puts the job back in the queue, and whoever
 * takes it runs the cell in the same run folder: with the folder on shared storage it resumes from
 * the cell's last checkpoint, otherwise it starts the cell again. Cells are seeded, so either way
 * the result is the same.
 */
import { existsSync } from 'node:fs';
import { createConnection } from 'node:net';
import { Queue, UnrecoverableError, WaitingError, Worker, type Job } from 'bullmq';
import { Redis } from 'ioredis';
import { BellmanError, UsageError, type ErrorContext } from '@bellman/core';
import { shortHash, type SweepCell } from './cells.js';
import { type CellResultFile, type CellTiming, type SweepFolder, stableResult, writeCellResult } from './folder.js';
import { SweepTally, type SweepEvent, type SweepCounts, type SweepSummary } from './pool.js';
import type { CellRunner } from './runner.js';

export const DEFAULT_QUEUE_NAME = 'bellman-sweep';

/** Redis cannot be reached, or went away. */
export class SweepQueueError extends BellmanError {
  constructor(message: string, context: ErrorContext = {}, options?: { cause?: unknown }) {
    super(message, context, options);
    this.name = 'SweepQueueError';
  }
}

/** What a job carries: everything a worker on another machine needs to run the cell. */
export interface CellJobData {
  sweep: string;
  cell: SweepCell;
  /** The cell's run folder, as the submitting machine names it. */
  cellDir: string;
  /** The submitter's working directory (relative paths in the cell's args are relative to it). */
  cwd: string;
  volatileResultKeys: string[];
}

/** What a finished job returns. */
export interface CellJobResult {
  result: CellResultFile['result'];
  timing: CellTiming;
}

/** Checks that `url` is a redis:// or rediss:// URL with a host; throws a UsageError naming it otherwise. */
export function checkRedisUrl(url: string): URL {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new UsageError(`--queue: "${url}" is not a URL; give redis://host:port`, { url });
  }
  if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') throw new UsageError(`--queue: "${url}" is not a redis:// or rediss:// URL`, { url });
  if (parsed.hostname === '') throw new UsageError(`--queue: "${url}" names no host; give redis://host:port`, { url });
  return parsed;
}

/** A connection for BullMQ, after a TCP connect and a ping within `timeoutMs` show that the server answers. */
export async function connectRedis(url: string, timeoutMs = 5000): Promise<Redis> {
  const parsed = checkRedisUrl(url);
  const unreachable = (reason: string, cause?: unknown) =>
    new SweepQueueError(`cannot reach Redis at ${url}: ${reason} (is redis-server running there?)`, { url }, { cause });
  // a plain socket first: it fails fast and leaves no timer behind (ioredis's connect timeout outlives a refused connection)
  await new Promise<void>((resolve, reject) => {
    const socket = createConnection({ host: parsed.hostname.replace(/^\[|\]$/g, ''), port: Number(parsed.port || 6379) });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(unreachable(`no answer within ${timeoutMs} ms`));
    }, timeoutMs);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.end();
      resolve();
    });
    socket.once('error', (err) => {
      clearTimeout(timer);
      reject(unreachable(err.message, err));
    });
  });
  // BullMQ's blocking commands need maxRetriesPerRequest: null
  const connection = new Redis(url, { maxRetriesPerRequest: null });
  let lastError: Error | undefined;
  connection.on('error', (err: Error) => (lastError = err)); // BullMQ reconnects; a lost server shows as jobs not moving
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      connection.ping(),
      new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(lastError?.message ?? `no answer to PING within ${timeoutMs} ms`)), timeoutMs))),
    ]);
  } catch (err) {
    connection.disconnect();
    throw unreachable(err instanceof Error ? err.message : String(err), err);
  } finally {
    clearTimeout(timer);
  }
  return connection;
}

export interface QueueSweepOptions {
  url: string;
  queueName?: string;
  /** Names this sweep's jobs (the same spec and folder give the same id, so a rerun finds its jobs). */
  sweepId: string;
  cwd: string;
  volatileResultKeys: readonly string[];
  /** Aborting stops following the jobs; they stay queued for the workers. */
  signal?: AbortSignal;
  onEvent?(event: SweepEvent, counts: SweepCounts): void;
  /** Time between two looks at the jobs (default 500 ms). */
  pollMs?: number;
}

/** The job id of a cell of a sweep (BullMQ ids may not contain ':'). */
export function cellJobId(sweepId: string, cell: SweepCell): string {
  return `${sweepId}-${shortHash(`${cell.id}\n${cell.args.join('\n')}`)}`;
}

/**
 * Queues the unfinished cells of `cells` and waits until each has finished or failed, writing
 * results into `folder` as they arrive. Jobs of an earlier submission of the same sweep are
 * reused (a finished one is collected, a failed one queued again).
 */
export async function runSweepOnQueue(folder: SweepFolder, cells: readonly SweepCell[], options: QueueSweepOptions): Promise<SweepSummary> {
  const connection = await connectRedis(options.url);
  const queue = new Queue(options.queueName ?? DEFAULT_QUEUE_NAME, { connection });
  const tally = new SweepTally(cells.length);
  const emit = (event: SweepEvent): void => {
    const counts = tally.record(event);
    options.onEvent?.(event, counts);
  };
  try {
    const pending = new Map<string, SweepCell>();
    for (const cell of cells) {
      if (folder.result(cell)) emit({ type: 'reused', cell });
      else pending.set(cellJobId(options.sweepId, cell), cell);
    }
    const add = async (jobId: string, cell: SweepCell): Promise<void> => {
      const data: CellJobData = { sweep: options.sweepId, cell, cellDir: folder.cellDir(cell), cwd: options.cwd, volatileResultKeys: [...options.volatileResultKeys] };
      await queue.add(cell.id, data, { jobId, attempts: 1, removeOnComplete: false, removeOnFail: false });
    };
    for (const [jobId, cell] of pending) {
      const job = await queue.getJob(jobId);
      if (job && (await job.getState()) === 'failed') await job.remove();
      else if (job) continue;
      await add(jobId, cell);
    }
    const active = new Set<string>();
    while (pending.size > 0 && !options.signal?.aborted) {
      for (const [jobId, cell] of [...pending]) {
        const state = await queue.getJobState(jobId);
        if (state === 'unknown') {
          await add(jobId, cell); // removed from outside: queue it again
          continue;
        }
        if (state === 'active' && !active.has(jobId)) {
          active.add(jobId);
          emit({ type: 'started', cell });
        }
        if (state !== 'completed' && state !== 'failed') continue;
        // read the job after its state: a job read first may finish in between, without its return value
        const job = (await queue.getJob(jobId)) as Job<CellJobData, CellJobResult> | undefined;
        if (!job) {
          await add(jobId, cell);
          continue;
        }
        if (!active.has(jobId)) emit({ type: 'started', cell });
        active.delete(jobId);
        pending.delete(jobId);
        if (state === 'completed') {
          const { result, timing } = job.returnvalue;
          writeCellResult(folder.cellDir(cell), cell, result, timing);
          emit({ type: 'finished', cell, outcome: { status: 'done', result, wallSeconds: timing.wallSeconds, worker: timing.worker } });
        } else {
          emit({ type: 'finished', cell, outcome: { status: 'failed', error: job.failedReason || 'the job failed', exitCode: null } });
        }
        await job.remove();
      }
      if (pending.size > 0) await sleep(options.pollMs ?? 500, options.signal);
    }
    for (const cell of pending.values()) tally.summary.stopped.push(cell.id);
    return tally.summary;
  } finally {
    await queue.close();
    connection.disconnect();
  }
}

export type WorkerEvent = { type: 'started'; job: string; cell: SweepCell } | { type: 'finished'; job: string; cell: SweepCell; status: 'done' | 'failed' | 'stopped'; detail: string };

export interface QueueWorkerOptions {
  url: string;
  queueName?: string;
  /** Cells at a time in this worker (default 1). */
  concurrency?: number;
  /** The runner of a job's cell; `cwd` is the submitter's working directory when it exists here. */
  runnerFor(cwd: string | undefined): CellRunner;
  /** How long a dead worker's job stays locked before another takes it (default 30 s). */
  lockSeconds?: number;
  /** Aborting stops this worker: its running cells stop with a checkpoint and go back to the queue. */
  signal?: AbortSignal;
  onEvent?(event: WorkerEvent): void;
}

/** Takes cells from the queue and runs them until `signal` aborts. */
export async function runQueueWorker(options: QueueWorkerOptions): Promise<void> {
  const connection = await connectRedis(options.url);
  const stopCells = new AbortController();
  const lockDuration = Math.round((options.lockSeconds ?? 30) * 1000);
  const worker = new Worker<CellJobData, CellJobResult>(
    options.queueName ?? DEFAULT_QUEUE_NAME,
    async (job, token) => {
      const { cell, cellDir, cwd, volatileResultKeys } = job.data;
      options.onEvent?.({ type: 'started', job: job.id ?? '', cell });
      const runner = options.runnerFor(existsSync(cwd) ? cwd : undefined);
      const outcome = await runner.run(cell, cellDir, stopCells.signal);
      const finished = (status: 'done' | 'failed' | 'stopped', detail: string): void => options.onEvent?.({ type: 'finished', job: job.id ?? '', cell, status, detail });
      if (outcome.status === 'done') {
        const result = stableResult(outcome.result, volatileResultKeys);
        const timing: CellTiming = { wallSeconds: outcome.wallSeconds, worker: outcome.worker, finishedAt: new Date().toISOString() };
        // the run folder here (shared storage, or this machine's copy); the submitter writes its own too
        writeCellResult(cellDir, cell, result, timing);
        finished('done', `${outcome.wallSeconds.toFixed(1)} s`);
        return { result, timing };
      }
      if (outcome.status === 'failed') {
        finished('failed', outcome.error);
        // a cell that fails fails again: no retry
        throw new UnrecoverableError(outcome.error);
      }
      finished('stopped', 'back to the queue');
      await job.moveToWait(token);
      throw new WaitingError();
    },
    { connection, concurrency: options.concurrency ?? 1, lockDuration, stalledInterval: lockDuration, maxStalledCount: 3 },
  );
  worker.on('error', () => undefined); // connection trouble: BullMQ retries
  try {
    await new Promise<void>((resolve) => {
      if (options.signal?.aborted) return resolve();
      options.signal?.addEventListener('abort', () => resolve(), { once: true });
    });
    stopCells.abort();
    await worker.close();
  } finally {
    connection.disconnect();
  }
}

/** Waits ms, or less if signal aborts; the abort listener goes with the wait (one per poll would pile up on the signal). */
function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const onAbort = () => {
      clearTimeout(timer);
      resolve();
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
