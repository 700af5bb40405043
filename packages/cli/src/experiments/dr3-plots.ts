import { join } from 'node:path';
import type { TopLevelSpec } from 'vega-lite';
import { writePlot } from '../plot.js';
import { meanCurves, type Dr3ExperimentResult, type Dr3Method, type Dr3Task } from './dr3.js';

const FONT = 'DejaVu Sans, Helvetica, Arial, sans-serif';
const SCHEMA = 'https://vega.github.io/schema/vega-lite/v6.json';

/** Fixed colours, so that a method looks the same in every figure. */
const METHOD_COLORS: Record<Dr3Method, string> = {
  sarsa: '#1f77b4',
  td: '#d62728',
  'td+dr3': '#2ca02c',
  'td-policy': '#8c564b',
  cql: '#9467bd',
  'cql+dr3': '#ff7f0e',
};

/** TD is dashed so that it stays visible where it runs on top of SARSA. */
const METHOD_DASHES: Record<Dr3Method, number[]> = {
  sarsa: [1, 0],
  td: [6, 4],
  'td+dr3': [1, 0],
  'td-policy': [2, 2],
  cql: [1, 0],
  'cql+dr3': [1, 0],
};

function colorScale(methods: readonly Dr3Method[]): { domain: string[]; range: string[] } {
  return { domain: [...methods], range: methods.map((m) => METHOD_COLORS[m]) };
}

/**
 * Four panels for one task against the training step, one line per method (means over seeds):
 * phi(s,a).phi(s',a'), the mean cosine between the two feature vectors, srank and mean Q. `logSteps`
 * puts the steps on a log axis (symlog, so that step 0 stays on it), for runs of many updates.
 */
export function featureCurvesSpec(result: Dr3ExperimentResult, task: Dr3Task, methods: readonly Dr3Method[], logSteps = false): TopLevelSpec {
  const values = meanCurves(result.runs).filter((c) => c.task === task && methods.includes(c.method) && Number.isFinite(c.featureDot));
  const present = methods.filter((m) => values.some((v) => v.method === m));
  const color = { field: 'method', type: 'nominal' as const, title: 'method', scale: colorScale(present) };
  const strokeDash = { field: 'method', type: 'nominal' as const, title: 'method', scale: { domain: [...present], range: present.map((m) => METHOD_DASHES[m]) } };
  const x = logSteps
    ? {
        field: 'step',
        type: 'quantitative' as const,
        title: 'gradient step (log scale)',
        scale: { type: 'symlog' as const, constant: 1 },
        // a tick per decade: symlog's own ticks bunch at the far end
        axis: { values: [0, 1, 10, 100, 1000, 10_000, 100_000, 1_000_000].filter((t) => t <= Math.max(...values.map((v) => v.step))), format: ',' },
      }
    : { field: 'step', type: 'quantitative' as const, title: 'gradient step' };
  const seeds = new Set(result.runs.filter((r) => r.task === task && methods.includes(r.method)).map((r) => r.seed)).size;
  const dataset = result.runs.find((r) => r.task === task && methods.includes(r.method))?.dataset;
  return {
    $schema: SCHEMA,
    title: { text: `Critic features on ${dataset} (mean of ${seeds} seed${seeds === 1 ? '' : 's'})`, anchor: 'start' },
    data: { values },
    vconcat: [
      {
        width: 460,
        height: 200,
        mark: { type: 'line', strokeWidth: 2 },
        encoding: { x, y: { field: 'featureDot', type: 'quantitative', title: "phi(s,a) . phi(s',a')" }, color, strokeDash },
      },
      {
        width: 460,
        height: 140,
        mark: { type: 'line', strokeWidth: 2 },
        encoding: { x, y: { field: 'featureCosine', type: 'quantitative', title: "cos(phi(s,a), phi(s',a'))", scale: { zero: false } }, color, strokeDash },
      },
      {
        width: 460,
        height: 140,
        mark: { type: 'line', strokeWidth: 2 },
        encoding: { x, y: { field: 'srank', type: 'quantitative', title: 'srank (delta 0.01)', scale: { zero: false } }, color, strokeDash },
      },
      {
        width: 460,
        height: 140,
        mark: { type: 'line', strokeWidth: 2 },
        encoding: { x, y: { field: 'qMean', type: 'quantitative', title: 'mean Q(s, a)' }, color, strokeDash },
      },
    ],
    config: { font: FONT, view: { stroke: '#ddd' }, axis: { gridColor: '#eee' }, legend: { orient: 'bottom' } },
  };
}

/** CQL vs CQL+DR3: mean final return per method (bar), each seed's return (points). */
export function cqlReturnsSpec(result: Dr3ExperimentResult): TopLevelSpec | undefined {
  const runs = result.runs.filter((r) => r.evalReturn !== undefined);
  if (runs.length === 0) return undefined;
  const methods = [...new Set(runs.map((r) => r.method))];
  const seedValues = runs.map((r) => ({ method: r.method, seed: r.seed, evalReturn: r.evalReturn! }));
  const color = { field: 'method', type: 'nominal' as const, scale: colorScale(methods), legend: null };
  const x = { field: 'method', type: 'nominal' as const, title: null, sort: methods, axis: { labelAngle: 0 } };
  const cql = result.config.cql!;
  const seedCount = new Set(runs.map((r) => r.seed)).size;
  return {
    $schema: SCHEMA,
    title: {
      text: `${cql.task === 'cartpole' ? 'Discrete' : 'Continuous'} CQL on ${cql.dataset}: final return`,
      subtitle: [
        `${cql.steps} steps, alpha ${cql.alpha}, DR3 c0 = ${result.config.coefficient}, ${cql.evalEpisodes} evaluation episodes`,
        `bar: mean over ${seedCount} seed${seedCount === 1 ? '' : 's'}; dots: each seed`,
      ],
      anchor: 'start',
    },
    width: 240,
    height: 220,
    data: { values: seedValues },
    layer: [
      {
        mark: { type: 'bar', opacity: 0.55 },
        encoding: { x, y: { aggregate: 'mean', field: 'evalReturn', type: 'quantitative', title: 'evaluation return', scale: { domainMin: 0 } }, color },
      },
      {
        mark: { type: 'point', filled: true, size: 60 },
        encoding: { x, y: { field: 'evalReturn', type: 'quantitative' }, color, tooltip: [{ field: 'seed' }, { field: 'evalReturn' }] },
      },
    ],
    config: { font: FONT, view: { stroke: '#ddd' }, axis: { gridColor: '#eee' } },
  };
}

/** Write every figure under `dir`; returns the paths written. */
export async function writeDr3Plots(result: Dr3ExperimentResult, dir: string): Promise<string[]> {
  const written: string[] = [];
  for (const task of result.config.evaluation.tasks) {
    written.push(...(await writePlot(featureCurvesSpec(result, task, result.config.evaluation.methods, true), join(dir, `dr3-features-${task}`))));
  }
  if (result.config.cql) {
    written.push(...(await writePlot(featureCurvesSpec(result, result.config.cql.task, ['cql', 'cql+dr3']), join(dir, 'dr3-features-cql'))));
    const returns = cqlReturnsSpec(result);
    if (returns) written.push(...(await writePlot(returns, join(dir, 'dr3-cql-returns'))));
  }
  return written;
}
