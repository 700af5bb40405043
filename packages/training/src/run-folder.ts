/**
 * A run folder between sessions (Node): the metrics file cut back to the checkpoint a resumed run
 * continues from, and the debris of atomic writes that a kill interrupted.
 */
import { existsSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '@bellman/core/node';

/** A line of a metrics file that cannot be read; `path` and the 1-based `line` name it. */
export class MetricsFileError extends Error {
  constructor(
    readonly path: string,
    readonly line: number,
    problem: string,
  ) {
    super(`${path}:${line} ${problem}`);
    this.name = 'MetricsFileError';
  }
}

/** What `cutMetrics` did. */
export interface CutMetrics {
  /** Rows kept (step at or before the checkpoint's). */
  kept: number;
  /** Rows after the checkpoint's step, dropped: the resumed run logs them again. */
  dropped: number;
  /** True when the last line was half-written (a kill during the write) and was cut off. */
  tornLine: boolean;
}

/**
 * Cut `metrics.jsonl` back to the rows at or before `step`. A half-written last line (the run was
 * killed while writing it) is cut off; a malformed line anywhere else is an error, with its line number.
 */
export function cutMetrics(path: string, step: number): CutMetrics {
  if (!existsSync(path)) return { kept: 0, dropped: 0, tornLine: false };
  const text = readFileSync(path, 'utf8');
  const lines = text.split('\n');
  // A complete file ends with a newline, so the last element is ''; anything else was torn.
  const last = lines.pop() ?? '';
  let tornLine = last.trim() !== '';
  const kept: string[] = [];
  let dropped = 0;
  lines.forEach((line, i) => {
    if (!line.trim()) return;
    let row: { step?: unknown };
    try {
      row = JSON.parse(line) as { step?: unknown };
    } catch {
      // the last line is the one a kill can tear, whether or not its newline made it to disk
      if (i === lines.length - 1 && !tornLine) {
        tornLine = true;
        return;
      }
      throw new MetricsFileError(path, i + 1, 'is not a JSON line; the metrics file is damaged');
    }
    if (typeof row.step !== 'number') throw new MetricsFileError(path, i + 1, 'has no "step"');
    if (row.step <= step) kept.push(line);
    else dropped += 1;
  });
  writeFileAtomic(path, kept.length ? `${kept.join('\n')}\n` : '');
  return { kept: kept.length, dropped, tornLine };
}

/**
 * Remove what atomic writes of a killed process left behind: `.<name>.tmp-<pid>-<time>` files
 * (core's writeFileAtomic names its temp files so). Returns how many were removed.
 */
export function removeStaleTempFiles(dir: string): number {
  if (!existsSync(dir)) return 0;
  let removed = 0;
  for (const name of readdirSync(dir)) {
    if (!/^\..+\.tmp-\d+-\d+$/.test(name)) continue;
    rmSync(join(dir, name), { force: true });
    removed += 1;
  }
  return removed;
}
