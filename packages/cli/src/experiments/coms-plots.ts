import { join } from 'node:path';
import type { TopLevelSpec } from 'vega-lite';
import { writePlot } from '../plot.js';
import type { ComsExperimentResult } from './coms.js';

const FONT = 'DejaVu Sans, Helvetica, Arial, sans-serif';
const SCHEMA = 'https://vega.github.io/schema/vega-lite/v6.json';

/** The methods that walk a search path, in the order the figure shows them. */
const SEARCH_METHODS = ['grad', 'grad-alpha0', 'coms', 'cma-es'] as const;

/**
 * Predicted and true normalised score of the designs along each method's search (mean over
 * seeds), one panel per method: the model's opinion of its designs against the oracle's.
 */
export function comsTraceSpec(result: ComsExperimentResult): TopLevelSpec {
  const values: { method: string; step: number; score: number; kind: string }[] = [];
  for (const method of SEARCH_METHODS) {
    const runs = result.runs.filter((r) => r.method === method && r.trace.length > 0);
    if (runs.length === 0) continue;
    const steps = runs[0]!.trace.map((t) => t.step);
    steps.forEach((step, i) => {
      const mean = (pick: (t: { predicted: number; actual: number }) => number) => runs.reduce((s, r) => s + pick(r.trace[i]!), 0) / runs.length;
      values.push({ method, step, score: mean((t) => t.predicted), kind: 'predicted (model)' });
      values.push({ method, step, score: mean((t) => t.actual), kind: 'true (oracle)' });
    });
  }
  const methods = SEARCH_METHODS.filter((m) => values.some((v) => v.method === m));
  const seeds = new Set(result.runs.map((r) => r.seed)).size;
  return {
    $schema: SCHEMA,
    title: { text: `${result.task}: mean normalised score of the designs along the search (${seeds} seed${seeds === 1 ? '' : 's'})`, anchor: 'start' },
    data: { values },
    facet: { column: { field: 'method', type: 'nominal', sort: methods, title: null } },
    spec: {
      width: 220,
      height: 200,
      layer: [
        {
          mark: { type: 'line', point: { size: 12 } },
          encoding: {
            x: { field: 'step', type: 'quantitative', title: 'search step (ascent step; CMA-ES generation)' },
            y: { field: 'score', type: 'quantitative', title: 'normalised score' },
            color: { field: 'kind', type: 'nominal', scale: { domain: ['predicted (model)', 'true (oracle)'], range: ['#d62728', '#1f77b4'] }, title: null },
          },
        },
        // the best training design: what a method has to beat
        { mark: { type: 'rule', strokeDash: [4, 4], color: '#555' }, encoding: { y: { datum: result.trainBest } } },
      ],
    },
    // each panel its own scales: a model's prediction can run off by orders of magnitude (CMA-ES in logit space)
    resolve: { scale: { x: 'independent', y: 'independent' } },
    config: { font: FONT, view: { stroke: '#ddd' }, axis: { gridColor: '#eee' }, legend: { orient: 'bottom', labelLimit: 0 } },
  };
}

/** coms-trace.svg/.png under `outDir`; returns the paths. */
export async function writeComsPlots(result: ComsExperimentResult, outDir: string): Promise<string[]> {
  if (!result.runs.some((r) => r.trace.length > 0)) return [];
  return writePlot(comsTraceSpec(result), join(outDir, `coms-trace-${result.task}`));
}
