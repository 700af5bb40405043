/**
 * Dense float64 linear algebra for feature diagnostics: Gram matrices, Householder reduction of a
 * symmetric matrix to tridiagonal form, and the implicit symmetric QR iteration (Wilkinson shift)
 * for the eigenvalues of that tridiagonal matrix. Eigenvalues only: no eigenvectors are accumulated,
 * which keeps the cost at about n^3 multiply-adds for an n x n matrix.
 */

/** Check that `data` holds a finite rows x cols matrix; errors name the function, row and column. */
export function checkMatrix(where: string, name: string, data: ArrayLike<number>, rows: number, cols: number): void {
  if (!Number.isInteger(rows) || rows <= 0) throw new RangeError(`${where}: rows must be a positive integer, got ${rows}`);
  if (!Number.isInteger(cols) || cols <= 0) throw new RangeError(`${where}: cols must be a positive integer, got ${cols}`);
  if (data.length !== rows * cols) {
    throw new RangeError(`${where}: ${name} has ${data.length} values, expected rows * cols = ${rows} * ${cols} = ${rows * cols}`);
  }
}

/** The index of the first non-finite value, or -1. */
export function firstNonFinite(data: ArrayLike<number>): number {
  for (let i = 0; i < data.length; i++) if (!Number.isFinite(data[i]!)) return i;
  return -1;
}

/**
 * The Gram matrix of the smaller side of a row-major rows x cols matrix X, in float64:
 * X^T X (cols x cols) when rows >= cols, else X X^T (rows x rows). Both have the squared singular
 * values of X as their nonzero eigenvalues.
 */
export function smallGram(data: ArrayLike<number>, rows: number, cols: number): { gram: Float64Array; n: number } {
  // Lay out the vectors whose pairwise dot products form the Gram matrix contiguously: the columns
  // of X when rows >= cols, the rows of X otherwise.
  const byColumns = rows >= cols;
  const n = byColumns ? cols : rows;
  const len = byColumns ? rows : cols;
  const vectors = new Float64Array(n * len);
  if (byColumns) {
    for (let r = 0; r < rows; r++) {
      const base = r * cols;
      for (let c = 0; c < cols; c++) vectors[c * len + r] = data[base + c]!;
    }
  } else {
    for (let i = 0; i < data.length; i++) vectors[i] = data[i]!;
  }
  const gram = new Float64Array(n * n);
  // Accumulate over chunks of the vectors short enough that one chunk of all n vectors stays in
  // cache, and take four vectors at a time against one so each streamed value serves four products.
  const chunk = Math.max(16, Math.min(len, Math.floor(131072 / n)));
  for (let k0 = 0; k0 < len; k0 += chunk) {
    const k1 = Math.min(len, k0 + chunk);
    for (let j = 0; j < n; j++) {
      const oj = j * len;
      let i = 0;
      for (; i + 3 <= j; i += 4) {
        const o0 = i * len;
        const o1 = o0 + len;
        const o2 = o1 + len;
        const o3 = o2 + len;
        let s0 = 0;
        let s1 = 0;
        let s2 = 0;
        let s3 = 0;
        for (let k = k0; k < k1; k++) {
          const v = vectors[oj + k]!;
          s0 += vectors[o0 + k]! * v;
          s1 += vectors[o1 + k]! * v;
          s2 += vectors[o2 + k]! * v;
          s3 += vectors[o3 + k]! * v;
        }
        gram[i * n + j] = gram[i * n + j]! + s0;
        gram[(i + 1) * n + j] = gram[(i + 1) * n + j]! + s1;
        gram[(i + 2) * n + j] = gram[(i + 2) * n + j]! + s2;
        gram[(i + 3) * n + j] = gram[(i + 3) * n + j]! + s3;
      }
      for (; i <= j; i++) {
        const oi = i * len;
        let s = 0;
        for (let k = k0; k < k1; k++) s += vectors[oi + k]! * vectors[oj + k]!;
        gram[i * n + j] = gram[i * n + j]! + s;
      }
    }
  }
  for (let i = 0; i < n; i++) for (let j = 0; j < i; j++) gram[i * n + j] = gram[j * n + i]!;
  return { gram, n };
}

/**
 * Reduce the symmetric n x n matrix `a` (row-major, overwritten) to tridiagonal form by Householder
 * similarity transforms. Only the upper triangle is read and updated. Returns the diagonal and the
 * off-diagonal (length n - 1).
 */
export function tridiagonalize(a: Float64Array, n: number): { diagonal: Float64Array; offDiagonal: Float64Array } {
  const diagonal = new Float64Array(n);
  const offDiagonal = new Float64Array(Math.max(0, n - 1));
  const v = new Float64Array(n);
  const w = new Float64Array(n);
  for (let k = 0; k < n - 2; k++) {
    // Reflect x = a[k, k+1..] (row k of the upper triangle, equal to column k) onto a multiple of e1.
    const rowK = k * n;
    diagonal[k] = a[rowK + k]!;
    const x0 = a[rowK + k + 1]!;
    let tail2 = 0;
    for (let j = k + 2; j < n; j++) {
      const x = a[rowK + j]!;
      tail2 += x * x;
    }
    if (tail2 === 0) {
      // Already tridiagonal in this row: nothing to reflect.
      offDiagonal[k] = x0;
      continue;
    }
    const norm = Math.sqrt(x0 * x0 + tail2);
    // alpha takes the sign opposite to x0 so that v = x - alpha e1 does not cancel.
    const alpha = x0 >= 0 ? -norm : norm;
    offDiagonal[k] = alpha;
    v[k + 1] = x0 - alpha;
    for (let j = k + 2; j < n; j++) v[j] = a[rowK + j]!;
    const vv = v[k + 1]! * v[k + 1]! + tail2;
    const beta = 2 / vv;
    // H A H = A - v w^T - w v^T with p = beta A v and w = p - (beta p.v / 2) v. A v is formed
    // from the upper triangle: each a_ij (j > i) contributes to p_i and to p_j.
    for (let i = k + 1; i < n; i++) w[i] = 0;
    for (let i = k + 1; i < n; i++) {
      const row = i * n;
      const vi = v[i]!;
      let acc = a[row + i]! * vi;
      for (let j = i + 1; j < n; j++) {
        const aij = a[row + j]!;
        acc += aij * v[j]!;
        w[j] = w[j]! + aij * vi;
      }
      w[i] = w[i]! + acc;
    }
    let pv = 0;
    for (let i = k + 1; i < n; i++) {
      w[i] = beta * w[i]!;
      pv += w[i]! * v[i]!;
    }
    const half = (beta * pv) / 2;
    for (let i = k + 1; i < n; i++) w[i] = w[i]! - half * v[i]!;
    for (let i = k + 1; i < n; i++) {
      const row = i * n;
      const vi = v[i]!;
      const wi = w[i]!;
      for (let j = i; j < n; j++) a[row + j] = a[row + j]! - vi * w[j]! - wi * v[j]!;
    }
  }
  if (n >= 2) {
    diagonal[n - 2] = a[(n - 2) * n + (n - 2)]!;
    offDiagonal[n - 2] = a[(n - 2) * n + (n - 1)]!;
  }
  if (n >= 1) diagonal[n - 1] = a[(n - 1) * n + (n - 1)]!;
  return { diagonal, offDiagonal };
}

/**
 * Eigenvalues of the symmetric tridiagonal matrix (d, e) by implicit QR steps with the Wilkinson
 * shift and deflation. `d` and `e` are overwritten; the eigenvalues are returned in `d`'s storage,
 * sorted descending.
 */
export function tridiagonalEigenvalues(d: Float64Array, e: Float64Array): Float64Array {
  const n = d.length;
  const eps = Number.EPSILON;
  const maxSteps = 60 * Math.max(1, n);
  let steps = 0;
  let hi = n - 1;
  while (hi > 0) {
    // Deflate: an off-diagonal entry that is negligible next to its neighbours splits the matrix.
    if (Math.abs(e[hi - 1]!) <= eps * (Math.abs(d[hi - 1]!) + Math.abs(d[hi]!))) {
      e[hi - 1] = 0;
      hi--;
      continue;
    }
    let lo = hi - 1;
    while (lo > 0 && Math.abs(e[lo - 1]!) > eps * (Math.abs(d[lo - 1]!) + Math.abs(d[lo]!))) lo--;
    if (lo > 0) e[lo - 1] = 0;
    if (++steps > maxSteps) {
      throw new Error(`symmetric eigenvalues: the QR iteration did not converge after ${maxSteps} steps (matrix of size ${n})`);
    }
    implicitQrStep(d, e, lo, hi);
  }
  return d.sort().reverse();
}

/** One implicit symmetric QR step with Wilkinson shift on the unreduced block d[lo..hi]. */
function implicitQrStep(d: Float64Array, e: Float64Array, lo: number, hi: number): void {
  const tail = e[hi - 1]!;
  const half = (d[hi - 1]! - d[hi]!) / 2;
  // The eigenvalue of the trailing 2x2 block closer to d[hi], in a cancellation-free form.
  const shift = d[hi]! - (tail * tail) / (half + (half >= 0 ? 1 : -1) * Math.hypot(half, tail));
  let x = d[lo]! - shift;
  let z = e[lo]!;
  for (let k = lo; k < hi; k++) {
    const r = Math.hypot(x, z);
    const c = r === 0 ? 1 : x / r;
    const s = r === 0 ? 0 : z / r;
    if (k > lo) e[k - 1] = r;
    const a = d[k]!;
    const b = e[k]!;
    const f = d[k + 1]!;
    const cs = c * s;
    d[k] = c * c * a + 2 * cs * b + s * s * f;
    d[k + 1] = s * s * a - 2 * cs * b + c * c * f;
    const bNew = cs * (f - a) + (c * c - s * s) * b;
    e[k] = bNew;
    if (k + 1 < hi) {
      // The rotation pushes a bulge to (k, k+2); the next rotation chases it down.
      const g = e[k + 1]!;
      z = s * g;
      e[k + 1] = c * g;
      x = bNew;
    }
  }
}

/** Eigenvalues of a symmetric n x n matrix (row-major; only copied, not modified), sorted descending. */
export function symmetricEigenvalues(matrix: ArrayLike<number>, n: number): Float64Array {
  checkMatrix('symmetricEigenvalues', 'matrix', matrix, n, n);
  const bad = firstNonFinite(matrix);
  if (bad >= 0) {
    throw new RangeError(`symmetricEigenvalues: matrix[${Math.floor(bad / n)}][${bad % n}] is ${matrix[bad]}, expected a finite number`);
  }
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < i; j++) {
      const x = matrix[i * n + j]!;
      const y = matrix[j * n + i]!;
      if (Math.abs(x - y) > 1e-9 * Math.max(1, Math.abs(x), Math.abs(y))) {
        throw new RangeError(`symmetricEigenvalues: matrix is not symmetric: [${i}][${j}] = ${x} but [${j}][${i}] = ${y}`);
      }
    }
  }
  const a = Float64Array.from(matrix);
  const { diagonal, offDiagonal } = tridiagonalize(a, n);
  return tridiagonalEigenvalues(diagonal, offDiagonal);
}
