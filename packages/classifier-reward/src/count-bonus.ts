/**
 * A count-based exploration bonus, MURAL's baseline: every visited state is counted in a grid
 * cell, and a transition reaching s' gets scale / sqrt(N(cell(s'))) added to its reward (the
 * env's own, e.g. the sparse -1 / 0). Counts come from every env step (afterEnvStep), bonuses are
 * computed when a batch is sampled, so they shrink as the cell is revisited.
 */
import type { TransitionBatch } from '@bellman/core';
import type { CheckpointModule, EnvTransition, TrainerHooks } from '@bellman/training';
import { GridCells, type GridSpec } from './grid.js';

export interface CountBonusOptions {
  /** The grid over observations; MURAL's: 51 x 51 cells over the maze's [-4, 4]^2. */
  grid: GridSpec;
  /** The bonus is scale / sqrt(N). Default 1. */
  scale?: number;
}

export interface CountBonusState {
  /** Visits per cell, only the visited ones: [cell, count] pairs. */
  counts: Array<[number, number]>;
}

/** The maze grid of MURAL's count baseline. */
export const MAZE_COUNT_GRID: Readonly<GridSpec> = Object.freeze({ low: [-4, -4], high: [4, 4], bins: 51 });

export class CountBonus implements TrainerHooks<TransitionBatch>, CheckpointModule<CountBonusState> {
  private readonly cells: GridCells;
  private readonly counts: Float64Array;
  private readonly scale: number;

  constructor(options: CountBonusOptions) {
    this.cells = new GridCells(options.grid);
    this.counts = new Float64Array(this.cells.cellCount);
    this.scale = options.scale ?? 1;
    if (!(this.scale > 0) || !Number.isFinite(this.scale)) throw new RangeError(`CountBonus: scale must be a positive number, got ${options.scale}`);
  }

  /** N(cell of `state`). */
  count(state: ArrayLike<number>, offset = 0): number {
    return this.counts[this.cells.cellOf(state, offset)]!;
  }

  /** scale / sqrt(N) at `state`, with N at least 1. */
  bonus(state: ArrayLike<number>, offset = 0): number {
    return this.scale / Math.sqrt(Math.max(1, this.count(state, offset)));
  }

  afterEnvStep(transition: EnvTransition): void {
    this.counts[this.cells.cellOf(transition.nextObservation)]! += 1;
  }

  transformBatch(batch: TransitionBatch): TransitionBatch {
    const rewards = new Float32Array(batch.size);
    for (let i = 0; i < batch.size; i++) rewards[i] = batch.rewards[i]! + this.bonus(batch.nextObservations, i * batch.observationDim);
    return { ...batch, rewards };
  }

  save(): CountBonusState {
    const counts: Array<[number, number]> = [];
    this.counts.forEach((n, cell) => {
      if (n > 0) counts.push([cell, n]);
    });
    return { counts };
  }

  load(state: CountBonusState): void {
    this.counts.fill(0);
    for (const [cell, n] of state.counts) {
      if (!Number.isInteger(cell) || cell < 0 || cell >= this.counts.length) throw new RangeError(`CountBonus: saved cell ${cell} is outside this grid's ${this.counts.length} cells`);
      this.counts[cell] = n;
    }
  }
}
