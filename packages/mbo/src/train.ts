/**
 * Fitting a forward model on a design task's training split, design-bench's way: y standardised
 * with the training moments, designs encoded (`fitEncoding`), some rows held out for validation,
 * shuffled mini-batches; and proposing designs by gradient ascent from the best training designs.
 * The oracle is never called here: `evaluateDesigns` does that.
 */
import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '@bellman/core';
import { gradientAscent, topDesigns } from './ascent.js';
import { ConservativeObjectiveModel, type ComsConfig } from './coms.js';
import { fitEncoding, type DesignEncoding } from './encoding.js';
import type { DesignSolution, SearchStep } from './optimizer.js';
import { designSize, type DesignTask } from './task.js';

export interface FitOptions {
  /** Passes over the training rows (default 50). */
  epochs?: number;
  batchSize?: number;
  /** Rows held out to measure the model's error on designs it did not fit (default 500). */
  validationSize?: number;
  seed?: number;
}

/** A task's training split as a model sees it: encoded designs and standardised scores. */
export interface TrainingData {
  encoding: DesignEncoding;
  /** The training scores' moments: models predict (y - yMean) / yStd. */
  yMean: number;
  yStd: number;
  /** Row indices that are fitted, and those held out. */
  fitted: Int32Array;
  validation: Int32Array;
  /** Encoded designs and standardised scores of the given rows, as tensors (the caller disposes them). */
  rows(indices: ArrayLike<number>): { z: tf.Tensor2D; y: tf.Tensor1D };
}

/** Encodes and standardises the training split and draws the validation rows from `rng`. */
export function prepareTrainingData(task: DesignTask, validationSize: number, rng: Rng): TrainingData {
  const encoding = fitEncoding(task.space, task.train);
  const z = encoding.encode(task.train.x);
  const count = task.train.count;
  let yMean = 0;
  for (const v of task.train.y) yMean += v / count;
  let yVar = 0;
  for (const v of task.train.y) yVar += (v - yMean) ** 2 / count;
  const yStd = Math.sqrt(yVar) || 1;
  const y = task.train.y.map((v) => (v - yMean) / yStd);
  const order = Int32Array.from(rng.shuffle(Array.from({ length: count }, (_, i) => i)));
  const heldOut = Math.min(validationSize, Math.floor(count / 5));
  const width = encoding.width;
  return {
    encoding,
    yMean,
    yStd,
    fitted: order.slice(heldOut),
    validation: order.slice(0, heldOut),
    rows: (indices) => {
      const zs = new Float32Array(indices.length * width);
      const ys = new Float32Array(indices.length);
      for (let i = 0; i < indices.length; i++) {
        zs.set(z.subarray(indices[i]! * width, (indices[i]! + 1) * width), i * width);
        ys[i] = y[indices[i]!]!;
      }
      return { z: tf.tensor2d(zs, [indices.length, width]), y: tf.tensor1d(ys) };
    },
  };
}

/**
 * Shuffled mini-batch epochs over the fitted rows: `update` takes one batch and returns its
 * figures, which are averaged over the epoch and passed to `onEpoch` with the epoch number.
 */
export function runEpochs<M extends Record<string, number>>(
  data: TrainingData,
  rng: Rng,
  { epochs, batchSize }: { epochs: number; batchSize: number },
  update: (z: tf.Tensor2D, y: tf.Tensor1D) => M,
  onEpoch: (epoch: number, means: M) => void,
): void {
  for (let epoch = 1; epoch <= epochs; epoch++) {
    const shuffled = Int32Array.from(rng.shuffle(Array.from(data.fitted)));
    const sums: Record<string, number> = {};
    let updates = 0;
    for (let start = 0; start < shuffled.length; start += batchSize) {
      const batch = data.rows(shuffled.subarray(start, start + batchSize));
      const figures = update(batch.z, batch.y);
      tf.dispose([batch.z, batch.y]);
      for (const [k, v] of Object.entries(figures)) sums[k] = (sums[k] ?? 0) + v;
      updates++;
    }
    const means = Object.fromEntries(Object.entries(sums).map(([k, v]) => [k, v / updates])) as M;
    onEpoch(epoch, means);
  }
}

/** Mean squared error of `predict` on the held-out rows (NaN when none are held out). */
export function validationMse(data: TrainingData, predict: (z: tf.Tensor2D) => tf.Tensor1D): number {
  if (data.validation.length === 0) return NaN;
  const { z, y } = data.rows(data.validation);
  const mse = tf.tidy(() => tf.mean(tf.square(tf.sub(predict(z), y))).dataSync()[0]!);
  tf.dispose([z, y]);
  return mse;
}

export interface ComsTrainingOptions extends FitOptions {
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
  const rng = new Rng(seed);
  const data = prepareTrainingData(task, validationSize, rng);
  const coms = new ConservativeObjectiveModel(data.encoding.width, task.space.kind, config, seed);
  const history: ComsEpoch[] = [];
  runEpochs(
    data,
    rng,
    { epochs, batchSize },
    (z, y) => {
      const { mse, gap } = coms.update(z, y);
      return { mse, gap };
    },
    (epoch, means) => {
      const record = { epoch, mse: means.mse, gap: means.gap, alpha: coms.alpha, validationMse: validationMse(data, (z) => coms.predict(z)) };
      history.push(record);
      options.onEpoch?.(record);
    },
  );
  return { coms, encoding: data.encoding, yMean: data.yMean, yStd: data.yStd, history };
}

export interface AscentProposalOptions {
  /** How many of the best training designs to start from (default 128). */
  count?: number;
  /** Ascent steps. */
  steps: number;
  /** The step size in the encoded space. */
  eta: number;
  /** Keep the designs of every k-th step (and the last) in the solution's path (default 1; 0 keeps none). */
  recordEvery?: number;
}

/** A model's prediction in score units, and where its ascent runs. */
export interface AscentModel {
  encoding: DesignEncoding;
  yMean: number;
  yStd: number;
  /** The standardised prediction, one value per row. */
  predict(z: tf.Tensor2D): tf.Tensor1D;
}

/** design-bench's search: gradient ascent on the model from the best `count` training designs. */
export function ascendFromBest(task: DesignTask, model: AscentModel, options: AscentProposalOptions): DesignSolution {
  const { count = 128, steps, eta, recordEvery = 1 } = options;
  const { encoding, yMean, yStd } = model;
  const start = topDesigns(task.train, designSize(task.space), count);
  const rows = start.y.length;
  const path: SearchStep[] = [];
  const record = (step: number, z: tf.Tensor2D) => {
    const predicted = tf.tidy(() => tf.mean(model.predict(z)).dataSync()[0]!) * yStd + yMean;
    path.push({ step, designs: encoding.decode(z.dataSync() as Float32Array), predicted });
  };
  const z0 = tf.tensor2d(encoding.encode(start.x), [rows, encoding.width]);
  if (recordEvery > 0) record(0, z0);
  const z = gradientAscent((input) => model.predict(input), z0, steps, eta, (step, current) => {
    if (recordEvery > 0 && (step % recordEvery === 0 || step === steps)) record(step, current);
  });
  const designs = encoding.decode(z.dataSync() as Float32Array);
  tf.dispose([z0, z]);
  return recordEvery > 0 ? { designs, path } : { designs };
}

/** COMs' proposal: its own ascent (eta, steps) from the best training designs. */
export function proposeDesigns(task: DesignTask, trained: TrainedComs, options: Partial<AscentProposalOptions> = {}): DesignSolution {
  const { coms } = trained;
  return ascendFromBest(task, { ...trained, predict: (z) => coms.predict(z) }, { steps: coms.config.ascentSteps, eta: coms.eta, ...options });
}

