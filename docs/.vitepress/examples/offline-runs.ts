// Several learners trained on one dataset in one page, each by @bellman/training's OfflineTrainer,
// taking turns in rounds: the run with the fewest updates goes next, for one round (or to the end).
// A round ends at a multiple of `roundUpdates`, where the trainer evaluates and checkpoints into
// memory; the next round resumes from that checkpoint with a larger step count. A resumed
// OfflineTrainer reaches exactly what an uninterrupted one does, so each run is the run
// `new OfflineTrainer({ steps: updates, evalEvery: roundUpdates, ... }).run()` would make.
import type { Env, Learner, Metrics, TransitionBatch } from '@bellman/core';
import { makeRecipe, type OfflineDataset } from '@bellman/datasets';
import { OfflineTrainer, type TransitionSource } from '@bellman/training';
import { CARTPOLE_RECIPE_LEVELS, type CartPoleRecipeLevel } from './cartpole-recipes';
import { PausableTraining, StepTimer } from './runtime';

export interface GeneratedDataset {
  /** The recipe's name, e.g. cartpole-medium-v0. */
  name: string;
  dataset: OfflineDataset;
  /** Its statistics (returns, lengths, counts). */
  statistics: ReturnType<OfflineDataset['statistics']>;
  /** How long generating it took. */
  milliseconds: number;
}

/** Throws a RangeError naming the first dataset setting out of range. */
export function checkRecipeSettings(level: string, transitions: number): void {
  if (!(CARTPOLE_RECIPE_LEVELS as readonly string[]).includes(level)) throw new RangeError(`dataset must be one of ${CARTPOLE_RECIPE_LEVELS.join(', ')}, got ${level}`);
  if (!Number.isInteger(transitions) || transitions < 1000 || transitions > 50_000) {
    throw new RangeError(`transitions must be a whole number from 1000 to 50000, got ${transitions}`);
  }
}

/** Generates cartpole-<level>-v0 in the page: whole episodes until at least `transitions`. */
export function generateCartPoleRecipe(level: CartPoleRecipeLevel, transitions: number, seed: number): GeneratedDataset {
  const name = `cartpole-${level}-v0`;
  const started = performance.now();
  const dataset = makeRecipe(name, { minTransitions: transitions, seed });
  return { name, dataset, statistics: dataset.statistics(), milliseconds: performance.now() - started };
}

export interface OfflineRunSpec<N extends string> {
  name: N;
  learner: Learner;
}

export interface OfflineRunsOptions<N extends string> {
  runs: readonly OfflineRunSpec<N>[];
  dataset: TransitionSource;
  /** Updates each run makes in all. */
  updates: number;
  /** Updates per turn; runs evaluate (when `envFactory` is given) at every multiple of it and at the end. */
  roundUpdates: number;
  batchSize: number;
  /** The trainers' seed: every run samples the same sequence of batches. */
  seed: number;
  envFactory?: () => Env;
  evalEpisodes?: number;
  /** Each update of a run, with its metrics and the updates done. */
  onUpdate?(name: N, step: number, metrics: Metrics): void;
  /** Each evaluation of a run: the mean return of `evalEpisodes` greedy episodes. */
  onEvaluation?(name: N, step: number, returnMean: number): void;
}

interface RunState<N extends string> {
  spec: OfflineRunSpec<N>;
  step: number;
  /** Its trainers, each round resuming from the last one's checkpoint in memory. */
  training: PausableTraining;
  timer: StepTimer;
}

export class InterleavedOfflineRuns<N extends string> {
  private readonly states: RunState<N>[];
  private pausing = false;
  private active = false;

  constructor(private readonly options: OfflineRunsOptions<N>) {
    this.states = options.runs.map((spec) => ({ spec, step: 0, training: new PausableTraining(`${spec.name}.json`), timer: new StepTimer() }));
  }

  get running(): boolean {
    return this.active;
  }

  /** Updates done by the run named `name`. */
  steps(name: N): number {
    return this.stateOf(name).step;
  }

  /** The mean time of one of the run's updates (NaN before its first). */
  msPerUpdate(name: N): number {
    return this.stateOf(name).timer.msPerStep;
  }

  get done(): boolean {
    return this.states.every((state) => state.step >= this.options.updates);
  }

  /** Trains until every run is done ('done') or `pause` is called ('paused'). */
  async run(): Promise<'done' | 'paused'> {
    if (this.active) throw new Error('InterleavedOfflineRuns: run() is already in progress');
    this.active = true;
    this.pausing = false;
    try {
      while (!this.pausing && !this.done) await this.turn(this.next());
      return this.done ? 'done' : 'paused';
    } finally {
      this.active = false;
    }
  }

  /** Stops the running trainer after its current update; `run` then resumes where it stopped. */
  pause(): void {
    this.pausing = true;
    for (const state of this.states) state.training.pause();
  }

  /** Stops, and disposes of the runs' learners. */
  dispose(): void {
    this.pause();
    for (const state of this.states) state.spec.learner.dispose();
  }

  /** The run with the fewest updates (the first of them in the given order). */
  private next(): RunState<N> {
    return this.states.reduce((best, state) => (state.step < best.step ? state : best));
  }

  private stateOf(name: N): RunState<N> {
    const state = this.states.find((s) => s.spec.name === name);
    if (!state) throw new RangeError(`no run named ${name}`);
    return state;
  }

  private async turn(state: RunState<N>): Promise<void> {
    const { updates, roundUpdates, dataset, batchSize, seed, envFactory, evalEpisodes, onUpdate, onEvaluation } = this.options;
    const name = state.spec.name;
    const trainer = new OfflineTrainer({
      learner: state.spec.learner,
      dataset,
      steps: Math.min(updates, (Math.floor(state.step / roundUpdates) + 1) * roundUpdates),
      batchSize,
      seed,
      ...(envFactory ? { envFactory, evalEvery: roundUpdates, evalEpisodes } : { evalEvery: 0 }),
      checkpointPath: state.training.checkpointPath,
      checkpointStore: state.training.checkpointStore,
      hooks: [state.timer.hooks<TransitionBatch>()],
      onProgress: (event) => {
        if (event.type === 'update') {
          state.step = event.step;
          onUpdate?.(name, event.step, event.metrics);
        }
        if (event.type === 'evaluation') onEvaluation?.(name, event.step, event.evaluation.returnMean);
      },
    });
    const summary = await state.training.train(trainer);
    state.step = summary.steps;
  }
}

/**
 * A page's session over interleaved runs, made when the page's settings are accepted; `prepare`
 * (generating the dataset and making the learners) runs at the first Start.
 */
export class OfflineRunsSession<N extends string> {
  private runs: InterleavedOfflineRuns<N> | null = null;

  constructor(
    private readonly prepare: () => InterleavedOfflineRuns<N>,
    private readonly ended: (reason: 'done' | 'paused') => void,
  ) {}

  get running(): boolean {
    return this.runs?.running ?? false;
  }

  /** Whether Start has run once (the settings are then those of the run). */
  get hasStarted(): boolean {
    return this.runs !== null;
  }

  /** Prepares and trains; after Pause, resumes where the runs stopped. */
  async start(): Promise<void> {
    if (this.running) return;
    this.runs ??= this.prepare();
    this.ended(await this.runs.run());
  }

  pause(): void {
    this.runs?.pause();
  }

  dispose(): void {
    this.runs?.dispose();
  }
}
