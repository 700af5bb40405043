import { existsSync, readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { readJsonlMetrics, writeFileAtomic } from '@bellman/core/node';
import type { MetricRow } from '@bellman/core/node';
import type { TopLevelSpec } from 'vega-lite';
import { UsageError } from './errors.js';

/** Rows of one run's metrics, with the name it has in legends. */
export interface MetricSeries {
  label: string;
  rows: readonly MetricRow[];
}

/** A horizontal line drawn across a learning curve (e.g. the dataset's mean return). */
export interface ReferenceLine {
  label: string;
  value: number;
}

export interface PlotOptions {
  title?: string;
  /** Width of the plotting area in px (default 480). */
  width?: number;
  /** Height of the plotting area in px (default 260). */
  height?: number;
  referenceLines?: readonly ReferenceLine[];
}

/** Names trainers give the evaluation return, in order of preference. */
const EVAL_MEAN_NAMES = ['evalReturnMean', 'eval/returnMean', 'eval_return_mean', 'evalReturn', 'eval/return'];
const EVAL_STD_NAMES = ['evalReturnStd', 'eval/returnStd', 'eval_return_std'];

/** The metric holding the mean evaluation return in these rows, if any. */
export function evalReturnMetric(rows: readonly MetricRow[]): { mean: string; std?: string } | undefined {
  const keys = new Set<string>();
  for (const r of rows) for (const k of Object.keys(r)) keys.add(k);
  const mean = EVAL_MEAN_NAMES.find((k) => keys.has(k)) ?? [...keys].find((k) => /eval.*return.*mean/i.test(k)) ?? [...keys].find((k) => /eval.*return/i.test(k) && !/std|min|max/i.test(k));
  if (!mean) return undefined;
  const std = EVAL_STD_NAMES.find((k) => keys.has(k)) ?? [...keys].find((k) => /eval.*return.*std/i.test(k));
  return std ? { mean, std } : { mean };
}

/** Every metric whose name says it is a loss. */
export function lossMetrics(rows: readonly MetricRow[]): string[] {
  const keys = new Set<string>();
  for (const r of rows) for (const k of Object.keys(r)) if (/loss/i.test(k)) keys.add(k);
  return [...keys].sort();
}

const FONT = 'DejaVu Sans, Helvetica, Arial, sans-serif';

function baseConfig(): TopLevelSpec['config'] {
  return { font: FONT, view: { stroke: '#ddd' }, axis: { gridColor: '#eee' }, legend: { orient: 'bottom', columns: 4 } };
}

/** Vega-Lite spec: evaluation return against training step, one line per series, ±1 std band. */
export function learningCurveSpec(series: readonly MetricSeries[], options: PlotOptions = {}): TopLevelSpec {
  const values: { step: number; run: string; mean: number; lo?: number; hi?: number }[] = [];
  for (const s of series) {
    const m = evalReturnMetric(s.rows);
    if (!m) continue;
    for (const r of s.rows) {
      const mean = r[m.mean];
      if (mean === undefined || !Number.isFinite(mean)) continue;
      const std = m.std ? r[m.std] : undefined;
      const point: (typeof values)[number] = { step: r.step, run: s.label, mean };
      if (std !== undefined && Number.isFinite(std)) {
        point.lo = mean - std;
        point.hi = mean + std;
      }
      values.push(point);
    }
  }
  if (values.length === 0) {
    throw new UsageError(`no evaluation return in the metrics of ${series.map((s) => s.label).join(', ')} (expected a metric such as ${EVAL_MEAN_NAMES[0]})`);
  }
  const color = { field: 'run', type: 'nominal' as const, title: 'run' };
  const x = { field: 'step', type: 'quantitative' as const, title: 'training step', scale: { domainMin: 0 } };
  const layers: NonNullable<Extract<TopLevelSpec, { layer: unknown }>['layer']> = [];
  if (values.some((v) => v.lo !== undefined)) {
    layers.push({
      mark: { type: 'area', fillOpacity: 0.18 },
      encoding: { x, y: { field: 'lo', type: 'quantitative' }, y2: { field: 'hi' }, color },
    });
  }
  layers.push({
    mark: { type: 'line', point: true, strokeWidth: 2 },
    encoding: { x, y: { field: 'mean', type: 'quantitative', title: 'evaluation return (mean ± std)' }, color },
  });
  const refs = options.referenceLines ?? [];
  for (const ref of refs) {
    layers.push({
      data: { values: [{ value: ref.value, label: `${ref.label} (${ref.value.toFixed(1)})` }] },
      layer: [
        { mark: { type: 'rule', strokeDash: [6, 4], color: '#666' }, encoding: { y: { field: 'value', type: 'quantitative' } } },
        {
          mark: { type: 'text', align: 'left', dx: 4, dy: -6, color: '#444', fontSize: 10 },
          encoding: { y: { field: 'value', type: 'quantitative' }, x: { value: 0 }, text: { field: 'label' } },
        },
      ],
    });
  }
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: options.title ?? 'Learning curve',
    width: options.width ?? 480,
    height: options.height ?? 260,
    data: { values },
    layer: layers,
    config: baseConfig(),
  };
}

/**
 * Average rows into at most `maxPoints` buckets of consecutive steps, so that a loss logged at
 * every update draws as a readable line and the SVG stays small.
 */
export function downsample(points: readonly { step: number; value: number }[], maxPoints: number): { step: number; value: number }[] {
  if (points.length <= maxPoints) return [...points];
  const out: { step: number; value: number }[] = [];
  const size = points.length / maxPoints;
  for (let b = 0; b < maxPoints; b++) {
    const from = Math.floor(b * size);
    const to = Math.floor((b + 1) * size);
    let sum = 0;
    for (let i = from; i < to; i++) sum += points[i]!.value;
    out.push({ step: points[to - 1]!.step, value: sum / (to - from) });
  }
  return out;
}

/** Vega-Lite spec: each loss metric against step in its own panel (own y scale), one line per series. */
export function lossCurveSpec(series: readonly MetricSeries[], options: PlotOptions = {}): TopLevelSpec | undefined {
  const values: { step: number; run: string; metric: string; value: number }[] = [];
  for (const s of series) {
    for (const metric of lossMetrics(s.rows)) {
      const points = s.rows.filter((r) => r[metric] !== undefined && Number.isFinite(r[metric]!)).map((r) => ({ step: r.step, value: r[metric]! }));
      for (const p of downsample(points, 300)) values.push({ step: p.step, run: s.label, metric, value: p.value });
    }
  }
  if (values.length === 0) return undefined;
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: options.title ?? 'Training losses',
    data: { values },
    facet: { row: { field: 'metric', type: 'nominal', title: null } },
    spec: {
      width: options.width ?? 480,
      height: Math.round((options.height ?? 260) / 2),
      mark: { type: 'line', strokeWidth: 1.5 },
      encoding: {
        x: { field: 'step', type: 'quantitative', title: 'training step' },
        y: { field: 'value', type: 'quantitative', title: null, scale: { zero: false } },
        color: { field: 'run', type: 'nominal', title: 'run' },
      },
    },
    resolve: { scale: { y: 'independent' } },
    config: baseConfig(),
  };
}

type VegaModules = { vega: typeof import('vega'); vegaLite: typeof import('vega-lite') };
let vegaModules: Promise<VegaModules> | undefined;

/** vega and vega-lite are ESM-only: loaded on demand (one after the other: they share modules). */
function loadVega(): Promise<VegaModules> {
  vegaModules ??= (async () => {
    const vega = await import('vega');
    const vegaLite = await import('vega-lite');
    return { vega, vegaLite };
  })();
  return vegaModules;
}

/** Compile a Vega-Lite spec and render it to an SVG string, headless. */
export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const { vega, vegaLite } = await loadVega();
  const compiled = vegaLite.compile(spec);
  const view = new vega.View(vega.parse(compiled.spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** Rasterise an SVG to PNG bytes at `scale` times its size (default 2, for sharp text). */
export async function svgToPng(svg: string, scale = 2): Promise<Uint8Array> {
  const { Resvg } = await import('@resvg/resvg-js');
  const resvg = new Resvg(svg, { fitTo: { mode: 'zoom', value: scale }, background: 'white', font: { loadSystemFonts: true } });
  return resvg.render().asPng();
}

/** Render a spec to `<prefix>.svg` and `<prefix>.png`; returns the two paths. */
export async function writePlot(spec: TopLevelSpec, prefix: string): Promise<string[]> {
  const svg = await renderSvg(spec);
  const png = await svgToPng(svg);
  writeFileAtomic(`${prefix}.svg`, svg);
  writeFileAtomic(`${prefix}.png`, png);
  return [`${prefix}.svg`, `${prefix}.png`];
}

/** A run's name for legends: `algo` from the config.json beside its metrics, else its directory name. */
export function runLabel(jsonlPath: string): string {
  const configPath = join(dirname(jsonlPath), 'config.json');
  if (existsSync(configPath)) {
    try {
      const config = JSON.parse(readFileSync(configPath, 'utf8')) as { algo?: unknown };
      if (typeof config.algo === 'string') return config.algo;
    } catch {
      // an unreadable config only costs the nicer label
    }
  }
  return basename(dirname(jsonlPath)) || basename(jsonlPath);
}

/** Read metrics files into labelled series; a missing or unreadable file is a usage error. */
export function readSeries(jsonlPaths: readonly (string | { path: string; label: string })[]): MetricSeries[] {
  const labels = new Map<string, number>();
  return jsonlPaths.map((entry) => {
    const path = typeof entry === 'string' ? entry : entry.path;
    if (!existsSync(path)) throw new UsageError(`metrics file ${path} does not exist`);
    let rows: MetricRow[];
    try {
      rows = readJsonlMetrics(path);
    } catch (err) {
      throw new UsageError(`cannot read metrics: ${(err as Error).message}`);
    }
    let label = typeof entry === 'string' ? runLabel(path) : entry.label;
    // two runs of the same algorithm keep apart in the legend
    const seen = labels.get(label) ?? 0;
    labels.set(label, seen + 1);
    if (seen > 0) label = `${label} (${seen + 1})`;
    return { label, rows };
  });
}

/**
 * Plot the learning curve (evaluation return vs step, one line per run) and the loss curves of
 * one or more metrics.jsonl files: writes `<outPrefix>.svg/.png` and `<outPrefix>-losses.svg/.png`.
 * Returns the paths written.
 */
export async function plotMetrics(
  jsonlPaths: readonly (string | { path: string; label: string })[],
  outPrefix: string,
  options: PlotOptions = {},
): Promise<string[]> {
  const series = readSeries(jsonlPaths);
  const written = await writePlot(learningCurveSpec(series, options), outPrefix);
  const losses = lossCurveSpec(series, { width: options.width, height: options.height });
  if (losses) written.push(...(await writePlot(losses, `${outPrefix}-losses`)));
  return written;
}
