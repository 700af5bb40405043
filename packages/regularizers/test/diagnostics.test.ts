import * as tf from '@tensorflow/tfjs';
import { ConfigError, Rng } from '@bellman/core';
import { initBackend } from '@bellman/nn';
import {
  featureCosine,
  featureDotProduct,
  featureNorms,
  singularValues,
  srank,
  srankFromSingularValues,
  symmetricEigenvalues,
  featureDiagnostics,
  diagnosticsMetrics,
  DiagnosticsSchedule,
} from '../src/index.js';

/** A rows x k matrix with orthonormal columns (Gram-Schmidt on seeded Gaussian vectors), row-major. */
function orthonormalColumns(rows: number, k: number, rng: Rng): Float64Array {
  const cols: Float64Array[] = [];
  for (let c = 0; c < k; c++) {
    const v = new Float64Array(rows);
    rng.fillNormal(v);
    for (const u of cols) {
      let d = 0;
      for (let i = 0; i < rows; i++) d += u[i]! * v[i]!;
      for (let i = 0; i < rows; i++) v[i] = v[i]! - d * u[i]!;
    }
    let norm = 0;
    for (let i = 0; i < rows; i++) norm += v[i]! * v[i]!;
    norm = Math.sqrt(norm);
    for (let i = 0; i < rows; i++) v[i] = v[i]! / norm;
    cols.push(v);
  }
  const out = new Float64Array(rows * k);
  for (let i = 0; i < rows; i++) for (let c = 0; c < k; c++) out[i * k + c] = cols[c]![i]!;
  return out;
}

/** U diag(s) V^T for orthonormal U (rows x k) and V (cols x k), row-major rows x cols. */
function withSingularValues(rows: number, cols: number, s: number[], seed: number): Float64Array {
  const rng = new Rng(seed);
  const k = s.length;
  const u = orthonormalColumns(rows, k, rng);
  const v = orthonormalColumns(cols, k, rng);
  const out = new Float64Array(rows * cols);
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) {
      let x = 0;
      for (let c = 0; c < k; c++) x += u[i * k + c]! * s[c]! * v[j * k + c]!;
      out[i * cols + j] = x;
    }
  }
  return out;
}

function transpose(data: ArrayLike<number>, rows: number, cols: number): Float64Array {
  const out = new Float64Array(rows * cols);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) out[j * rows + i] = data[i * cols + j]!;
  return out;
}

beforeAll(async () => {
  await initBackend({ backend: 'cpu' });
});

describe('feature dot products and norms', () => {
  it('averages row dot products and row L2 norms', () => {
    const phi = new Float32Array([1, 2, 3, -1, 0.5, 2]);
    const phiNext = new Float32Array([2, -1, 0.5, 4, 6, 1]);
    expect(featureDotProduct(phi, phiNext, 3, 2)).toBeCloseTo(2.5 / 3, 12);
    const norms = featureNorms(phi, phiNext, 3, 2);
    expect(norms.phiNorm).toBeCloseTo((Math.sqrt(5) + Math.sqrt(10) + Math.sqrt(4.25)) / 3, 12);
    expect(norms.phiNextNorm).toBeCloseTo((Math.sqrt(5) + Math.sqrt(16.25) + Math.sqrt(37)) / 3, 12);
  });

  it('averages row cosines; a zero row counts 0', () => {
    // rows: ([1, 0], [1, 1]) -> 1/sqrt 2; ([0, 2], [0, -3]) -> -1; ([0, 0], [1, 0]) -> 0
    expect(featureCosine([1, 0, 0, 2, 0, 0], [1, 1, 0, -3, 1, 0], 3, 2)).toBeCloseTo((Math.SQRT1_2 - 1) / 3, 12);
  });

  it('names the argument whose length does not match rows * cols', () => {
    expect(() => featureDotProduct(new Float32Array(6), new Float32Array(5), 3, 2)).toThrow(
      /featureDotProduct: phiNext has 5 values, expected rows \* cols = 3 \* 2 = 6/,
    );
    expect(() => featureNorms(new Float32Array(6), new Float32Array(6), 0, 2)).toThrow(/featureNorms: rows must be a positive integer, got 0/);
  });
});

describe('singular values', () => {
  it('match known cases to 1e-6', () => {
    // A^T A = [[25, 20], [20, 25]] has eigenvalues 45 and 5.
    const a = singularValues([3, 0, 4, 5], 2, 2);
    expect(a[0]).toBeCloseTo(3 * Math.sqrt(5), 10);
    expect(a[1]).toBeCloseTo(Math.sqrt(5), 10);
    // A^T A = [[2, 1], [1, 2]]: eigenvalues 3 and 1.
    const b = singularValues([1, 1, 1, 0, 0, 1], 3, 2);
    expect(b[0]).toBeCloseTo(Math.sqrt(3), 12);
    expect(b[1]).toBeCloseTo(1, 12);
    const designed = [10, 3, 1, 0.25, 0.001];
    const x = withSingularValues(40, 12, designed, 5);
    const s = singularValues(x, 40, 12);
    expect(s.length).toBe(12);
    designed.forEach((value, i) => expect(Math.abs(s[i]! - value)).toBeLessThan(1e-6));
    for (let i = designed.length; i < 12; i++) expect(s[i]!).toBeLessThan(1e-6);
  });

  it('agree between a matrix and its transpose (Gram of either side)', () => {
    const rng = new Rng(9);
    const x = rng.fillNormal(new Float64Array(7 * 19));
    const wide = singularValues(x, 7, 19);
    const tall = singularValues(transpose(x, 7, 19), 19, 7);
    expect(wide.length).toBe(7);
    for (let i = 0; i < 7; i++) expect(wide[i]).toBeCloseTo(tall[i]!, 10);
  });

  it('keep the trace identities of a random 256 x 256 matrix, fast', () => {
    const rows = 256;
    const cols = 256;
    const rng = new Rng(11);
    const x = rng.fillNormal(new Float32Array(rows * cols));
    const start = performance.now();
    const s = singularValues(x, rows, cols);
    const elapsed = performance.now() - start;
    // sum s^2 = ||X||_F^2 and sum s^4 = ||X^T X||_F^2, computed independently here.
    let fro2 = 0;
    for (const v of x) fro2 += v * v;
    let gramFro2 = 0;
    for (let i = 0; i < cols; i++) {
      for (let j = 0; j < cols; j++) {
        let g = 0;
        for (let r = 0; r < rows; r++) g += x[r * cols + i]! * x[r * cols + j]!;
        gramFro2 += g * g;
      }
    }
    let s2 = 0;
    let s4 = 0;
    for (const v of s) {
      s2 += v * v;
      s4 += v ** 4;
    }
    expect(Math.abs(s2 - fro2) / fro2).toBeLessThan(1e-10);
    expect(Math.abs(s4 - gramFro2) / gramFro2).toBeLessThan(1e-10);
    for (let i = 1; i < s.length; i++) expect(s[i]!).toBeLessThanOrEqual(s[i - 1]!);
    // Largest singular value of a square Gaussian matrix is about 2 sqrt(n).
    expect(s[0]! / Math.sqrt(rows)).toBeGreaterThan(1.8);
    expect(s[0]! / Math.sqrt(rows)).toBeLessThan(2.2);
    expect(elapsed).toBeLessThan(1000);
  });

  it('handle a single row or column: the one singular value is its norm', () => {
    const row = [3, 0, 4, 0, 0];
    expect(Array.from(singularValues(row, 1, 5))).toEqual([5]);
    expect(Array.from(singularValues(row, 5, 1))).toEqual([5]);
    expect(srank(row, 1, 5)).toBe(1);
  });

  it('refuse non-finite features, naming the row and column', () => {
    const x = new Float32Array(6);
    x[5] = Number.NaN;
    expect(() => singularValues(x, 3, 2)).toThrow(/singularValues: features\[row 2\]\[col 1\] is NaN/);
  });
});

describe('symmetric eigenvalues', () => {
  it('solve a tridiagonal and a dense symmetric matrix', () => {
    // The 1D Laplacian tridiag(-1, 2, -1) of size n has eigenvalues 2 - 2 cos(k pi / (n + 1)).
    const n = 6;
    const lap = new Float64Array(n * n);
    for (let i = 0; i < n; i++) {
      lap[i * n + i] = 2;
      if (i + 1 < n) lap[i * n + i + 1] = lap[(i + 1) * n + i] = -1;
    }
    const expected = Array.from({ length: n }, (_, k) => 2 - 2 * Math.cos(((k + 1) * Math.PI) / (n + 1))).sort((a, b) => b - a);
    const got = symmetricEigenvalues(lap, n);
    expected.forEach((value, i) => expect(got[i]).toBeCloseTo(value, 12));
    // A dense indefinite matrix: the eigenvalues sum to the trace and multiply to the determinant.
    const dense = symmetricEigenvalues([4, 1, 2, 1, 3, 0, 2, 0, -1], 3);
    const det = 4 * (3 * -1 - 0) - 1 * (1 * -1 - 0) + 2 * (0 - 3 * 2);
    expect(dense[0]! + dense[1]! + dense[2]!).toBeCloseTo(6, 12);
    expect(dense[0]! * dense[1]! * dense[2]!).toBeCloseTo(det, 10);
    expect(dense[0]! * dense[1]! + dense[0]! * dense[2]! + dense[1]! * dense[2]!).toBeCloseTo(3 * -1 + 4 * -1 + 4 * 3 - 1 - 4, 10);
    expect(dense[2]!).toBeLessThan(0);
    expect(() => symmetricEigenvalues([1, 2, 3, 4], 2)).toThrow(/not symmetric: \[1\]\[0\] = 3 but \[0\]\[1\] = 2/);
  });
});

describe('srank', () => {
  it('is 1 for a rank-1 outer product and 8 for the 8 x 8 identity', () => {
    const u = [1, -2, 0.5, 3, 1.5];
    const v = [2, 0.1, -1, 4];
    const outer = new Float32Array(u.length * v.length);
    u.forEach((a, i) => v.forEach((b, j) => (outer[i * v.length + j] = a * b)));
    expect(srank(outer, u.length, v.length)).toBe(1);
    const eye = new Float32Array(64);
    for (let i = 0; i < 8; i++) eye[i * 8 + i] = 1;
    expect(srank(eye, 8, 8)).toBe(8);
    expect(srank(eye, 8, 8, 0.2)).toBe(7);
    expect(srank(new Float32Array(12), 3, 4)).toBe(0);
  });

  it('counts singular values [10, 1, 0.001] as 2 at delta 0.01 and 1 at delta 0.1', () => {
    // Cumulative shares: 10 / 11.001 = 0.909 < 0.99, then 11 / 11.001 = 0.99991 >= 0.99.
    const x = withSingularValues(30, 10, [10, 1, 0.001], 21);
    expect(srank(x, 30, 10, 0.01)).toBe(2);
    expect(srank(x, 30, 10, 0.1)).toBe(1);
    expect(srank(x, 30, 10, 0)).toBeGreaterThanOrEqual(3);
    expect(srankFromSingularValues([10, 1, 0.001], 0.01)).toBe(2);
    expect(srankFromSingularValues([1, 10, 0.001], 0.01)).toBe(2);
    // 10 / 11.001 >= 1 - delta exactly when delta >= 1.001 / 11.001.
    expect(srankFromSingularValues([10, 1, 0.001], 1.001 / 11.001 + 1e-9)).toBe(1);
    expect(srankFromSingularValues([10, 1, 0.001], 1.001 / 11.001 - 1e-9)).toBe(2);
    expect(srankFromSingularValues([1, 1, 1, 1], 0)).toBe(4);
    expect(() => srank(x, 30, 10, 1)).toThrow(/srank: delta must be a number in \[0, 1\), got 1/);
  });
});

describe('featureDiagnostics', () => {
  it('reads two tensors and returns their dot product, norms and srank', () => {
    const phiValues = withSingularValues(16, 6, [5, 2, 1], 31);
    const phiNextValues = new Float32Array(16 * 6);
    new Rng(32).fillNormal(phiNextValues);
    const phi = tf.tensor2d(Float32Array.from(phiValues), [16, 6]);
    const phiNext = tf.tensor2d(phiNextValues, [16, 6]);
    const f32 = Float32Array.from(phiValues);
    const d = featureDiagnostics(phi, phiNext);
    expect(d.dotProduct).toBeCloseTo(featureDotProduct(f32, phiNextValues, 16, 6), 10);
    const norms = featureNorms(f32, phiNextValues, 16, 6);
    expect(d.phiNorm).toBeCloseTo(norms.phiNorm, 10);
    expect(d.phiNextNorm).toBeCloseTo(norms.phiNextNorm, 10);
    // Shares 5/8, 7/8, 1: three directions at delta 0.01, two at delta 0.2.
    expect(d.srank).toBe(3);
    expect(featureDiagnostics(phi, phiNext, { delta: 0.2 }).srank).toBe(2);
    expect(diagnosticsMetrics(d)).toEqual({ featureDot: d.dotProduct, featureNorm: d.phiNorm, featureNextNorm: d.phiNextNorm, srank: 3 });
    // the cosine only when asked for, as featureCosine
    const withCosine = featureDiagnostics(phi, phiNext, { cosine: true });
    expect(withCosine.cosine).toBe(featureCosine(phi.dataSync(), phiNextValues, 16, 6));
    expect(diagnosticsMetrics(withCosine).featureCosine).toBe(withCosine.cosine);
    tf.dispose([phi, phiNext]);
  });

  it('reports a diverged critic as NaN instead of throwing, and rejects mismatched shapes', () => {
    const phi = tf.tensor2d([1, Number.NaN, 0, 1], [2, 2]);
    const phiNext = tf.tensor2d([1, 0, 0, 1], [2, 2]);
    const d = featureDiagnostics(phi, phiNext);
    expect(d.srank).toBeNaN();
    expect(d.dotProduct).toBeNaN();
    expect(d.phiNextNorm).toBe(1);
    const other = tf.zeros([3, 2]) as tf.Tensor2D;
    expect(() => featureDiagnostics(phi, other)).toThrow(/phi has shape \[2,2\] and phiNext has shape \[3,2\]/);
    tf.dispose([phi, phiNext, other]);
  });
});

describe('DiagnosticsSchedule', () => {
  it('is due on updates 0, k, 2k and never when every is 0', () => {
    const schedule = new DiagnosticsSchedule({ every: 5 });
    const due = Array.from({ length: 12 }, (_, i) => i).filter((i) => schedule.due(i));
    expect(due).toEqual([0, 5, 10]);
    expect(new DiagnosticsSchedule().every).toBe(100);
    const off = new DiagnosticsSchedule({ every: 0 });
    expect([0, 1, 100].some((i) => off.due(i))).toBe(false);
    expect(() => new DiagnosticsSchedule({ every: 2.5 })).toThrow(ConfigError);
    expect(() => new DiagnosticsSchedule({ every: -1 })).toThrow(/DiagnosticsSchedule config: "every" must be at least 0/);
    expect(() => schedule.due(-1)).toThrow(/updatesDone must be a non-negative integer, got -1/);
  });
});
