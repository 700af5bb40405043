/** Vega-Lite specs of a sweep's report: the metric per group, and the learning curves of train cells. */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { readJsonlMetrics, type MetricRow } from '@bellman/core/node';
import type { SweepCell, SweepFolder, SweepReport } from '@bellman/sweep';
import type { TopLevelSpec } from 'vega-lite';
import { evalReturnMetric, learningCurveSpec, type MetricSeries } from './plot.js';

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
    height: { step: columns === undefined ? 22 : 14 * new Set(values.map((v) => v.series)).size + 8 },
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
 * metrics.jsonl (train cells); undefined when no cell has evaluations.
 */
export function sweepCurvesSpec(report: SweepReport, cells: readonly SweepCell[], folder: SweepFolder, seedKey: string): TopLevelSpec | undefined {
  const keys = Object.keys(report.groups[0]?.params ?? {});
  const byGroup = new Map<string, MetricRow[][]>();
  for (const cell of cells) {
    const path = join(folder.cellDir(cell), 'metrics.jsonl');
    if (!folder.result(cell) || !existsSync(path)) continue;
    const rows = readJsonlMetrics(path);
    const metric = evalReturnMetric(rows);
    if (!metric) continue;
    const params = Object.fromEntries(Object.entries(cell.params).filter(([key]) => key !== seedKey));
    const label = groupLabel(params, keys) || 'all';
    const evals = rows.filter((row) => Number.isFinite(row[metric.mean])).map((row) => ({ step: row.step, evalReturnMean: row[metric.mean]! }));
    byGroup.set(label, [...(byGroup.get(label) ?? []), evals]);
  }
  const series: MetricSeries[] = [];
  for (const [label, runs] of byGroup) {
    // the steps every seed evaluated at
    const steps = runs.map((run) => new Set(run.map((row) => row.step))).reduce((a, b) => new Set([...a].filter((step) => b.has(step))));
    const rows = [...steps]
      .sort((a, b) => a - b)
      .map((step) => {
        const values = runs.map((run) => run.find((row) => row.step === step)!.evalReturnMean!);
        const mean = values.reduce((a, b) => a + b, 0) / values.length;
        const std = values.length > 1 ? Math.sqrt(values.reduce((a, v) => a + (v - mean) ** 2, 0) / (values.length - 1)) : 0;
        return { step, evalReturnMean: mean, evalReturnStd: std };
      });
    if (rows.length > 0) series.push({ label, rows });
  }
  if (series.length === 0) return undefined;
  return learningCurveSpec(series, { title: `Evaluation return, mean ± std over ${seedKey}s` });
}
