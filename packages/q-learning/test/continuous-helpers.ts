/** float64 reference computations and fixed weights for the continuous-action learner tests. */
import * as tf from '@tensorflow/tfjs';
import type { TransitionBatch } from '@bellman/core';
import type { Mlp } from '@bellman/nn';

/** Layers of a float64 MLP: weights[l] is [in][out], biases[l] is [out]. */
export interface Net64 {
  weights: number[][][];
  biases: number[][];
}

/**
 * Give every variable of `net` fixed, known values (float32-exact) and return them as float64
 * arrays. `salt` makes different networks differ; `scale` sets their size.
 */
export function setFixedWeights(net: Mlp, salt: number, scale = 0.6): Net64 {
  const out: Net64 = { weights: [], biases: [] };
  net.weights.forEach((w, l) => {
    const [rows, cols] = w.shape as [number, number];
    const values: number[][] = [];
    for (let i = 0; i < rows; i++) {
      values.push([]);
      for (let j = 0; j < cols; j++) values[i]!.push(Math.fround(scale * Math.sin(1.3 + salt * 2.1 + l * 0.7 + i * 1.9 + j * 3.1)));
    }
    w.assign(tf.tensor2d(values.flat(), [rows, cols]));
    out.weights.push(values);
    const b = net.biases[l]!;
    const bias = Array.from({ length: cols }, (_, j) => Math.fround(0.2 * scale * Math.cos(0.4 + salt * 1.7 + l + j * 2.3)));
    b.assign(tf.tensor1d(bias));
    out.biases.push(bias);
  });
  return out;
}

/** Read a network's current weights as float64 arrays. */
export function readWeights(net: Mlp): Net64 {
  return {
    weights: net.weights.map((w) => {
      const [rows, cols] = w.shape as [number, number];
      const data = w.dataSync();
      return Array.from({ length: rows }, (_, i) => Array.from(data.slice(i * cols, (i + 1) * cols)));
    }),
    biases: net.biases.map((b) => Array.from(b.dataSync())),
  };
}

/** Penultimate features of a relu MLP in float64. */
export function features64(net: Net64, x: number[]): number[] {
  let h = x;
  for (let l = 0; l < net.weights.length - 1; l++) {
    const w = net.weights[l]!;
    h = net.biases[l]!.map((b, j) => Math.max(0, b + h.reduce((s, hi, i) => s + hi * w[i]![j]!, 0)));
  }
  return h;
}

/** Output of a relu MLP (linear last layer) in float64. */
export function forward64(net: Net64, x: number[]): number[] {
  const h = features64(net, x);
  const last = net.weights.length - 1;
  const w = net.weights[last]!;
  return net.biases[last]!.map((b, k) => b + h.reduce((s, hi, i) => s + hi * w[i]![k]!, 0));
}

/** Q(s, a) of a critic on [s, a]. */
export function q64(net: Net64, s: number[], a: number[]): number {
  return forward64(net, [...s, ...a])[0]!;
}

export const mean = (xs: number[]): number => xs.reduce((x, y) => x + y, 0) / xs.length;

export const HALF_LOG_2PI = 0.5 * Math.log(2 * Math.PI);

/** log(1 - tanh(u)^2) in float64, stable for large |u|. */
export function logOneMinusTanh2(u: number): number {
  const x = Math.abs(u);
  return 2 * (Math.log(2) - x - Math.log1p(Math.exp(-2 * x)));
}

/** log N(x; mu, exp(logStd)^2) of one dimension. */
export function normalLogPdf(x: number, mu: number, logStd: number): number {
  const z = (x - mu) / Math.exp(logStd);
  return -0.5 * z * z - logStd - HALF_LOG_2PI;
}

export function logSumExp(xs: number[]): number {
  const m = Math.max(...xs);
  return m + Math.log(xs.reduce((s, x) => s + Math.exp(x - m), 0));
}

/** Three rows; the second ends the episode. */
export function tinyBatch(): TransitionBatch {
  return {
    size: 3,
    observationDim: 2,
    actionDim: 1,
    observations: new Float32Array([0.5, -0.3, -1.0, 0.4, 0.2, 0.8]),
    actions: new Float32Array([1.2, -0.5, 1.9]),
    rewards: new Float32Array([-0.7, 0.3, 1.1]),
    nextObservations: new Float32Array([0.1, 0.9, -0.6, 0.2, 1.3, -0.4]),
    terminals: new Float32Array([0, 1, 0]),
  };
}

export function rows(batch: TransitionBatch) {
  const f = Array.from;
  return Array.from({ length: batch.size }, (_, i) => ({
    s: f(batch.observations.slice(2 * i, 2 * i + 2)),
    a: f(batch.actions.slice(i, i + 1)),
    r: batch.rewards[i]!,
    sNext: f(batch.nextObservations.slice(2 * i, 2 * i + 2)),
    d: batch.terminals[i]!,
  }));
}

/** The tanh-Gaussian sample and log-density of a one-dimensional actor with half-range 2, in float64. */
export function tanhGaussian64(actor: Net64, s: number[], eps: number): { a: number; logp: number } {
  const [mu, rawLogStd] = forward64(actor, s) as [number, number];
  const logStd = Math.min(Math.max(rawLogStd, -20), 2);
  const u = mu + Math.exp(logStd) * eps;
  return { a: 2 * Math.tanh(u), logp: normalLogPdf(u, mu, logStd) - Math.log(2) - logOneMinusTanh2(u) };
}

