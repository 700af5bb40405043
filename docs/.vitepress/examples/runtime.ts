// What every live example starts with: a tfjs backend (wasm with the binaries served beside the
// site, cpu when wasm cannot start) and one status line saying what runs.
import { initBackend, type BackendInfo } from '@bellman/nn';
import { MemoryCheckpointStore, type TrainerHooks, type TrainerSummary } from '@bellman/training';

export type ExampleBackend = 'wasm' | 'cpu' | 'webgl';

export interface BackendStatus {
  /** The backend that runs ('wasm', 'cpu', 'webgl'). */
  backend: string;
  /** Whether Bellman's fused SIMD kernels run (wasm only), and why not when they do not. */
  fusedKernels: { active: boolean; reason: string };
  /** What was asked for, when it is not what runs. */
  fallback?: string;
}

function statusOf(info: BackendInfo, fallback?: string): BackendStatus {
  const fusedKernels = info.simd
    ? { active: info.simd.active, reason: info.simd.reason }
    : { active: false, reason: `${info.name} runs tfjs's own kernels` };
  return { backend: info.name, fusedKernels, ...(fallback ? { fallback } : {}) };
}

/**
 * Starts `wanted` (wasm by default), finding tfjs-backend-wasm's .wasm files under `wasmPaths`.
 * A backend that fails to start falls back to cpu, and the status says so.
 */
export async function startBackend(wanted: ExampleBackend, wasmPaths: string): Promise<BackendStatus> {
  try {
    return statusOf(await initBackend({ backend: wanted, wasmPaths, quiet: true }));
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return statusOf(await initBackend({ backend: 'cpu', quiet: true }), `${wanted} failed (${message}); running on cpu`);
  }
}

/** The backend a page asks for: ?backend=cpu|webgl|wasm in its URL, else wasm. */
export function requestedBackend(search: string): ExampleBackend {
  const value = new URLSearchParams(search).get('backend');
  return value === 'cpu' || value === 'webgl' ? value : 'wasm';
}

/** A running mean of durations, for "ms per update" lines. */
export class StepTimer {
  private total = 0;
  private count = 0;
  private started = 0;

  begin(): void {
    this.started = performance.now();
  }

  end(): void {
    this.total += performance.now() - this.started;
    this.count += 1;
  }

  get msPerStep(): number {
    return this.count === 0 ? Number.NaN : this.total / this.count;
  }

  get steps(): number {
    return this.count;
  }

  reset(): void {
    this.total = 0;
    this.count = 0;
  }

  /** Trainer hooks that time each update: from the batch it trains on to its metrics. */
  hooks<B>(): TrainerHooks<B> {
    return {
      transformBatch: (batch) => {
        this.begin();
        return batch;
      },
      afterUpdate: () => this.end(),
    };
  }
}

/** The trainer calls a PausableTraining makes: @bellman/training's Online and Offline trainers. */
export interface ResumableTrainer {
  run(): Promise<TrainerSummary>;
  resume(checkpointPath: string): Promise<TrainerSummary>;
  stop(): void;
}

/**
 * One training run that Pause stops with a checkpoint in memory and the next `train` resumes:
 * give its trainers `checkpointPath` and `checkpointStore`. A resumed trainer continues exactly
 * where the stopped one was.
 */
export class PausableTraining {
  readonly checkpointStore = new MemoryCheckpointStore();
  private current: ResumableTrainer | null = null;
  private started = false;

  constructor(readonly checkpointPath: string) {}

  /** Whether `train` has run once. */
  get hasStarted(): boolean {
    return this.started;
  }

  get running(): boolean {
    return this.current !== null;
  }

  /** Runs `trainer` the first time, and resumes from the checkpoint after that. */
  async train(trainer: ResumableTrainer): Promise<TrainerSummary> {
    this.current = trainer;
    const resuming = this.started;
    this.started = true;
    try {
      return resuming ? await trainer.resume(this.checkpointPath) : await trainer.run();
    } finally {
      this.current = null;
    }
  }

  /** Stops the running trainer after its current step (it saves its checkpoint). */
  pause(): void {
    this.current?.stop();
  }
}

declare global {
  interface Window {
    /** Each live example's state by name, read by the site's browser tests. */
    bellmanExamples?: Record<string, () => unknown>;
  }
}

/** Makes an example's state readable as window.bellmanExamples[name]() (for tests and the console). */
export function publishExampleState(name: string, read: () => unknown): void {
  window.bellmanExamples ??= {};
  window.bellmanExamples[name] = read;
}
