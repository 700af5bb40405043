import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { TopLevelSpec } from 'vega-lite';
import { writeFileAtomic } from '@bellman/core/node';
import { svgToPng, writePlot } from '../plot.js';
import { DIFFUSER_METHODS, diffuserRunId, renderFirstEpisode, type DiffuserExperimentResult } from './diffuser.js';

const FONT = 'DejaVu Sans, Helvetica, Arial, sans-serif';
const SCHEMA = 'https://vega.github.io/schema/vega-lite/v6.json';

/** Training loss against updates, one line per seed, one panel per maze and method (the losses differ in kind). */
export function diffuserLossSpec(result: DiffuserExperimentResult): TopLevelSpec {
  const values = result.runs.flatMap((r) => r.curve.map(([step, loss]) => ({ maze: r.maze, method: r.method, seed: String(r.seed), step, loss })));
  const methods = DIFFUSER_METHODS.filter((m) => values.some((v) => v.method === m));
  return {
    $schema: SCHEMA,
    title: { text: `Training losses on maze2d (${[...new Set(result.runs.map((r) => `${r.method}: ${r.curveMetric ?? '-'}`))].join('; ')})`, anchor: 'start' },
    data: { values },
    facet: { row: { field: 'maze', type: 'nominal', title: null }, column: { field: 'method', type: 'nominal', sort: methods, title: null } },
    spec: {
      width: 220,
      height: 150,
      mark: { type: 'line' },
      encoding: {
        x: { field: 'step', type: 'quantitative', title: 'updates' },
        y: { field: 'loss', type: 'quantitative', title: 'loss', scale: { zero: false } },
        color: { field: 'seed', type: 'nominal', title: 'seed' },
      },
    },
    resolve: { scale: { y: 'independent' } },
    config: { font: FONT, view: { stroke: '#ddd' }, axis: { gridColor: '#eee' }, legend: { orient: 'bottom' } },
  };
}

/** diffuser-losses.svg/.png and each run's first evaluation episode (episodes/<run>.svg/.png, Diffuser's plan drawn); returns the paths. */
export async function writeDiffuserPlots(result: DiffuserExperimentResult, outDir: string): Promise<string[]> {
  const written = await writePlot(diffuserLossSpec(result), join(outDir, 'diffuser-losses'));
  const episodes = join(outDir, 'episodes');
  mkdirSync(episodes, { recursive: true });
  for (const run of result.runs) {
    const svg = renderFirstEpisode(run);
    const prefix = join(episodes, diffuserRunId(run));
    writeFileAtomic(`${prefix}.svg`, svg);
    writeFileAtomic(`${prefix}.png`, await svgToPng(svg));
    written.push(`${prefix}.svg`, `${prefix}.png`);
  }
  return written;
}
