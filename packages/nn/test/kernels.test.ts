import * as tf from '@tensorflow/tfjs';
import { Rng } from '@bellman/core';
import { Adam, Mlp, dense, initBackend, kernelOptions, setKernelOptions } from '../src/index.js';
import type { Activation, KernelOptions } from '../src/index.js';
import { instantiateSimdRoutines, simdModuleBytes } from '../src/perf-wasm.js';

type Backend = 'cpu' | 'wasm';

/** Run `fn` on a backend and copy its result out. */
async function on(backend: Backend, fn: () => tf.Tensor): Promise<Float32Array> {
  await initBackend({ backend });
  const t = tf.tidy(fn);
  const values = Float32Array.from(t.dataSync() as Float32Array);
  t.dispose();
  return values;
}

/** The same computation with stock tfjs kernels only (the reference). */
async function reference(backend: Backend, fn: () => tf.Tensor): Promise<Float32Array> {
  const previous = setKernelOptions({ fusedKernels: false, explicitTranspose: false });
  try {
    return await on(backend, fn);
  } finally {
    setKernelOptions(previous);
  }
}

/** Run `fn` on the cpu backend and on wasm (with Bellman's kernel patches) and return both results. */
async function onBothBackends(fn: () => tf.Tensor): Promise<{ cpu: Float32Array; wasm: Float32Array }> {
  return { cpu: await on('cpu', fn), wasm: await on('wasm', fn) };
}

function maxRelError(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  let maxRel = 0;
  for (let i = 0; i < a.length; i++) {
    const rel = Math.abs(a[i]! - b[i]!) / Math.max(1, Math.abs(a[i]!), Math.abs(b[i]!));
    maxRel = Math.max(maxRel, rel);
  }
  return maxRel;
}

function expectRelClose(a: Float32Array, b: Float32Array, tol = 1e-4): void {
  expect(maxRelError(a, b)).toBeLessThan(tol);
}

function randomArray(rng: Rng, n: number): Float32Array {
  return rng.fillNormal(new Float32Array(n)) as Float32Array;
}

afterAll(async () => {
  setKernelOptions({ fusedKernels: true, explicitTranspose: true, simd: true, simdGemm: true, packSmallerOperand: true, packGemmPanels: true });
  await initBackend({ backend: 'cpu' });
});

describe('wasm kernel patches agree with the cpu backend', () => {
  const cases: Array<[number[], number[], boolean, boolean]> = [
    [[7, 5], [5, 3], false, false],
    [[5, 7], [5, 3], true, false],
    [[7, 5], [3, 5], false, true],
    [[5, 7], [3, 5], true, true],
    [[2, 9, 4], [2, 9, 6], true, false],
    [[3, 1, 13], [3, 17, 13], false, true],
    [[256, 23], [256, 64], true, false],
    // Widths that are and are not multiples of 4 exercise the SIMD transpose and its tails.
    [[37, 29], [37, 11], true, false],
    [[8, 12], [16, 12], false, true],
    [[1, 1], [1, 1], true, true],
    [[4, 3, 9], [4, 10, 3], true, true],
    [[64, 130], [64, 5], true, false],
  ];
  it.each(cases)('matMul a%j b%j transposeA=%s transposeB=%s', async (aShape, bShape, ta, tb) => {
    const rng = new Rng(11);
    const a = randomArray(rng, aShape.reduce((p, d) => p * d, 1));
    const b = randomArray(rng, bShape.reduce((p, d) => p * d, 1));
    const fn = () => tf.matMul(tf.tensor(a, aShape), tf.tensor(b, bShape), ta, tb);
    const { cpu, wasm } = await onBothBackends(fn);
    expectRelClose(cpu, wasm);
    expectRelClose(await reference('cpu', fn), wasm);
  });

  it.each([
    [[512, 64], [0, 0], [256, 64]],
    [[512, 64], [256, 0], [256, 64]],
    [[37, 11], [3, 2], [30, 7]],
    [[37, 11], [0, 10], [-1, 1]],
    [[19], [4], [9]],
    [[5, 6], [5, 0], [0, 6]],
    // rank 3: runs of whole trailing axes (conv1d's taps), of part of the last axis, and short runs
    [[4, 130, 32], [0, 3, 0], [4, 120, 32]],
    [[3, 7, 40], [1, 2, 8], [2, 4, 24]],
    [[2, 9, 6], [0, 1, 2], [2, 7, 3]],
    [[2, 3, 4, 5], [1, 0, 1, 0], [1, 3, 2, 5]],
  ])('slice of %j at %j size %j reads the heap and matches cpu, with its gradient', async (shape, begin, size) => {
    const rng = new Rng(31);
    const values = randomArray(rng, shape.reduce((p, d) => p * d, 1));
    const fn = () => {
      const x = tf.tensor(values, shape);
      const { value, grad } = tf.valueAndGrad((t: tf.Tensor) => tf.sum(tf.square(tf.slice(t, begin, size))))(x);
      return tf.concat([tf.slice(x, begin, size).flatten(), value.reshape([1]), grad.flatten()]);
    };
    const { cpu, wasm } = await onBothBackends(fn);
    // The slice and the gradient (zeros around dy = 2x) exactly; the sum up to summation order.
    expectRelClose(cpu, wasm, 1e-5);
    const sliced = () => tf.slice(tf.tensor(values, shape), begin, size);
    const exact = await onBothBackends(sliced);
    expect(exact.wasm).toEqual(exact.cpu);
    const ints = () => tf.slice(tf.tensor(Int32Array.from(values, (v) => Math.round(10 * v)), shape, 'int32'), begin, size).toFloat();
    const intResults = await onBothBackends(ints);
    expect(intResults.wasm).toEqual(intResults.cpu);
  });

  it.each([
    [[32, 4, 1280], [256, 256, 256, 256, 256], 2],
    [[6, 5, 30], [6, 6, 6, 6, 6], 2],
    [[9, 4, 3], [2, 7], 0],
    [[5, 8, 3], [3, 1, 4], 1],
  ])('split of %j into %j along %i reads the heap and matches cpu exactly', async (shape, sizes, axis) => {
    const values = randomArray(new Rng(41), shape.reduce((p, d) => p * d, 1));
    const fn = () => tf.concat(tf.split(tf.tensor(values, shape), sizes, axis).map((piece) => piece.flatten()));
    const { cpu, wasm } = await onBothBackends(fn);
    expect(wasm).toEqual(cpu);
    // The pieces in order, each [..., size, ...]: the first element of the second piece along axis 2.
    if (axis === 2) expect(wasm[shape[0]! * shape[1]! * sizes[0]!]).toBe(values[sizes[0]!]);
  });

  it.each([
    [[4, 128, 128], [0]],
    [[4, 6, 5], [1]],
    [[4, 6, 5], [2]],
    [[3, 4, 5], [0, 2]],
    [[7], [0]],
  ])('reverse of %j along %j reads the heap and matches cpu exactly, with its gradient', async (shape, axes) => {
    const values = randomArray(new Rng(43), shape.reduce((p, d) => p * d, 1));
    const weights = randomArray(new Rng(44), values.length);
    const fn = () => {
      const x = tf.tensor(values, shape);
      const grad = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.reverse(t, axes), tf.tensor(weights, shape))))(x);
      return tf.concat([tf.reverse(x, axes).flatten(), grad.flatten()]);
    };
    const { cpu, wasm } = await onBothBackends(fn);
    expect(wasm).toEqual(cpu);
    // reverse along the first axis: the first row of the result is the input's last
    if (axes.length === 1 && axes[0] === 0) expect(wasm[0]).toBe(values[values.length - shape.slice(1).reduce((p, d) => p * d, 1)]);
  });

  it('gradient of gather (UnsortedSegmentSum) matches cpu', async () => {
    const rng = new Rng(2);
    const x = randomArray(rng, 6 * 4);
    const { cpu, wasm } = await onBothBackends(() =>
      tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.gather(t, tf.tensor1d([0, 2, 2, 5, 1], 'int32')), 1.5)))(tf.tensor2d(x, [6, 4])),
    );
    expectRelClose(cpu, wasm);
    // Row 2 was gathered twice: its gradient is 3.0 everywhere, rows 3 and 4 get none.
    expect(Array.from(wasm.slice(8, 12))).toEqual([3, 3, 3, 3]);
    expect(Array.from(wasm.slice(12, 16))).toEqual([0, 0, 0, 0]);
  });

  it('a dense layer backward pass matches cpu', async () => {
    const rng = new Rng(5);
    const x = randomArray(rng, 31 * 9);
    const w = randomArray(rng, 9 * 17);
    const { cpu, wasm } = await onBothBackends(() => {
      const grads = tf.grads((xt: tf.Tensor, wt: tf.Tensor) => tf.sum(tf.relu(tf.matMul(xt as tf.Tensor2D, wt as tf.Tensor2D))))([
        tf.tensor2d(x, [31, 9]),
        tf.tensor2d(w, [9, 17]),
      ]);
      return tf.concat([grads[0]!.flatten(), grads[1]!.flatten()]);
    });
    expectRelClose(cpu, wasm);
  });
});

describe("Bellman's SIMD GEMM (wasm) agrees with the cpu backend", () => {
  /** The same computation on wasm with XNNPACK's products instead of Bellman's GEMM. */
  async function onXnnpack(fn: () => tf.Tensor, changes: Partial<KernelOptions> = {}): Promise<Float32Array> {
    const previous = setKernelOptions({ simdGemm: false, ...changes });
    try {
      return await on('wasm', fn);
    } finally {
      setKernelOptions(previous);
    }
  }

  // Rows past 256 (row blocks) and not a multiple of 4 (single-row kernel), reductions past 256
  // (k blocks, accumulated), widths that leave 8-, 4- and 1..3-column remainders (padded tail).
  const cases: Array<[number[], number[], boolean, boolean]> = [
    [[300, 37], [37, 13], false, false],
    [[517, 19], [19, 9], false, false],
    [[600, 23], [600, 64], true, false],
    [[601, 5], [601, 7], true, false],
    [[259, 258], [258, 1], false, false],
    [[13, 700], [700, 2], false, false],
    [[700, 11], [700, 3], true, false],
    [[41, 30], [6, 30], false, true],
    [[30, 41], [12, 30], true, true],
    [[1, 300], [300, 5], false, false],
    [[5, 1], [1, 20], false, false],
    [[1, 9, 4], [1, 4, 6], false, false],
    // A^T packed in 4-row panels: two row blocks (m = 261, m % 4 = 1), two k blocks, tails of 8-wide panels.
    [[300, 261], [300, 19], true, false],
    [[270, 8], [270, 8], true, false],
    [[9, 4], [9, 33], true, false],
    // Row-major A, B packed over row and k blocks with no column tail, and a transposed B.
    [[520, 270], [270, 40], false, false],
    [[33, 300], [17, 300], false, true],
    [[6, 3], [3, 7], false, false],
  ];
  it.each(cases)('matMul a%j b%j transposeA=%s transposeB=%s', async (aShape, bShape, ta, tb) => {
    const rng = new Rng(aShape[0]! * 7 + bShape[1]!);
    const a = randomArray(rng, aShape.reduce((p, d) => p * d, 1));
    const b = randomArray(rng, bShape.reduce((p, d) => p * d, 1));
    const fn = () => tf.matMul(tf.tensor(a, aShape), tf.tensor(b, bShape), ta, tb);
    const wasm = await on('wasm', fn);
    expectRelClose(await on('cpu', fn), wasm);
    expectRelClose(await onXnnpack(fn), wasm);
    // Operands read in place rather than packed into panels: the same sums in the same order.
    expect(await onXnnpack(fn, { simdGemm: true, packGemmPanels: false })).toEqual(wasm);
  });

  it('a dense layer with bias and relu over k blocks applies relu once, at the end', async () => {
    // k = 300 spans two k blocks: a relu after the first block would zero sums that end positive.
    for (const [m, k, n] of [
      [261, 300, 13],
      [7, 300, 256],
    ] as const) {
      const rng = new Rng(m + k + n);
      const x = randomArray(rng, m * k);
      // Weights at an initialised layer's scale keep outputs near 1 (float32 sums stay comparable).
      const w = randomArray(rng, k * n).map((v) => v / Math.sqrt(k));
      const b = randomArray(rng, n);
      const fn = () => {
        const { value, grads } = tf.valueAndGrads((xt: tf.Tensor, wt: tf.Tensor, bt: tf.Tensor) =>
          tf.sum(tf.square(dense(xt as tf.Tensor2D, wt, bt, 'relu'))),
        )([tf.tensor2d(x, [m, k]), tf.tensor2d(w, [k, n]), tf.tensor1d(b)]);
        return tf.concat([value.reshape([1]), ...grads.map((g) => g.flatten())]);
      };
      const wasm = await on('wasm', fn);
      expectRelClose(await reference('cpu', fn), wasm);
      expectRelClose(await onXnnpack(fn), wasm);
    }
  });

  it('with the GEMM off, x^T dz runs as (dz^T x)^T and still matches', async () => {
    const rng = new Rng(21);
    const x = randomArray(rng, 600 * 5);
    const dz = randomArray(rng, 600 * 64);
    const fn = () => tf.matMul(tf.tensor2d(x, [600, 5]), tf.tensor2d(dz, [600, 64]), true, false);
    const swapped = await onXnnpack(fn);
    expectRelClose(await on('cpu', fn), swapped);
    expectRelClose(await onXnnpack(fn, { packSmallerOperand: false }), swapped);
  });
});

describe('fused dense kernel (forward and backward)', () => {
  const cases: Array<[number, number, number, Activation]> = [
    [13, 7, 9, 'relu'],
    [8, 4, 8, 'relu'],
    [31, 6, 1, 'linear'],
    [5, 3, 10, 'tanh'],
    [16, 12, 6, 'elu'],
  ];
  it.each(cases)('batch %i, %i -> %i, %s: value and gradients match stock tfjs', async (m, k, n, activation) => {
    const rng = new Rng(m * 100 + n);
    const x = randomArray(rng, m * k);
    const w = randomArray(rng, k * n);
    const b = randomArray(rng, n);
    const upstream = randomArray(rng, m * n);
    // The loss weights each output differently so that a wrong row or column of a gradient shows.
    const valueAndGrads = (layer: (xt: tf.Tensor2D, wt: tf.Tensor2D, bt: tf.Tensor1D) => tf.Tensor2D) => () => {
      const up = tf.tensor2d(upstream, [m, n]);
      const f = (xt: tf.Tensor, wt: tf.Tensor, bt: tf.Tensor) => tf.sum(tf.mul(layer(xt as tf.Tensor2D, wt as tf.Tensor2D, bt as tf.Tensor1D), up));
      const args = [tf.tensor2d(x, [m, k]), tf.tensor2d(w, [k, n]), tf.tensor1d(b)];
      const { value, grads } = tf.valueAndGrads(f)(args);
      return tf.concat([value.reshape([1]), ...grads.map((g) => g.flatten())]);
    };
    const composite = valueAndGrads((xt, wt, bt) => {
      const z = tf.add(tf.matMul(xt, wt), bt) as tf.Tensor2D;
      if (activation === 'relu') return tf.relu(z);
      if (activation === 'tanh') return tf.tanh(z);
      if (activation === 'elu') return tf.elu(z);
      return z;
    });
    const fused = valueAndGrads((xt, wt, bt) => dense(xt, wt, bt, activation));
    const expected = await reference('cpu', composite);
    for (const backend of ['cpu', 'wasm'] as const) {
      expectRelClose(expected, await on(backend, fused), 1e-5);
    }
  });

  it('a nested (second-order) gradient through dense matches stock tfjs', async () => {
    const rng = new Rng(8);
    const x = randomArray(rng, 6 * 5);
    const w = randomArray(rng, 5 * 3);
    const b = randomArray(rng, 3);
    // d/dx of |d sum(tanh(dense(x))^2)/dx|^2: needs the gradient of the gradient.
    const run = (layer: (xt: tf.Tensor2D) => tf.Tensor2D) => () => {
      const inner = tf.grad((xt: tf.Tensor) => tf.sum(tf.square(tf.tanh(layer(xt as tf.Tensor2D)))));
      return tf.grad((xt: tf.Tensor) => tf.sum(tf.square(inner(xt))))(tf.tensor2d(x, [6, 5]));
    };
    const wt = () => tf.tensor2d(w, [5, 3]);
    const bt = () => tf.tensor1d(b);
    const expected = await reference('cpu', run((xt) => tf.add(tf.matMul(xt, wt()), bt())));
    for (const backend of ['cpu', 'wasm'] as const) {
      expectRelClose(expected, await on(backend, run((xt) => dense(xt, wt(), bt(), 'linear'))), 1e-5);
    }
  });

  it('rejects mismatched shapes with the shapes in the message', async () => {
    await initBackend({ backend: 'wasm' });
    expect(() => dense(tf.zeros([2, 3]) as tf.Tensor2D, tf.zeros([4, 5]), tf.zeros([5]), 'relu')).toThrow(/input \[2,3\], kernel \[4,5\] and bias \[5\]/);
  });
});

describe('fused Adam and Polyak kernels', () => {
  /** Three Adam steps on a small MLP regression; returns every weight and the loss of each step. */
  const trainMlp = (clipNorm?: number) => () => {
    const rng = new Rng(3);
    // 5 -> 7 -> 3: every parameter size (35, 7, 21, 3) leaves a tail after groups of 4 floats.
    const net = new Mlp({ inputDim: 5, hiddenSizes: [7], outputDim: 3 }, rng, 'adam-kernel-test');
    const opt = new Adam(net.variables, { learningRate: 0.05, ...(clipNorm === undefined ? {} : { clipNorm }) });
    const x = tf.tensor2d(randomArray(rng, 9 * 5), [9, 5]);
    const y = tf.tensor2d(randomArray(rng, 9 * 3), [9, 3]);
    const losses: number[] = [];
    for (let i = 0; i < 3; i++) losses.push(opt.minimize(() => ({ loss: tf.mean(tf.square(tf.sub(net.forward(x), y))) as tf.Scalar })).loss!);
    const out = tf.concat([tf.tensor1d(losses), ...net.variables.map((v) => v.flatten())]);
    net.dispose();
    opt.dispose();
    return out;
  };

  it.each([[undefined], [0.1]])('three Adam steps (clipNorm %s) match stock tfjs on cpu and wasm', async (clipNorm) => {
    const expected = await reference('cpu', trainMlp(clipNorm));
    const { cpu, wasm } = await onBothBackends(trainMlp(clipNorm));
    expectRelClose(expected, cpu, 1e-5);
    expectRelClose(expected, wasm, 1e-5);
    expectRelClose(cpu, wasm, 1e-4);
    // The loss goes down: the steps point the right way.
    expect(wasm[2]!).toBeLessThan(wasm[0]!);
  });

  it('JS loops and SIMD loops give the same Adam step', async () => {
    const previous = setKernelOptions({ simd: false });
    const jsLoops = await on('wasm', trainMlp());
    setKernelOptions(previous);
    expect(kernelOptions().simd).toBe(true);
    // float32 SIMD arithmetic against float64 JS arithmetic, over three steps.
    expectRelClose(jsLoops, await on('wasm', trainMlp()), 1e-5);
  });

  it('softUpdateFrom blends tau of the source into the target', async () => {
    for (const backend of ['cpu', 'wasm'] as const) {
      const values = await on(backend, () => {
        const a = new Mlp({ inputDim: 3, hiddenSizes: [5], outputDim: 2 }, new Rng(1), 'lerp-a');
        const b = new Mlp({ inputDim: 3, hiddenSizes: [5], outputDim: 2 }, new Rng(2), 'lerp-b');
        const before = a.variables.map((v) => v.flatten());
        a.softUpdateFrom(b, 0.3);
        const expected = before.map((t, i) => tf.add(tf.mul(b.variables[i]!.flatten(), 0.3), tf.mul(t, 0.7)));
        const out = tf.concat([tf.concat(a.variables.map((v) => v.flatten())), tf.concat(expected)]);
        a.dispose();
        b.dispose();
        return out;
      });
      const half = values.length / 2;
      expectRelClose(values.slice(0, half), values.slice(half), 1e-6);
    }
  });

  it('Mlp and Adam leave no tensors behind once disposed', async () => {
    await initBackend({ backend: 'wasm' });
    const before = tf.memory().numTensors;
    const net = new Mlp({ inputDim: 3, hiddenSizes: [4], outputDim: 2 }, new Rng(0));
    const opt = new Adam(net.variables);
    const x = tf.ones([2, 3]) as tf.Tensor2D;
    opt.minimize(() => ({ loss: tf.sum(net.forward(x)) as tf.Scalar }));
    x.dispose();
    net.dispose();
    opt.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('wasm Identity shares data', () => {
  it('a clone keeps its values after the original is disposed, and frees them when it goes', async () => {
    await initBackend({ backend: 'wasm' });
    const buffersBefore = tf.memory().numDataBuffers;
    const original = tf.tensor2d([1, 2, 3, 4, 5, 6], [2, 3]);
    const copy = tf.clone(original);
    // Shared: one buffer for both handles.
    expect(tf.memory().numDataBuffers - buffersBefore).toBe(1);
    original.dispose();
    expect(Array.from(copy.dataSync())).toEqual([1, 2, 3, 4, 5, 6]);
    copy.dispose();
    expect(tf.memory().numDataBuffers).toBe(buffersBefore);
  });
});

describe('SIMD module', () => {
  it('is valid WebAssembly', () => {
    expect(WebAssembly.validate(simdModuleBytes())).toBe(true);
    expect(WebAssembly.validate(simdModuleBytes(true))).toBe(true);
  });

  // tfjs's threaded build (cross-origin isolated pages) runs on a shared heap of up to 65536 pages.
  const sharedHeap = () => new WebAssembly.Memory({ initial: 2, maximum: 65536, shared: true });

  it('links to a shared heap only when built for one, and the other way round', () => {
    const shared = sharedHeap();
    const plain = new WebAssembly.Memory({ initial: 2 });
    const link = (bytes: Uint8Array<ArrayBuffer>, memory: WebAssembly.Memory) => () => new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { memory } });
    expect(link(simdModuleBytes(false), shared)).toThrow(WebAssembly.LinkError);
    expect(link(simdModuleBytes(true), plain)).toThrow(WebAssembly.LinkError);
    expect(link(simdModuleBytes(true), shared)).not.toThrow();
    expect(link(simdModuleBytes(false), plain)).not.toThrow();
  });

  it('builds itself to match the heap it is given and computes on a shared one', () => {
    const memory = sharedHeap();
    const built = instantiateSimdRoutines(memory);
    expect(built.error).toBeUndefined();
    const floats = new Float32Array(memory.buffer);
    const [target, source, out] = [0, 64, 128];
    for (let i = 0; i < 8; i++) {
      floats[target / 4 + i] = i;
      floats[source / 4 + i] = 10 * i;
    }
    built.routines!.lerp(target, source, out, 32, 0.25);
    // out = 0.25 * 10 i + 0.75 i = 3.25 i, exact in float32 for these i.
    expect(Array.from(floats.subarray(out / 4, out / 4 + 8))).toEqual([0, 1, 2, 3, 4, 5, 6, 7].map((i) => 3.25 * i));
  });

  it('reports why it could not link instead of throwing', () => {
    const built = instantiateSimdRoutines({ buffer: new ArrayBuffer(16) } as unknown as WebAssembly.Memory);
    expect(built.routines).toBeNull();
    expect(built.error).toBeInstanceOf(WebAssembly.LinkError);
  });
});

describe('wasm OneHot', () => {
  it('gives float32 ones and zeros like the cpu backend', async () => {
    await initBackend({ backend: 'wasm' });
    const hot = tf.oneHot(tf.tensor1d([0, 2, 1], 'int32'), 3, 1, 0, 'float32');
    expect(hot.dtype).toBe('float32');
    expect(Array.from(hot.dataSync())).toEqual([1, 0, 0, 0, 0, 1, 0, 1, 0]);
    const scaled = tf.oneHot(tf.tensor1d([1], 'int32'), 2, 2.5, -1, 'float32');
    expect(Array.from(scaled.dataSync())).toEqual([-1, 2.5]);
    expect(Array.from(tf.oneHot(tf.tensor1d([1], 'int32'), 2).dataSync())).toEqual([0, 1]);
    await initBackend({ backend: 'cpu' });
  });
});

describe('Adam with a parameter the loss does not reach', () => {
  it('updates the connected parameters and leaves the other untouched', async () => {
    await initBackend({ backend: 'wasm' });
    const used = tf.variable(tf.tensor1d([1, 2]), true, 'adam-used');
    const unused = tf.variable(tf.tensor1d([5]), true, 'adam-unused');
    const opt = new Adam([used, unused], { learningRate: 0.1 });
    opt.minimize(() => ({ loss: tf.sum(tf.square(used)) as tf.Scalar }));
    // First Adam step moves each element by lr * sign(grad).
    const after = Array.from(used.dataSync());
    expect(after[0]).toBeCloseTo(0.9, 5);
    expect(after[1]).toBeCloseTo(1.9, 5);
    expect(Array.from(unused.dataSync())).toEqual([5]);
    await initBackend({ backend: 'cpu' });
  });
});
