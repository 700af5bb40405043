import { appendFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { writeFileAtomic } from './checkpoint.js';
import type { Logger, Metrics } from './types.js';

export interface MetricRow {
  step: number;
  [metric: string]: number;
}

/** Appends one JSON object per line; each line is flushed as it is written. */
export class JsonlLogger implements Logger {
  constructor(
    readonly path: string,
    options: { append?: boolean } = {},
  ) {
    mkdirSync(dirname(path), { recursive: true });
    if (!options.append) writeFileSync(path, '');
  }

  log(step: number, metrics: Metrics): void {
    appendFileSync(this.path, `${JSON.stringify({ step, ...finiteOrNull(metrics) })}\n`);
  }

  close(): void {}
}

export interface CsvLoggerOptions {
  /** Rows already logged (a resumed run's): the file starts with them. */
  rows?: readonly MetricRow[];
}

/**
 * Writes a CSV whose columns are every metric seen so far. A row with only known columns is
 * appended; a row that brings a new column rewrites the file atomically, so that the table stays
 * rectangular. The file is a function of the rows alone: a run rebuilt from its JSONL rows and
 * continued gives the same bytes as one that never stopped.
 */
export class CsvLogger implements Logger {
  private readonly rows: MetricRow[] = [];
  private readonly columns = new Set<string>(['step']);
  /** Rows (from the start) that are on disk with the current columns. */
  private written = 0;

  constructor(
    readonly path: string,
    options: CsvLoggerOptions = {},
  ) {
    mkdirSync(dirname(path), { recursive: true });
    for (const row of options.rows ?? []) this.add(row);
    if (this.rows.length > 0) this.rewrite();
  }

  log(step: number, metrics: Metrics): void {
    const before = this.columns.size;
    this.add({ step, ...metrics });
    if (this.columns.size !== before || this.written === 0) this.rewrite();
    else {
      appendFileSync(this.path, `${this.line(this.rows[this.rows.length - 1]!)}\n`);
      this.written = this.rows.length;
    }
  }

  /** Write the whole file now (it is kept up to date on every log; this is for an empty run). */
  flush(): void {
    this.rewrite();
  }

  close(): void {
    if (this.written !== this.rows.length || this.rows.length === 0) this.rewrite();
  }

  private add(row: MetricRow): void {
    this.rows.push(row);
    for (const k of Object.keys(row)) this.columns.add(k);
  }

  private line(row: MetricRow): string {
    return [...this.columns].map((c) => (row[c] === undefined ? '' : String(row[c]))).join(',');
  }

  private rewrite(): void {
    const lines = [[...this.columns].join(',')];
    for (const row of this.rows) lines.push(this.line(row));
    writeFileAtomic(this.path, `${lines.join('\n')}\n`);
    this.written = this.rows.length;
  }
}

/** Sends every row to several loggers. */
export class MultiLogger implements Logger {
  constructor(private readonly loggers: Logger[]) {}
  log(step: number, metrics: Metrics): void {
    for (const l of this.loggers) l.log(step, metrics);
  }
  async close(): Promise<void> {
    for (const l of this.loggers) await l.close();
  }
}

/** Read a JSONL metrics file back (non-finite values were written as null and come back as NaN). */
export function readJsonlMetrics(path: string): MetricRow[] {
  const text = readFileSync(path, 'utf8');
  const rows: MetricRow[] = [];
  text.split('\n').forEach((line, i) => {
    if (!line.trim()) return;
    let obj: Record<string, number | null>;
    try {
      obj = JSON.parse(line);
    } catch {
      throw new Error(`${path}:${i + 1}: not a JSON line`);
    }
    const row: MetricRow = { step: Number(obj.step) };
    for (const [k, v] of Object.entries(obj)) row[k] = v === null ? Number.NaN : Number(v);
    rows.push(row);
  });
  return rows;
}

function finiteOrNull(m: Metrics): Record<string, number | null> {
  const out: Record<string, number | null> = {};
  for (const [k, v] of Object.entries(m)) out[k] = Number.isFinite(v) ? v : null;
  return out;
}
