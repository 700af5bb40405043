/**
 * COMs on a design task: fit the model on the training split (validation rows held out), then
 * propose designs by gradient ascent from the best training designs, scored by the oracle.
 */
import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '@bellman/core';
import { ConservativeObjectiveModel, type ComsConfig } from './coms.js';
import { fitEncoding, type DesignEncoding } from './encoding.js';
import { designSize, percentile, type Designs, type DesignTask } from './task.js';

export interface ComsTrainingOptions {
  /** Passes over the training rows (default 50). */
  epochs?: number;
  batchSize?: number;
  /** Rows held out to measure the model's error on designs it did not fit (default 500). */
  validationSize?: number;
  seed?: number;
  onEpoch?: (epoch: ComsEpoch) => void;
}

export interface ComsEpoch {
  epoch: number;
  /** Means over the epoch's updates, in standardised score units. */
  mse: number;
  gap: number;
  alpha: number;
  /** (f(x) - y)^2 on the held-out rows. */
  validationMse: number;
}

export interface TrainedComs {
  coms: ConservativeObjectiveModel;
  encoding: DesignEncoding;
  /** The training scores' moments: f predicts (y - yMean) / yStd. */
  yMean: number;
  yStd: number;
  history: ComsEpoch[];
}

export function trainComs(task: DesignTask, config: Partial<ComsConfig> = {}, options: ComsTrainingOptions = {}): TrainedComs {
  const { epochs = 50, batchSize = 128, validationSize = 500, seed = 0 } = options;
  const encoding = fitEncoding(task.space, task.train);
  const z = encoding.encode(task.train.x);
  const count = task.train.count;
  let yMean = 0;
  for (const v of task.train.y) yMean += v / count;
  let yVar = 0;
  for (const v of task.train.y) yVar += (v - yMean) ** 2 / count;
  const yStd = Math.sqrt(yVar) || 1;
  const y = task.train.y.map((v) => (v - yMean) / yStd);

  const rng = new Rng(seed);
  const order = Int32Array.from(rng.shuffle(Array.from({ length: count }, (_, i) => i)));
  const heldOut = Math.min(validationSize, Math.floor(count / 5));
  const validation = order.slice(0, heldOut);
  const fitted = order.slice(heldOut);
  const width = encoding.width;
  const rows = (indices: ArrayLike<number>) => {
    const zs = new Float32Array(indices.length * width);
    const ys = new Float32Array(indices.length);
    for (let i = 0; i < indices.length; i++) {
      zs.set(z.subarray(indices[i]! * width, (indices[i]! + 1) * width), i * width);
      ys[i] = y[indices[i]!]!;
    }
    return { z: tf.tensor2d(zs, [indices.length, width]), y: tf.tensor1d(ys) };
  };

  const coms = new ConservativeObjectiveModel(width, task.space.kind, config, seed);
  const history: ComsEpoch[] = [];
  const validationRows = rows(validation);
  for (let epoch = 1; epoch <= epochs; epoch++) {
    const shuffled = Int32Array.from(rng.shuffle(Array.from(fitted)));
    let mse = 0;
    let gap = 0;
    let updates = 0;
    for (let start = 0; start < shuffled.length; start += batchSize) {
      const batch = rows(shuffled.subarray(start, start + batchSize));
      const update = coms.update(batch.z, batch.y);
      tf.dispose([batch.z, batch.y]);
      mse += update.mse;
      gap += update.gap;
      updates++;
    }
    const validationMse = heldOut === 0 ? NaN : tf.tidy(() => tf.mean(tf.square(tf.sub(coms.predict(validationRows.z), validationRows.y))).dataSync()[0]!);
    const record = { epoch, mse: mse / updates, gap: gap / updates, alpha: coms.alpha, validationMse };
    history.push(record);
    options.onEpoch?.(record);
  }
  tf.dispose([validationRows.z, validationRows.y]);
  return { coms, encoding, yMean, yStd, history };
}

export interface ProposalOptions {
  /** How many of the best training designs to start from (default 128). */
  count?: number;
  /** Ascent steps (default: the model's ascentSteps). */
  steps?: number;
}

export interface ProposalStep {
  step: number;
  /** Mean over the designs of the model's prediction, in score units. */
  predicted: number;
  /** Mean over the designs of the oracle's score of the decoded designs. */
  actual: number;
}

export interface DesignProposal {
  designs: Designs;
  /** The oracle's score of each proposed design, and its normalised value. */
  scores: Float64Array;
  normalized: Float64Array;
  /** The 100th and 50th percentiles of the normalised scores: design-bench's reported numbers. */
  score100: number;
  score50: number;
  /** Predicted and true mean score at every ascent step, from step 0 (the starting designs). */
  trace: ProposalStep[];
}

/** design-bench's evaluation: ascend from the top `count` training designs, then ask the oracle. */
export function proposeDesigns(task: DesignTask, trained: TrainedComs, options: ProposalOptions = {}): DesignProposal {
  const { count = 128, steps = trained.coms.config.ascentSteps } = options;
  const { coms, encoding, yMean, yStd } = trained;
  const best = Array.from({ length: task.train.count }, (_, i) => i)
    .sort((a, b) => task.train.y[b]! - task.train.y[a]! || a - b)
    .slice(0, count);
  const size = designSize(task.space);
  const start = new (task.train.x.constructor as new (n: number) => Designs)(best.length * size);
  best.forEach((row, i) => start.set(task.train.x.subarray(row * size, (row + 1) * size), i * size));
  const trace: ProposalStep[] = [];
  // each step's designs and their oracle scores; the last step's are the proposal
  let designs: Designs = start;
  let scores: Float64Array = new Float64Array();
  const record = (step: number, z: tf.Tensor2D) => {
    const predicted = tf.tidy(() => tf.mean(coms.predict(z)).dataSync()[0]!) * yStd + yMean;
    designs = encoding.decode(z.dataSync() as Float32Array);
    scores = task.oracle(designs);
    trace.push({ step, predicted, actual: mean(scores) });
  };
  const z0 = tf.tensor2d(encoding.encode(start), [best.length, encoding.width]);
  record(0, z0);
  const z = coms.ascend(z0, steps, record);
  tf.dispose([z0, z]);
  const normalized = scores.map((v) => task.normalize(v));
  return { designs, scores, normalized, score100: Math.max(...normalized), score50: percentile(normalized, 50), trace };
}

function mean(values: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum += values[i]!;
  return sum / values.length;
}
