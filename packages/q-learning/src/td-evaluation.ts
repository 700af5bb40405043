/**
 * What the TD evaluators share besides their update (sarsa.ts for Discrete actions,
 * sarsa-continuous.ts for Box actions): the config of the critic's TD regression, the data's next
 * actions with the rows a SARSA backup keeps, and the mean of a per-row loss over those rows.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { ConfigSchema, TransitionBatch } from '@bellman/core';

/** The TD regression of an evaluator's critic, whatever its action space. */
export interface TDRegressionConfig {
  hiddenSizes: number[];
  activation: 'relu' | 'tanh';
  learningRate: number;
  gamma: number;
  /** TD loss: half squared error or Huber (delta 1). */
  loss: 'mse' | 'huber';
  targetUpdateInterval: number;
  /** 1: hard target update; less: Polyak averaging with this weight. */
  tau: number;
  clipNorm?: number;
}

export const TD_REGRESSION_SCHEMA: ConfigSchema<TDRegressionConfig> = {
  hiddenSizes: { type: 'integerArray', minLength: 0 },
  activation: { type: 'enum', values: ['relu', 'tanh'] },
  learningRate: { type: 'number', min: 0, exclusiveMin: true },
  gamma: { type: 'number', min: 0, max: 1 },
  loss: { type: 'enum', values: ['mse', 'huber'] },
  targetUpdateInterval: { type: 'number', integer: true, min: 1 },
  tau: { type: 'number', min: 0, max: 1, exclusiveMin: true },
  clipNorm: { type: 'number', min: 0, exclusiveMin: true, optional: true },
};

/** d3rlpy's FQE settings: hidden [256, 256], Adam lr 1e-4, gamma 0.99, squared loss, hard target updates every 100 updates. */
export const TD_REGRESSION_DEFAULTS: Readonly<TDRegressionConfig> = Object.freeze({
  hiddenSizes: [256, 256],
  activation: 'relu',
  learningRate: 1e-4,
  gamma: 0.99,
  loss: 'mse',
  targetUpdateInterval: 100,
  tau: 1,
});

/** The data's next actions for a SARSA backup, and which rows have one. */
export interface SarsaRows {
  /** The batch's `nextActions`, as given. */
  nextActions: Float32Array;
  /** Whether row i has a next action in the data (every row does when the batch has no `nextActionMask`). */
  linked(i: number): boolean;
  /**
   * 1 for rows in the TD loss (a next action, or terminal: y = r), 0 for rows cut by a time limit
   * (nothing to bootstrap from); null, keeping every row, when the batch has no `nextActionMask`.
   */
  rowWeights: Float32Array | null;
}

/** The next actions of a SARSA batch and the rows its loss keeps; throws when the batch has no next actions. */
export function sarsaRows(batch: TransitionBatch, algo: string): SarsaRows {
  const nextActions = batch.nextActions;
  if (!nextActions) {
    throw new Error(`${algo}.update: the batch has no nextActions; SARSA needs data that records them (Dataset.hasNextActions, ReplayBuffer storeNextActions)`);
  }
  const mask = (batch as TransitionBatch & { nextActionMask?: Float32Array }).nextActionMask;
  const linked = (i: number): boolean => (mask ? mask[i]! > 0 : true);
  let rowWeights: Float32Array | null = null;
  if (mask) {
    rowWeights = new Float32Array(batch.size);
    for (let i = 0; i < batch.size; i++) rowWeights[i] = linked(i) || batch.terminals[i]! > 0 ? 1 : 0;
  }
  return { nextActions, linked, rowWeights };
}

/** The mean of per-row losses [B] over the rows of weight 1 (every row when `rowWeights` is null); 0 when none is kept. */
export function keptRowsMean(perRow: tf.Tensor, rowWeights: tf.Tensor1D | null): tf.Scalar {
  return (rowWeights ? tf.div(tf.sum(tf.mul(perRow, rowWeights)), tf.maximum(tf.sum(rowWeights), 1)) : tf.mean(perRow)) as tf.Scalar;
}
