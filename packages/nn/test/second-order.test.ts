import * as tf from '@tensorflow/tfjs';
import { initBackend, registerSecondOrderGradients } from '../src/index.js';
import { waveTensor } from './helpers.js';

/**
 * tfjs's own gradients of tanh, sigmoid, exp, elu and softmax cannot be differentiated again
 * (their saved outputs are cut from the tape); registerSecondOrderGradients fixes that without
 * changing first-order gradients. This file runs before and after the registration (jest gives
 * each test file its own tfjs), with plain tf.grads. (Where another path from x remains, as in an
 * MLP, tfjs returns a wrong second-order gradient instead of failing.)
 */

const x = () => waveTensor([2, 5], 0.3, 1.5);

/** d/dx sum(d/dx sum(tanh x)) = d/dx sum(1 - tanh^2 x) = -2 tanh x (1 - tanh^2 x). */
function secondDerivativeOfTanh(): Float32Array {
  const inner = tf.grad((t: tf.Tensor) => tf.sum(tf.tanh(t)));
  return tf.grad((t: tf.Tensor) => tf.sum(inner(t)))(x()).dataSync() as Float32Array;
}

function expectedSecondDerivative(): number[] {
  return Array.from(x().dataSync(), (v) => -2 * Math.tanh(v) * (1 - Math.tanh(v) ** 2));
}

/** First-order gradients through every op whose gradient is replaced, as raw float32 bits. */
function firstOrderBits(): number[] {
  const loss = (t: tf.Tensor) => tf.sum(tf.mul(tf.softmax(tf.add(tf.elu(tf.tanh(t)), tf.sigmoid(t))), tf.exp(tf.mul(t, 0.3))));
  return Array.from(new Uint32Array((tf.grad(loss)(x()).dataSync() as Float32Array).buffer));
}

it('tfjs alone cannot differentiate the gradient of tanh; registered, it can, and first-order gradients keep their bits on cpu and wasm', async () => {
  const backends = ['cpu', 'wasm'] as const;
  const before: number[][] = [];
  for (const backend of backends) {
    await initBackend({ backend });
    // The only path from x to the first derivative runs through tanh's saved output: tfjs finds none.
    expect(secondDerivativeOfTanh).toThrow(/Cannot compute gradient/);
    before.push(firstOrderBits());
  }
  registerSecondOrderGradients();
  for (const [i, backend] of backends.entries()) {
    await initBackend({ backend });
    Array.from(secondDerivativeOfTanh()).forEach((v, k) => expect(v).toBeCloseTo(expectedSecondDerivative()[k]!, 5));
    expect(firstOrderBits()).toEqual(before[i]);
  }
  await initBackend({ backend: 'cpu' });
});
