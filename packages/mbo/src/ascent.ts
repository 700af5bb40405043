/**
 * The search step shared by the gradient-based optimisers: plain gradient ascent on a model's
 * prediction, x <- x + eta grad_x sum_i f(x_i), in the encoded design space, and the starting
 * designs design-bench uses (the best training designs by score).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Designs, DesignSet } from './task.js';

/**
 * `steps` ascent steps of size `eta` on `score` from `z`. The result is a constant: nothing flows
 * back through it. `onStep(step, z)` sees each step's points (valid only during the call).
 */
export function gradientAscent(score: (z: tf.Tensor2D) => tf.Tensor, z: tf.Tensor2D, steps: number, eta: number, onStep?: (step: number, z: tf.Tensor2D) => void): tf.Tensor2D {
  const gradient = tf.grad((input: tf.Tensor) => tf.sum(score(input as tf.Tensor2D)));
  let current = tf.clone(z);
  for (let step = 1; step <= steps; step++) {
    const next = tf.tidy(() => tf.add(current, tf.mul(gradient(current), eta)) as tf.Tensor2D);
    current.dispose();
    current = next;
    onStep?.(step, current);
  }
  return current;
}

/** The `count` highest-scoring rows of a design set, best first (ties by row order). */
export function topDesigns<X extends Designs>(set: DesignSet<X>, size: number, count: number): { x: X; y: Float32Array } {
  const best = Array.from({ length: set.count }, (_, i) => i)
    .sort((a, b) => set.y[b]! - set.y[a]! || a - b)
    .slice(0, count);
  const x = new (set.x.constructor as new (n: number) => X)(best.length * size);
  const y = new Float32Array(best.length);
  best.forEach((row, i) => {
    x.set(set.x.subarray(row * size, (row + 1) * size), i * size);
    y[i] = set.y[row]!;
  });
  return { x, y };
}
