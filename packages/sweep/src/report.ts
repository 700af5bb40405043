/**
 * A sweep's report: cells grouped by every grid value but the seed, and the mean and sample
 * standard deviation (n - 1) of one metric of their results over the seeds.
 */
import type { CellResultFile } from './folder.js';
import type { SweepValue } from './spec.js';

export interface SweepGroup {
  /** The grid values the group's cells share (every grid key but the seed's). */
  params: Record<string, SweepValue>;
  /** The metric of each finished cell, in grid order. */
  values: number[];
  /** The seed of each value. */
  seeds: SweepValue[];
  mean: number;
  /** Sample standard deviation (n - 1); 0 for one value. */
  std: number;
  n: number;
}

export interface SweepReport {
  metric: string;
  seedKey: string;
  groups: SweepGroup[];
  /** Cells without a result yet. */
  unfinished: string[];
  /** Finished cells whose result has no number at the metric's path. */
  withoutMetric: string[];
}

/** The value at a dotted path (`summary.cql.mean`) of an object, if it is a finite number. */
export function metricAt(result: unknown, path: string): number | undefined {
  let value: unknown = result;
  for (const part of path.split('.')) {
    if (typeof value !== 'object' || value === null) return undefined;
    value = (value as Record<string, unknown>)[part];
  }
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

/**
 * Groups `cells` (in grid order; undefined for an unfinished cell, named by `ids`) by their
 * params without `seedKey`, in order of first appearance.
 */
export function summarizeSweep(ids: readonly string[], cells: readonly (CellResultFile | undefined)[], metric: string, seedKey: string): SweepReport {
  const groups = new Map<string, SweepGroup>();
  const unfinished: string[] = [];
  const withoutMetric: string[] = [];
  cells.forEach((cell, i) => {
    if (!cell) return void unfinished.push(ids[i]!);
    const value = metricAt(cell.result, metric);
    if (value === undefined) return void withoutMetric.push(cell.id);
    const params = Object.fromEntries(Object.entries(cell.params).filter(([key]) => key !== seedKey));
    const key = JSON.stringify(params);
    const group = groups.get(key) ?? { params, values: [], seeds: [], mean: 0, std: 0, n: 0 };
    group.values.push(value);
    group.seeds.push(cell.params[seedKey] ?? '');
    groups.set(key, group);
  });
  for (const group of groups.values()) Object.assign(group, meanAndSampleStd(group.values));
  return { metric, seedKey, groups: [...groups.values()], unfinished, withoutMetric };
}

/** Mean and sample standard deviation (n - 1; 0 for one value) of a group's values over seeds. */
export function meanAndSampleStd(values: readonly number[]): { mean: number; std: number; n: number } {
  const n = values.length;
  const mean = values.reduce((a, b) => a + b, 0) / n;
  const std = n > 1 ? Math.sqrt(values.reduce((a, v) => a + (v - mean) ** 2, 0) / (n - 1)) : 0;
  return { mean, std, n };
}

/** `mean ± std (n)` with `digits` decimals. */
export function formatGroup(group: Pick<SweepGroup, 'mean' | 'std' | 'n'>, digits = 1): string {
  return `${group.mean.toFixed(digits)} ± ${group.std.toFixed(digits)} (${group.n})`;
}

export interface ReportTable {
  header: string[];
  rows: string[][];
}

/**
 * The report as a table: one row per combination of `rows` keys and, with `columns`, one column
 * per value of that key (cells without a group read "-").
 */
export function reportTable(report: SweepReport, rows: readonly string[], columns?: string, digits = 1): ReportTable {
  const label = (group: SweepGroup) => JSON.stringify(rows.map((key) => group.params[key] ?? ''));
  if (columns === undefined) {
    return {
      header: [...rows, `${report.metric} (mean ± std over ${report.seedKey}s)`],
      rows: report.groups.map((group) => [...rows.map((key) => String(group.params[key] ?? '')), formatGroup(group, digits)]),
    };
  }
  const columnValues = [...new Set(report.groups.map((group) => String(group.params[columns] ?? '')))];
  const byRow = new Map<string, Map<string, SweepGroup>>();
  for (const group of report.groups) {
    const row = byRow.get(label(group)) ?? new Map<string, SweepGroup>();
    row.set(String(group.params[columns] ?? ''), group);
    byRow.set(label(group), row);
  }
  return {
    header: [...rows, ...columnValues],
    rows: [...byRow.entries()].map(([key, row]) => [
      ...(JSON.parse(key) as SweepValue[]).map(String),
      ...columnValues.map((value) => {
        const group = row.get(value);
        return group ? formatGroup(group, digits) : '-';
      }),
    ]),
  };
}
