import { Rng, UsageError, type Metrics, type RewardBatch, type RewardModel, type RewardModelSnapshot, type TransitionBatch } from '@bellman/core';
import { ReplayBuffer } from '@bellman/datasets';
import { initBackend } from '@bellman/nn';
import type { HookContext } from '@bellman/training';
import { CountBonus, GridCells, MAZE_COUNT_GRID, RewardRelabelling, vice } from '../src/index.js';

beforeAll(async () => {
  await initBackend({ backend: 'cpu' });
});

/** A reward model that scores x + 10 y, and records what it was trained on. */
class LinearModel implements RewardModel {
  readonly kind = 'linear';
  readonly inputs = 'observation' as const;
  readonly observationDim = 2;
  readonly updates: Array<{ positives: number; negatives: number }> = [];
  rewards(batch: RewardBatch): Float32Array {
    return Float32Array.from({ length: batch.size }, (_, i) => batch.observations[2 * i]! + 10 * batch.observations[2 * i + 1]!);
  }
  update(positives: RewardBatch, negatives: RewardBatch): Metrics {
    this.updates.push({ positives: positives.size, negatives: negatives.size });
    return { n: this.updates.length };
  }
  save(): RewardModelSnapshot {
    return { kind: this.kind, inputs: this.inputs, config: {}, observationDim: 2, weights: {}, optimizers: {}, rng: [1, 2, 3, 4], updates: this.updates.length };
  }
  load(): void {}
  dispose(): void {}
}

function filledBuffer(n: number, seed = 0): ReplayBuffer {
  const buffer = new ReplayBuffer({ capacity: n, observationDim: 2, actionDim: 2 });
  const rng = new Rng(seed);
  for (let i = 0; i < n; i++) {
    const o = Float32Array.from([rng.uniformRange(-4, 4), rng.uniformRange(-4, 4)]);
    const next = Float32Array.from([rng.uniformRange(-4, 4), rng.uniformRange(-4, 4)]);
    buffer.add(o, Float32Array.from([0, 0]), -1, next, false, false);
  }
  return buffer;
}

const context = (step: number): HookContext<TransitionBatch> => ({ learner: null as never, step, totalSteps: 10_000 });
const examples = Float32Array.from([3, 3, 3.1, 2.9]);

describe('RewardRelabelling', () => {
  it("trains on its schedule and replaces each batch's rewards with the model's at the next observations", () => {
    const model = new LinearModel();
    const buffer = filledBuffer(300);
    const hook = new RewardRelabelling({ model, examples, buffer, schedule: { every: 100, firstUpdates: 3, updates: 1, positives: 5, negatives: 7 } });
    const batch = buffer.sampleTransitions(4, new Rng(1));
    const out = hook.transformBatch(batch, context(250));
    expect(model.updates).toEqual([
      { positives: 5, negatives: 7 },
      { positives: 5, negatives: 7 },
      { positives: 5, negatives: 7 },
    ]);
    for (let i = 0; i < 4; i++) expect(out.rewards[i]).toBeCloseTo(batch.nextObservations[2 * i]! + 10 * batch.nextObservations[2 * i + 1]!, 4);
    expect(Array.from(batch.rewards)).toEqual([-1, -1, -1, -1]);
    hook.transformBatch(batch, context(299));
    expect(model.updates).toHaveLength(3);
    hook.transformBatch(batch, context(300));
    expect(model.updates).toHaveLength(4);
    hook.transformBatch(batch, context(520));
    expect(model.updates).toHaveLength(5);
    expect(hook.modelMetrics).toEqual({ n: 5, reward_model_updates: 5 });
  });

  it("'add' adds the model's reward to the env's", () => {
    const buffer = filledBuffer(50);
    const hook = new RewardRelabelling({ model: new LinearModel(), examples, buffer, combine: 'add', schedule: { every: 10, firstUpdates: 1, updates: 1, positives: 1, negatives: 1 } });
    const batch = buffer.sampleTransitions(3, new Rng(2));
    const out = hook.transformBatch(batch, context(0));
    for (let i = 0; i < 3; i++) expect(out.rewards[i]).toBeCloseTo(-1 + batch.nextObservations[2 * i]! + 10 * batch.nextObservations[2 * i + 1]!, 4);
  });

  it('resumes from its saved state to the same rewards and classifier as an uninterrupted run', () => {
    const run = (interruptAt: number | null) => {
      const buffer = filledBuffer(400, 3);
      const make = () => new RewardRelabelling({ model: vice({ observationDim: 2, seed: 1, config: { hiddenSizes: [16] } }), examples, buffer, seed: 9, schedule: { every: 50 } });
      let hook = make();
      const rewards: number[] = [];
      const sampler = new Rng(4);
      for (let step = 0; step < 200; step += 20) {
        if (step === interruptAt) {
          const state = JSON.parse(JSON.stringify(hook.save()));
          hook.model.dispose();
          hook = make();
          hook.load(state);
        }
        rewards.push(...hook.transformBatch(buffer.sampleTransitions(8, sampler), context(step)).rewards);
      }
      hook.model.dispose();
      return rewards;
    };
    const uninterrupted = run(null);
    expect(run(120)).toEqual(uninterrupted);
    expect(run(60)).toEqual(uninterrupted);
  });

  it('names what is wrong with its options', () => {
    const buffer = filledBuffer(10);
    expect(() => new RewardRelabelling({ model: new LinearModel(), examples, buffer })).toThrow('RewardRelabelling: no default schedule for a "linear" model: give schedule.every');
    expect(() => new RewardRelabelling({ model: new LinearModel(), examples: new Float32Array(3), buffer, schedule: { every: 1, firstUpdates: 1, updates: 1, positives: 1, negatives: 1 } })).toThrow(
      'RewardRelabelling: 3 example values are not whole rows of 2',
    );
    expect(() => new RewardRelabelling({ model: vice({ observationDim: 2, config: { hiddenSizes: [4] } }), examples, buffer, schedule: { evry: 3 } as never })).toThrow(UsageError);
  });
});

describe('CountBonus', () => {
  it('adds 1 / sqrt(N) of the cell each next observation falls in, counting every env step', () => {
    const bonus = new CountBonus({ grid: MAZE_COUNT_GRID });
    const step = (x: number, y: number) =>
      bonus.afterEnvStep({ observation: new Float32Array(2), action: new Float32Array(2), reward: -1, nextObservation: Float32Array.from([x, y]), terminated: false, truncated: false });
    // cells are 8/51 wide: (0, 0) and (0.05, 0.05) share one, (1, 1) is another
    for (let i = 0; i < 4; i++) step(0, 0);
    step(0.05, 0.05);
    step(1, 1);
    const batch: TransitionBatch = {
      size: 3,
      observationDim: 2,
      actionDim: 2,
      observations: new Float32Array(6),
      actions: new Float32Array(6),
      rewards: Float32Array.from([-1, -1, 0]),
      nextObservations: Float32Array.from([0.01, 0.02, 1, 1, -3, 3]),
      terminals: new Float32Array(3),
    };
    const out = bonus.transformBatch(batch);
    expect(out.rewards[0]).toBeCloseTo(-1 + 1 / Math.sqrt(5), 6);
    expect(out.rewards[1]).toBeCloseTo(-1 + 1, 6);
    expect(out.rewards[2]).toBeCloseTo(0 + 1, 6);
    const restored = new CountBonus({ grid: MAZE_COUNT_GRID });
    restored.load(JSON.parse(JSON.stringify(bonus.save())));
    expect(Array.from(restored.transformBatch(batch).rewards)).toEqual(Array.from(out.rewards));
  });
});

describe('GridCells', () => {
  it('centreOf is the centre of the cell that cellOf gives, for every cell', () => {
    const grid = new GridCells(MAZE_COUNT_GRID);
    for (let cell = 0; cell < grid.cellCount; cell++) expect(grid.cellOf(grid.centreOf(cell))).toBe(cell);
    // 8 / 51 wide cells: cell 0 is the bottom-left corner's, cell 1 one step up in y
    expect(grid.centreOf(0)).toEqual([-4 + 4 / 51, -4 + 4 / 51]);
    expect(grid.centreOf(1)).toEqual([-4 + 4 / 51, -4 + 12 / 51]);
    expect(() => grid.centreOf(51 * 51)).toThrow('GridCells: cell 2601 is outside [0, 2601)');
  });
});
