/** Helpers for the value-based learner tests: fixed weights, float64 reference forward passes, batches. */
import * as tf from '@tensorflow/tfjs';
import type { TransitionBatch } from '@bellman/core';
import type { Mlp } from '@bellman/nn';

/** A one-hidden-layer relu network's weights: w0 [in, h], b0 [h], w1 [h, out], b1 [out]. */
export interface Weights {
  w0: number[][];
  b0: number[];
  w1: number[][];
  b1: number[];
}

export function setMlp(net: Mlp, w: Weights): void {
  const values = [w.w0.flat(), w.b0, w.w1.flat(), w.b1];
  net.variables.forEach((v, i) => v.assign(tf.tensor(values[i]!, v.shape)));
}

/** float64 hidden features relu(x w0 + b0). */
export function hidden64(x: number[], w: Weights): number[] {
  return w.b0.map((b, j) => Math.max(0, b + x.reduce((s, xi, i) => s + xi * w.w0[i]![j]!, 0)));
}

/** float64 output h w1 + b1 of the features h. */
export function head64(h: number[], w: Weights): number[] {
  return w.b1.map((b, k) => b + h.reduce((s, hj, j) => s + hj * w.w1[j]![k]!, 0));
}

export function forward64(x: number[], w: Weights): number[] {
  return head64(hidden64(x, w), w);
}

export function dot(a: number[], b: number[]): number {
  return a.reduce((s, x, i) => s + x * b[i]!, 0);
}

export function huber(x: number): number {
  return Math.abs(x) <= 1 ? 0.5 * x * x : Math.abs(x) - 0.5;
}

export function mean(values: number[]): number {
  return values.reduce((a, b) => a + b, 0) / values.length;
}

export interface Row {
  obs: number[];
  action: number;
  reward: number;
  next: number[];
  terminal: 0 | 1;
  nextAction?: number;
  /** 0 where the row has no next action (episode end). */
  linked?: 0 | 1;
}

/** A batch of the given rows (Discrete actions), with nextActions / nextActionMask when any row has a next action. */
export function batchOf(rows: Row[]): TransitionBatch & { nextActionMask?: Float32Array } {
  const od = rows[0]!.obs.length;
  const batch: TransitionBatch & { nextActionMask?: Float32Array } = {
    size: rows.length,
    observationDim: od,
    actionDim: 1,
    observations: Float32Array.from(rows.flatMap((r) => r.obs)),
    actions: Float32Array.from(rows.map((r) => r.action)),
    rewards: Float32Array.from(rows.map((r) => r.reward)),
    nextObservations: Float32Array.from(rows.flatMap((r) => r.next)),
    terminals: Float32Array.from(rows.map((r) => r.terminal)),
  };
  if (rows.some((r) => r.nextAction !== undefined)) {
    batch.nextActions = Float32Array.from(rows.map((r) => r.nextAction ?? 0));
    batch.nextActionMask = Float32Array.from(rows.map((r) => r.linked ?? 1));
  }
  return batch;
}

export function variablesOf(net: Mlp): number[][] {
  return net.variables.map((v) => Array.from(v.dataSync()));
}
