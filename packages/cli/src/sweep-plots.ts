/** Vega-Lite specs of a sweep's report: the metric per group, and the learning curves of train cells. */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { readJsonlMetrics, type MetricRow } from '@bellman/core/node';
import { meanAndSampleStd, type SweepCell, type SweepFolder, type SweepReport } from '@bellman/sweep';
import type { TopLevelSpec } from 'vega-lite';
import { evalReturnMetric } from './plot.js';

const FONT = 'DejaVu Sans, Helvetica, Arial, sans-serif';

const groupLabel = (params: Record<string, unknown>, keys: readonly string[]) => keys.map((key) => String(params[key])).join(' · ');

/** The metric of each group: mean as a point, ± one std as a bar, one row per `rows` label, coloured by `columns`. */
export function sweepMetricSpec(report: SweepReport, rows: readonly string[], columns?: string): TopLevelSpec {
  const values = report.groups.map((group) => ({
    group: groupLabel(group.params, rows) || 'all',
    series: columns === undefined ? report.metric : String(group.params[columns]),
    mean: group.mean,
    lo: group.mean - group.std,
    hi: group.mean + group.std,
    n: group.n,
  }));
  const y = { field: 'group', type: 'nominal' as const, title: rows.join(' · ') || null, sort: null };
  const color = { field: 'series', type: 'nominal' as const, title: columns ?? 'metric' };
  const yOffset = columns === undefined ? {} : { yOffset: { field: 'series', type: 'nominal' as const } };
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: `${report.metric}: mean ± std over ${report.seedKey}s`,
    width: 480,
    // with a yOffset the step is that of one column's band inside a row
    height: { step: columns === undefined ? 22 : 14 },
    data: { values },
    layer: [
      { mark: { type: 'rule', strokeWidth: 2 }, encoding: { y, x: { field: 'lo', type: 'quantitative', title: report.metric }, x2: { field: 'hi' }, color, ...yOffset } },
      { mark: { type: 'point', filled: true, size: 60 }, encoding: { y, x: { field: 'mean', type: 'quantitative' }, color, ...yOffset, tooltip: [{ field: 'mean' }, { field: 'n' }] } },
    ],
    config: { font: FONT, view: { stroke: '#ddd' }, axis: { gridColor: '#eee' }, legend: { orient: 'bottom', columns: 4 } },
  };
}

/**
 * Evaluation return against step, mean ± std over the seeds of each group, from the cells'
 * metrics.jsonl (train cells): one line per group, or with `columns` one panel per `rows` label
 * and one line per column value. Undefined when no cell has evaluations.
 */
export function sweepCurvesSpec(report: SweepReport, cells: readonly SweepCell[], folder: SweepFolder, rows: readonly string[], columns?: string): TopLevelSpec | undefined {
  const seedKey = report.seedKey;
  const byGroup = new Map<string, { panel: string; series: string; runs: { step: number; value: number }[][] }>();
  for (const cell of cells) {
    const path = join(folder.cellDir(cell), 'metrics.jsonl');
    if (!folder.result(cell) || !existsSync(path)) continue;
    const metricRows: MetricRow[] = readJsonlMetrics(path);
    const metric = evalReturnMetric(metricRows);
    if (!metric) continue;
    const params = Object.fromEntries(Object.entries(cell.params).filter(([key]) => key !== seedKey));
    const panel = columns === undefined ? 'all' : groupLabel(params, rows) || 'all';
    const series = columns === undefined ? groupLabel(params, rows) || 'all' : String(params[columns]);
    const key = `${panel}\n${series}`;
    const group = byGroup.get(key) ?? { panel, series, runs: [] };
    group.runs.push(metricRows.filter((row) => Number.isFinite(row[metric.mean])).map((row) => ({ step: row.step, value: row[metric.mean]! })));
    byGroup.set(key, group);
  }
  const values: { step: number; panel: string; series: string; mean: number; lo: number; hi: number }[] = [];
  for (const { panel, series, runs } of byGroup.values()) {
    // the steps every seed evaluated at
    const steps = runs.map((run) => new Set(run.map((row) => row.step))).reduce((a, b) => new Set([...a].filter((step) => b.has(step))));
    for (const step of [...steps].sort((a, b) => a - b)) {
      const { mean, std } = meanAndSampleStd(runs.map((run) => run.find((row) => row.step === step)!.value));
      values.push({ step, panel, series, mean, lo: mean - std, hi: mean + std });
    }
  }
  if (values.length === 0) return undefined;
  const x = { field: 'step', type: 'quantitative' as const, title: 'training step' };
  const color = { field: 'series', type: 'nominal' as const, title: columns ?? (rows.join(' · ') || 'group') };
  const layer = [
    { mark: { type: 'area' as const, fillOpacity: 0.15 }, encoding: { x, y: { field: 'lo', type: 'quantitative' as const }, y2: { field: 'hi' }, color } },
    { mark: { type: 'line' as const, point: true, strokeWidth: 2 }, encoding: { x, y: { field: 'mean', type: 'quantitative' as const, title: 'evaluation return (mean ± std)' }, color } },
  ];
  const title = `Evaluation return, mean ± std over ${seedKey}s`;
  const config = { font: FONT, view: { stroke: '#ddd' }, axis: { gridColor: '#eee' }, legend: { orient: 'bottom' as const, columns: 5 } };
  if (columns === undefined) return { $schema: 'https://vega.github.io/schema/vega-lite/v6.json', title, width: 480, height: 260, data: { values }, layer, config };
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title,
    data: { values },
    // panels in the grid's order (a wrapped facet sorts its values by name unless told the order)
    facet: { field: 'panel', type: 'nominal', title: rows.join(' · ') || null, sort: [...new Set(values.map((value) => value.panel))] },
    columns: 2,
    spec: { width: 300, height: 180, layer },
    config,
  };
}
