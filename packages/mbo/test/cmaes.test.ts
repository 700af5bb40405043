import { Rng, UsageError } from '@bellman/core';
import { CmaEs, cmaesMaximize, symmetricEigen } from '../src/index.js';

const N = 10;
const sphere = (x: Float64Array) => -x.reduce((sum, v) => sum + v * v, 0);

/** A random rotation (Gram-Schmidt on Gaussian rows), so the ellipsoid's axes are not the coordinates. */
function randomRotation(n: number, rng: Rng): Float64Array[] {
  const rows: Float64Array[] = [];
  while (rows.length < n) {
    const v = rng.fillNormal(new Float64Array(n)) as Float64Array;
    for (const u of rows) {
      const dot = v.reduce((sum, vi, k) => sum + vi * u[k]!, 0);
      for (let k = 0; k < n; k++) v[k]! -= dot * u[k]!;
    }
    const norm = Math.hypot(...v);
    rows.push(v.map((vi) => vi / norm));
  }
  return rows;
}

/** -sum 10^(6 i / (n - 1)) (R x)_i^2: condition number 1e6 along rotated axes, optimum at 0. */
function rotatedEllipsoid(n: number, seed: number): (x: Float64Array) => number {
  const rotation = randomRotation(n, new Rng(seed));
  return (x) => {
    let sum = 0;
    rotation.forEach((row, i) => {
      const r = row.reduce((s, v, k) => s + v * x[k]!, 0);
      sum += 10 ** ((6 * i) / (n - 1)) * r * r;
    });
    return -sum;
  };
}

/** Generations until the best fitness seen exceeds `target`, or `maxGenerations` + 1. */
function generationsTo(es: CmaEs, f: (x: Float64Array) => number, target: number, maxGenerations: number): number {
  for (let g = 1; g <= maxGenerations; g++) {
    const candidates = es.ask();
    const fitness = candidates.map(f);
    es.tell(candidates, fitness);
    if (Math.max(...fitness) > target) return g;
  }
  return maxGenerations + 1;
}

/**
 * The same evolution strategy without covariance learning (weighted recombination and cumulative
 * step-size adaptation only, C = I): what CMA-ES would do if its covariance update were a no-op.
 */
function isotropicEsBest(f: (x: Float64Array) => number, x0: number[], sigma0: number, generations: number, rng: Rng): number {
  const n = x0.length;
  const lambda = 4 + Math.floor(3 * Math.log(n));
  const mu = Math.floor(lambda / 2);
  const raw = Array.from({ length: mu }, (_, i) => Math.log((lambda + 1) / 2) - Math.log(i + 1));
  const weights = raw.map((w) => w / raw.reduce((a, b) => a + b, 0));
  const muEff = 1 / weights.reduce((a, w) => a + w * w, 0);
  const cs = (muEff + 2) / (n + muEff + 5);
  const ds = 1 + 2 * Math.max(0, Math.sqrt((muEff - 1) / (n + 1)) - 1) + cs;
  const chiN = Math.sqrt(n) * (1 - 1 / (4 * n) + 1 / (21 * n * n));
  const m = Float64Array.from(x0);
  const ps = new Float64Array(n);
  let sigma = sigma0;
  let best = -Infinity;
  for (let g = 0; g < generations; g++) {
    const zs = Array.from({ length: lambda }, () => rng.fillNormal(new Float64Array(n)) as Float64Array);
    const fitness = zs.map((z) => f(m.map((mi, k) => mi + sigma * z[k]!)));
    best = Math.max(best, ...fitness);
    const order = fitness.map((_, k) => k).sort((i, j) => fitness[j]! - fitness[i]!);
    const zw = new Float64Array(n);
    for (let i = 0; i < mu; i++) for (let k = 0; k < n; k++) zw[k]! += weights[i]! * zs[order[i]!]![k]!;
    for (let k = 0; k < n; k++) {
      m[k]! += sigma * zw[k]!;
      ps[k] = (1 - cs) * ps[k]! + Math.sqrt(cs * (2 - cs) * muEff) * zw[k]!;
    }
    sigma *= Math.exp((cs / ds) * (Math.hypot(...ps) / chiN - 1));
  }
  return best;
}

describe('symmetricEigen', () => {
  it('decomposes a symmetric matrix: A v_k = lambda_k v_k with orthonormal v', () => {
    const n = 6;
    const rng = new Rng(3);
    const a = new Float64Array(n * n);
    for (let i = 0; i < n; i++) for (let j = i; j < n; j++) a[i * n + j] = a[j * n + i] = rng.normal();
    const { values, vectors } = symmetricEigen(a, n);
    for (let k = 0; k < n; k++) {
      for (let i = 0; i < n; i++) {
        let av = 0;
        for (let j = 0; j < n; j++) av += a[i * n + j]! * vectors[j * n + k]!;
        expect(av).toBeCloseTo(values[k]! * vectors[i * n + k]!, 12);
      }
      for (let l = 0; l < n; l++) {
        let dot = 0;
        for (let i = 0; i < n; i++) dot += vectors[i * n + k]! * vectors[i * n + l]!;
        expect(dot).toBeCloseTo(k === l ? 1 : 0, 12);
      }
    }
    // the trace is the sum of the eigenvalues
    expect(values.reduce((s, v) => s + v, 0)).toBeCloseTo(Array.from({ length: n }, (_, i) => a[i * n + i]!).reduce((s, v) => s + v, 0), 12);
  });
});

describe('CmaEs', () => {
  it('defaults to lambda = 4 + floor(3 ln n): 10 candidates for n = 10, 4 for n = 1', () => {
    const es = new CmaEs(new Float64Array(N), { sigma: 1, rng: new Rng(0) });
    expect([es.dim, es.populationSize, es.generation, es.sigma]).toEqual([10, 10, 0, 1]);
    expect(es.ask()).toHaveLength(10);
    expect(new CmaEs([0], { sigma: 1, rng: new Rng(0) }).populationSize).toBe(4);
    expect(new CmaEs([0, 0], { sigma: 1, populationSize: 20, rng: new Rng(0) }).ask()).toHaveLength(20);
  });

  it('maximises the 10-d sphere from x0 = 3 to fitness > -1e-8 within 175 generations (seen: 142-156 over 10 seeds)', () => {
    for (const seed of [0, 1, 2]) {
      const es = new CmaEs(new Float64Array(N).fill(3), { sigma: 1, rng: new Rng(seed) });
      expect(generationsTo(es, sphere, -1e-8, 175)).toBeLessThanOrEqual(175);
      // sigma shrinks with the distance to the optimum (log-linear convergence)
      expect(es.sigma).toBeLessThan(1e-3);
      expect(Math.hypot(...es.mean)).toBeLessThan(1e-3);
    }
  });

  it('learns the rotated 1e6-conditioned ellipsoid: converges in 700 generations, where C = I does not get within 1e-2 of it', () => {
    const f = rotatedEllipsoid(N, 42);
    const x0 = new Array<number>(N).fill(3);
    // seen: 570-634 generations over 10 seeds
    const es = new CmaEs(x0, { sigma: 1, rng: new Rng(0) });
    expect(generationsTo(es, f, -1e-8, 700)).toBeLessThanOrEqual(700);
    expect(Math.hypot(...es.mean)).toBeLessThan(1e-4);
    // The same budget without covariance adaptation stays far from the optimum (seen: f < -50)
    expect(isotropicEsBest(f, x0, 1, 700, new Rng(0))).toBeLessThan(-1e-2);
  });

  it('solves the 10-d Rosenbrock valley to x = 1 (seen: 531-706 generations to f > -1e-8)', () => {
    const rosenbrock = (x: Float64Array) => {
      let sum = 0;
      for (let i = 0; i < N - 1; i++) sum += 100 * (x[i + 1]! - x[i]! ** 2) ** 2 + (1 - x[i]!) ** 2;
      return -sum;
    };
    const result = cmaesMaximize(rosenbrock, new Float64Array(N), { sigma: 1, generations: 800, rng: new Rng(0) });
    expect(result.evaluations).toBe(8000);
    expect(result.bestFitness).toBeGreaterThan(-1e-8);
    for (const v of result.best) expect(v).toBeCloseTo(1, 3);
  });

  it('is deterministic given the seed: same candidates, same trajectory', () => {
    const run = (seed: number) => {
      const es = new CmaEs([1, 2, 3, 4, 5], { sigma: 0.5, rng: new Rng(seed) });
      const seen: number[] = [];
      for (let g = 0; g < 20; g++) {
        const candidates = es.ask();
        candidates.forEach((c) => seen.push(...c));
        es.tell(candidates, candidates.map(sphere));
      }
      return { seen, mean: Array.from(es.mean), sigma: es.sigma };
    };
    expect(run(7)).toEqual(run(7));
    expect(run(7).seen).not.toEqual(run(8).seen);
  });

  it('rejects bad input with UsageErrors that say what is wrong', () => {
    const rng = new Rng(0);
    expect(() => new CmaEs([0, 0], { sigma: 0, rng })).toThrow(UsageError);
    expect(() => new CmaEs([0, 0], { sigma: -1, rng })).toThrow('sigma must be a positive finite number, got -1');
    expect(() => new CmaEs([0, 0], { sigma: NaN, rng })).toThrow('sigma');
    expect(() => new CmaEs([], { sigma: 1, rng })).toThrow('the initial mean is empty');
    expect(() => new CmaEs([0, Infinity], { sigma: 1, rng })).toThrow('initial mean[1] is Infinity');
    expect(() => new CmaEs([0, 0], { sigma: 1, populationSize: 1, rng })).toThrow('populationSize must be an integer of at least 2, got 1');
    const es = new CmaEs([0, 0], { sigma: 1, rng });
    const candidates = es.ask(); // 6 for n = 2
    expect(() => es.tell(candidates, [1, 2, 3])).toThrow(new UsageError('CMA-ES: tell got 3 fitness values for 6 candidates'));
    expect(() => es.tell(candidates.slice(1), [1, 2, 3, 4, 5])).toThrow('tell got 5 candidates; the population size is 6');
    expect(() => es.tell(candidates, [1, 2, NaN, 4, 5, 6])).toThrow('fitness[2] is NaN, not a finite number');
    expect(() => es.tell([...candidates.slice(1), new Float64Array(3)], [1, 2, 3, 4, 5, 6])).toThrow('candidate 5 has 3 coordinates; the dimension is 2');
    expect(() => cmaesMaximize(sphere, [0], { sigma: 1, generations: 0, rng })).toThrow(UsageError);
    // a rejected tell changes nothing
    expect(es.generation).toBe(0);
  });
});
