// The DR3 page: discrete CQL of @bellman/q-learning trained twice on one CartPole recipe, with the
// same seed (the same initial weights and the same batches), once plain and once with
// @bellman/regularizers' DR3 penalty, as the CQL part of `bellman experiment dr3` trains them. The
// learners' own feature probe (featureProbe of @bellman/regularizers) measures phi(s,a).phi(s',a')
// and srank on the batch of every `probeEvery`-th update, before that update.
import { createLearner } from '@bellman/q-learning';
import { dr3, featureProbe } from '@bellman/regularizers';
import type { Metrics } from '@bellman/core';
import { InterleavedOfflineRuns, OfflineRunsSession, checkRecipeSettings, generateCartPoleRecipe, type GeneratedDataset } from './offline-runs';
import type { CartPoleRecipeLevel } from './cartpole-recipes';

export const DR3_RUNS = ['cql', 'cql+dr3'] as const;
export type Dr3Run = (typeof DR3_RUNS)[number];

export interface Dr3Settings {
  recipe: CartPoleRecipeLevel;
  transitions: number;
  /** Seeds the dataset, both learners' weights and the batches. */
  seed: number;
  /** Updates per run. */
  updates: number;
  /** DR3's c0. */
  coefficient: number;
  /** Updates between feature probes. */
  probeEvery: number;
}

export const DR3_DEFAULTS: Dr3Settings = { recipe: 'medium', transitions: 10_000, seed: 0, updates: 2000, coefficient: 0.03, probeEvery: 50 };
/** srank's threshold: the fewest singular values holding 99% of their sum. */
export const DR3_SRANK_DELTA = 0.01;
const BATCH_SIZE = 256;
/** Updates per turn of each run (the two runs take turns, so both curves grow). */
const ROUND_UPDATES = 100;

/** One probe of a run's critic, on the batch of the update after `step` updates. */
export interface Dr3Probe {
  step: number;
  featureDot: number;
  featureCosine: number;
  srank: number;
  qMean: number;
}

export interface Dr3View {
  dataset(generated: GeneratedDataset): void;
  updates(run: Dr3Run, step: number, msPerUpdate: number): void;
  probe(run: Dr3Run, probe: Dr3Probe): void;
  ended(reason: 'done' | 'paused'): void;
}

/** Throws a RangeError naming the first setting that is out of range. */
export function checkDr3Settings(settings: Dr3Settings): void {
  const { recipe, transitions, seed, updates, coefficient, probeEvery } = settings;
  checkRecipeSettings(recipe, transitions);
  if (!Number.isInteger(seed) || seed < 0) throw new RangeError(`seed must be a whole number >= 0, got ${seed}`);
  if (!Number.isInteger(updates) || updates < 1) throw new RangeError(`updates must be a whole number >= 1, got ${updates}`);
  if (!(Number.isFinite(coefficient) && coefficient > 0)) throw new RangeError(`DR3 coefficient must be a number > 0, got ${coefficient}`);
  if (!Number.isInteger(probeEvery) || probeEvery < 10 || probeEvery > updates) {
    throw new RangeError(`probe every must be a whole number from 10 to the updates (${updates}), got ${probeEvery}`);
  }
}

/** A probe from an update's metrics, when the learner's probe was due at that update. */
function probeOf(step: number, metrics: Metrics): Dr3Probe | null {
  if (metrics.featureDot === undefined) return null;
  // The probe measured the batch before the update: it is numbered by the updates before it.
  return { step: step - 1, featureDot: metrics.featureDot, featureCosine: metrics.featureCosine ?? Number.NaN, srank: metrics.srank ?? Number.NaN, qMean: metrics.qMean ?? Number.NaN };
}

/** Checks the settings (a RangeError names the first out of range) and makes the page's session. */
export function createDr3Session(settings: Dr3Settings, view: Dr3View): OfflineRunsSession<Dr3Run> {
  checkDr3Settings(settings);
  return new OfflineRunsSession(() => {
    const { recipe, transitions, seed, updates, coefficient, probeEvery } = settings;
    const generated = generateCartPoleRecipe(recipe, transitions, seed);
    view.dataset(generated);
    const { observationSpace, actionSpace } = generated.dataset;
    const runs: InterleavedOfflineRuns<Dr3Run> = new InterleavedOfflineRuns({
      runs: DR3_RUNS.map((name) => ({
        name,
        learner: createLearner('cql-discrete', {
          observationSpace,
          actionSpace,
          seed,
          regularizers: name === 'cql+dr3' ? [dr3({ coefficient })] : [],
          featureProbe: featureProbe({ every: probeEvery, delta: DR3_SRANK_DELTA, cosine: true }),
        }),
      })),
      dataset: generated.dataset,
      updates,
      roundUpdates: ROUND_UPDATES,
      batchSize: BATCH_SIZE,
      seed,
      onUpdate: (name, step, metrics) => {
        const probe = probeOf(step, metrics);
        if (probe) view.probe(name, probe);
        view.updates(name, step, runs.msPerUpdate(name));
      },
    });
    return runs;
  }, view.ended);
}
