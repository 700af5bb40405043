/**
 * float64 reference of IQL's value step, for the tests that check what the critic and actor losses
 * read after it: the gradient of the expectile loss with respect to every parameter of V (a relu
 * MLP with a linear output), by hand-written backpropagation, and Adam's first step.
 */
import * as tf from '@tensorflow/tfjs';
import { Box, type TransitionBatch } from '@bellman/core';
import type { RegularizerContext } from '@bellman/nn';
import { IQL } from '../src/index.js';
import { setFixedWeights, type Net64 } from './continuous-helpers.js';

/**
 * An IQL on Box[2] observations and Box[1] actions in [-2, 2] whose networks hold known weights
 * (returned in float64 for the reference computations); V is shifted down so that
 * Qtarget - V takes both signs on the tiny batch.
 */
export function fixedWeightIql(config: Record<string, unknown>, init: { regularizers?: { name: string; penalty(ctx: RegularizerContext): tf.Scalar }[] } = {}) {
  const iql = new IQL({ observationSpace: new Box(-5, 5, [2]), actionSpace: new Box(-2, 2, [1]), seed: 6, config: { hiddenSizes: [3], ...config }, ...init });
  const actor = setFixedWeights(iql.actor.net, 1);
  const critics = iql.critics.members.map((m, j) => setFixedWeights(m, 10 + j));
  const targets = iql.critics.targets.map((t, j) => setFixedWeights(t, 20 + j, 1.5));
  const value = setFixedWeights(iql.value, 30);
  value.biases[1]![0] = Math.fround(value.biases[1]![0]! - 1.5);
  iql.value.biases[1]!.assign(tf.tensor1d(value.biases[1]!));
  return { iql, actor, critics, targets, value };
}

/** Adam's epsilon in @bellman/core. */
const ADAM_EPSILON = 1e-8;

/**
 * d/dtheta of L_V = mean_i |tau - 1(u_i < 0)| u_i^2, u_i = q_i - V(s_i), for V = `net`, as arrays
 * shaped like the net's weights and biases. The weight |tau - 1(u < 0)| is a constant of the gradient.
 */
export function expectileGradient64(net: Net64, observations: number[][], q: number[], expectile: number): Net64 {
  const layers = net.weights.length;
  const grad: Net64 = {
    weights: net.weights.map((w) => w.map((row) => row.map(() => 0))),
    biases: net.biases.map((b) => b.map(() => 0)),
  };
  observations.forEach((x, i) => {
    // Forward, keeping each layer's input and pre-activation.
    const inputs: number[][] = [];
    const pre: number[][] = [];
    let h = x;
    for (let l = 0; l < layers; l++) {
      inputs.push(h);
      const w = net.weights[l]!;
      const z = net.biases[l]!.map((b, j) => b + h.reduce((s, hk, k) => s + hk * w[k]![j]!, 0));
      pre.push(z);
      h = l < layers - 1 ? z.map((v) => Math.max(0, v)) : z;
    }
    const u = q[i]! - h[0]!;
    const weight = u < 0 ? 1 - expectile : expectile;
    // dL/dV(s_i) = -2 w u / B; then back through the layers.
    let delta = [(-2 * weight * u) / observations.length];
    for (let l = layers - 1; l >= 0; l--) {
      const w = net.weights[l]!;
      const input = inputs[l]!;
      delta.forEach((d, j) => {
        grad.biases[l]![j]! += d;
        input.forEach((hk, k) => (grad.weights[l]![k]![j]! += hk * d));
      });
      if (l > 0) {
        const below = pre[l - 1]!;
        delta = input.map((_, k) => (below[k]! > 0 ? delta.reduce((s, d, j) => s + d * w[k]![j]!, 0) : 0));
      }
    }
  });
  return grad;
}

/** Adam's first step from zero moments: theta - lr * g / (|g| + epsilon), every parameter. */
export function adamFirstStep64(net: Net64, grad: Net64, learningRate: number): Net64 {
  const step = (p: number, g: number) => p - (learningRate * g) / (Math.abs(g) + ADAM_EPSILON);
  return {
    weights: net.weights.map((w, l) => w.map((row, k) => row.map((p, j) => step(p, grad.weights[l]![k]![j]!)))),
    biases: net.biases.map((b, l) => b.map((p, j) => step(p, grad.biases[l]![j]!))),
  };
}

/** V after IQL's value step on (s_i, Qt_i) with the given expectile and learning rate. */
export function valueAfterStep64(net: Net64, observations: number[][], qTarget: number[], expectile: number, learningRate: number): Net64 {
  return adamFirstStep64(net, expectileGradient64(net, observations, qTarget, expectile), learningRate);
}

/** Four rows of Discrete IQL tests over 2-D states; the third ends the episode. Actions cover 0, 1 and 2. */
export const DISCRETE_ROWS = [
  { s: [0.5, -0.3], a: 0, r: -0.7, sNext: [0.1, 0.9], d: 0 },
  { s: [-1.0, 0.4], a: 2, r: 0.3, sNext: [-0.6, 0.2], d: 0 },
  { s: [0.2, 0.8], a: 1, r: 1.1, sNext: [1.3, -0.4], d: 1 },
  { s: [1.5, 1.0], a: 2, r: 0.4, sNext: [-0.2, -1.1], d: 0 },
];

/** The batch of `rows` (by default DISCRETE_ROWS). */
export function discreteRowsBatch(rows = DISCRETE_ROWS): TransitionBatch {
  return {
    size: rows.length,
    observationDim: 2,
    actionDim: 1,
    observations: Float32Array.from(rows.flatMap((r) => r.s)),
    actions: Float32Array.from(rows.map((r) => r.a)),
    rewards: Float32Array.from(rows.map((r) => r.r)),
    nextObservations: Float32Array.from(rows.flatMap((r) => r.sNext)),
    terminals: Float32Array.from(rows.map((r) => r.d)),
  };
}
