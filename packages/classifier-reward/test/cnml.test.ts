import { initBackend } from '@bellman/nn';
import { LabelledSet, TabularFit, cnml, cnmlReward, metaNml } from '../src/index.js';
import { batchOf, separable } from './helpers.js';

beforeAll(async () => {
  await initBackend({ backend: 'cpu' });
});

describe('CNML on a tabular model fitted exactly', () => {
  // a 4 x 4 grid over [0, 4]^2: cell (0, 0) holds 3 positives and 1 negative, cell (1, 2) 5
  // negatives, cell (3, 3) 2 positives; every other cell is empty
  const rows: Array<[number, number, number]> = [
    [0.5, 0.5, 1], [0.2, 0.7, 1], [0.9, 0.1, 1], [0.6, 0.6, 0],
    [1.5, 2.5, 0], [1.1, 2.2, 0], [1.9, 2.9, 0], [1.5, 2.1, 0], [1.2, 2.7, 0],
    [3.5, 3.5, 1], [3.1, 3.9, 1],
  ];
  const labelled = new LabelledSet(2, Float32Array.from(rows.flatMap(([x, y]) => [x, y])), Float32Array.from(rows.map((r) => r[2])));
  const fit = new TabularFit({ low: [0, 0], high: [4, 4], bins: 4 }, labelled);

  it('is the Laplace rule (n1 + 1) / (n1 + n0 + 2) in each cell', () => {
    const queries = Float64Array.from([0.4, 0.4, 1.6, 2.4, 3.9, 3.2]);
    const rewards = cnmlReward(fit, queries, 3, 2);
    expect(rewards[0]).toBeCloseTo((3 + 1) / (3 + 1 + 2), 12);
    expect(rewards[1]).toBeCloseTo((0 + 1) / (0 + 5 + 2), 12);
    expect(rewards[2]).toBeCloseTo((2 + 1) / (2 + 0 + 2), 12);
  });

  it('gives 0.5 to 1e-6 in a cell with no data, however far from it', () => {
    const rewards = cnmlReward(fit, [3.5, 0.5, 0.1, 3.9], 2, 2);
    for (const r of rewards) expect(Math.abs(r - 0.5)).toBeLessThan(1e-6);
  });
});

describe('exact CNML with an MLP classifier', () => {
  const config = { hiddenSizes: [32, 32], refitSteps: 10, refitBatchSize: 16, learningRate: 1e-2 };

  it('rewards the examples above 0.5 and the visited states below it, after fitting on them', () => {
    const { positives, negatives } = separable(40, 40);
    const model = cnml({ observationDim: 2, seed: 2, config });
    for (let i = 0; i < 60; i++) model.update(positives, negatives);
    const [atExample, atVisited] = model.rewards(batchOf(Float32Array.from([2, 2, -2, -2])));
    expect(atExample).toBeGreaterThan(0.6);
    expect(atVisited).toBeLessThan(0.4);
    model.dispose();
  });

  it('is reproducible from its seed, and a snapshot continues its random stream', () => {
    const { positives, negatives } = separable(20, 20);
    const queries = batchOf(Float32Array.from([0, 0, 1, -1]));
    const make = (seed: number) => {
      const m = cnml({ observationDim: 2, seed, config });
      m.update(positives, negatives);
      return m;
    };
    const a = make(5);
    const b = make(5);
    expect(Array.from(a.rewards(queries))).toEqual(Array.from(b.rewards(queries)));
    const c = make(6);
    c.load(JSON.parse(JSON.stringify(a.save())));
    expect(Array.from(c.rewards(queries))).toEqual(Array.from(a.rewards(queries)));
    for (const m of [a, b, c]) m.dispose();
  });

  it('with one refit step on all the data, equals the batched meta-NML step of the same weights', () => {
    // a refit batch of N + 1 holds every data row, as meta-NML's inner batch of N + 1 does, and
    // both then weight the query 1 / ceil(N / (N + 1)) = 1: the same SGD step, computed two ways
    const { positives, negatives } = separable(30, 30);
    const shared = { hiddenSizes: [16, 16] };
    const exact = cnml({ observationDim: 2, seed: 4, config: { ...shared, refitSteps: 1, refitBatchSize: 61, refitLearningRate: 0.5 } });
    const meta = metaNml({ observationDim: 2, seed: 4, config: { ...shared, innerBatchSize: 61, innerLearningRate: 0.5 } });
    exact.update(positives, negatives);
    meta.load({ ...exact.save(), kind: 'meta-nml', config: { ...meta.config } });
    const queries = batchOf(Float32Array.from([0, 0, 2, 1.5, -1, -2.5, 3, -3]));
    const cnmlRewards = exact.rewards(queries);
    const { p0, p1 } = meta.adaptedProbabilities(queries, Array.from({ length: 60 }, (_, i) => i));
    const metaRewards = Array.from(p1, (p, i) => p / (p0[i]! + p));
    for (let i = 0; i < 4; i++) expect(Math.abs(cnmlRewards[i]! - metaRewards[i]!)).toBeLessThan(1e-5);
    // and the step moved the rewards away from the unadapted classifier's p1 / (p0 + p1) = p1
    expect(Math.max(...Array.from(p0, (p, i) => Math.abs(p + p1[i]! - 1)))).toBeGreaterThan(1e-3);
    exact.dispose();
    meta.dispose();
  });
});
