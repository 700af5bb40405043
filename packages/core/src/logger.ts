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

/**
 * Writes a CSV whose columns are every metric seen so far. The file is rewritten atomically on
 * each flush, so that a column added mid-run keeps the table rectangular.
 */
export class CsvLogger implements Logger {
  private readonly rows: MetricRow[] = [];
  private readonly columns = new Set<string>(['step']);
  private pending = 0;

  constructor(
    readonly path: string,
    private readonly flushEvery = 1,
  ) {}

  log(step: number, metrics: Metrics): void {
    this.rows.push({ step, ...metrics });
    for (const k of Object.keys(metrics)) this.columns.add(k);
    if (++this.pending >= this.flushEvery) this.flush();
  }

  flush(): void {
    const cols = [...this.columns];
    const lines = [cols.join(',')];
    for (const row of this.rows) lines.push(cols.map((c) => (row[c] === undefined ? '' : String(row[c]))).join(','));
    writeFileAtomic(this.path, `${lines.join('\n')}\n`);
    this.pending = 0;
  }

  close(): void {
    this.flush();
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
