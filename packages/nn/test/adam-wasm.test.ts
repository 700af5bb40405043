import * as tf from '@tensorflow/tfjs';
import { base64ToFloat32, Rng } from '@bellman/core';
import { Adam, initBackend, kernelOptions, setKernelOptions } from '../src/index.js';
import type { AdamConfig } from '../src/index.js';

/**
 * The fused Adam kernel on wasm runs groups of 4 floats in float32 SIMD and the last n % 4 in JS
 * (float64, rounded once when stored); the cpu backend runs every element in JS. One tensor must
 * not be updated two ways: the SIMD body has to use the same constants (1 - beta1, 1 - beta2, the
 * bias corrections) as the JS loops, so the two backends agree to float32 rounding, element by
 * element, on the moments as well as the parameters.
 */

type Backend = 'cpu' | 'wasm';

/** Sizes that leave a tail after groups of 4 (7 = 4 + 3, 13 = 12 + 1), and one that does not. */
const SIZES = [7, 13, 8];
const STEPS = 5;
/**
 * A few float32 ulps (one ulp is 6e-8 to 1.2e-7 relative): the float32 rounding of the SIMD
 * body's five or six operations per value, carried over the steps (at most 2 here). 1 - f32(beta2)
 * built in float32 made v low by 1.3e-5 relative for beta2 = 0.999 (215 ulps here) and 9.5e-7 for
 * 0.99 (14 ulps).
 */
const TOLERANCE_ULPS = 4;

interface Problem {
  init: Float32Array[];
  /** grads[step][param] */
  grads: Float32Array[][];
}

/**
 * Each element keeps one sign of gradient across steps, with magnitudes that vary by step (so m
 * and v are neither zero nor one gradient scaled), and starts on the other side of zero, so that
 * the steps move it away from zero: no sum in m, v or p cancels and relative errors stay at the
 * float32 rounding of each operation.
 */
function problem(seed: number): Problem {
  const rng = new Rng(seed);
  const signs = SIZES.map((n) => Array.from({ length: n }, () => (rng.uniform() < 0.5 ? -1 : 1)));
  const init = signs.map((s) => Float32Array.from(s, (sign) => -sign * (0.5 + rng.uniform())));
  const grads = Array.from({ length: STEPS }, () => signs.map((s) => Float32Array.from(s, (sign) => sign * (0.05 + 2 * rng.uniform()))));
  return { init, grads };
}

interface Result {
  params: Float32Array[];
  m: Float32Array[];
  v: Float32Array[];
}

/** STEPS Adam steps on `backend`; the moments are read through Adam.serialize(). */
async function run(backend: Backend, p: Problem, config: AdamConfig): Promise<Result> {
  await initBackend({ backend });
  const params = p.init.map((values, i) => tf.variable(tf.tensor1d(values), true, `adam-wasm-test-${backend}-${i}`));
  const opt = new Adam(params, config);
  for (const step of p.grads) {
    const grads = step.map((g) => tf.tensor1d(g));
    opt.applyGradients(grads);
    tf.dispose(grads);
  }
  const state = opt.serialize();
  const moment = (key: string) => params.map((_, i) => base64ToFloat32((state[`${key}/${i}`] as { data: string }).data));
  const result = { params: params.map((x) => Float32Array.from(x.dataSync() as Float32Array)), m: moment('m'), v: moment('v') };
  opt.dispose();
  tf.dispose(params);
  return result;
}

/**
 * The same steps in float64 with float32 storage, as PyTorch writes them (the reference for the
 * cpu backend, which runs them in the same order).
 */
function reference(p: Problem, config: AdamConfig): Result {
  const { learningRate = 1e-3, beta1 = 0.9, beta2 = 0.999, epsilon = 1e-8 } = config;
  const params = p.init.map((x) => Float32Array.from(x));
  const m = params.map((x) => new Float32Array(x.length));
  const v = params.map((x) => new Float32Array(x.length));
  p.grads.forEach((step, s) => {
    const t = s + 1;
    const stepSize = learningRate / (1 - beta1 ** t);
    const sqrtBias2 = Math.sqrt(1 - beta2 ** t);
    step.forEach((g, k) => {
      for (let i = 0; i < g.length; i++) {
        const mi = beta1 * m[k]![i]! + (1 - beta1) * g[i]!;
        const vi = beta2 * v[k]![i]! + (1 - beta2) * g[i]! * g[i]!;
        m[k]![i] = mi;
        v[k]![i] = vi;
        params[k]![i] = params[k]![i]! - (stepSize * mi) / (Math.sqrt(vi) / sqrtBias2 + epsilon);
      }
    });
  });
  return { params, m, v };
}

/** The spacing of float32 values at x (its unit in the last place). */
function ulp(x: number): number {
  const a = Math.abs(x);
  return a < 2 ** -126 ? 2 ** -149 : 2 ** (Math.floor(Math.log2(a)) - 23);
}

/** The largest difference, element by element, in float32 ulps of the larger of the two values. */
function maxUlpError(a: Float32Array[], b: Float32Array[]): number {
  let worst = 0;
  a.forEach((x, k) => {
    const y = b[k]!;
    expect(x.length).toBe(y.length);
    for (let i = 0; i < x.length; i++) worst = Math.max(worst, Math.abs(x[i]! - y[i]!) / ulp(Math.max(Math.abs(x[i]!), Math.abs(y[i]!))));
  });
  return worst;
}

afterAll(async () => {
  await initBackend({ backend: 'cpu' });
});

describe('Adam on wasm (SIMD body and JS tail) and on cpu', () => {
  const configs: Array<[string, AdamConfig]> = [
    ['defaults, lr 0.1', { learningRate: 0.1 }],
    ['beta1 0.8, beta2 0.99, epsilon 1e-3', { learningRate: 0.05, beta1: 0.8, beta2: 0.99, epsilon: 1e-3 }],
  ];

  it.each(configs)('agree to float32 rounding on m, v and the parameters (%s)', async (_, config) => {
    expect(kernelOptions().simd).toBe(true);
    const p = problem(17);
    const expected = reference(p, config);
    const cpu = await run('cpu', p, config);
    const wasm = await run('wasm', p, config);
    const over = (a: Result, b: Result) =>
      (['m', 'v', 'params'] as const).map((key) => [key, maxUlpError(a[key], b[key])] as const).filter(([, ulps]) => ulps > TOLERANCE_ULPS);
    // The cpu backend runs the reference's arithmetic (here to the bit).
    expect(over(cpu, expected)).toEqual([]);
    // wasm: the SIMD lanes of each tensor (the first 4, 12 and 8 elements) and its tail alike.
    expect(over(wasm, cpu)).toEqual([]);
  });

  it('the JS loops on wasm agree with the cpu backend too', async () => {
    const previous = setKernelOptions({ simd: false });
    try {
      const p = problem(5);
      const config = { learningRate: 0.1 };
      const cpu = await run('cpu', p, config);
      const wasm = await run('wasm', p, config);
      for (const key of ['m', 'v', 'params'] as const) expect([key, maxUlpError(wasm[key], cpu[key])]).toEqual([key, 0]);
    } finally {
      setKernelOptions(previous);
    }
  });
});
