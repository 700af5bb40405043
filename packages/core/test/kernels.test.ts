import * as tf from '@tensorflow/tfjs';
import { initBackend, Rng } from '../src/index.js';

/** Run `fn` on the cpu backend and on wasm (with Bellman's kernel patches) and return both results. */
async function onBothBackends(fn: () => tf.Tensor): Promise<{ cpu: Float32Array; wasm: Float32Array; shape: number[] }> {
  await initBackend({ backend: 'cpu' });
  const c = fn();
  const cpu = c.dataSync() as Float32Array;
  const shape = c.shape;
  await initBackend({ backend: 'wasm' });
  const w = fn();
  return { cpu: Float32Array.from(cpu), wasm: Float32Array.from(w.dataSync() as Float32Array), shape };
}

function expectRelClose(a: Float32Array, b: Float32Array, tol = 1e-4): void {
  expect(a.length).toBe(b.length);
  let maxRel = 0;
  for (let i = 0; i < a.length; i++) {
    const rel = Math.abs(a[i]! - b[i]!) / Math.max(1, Math.abs(a[i]!), Math.abs(b[i]!));
    maxRel = Math.max(maxRel, rel);
  }
  expect(maxRel).toBeLessThan(tol);
}

function randomArray(rng: Rng, n: number): Float32Array {
  return rng.fillNormal(new Float32Array(n)) as Float32Array;
}

describe('wasm kernel patches agree with the cpu backend', () => {
  afterAll(async () => {
    await initBackend({ backend: 'cpu' });
  });

  const cases: Array<[number[], number[], boolean, boolean]> = [
    [[7, 5], [5, 3], false, false],
    [[5, 7], [5, 3], true, false],
    [[7, 5], [3, 5], false, true],
    [[5, 7], [3, 5], true, true],
    [[2, 9, 4], [2, 9, 6], true, false],
    [[3, 1, 13], [3, 17, 13], false, true],
    [[256, 23], [256, 64], true, false],
  ];
  it.each(cases)('matMul a%j b%j transposeA=%s transposeB=%s', async (aShape, bShape, ta, tb) => {
    const rng = new Rng(11);
    const a = randomArray(rng, aShape.reduce((p, d) => p * d, 1));
    const b = randomArray(rng, bShape.reduce((p, d) => p * d, 1));
    const { cpu, wasm } = await onBothBackends(() => tf.matMul(tf.tensor(a, aShape), tf.tensor(b, bShape), ta, tb));
    expectRelClose(cpu, wasm);
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
