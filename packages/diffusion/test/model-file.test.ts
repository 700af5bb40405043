import { CheckpointError, Rng } from '@bellman/core';
import { initBackend } from '@bellman/nn';
import { Diffuser, GoalPlanner, fitTrajectoryNormalizer, type DenoisingStep, type DiffuserConfig, type DiffuserModelFile } from '../src/index.js';
import { lineWindows } from './helpers.js';

beforeAll(async () => {
  await initBackend({ backend: 'wasm', quiet: true });
});

const horizon = 16;
// emaStart 0 and emaEvery 1: the moving average differs from the weights after a few steps
const config: Partial<DiffuserConfig> = { horizon, nDiffusionSteps: 8, dim: 8, dimMults: [1, 2], normGroups: 4, learningRate: 1e-3, emaStart: 0, emaEvery: 1, emaDecay: 0.5 };
const normalizer = fitTrajectoryNormalizer(lineWindows(256, horizon, new Rng(100)));
const conditions = new Map([
  [0, Float32Array.from([-0.6, -0.4, 0, 0])],
  [horizon - 1, Float32Array.from([0.7, 0.5, 0, 0])],
]);

function trained(): Diffuser {
  const diffuser = new Diffuser({ observationDim: 4, actionDim: 2, normalizer, config, seed: 3 });
  const rng = new Rng(1);
  for (let i = 0; i < 4; i++) diffuser.trainStep(lineWindows(16, horizon, rng));
  return diffuser;
}

it('a model file plans exactly as the model it came from (its moving average), after a JSON round trip', () => {
  const original = trained();
  const file = JSON.parse(JSON.stringify(original.exportModel({ made: 'test' }))) as DiffuserModelFile;
  expect(file.meta).toEqual({ made: 'test' });
  const loaded = Diffuser.fromModel(file);
  const fromOriginal = original.plan(conditions, { batch: 2, rng: new Rng(7), sampler: { kind: 'ddim', steps: 4 } });
  const fromFile = loaded.plan(conditions, { batch: 2, rng: new Rng(7), sampler: { kind: 'ddim', steps: 4 } });
  expect(Array.from(fromFile.observations)).toEqual(Array.from(fromOriginal.observations));
  // the file holds the moving average, which is not the current weights here
  const current = original.plan(conditions, { batch: 2, rng: new Rng(7), sampler: { kind: 'ddim', steps: 4 }, useEma: false });
  expect(Array.from(current.observations)).not.toEqual(Array.from(fromOriginal.observations));
  original.dispose();
  loaded.dispose();
});

it('refuses a file that is not a Diffuser model', () => {
  expect(() => Diffuser.fromModel({ format: 'something-else', version: 1 } as unknown as DiffuserModelFile)).toThrow(CheckpointError);
  expect(() => Diffuser.fromModel({ format: 'something-else', version: 1 } as unknown as DiffuserModelFile)).toThrow(/bellman-diffuser-model/);
});

it('onDenoisingStep sees every step of DDPM and DDIM, the last one being the plan, without changing it', () => {
  const diffuser = trained();
  for (const sampler of [{ kind: 'ddpm' as const }, { kind: 'ddim' as const, steps: 3 }]) {
    const seen: DenoisingStep[] = [];
    const watched = diffuser.plan(conditions, { batch: 2, rng: new Rng(9), sampler, onDenoisingStep: (step) => seen.push(step) });
    const plain = diffuser.plan(conditions, { batch: 2, rng: new Rng(9), sampler });
    const steps = sampler.kind === 'ddim' ? 3 : 8;
    expect(seen.map((s) => s.index)).toEqual(Array.from({ length: steps }, (_, i) => i));
    expect(seen.every((s) => s.steps === steps && s.observations.length === 2 * horizon * 4)).toBe(true);
    expect(Array.from(watched.observations)).toEqual(Array.from(plain.observations));
    // rows between the inpainted ends: the last step's sample is the plan
    const last = seen[steps - 1]!.observations;
    for (let b = 0; b < 2; b++) {
      for (let t = 1; t < horizon - 1; t++) {
        for (let j = 0; j < 4; j++) expect(last[(b * horizon + t) * 4 + j]).toBe(watched.observations[(b * horizon + t) * 4 + j]);
      }
    }
    // the denoising moves the sample: the first step is not yet the plan
    expect(Array.from(seen[0]!.observations)).not.toEqual(Array.from(last));
  }
  // the planner passes it on
  const seen: number[] = [];
  const planner = new GoalPlanner({ diffuser, goal: [0.7, 0.5], sampler: { kind: 'ddim', steps: 2 }, onDenoisingStep: (step) => seen.push(step.index) });
  planner.reset();
  planner.act(Float32Array.from([-0.6, -0.4, 0, 0]));
  expect(seen).toEqual([0, 1]);
  diffuser.dispose();
});
