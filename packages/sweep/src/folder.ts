/**
 * A sweep's folder: `sweep.json` (the spec and its cells), and one run folder per cell under
 * `cells/<id>/`, which the cell's command writes into and which ends with `result.json` once the
 * cell has finished. `result.json` holds only what the cell's seed determines, so that it is the
 * same bytes however the cell ran; wall time and worker go to `timing.json` beside it.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '@bellman/core/node';
import { UsageError } from '@bellman/core';
import type { SweepCell } from './cells.js';
import type { SweepSpec } from './spec.js';

/** A finished cell, as `result.json` keeps it. */
export interface CellResultFile {
  id: string;
  params: SweepCell['params'];
  args: string[];
  /** The command's JSON result, without its volatile keys. */
  result: Record<string, unknown>;
}

/** How a finished cell ran; not part of its result. */
export interface CellTiming {
  wallSeconds: number;
  /** `host:pid` of the process that ran it. */
  worker: string;
  finishedAt: string;
}

export interface SweepPlanFile {
  spec: SweepSpec;
  cells: SweepCell[];
}

export const RESULT_FILE = 'result.json';
export const TIMING_FILE = 'timing.json';
export const PLAN_FILE = 'sweep.json';

/** `result` without `volatileKeys` (top level). */
export function stableResult(result: Record<string, unknown>, volatileKeys: readonly string[]): Record<string, unknown> {
  return Object.fromEntries(Object.entries(result).filter(([key]) => !volatileKeys.includes(key)));
}

/** Writes a finished cell's `result.json` and `timing.json` into its run folder. */
export function writeCellResult(cellDir: string, cell: SweepCell, result: Record<string, unknown>, timing: CellTiming): void {
  const file: CellResultFile = { id: cell.id, params: cell.params, args: cell.args, result };
  writeFileAtomic(join(cellDir, TIMING_FILE), `${JSON.stringify(timing, null, 2)}\n`);
  // result.json last: its presence says the cell is finished
  writeFileAtomic(join(cellDir, RESULT_FILE), `${JSON.stringify(file, null, 2)}\n`);
}

/** A cell's `result.json`, or undefined when the cell has not finished. */
export function readCellResult(cellDir: string): CellResultFile | undefined {
  const path = join(cellDir, RESULT_FILE);
  if (!existsSync(path)) return undefined;
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as CellResultFile;
  } catch (err) {
    throw new UsageError(`${path} is not valid JSON (${err instanceof Error ? err.message : String(err)}); delete it to run the cell again`, { path });
  }
}

export function readCellTiming(cellDir: string): CellTiming | undefined {
  const path = join(cellDir, TIMING_FILE);
  return existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as CellTiming) : undefined;
}

export class SweepFolder {
  constructor(readonly dir: string) {}

  get planPath(): string {
    return join(this.dir, PLAN_FILE);
  }

  cellDir(cell: Pick<SweepCell, 'id'>): string {
    return join(this.dir, 'cells', cell.id);
  }

  readPlan(): SweepPlanFile | undefined {
    if (!existsSync(this.planPath)) return undefined;
    try {
      return JSON.parse(readFileSync(this.planPath, 'utf8')) as SweepPlanFile;
    } catch (err) {
      throw new UsageError(`${this.planPath} is not valid JSON (${err instanceof Error ? err.message : String(err)})`, { path: this.planPath });
    }
  }

  /**
   * Throws a UsageError when a cell of `cells` has a result from another command line (the spec's
   * settings changed): its results would be mixed with the new ones. Reads only.
   */
  checkResults(cells: readonly SweepCell[]): void {
    for (const cell of cells) {
      const saved = readCellResult(this.cellDir(cell));
      if (saved && JSON.stringify(saved.args) !== JSON.stringify(cell.args)) {
        throw new UsageError(
          `${this.cellDir(cell)} holds a result of \`bellman ${saved.args.join(' ')}\`, not of \`bellman ${cell.args.join(' ')}\`: the spec changed since that cell ran; use another --out, or delete the folder to run it again`,
          { cell: cell.id, dir: this.dir },
        );
      }
    }
  }

  writePlan(plan: SweepPlanFile): void {
    writeFileAtomic(this.planPath, `${JSON.stringify(plan, null, 2)}\n`);
  }

  result(cell: Pick<SweepCell, 'id'>): CellResultFile | undefined {
    return readCellResult(this.cellDir(cell));
  }
}
