import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { TopLevelSpec } from 'vega-lite';
import { writeFileAtomic } from '@bellman/core/node';
import { svgToPng, writePlot } from '../plot.js';
import { MURAL_METHODS, muralCurves, muralRunId, type MuralExperimentResult, type MuralMethod } from './mural.js';

const FONT = 'DejaVu Sans, Helvetica, Arial, sans-serif';
const SCHEMA = 'https://vega.github.io/schema/vega-lite/v6.json';

/** Fixed colours, so that a method looks the same in every figure. */
const METHOD_COLORS: Record<MuralMethod, string> = {
  sparse: '#7f7f7f',
  count: '#1f77b4',
  vice: '#ff7f0e',
  'meta-nml': '#2ca02c',
};

/** Success rate and maze-aware distance left against env steps, one line per method, one column per maze. */
export function muralCurvesSpec(result: MuralExperimentResult): TopLevelSpec {
  const values = muralCurves(result.runs);
  const methods = MURAL_METHODS.filter((m) => values.some((v) => v.method === m));
  const seedCount = new Set(result.runs.map((r) => r.seed)).size;
  const color = { field: 'method', type: 'nominal' as const, scale: { domain: methods, range: methods.map((m) => METHOD_COLORS[m]) }, title: 'reward' };
  const x = { field: 'step', type: 'quantitative' as const, title: 'env steps' };
  // one row per measure, one column per maze
  const row = (field: string, title: string, domain?: [number, number]) => ({
    facet: { column: { field: 'maze', type: 'nominal' as const, title: null } },
    spec: {
      width: 300,
      height: 170,
      mark: { type: 'line' as const, point: { size: 20 } },
      encoding: { x, y: { field, type: 'quantitative' as const, title, ...(domain ? { scale: { domain } } : {}) }, color },
    },
  });
  return {
    $schema: SCHEMA,
    title: { text: `SAC from success examples on the point mazes (mean of ${seedCount} seed${seedCount === 1 ? '' : 's'})`, anchor: 'start' },
    data: { values },
    vconcat: [row('successRate', 'success rate', [0, 1]), row('mazeDistance', 'maze distance to goal')],
    config: { font: FONT, view: { stroke: '#ddd' }, axis: { gridColor: '#eee' }, legend: { orient: 'bottom' } },
  };
}

/** mural-curves.svg/.png and every run's reward heat maps (heatmaps/<run>-step<N>.svg/.png); returns the paths. */
export async function writeMuralPlots(result: MuralExperimentResult, outDir: string): Promise<string[]> {
  const written = await writePlot(muralCurvesSpec(result), join(outDir, 'mural-curves'));
  const heatmapDir = join(outDir, 'heatmaps');
  for (const run of result.runs) {
    for (const heatmap of run.heatmaps) {
      mkdirSync(heatmapDir, { recursive: true });
      const prefix = join(heatmapDir, `${muralRunId(run)}-step${heatmap.step}`);
      writeFileAtomic(`${prefix}.svg`, heatmap.svg);
      writeFileAtomic(`${prefix}.png`, await svgToPng(heatmap.svg));
      written.push(`${prefix}.svg`, `${prefix}.png`);
    }
  }
  return written;
}
