/**
 * Small helpers every learner needs: batches as tensors, actions from network outputs, and
 * mapping between unbounded network outputs and a bounded action box.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Box, Discrete, Rng, TransitionBatch } from '@bellman/core';
import type { AdamConfig, Mlp } from '@bellman/nn';

/**
 * The tensors of one TransitionBatch, created on first use and disposed together.
 *
 * Each field becomes a tensor at most once per batch, however many loss closures read it, and
 * float fields are handed to tfjs straight from the batch's typed arrays (no conversion pass).
 * Tensors are kept out of any surrounding `tf.tidy`, so it is safe to read them inside
 * `Adam.minimize` closures; `dispose()` frees them all (BaseLearner.update does this).
 */
export class BatchTensors {
  private readonly cache = new Map<string, tf.Tensor>();

  constructor(
    readonly batch: TransitionBatch,
    private readonly actionSpace: Box | Discrete,
  ) {}

  get size(): number {
    return this.batch.size;
  }

  /** [B, observationDim] */
  get observations(): tf.Tensor2D {
    return this.memo('observations', () => tf.tensor2d(this.batch.observations, [this.batch.size, this.batch.observationDim]));
  }

  /** [B, observationDim] */
  get nextObservations(): tf.Tensor2D {
    return this.memo('nextObservations', () =>
      tf.tensor2d(this.batch.nextObservations, [this.batch.size, this.batch.observationDim]),
    );
  }

  /** [B, actionDim] float actions (Box action spaces; for Discrete this is the raw value column). */
  get actions(): tf.Tensor2D {
    return this.memo('actions', () => tf.tensor2d(this.batch.actions, [this.batch.size, this.batch.actionDim]));
  }

  /** [B] int32 action indices in [0, n) (Discrete action spaces: value minus `start`). */
  get actionIndices(): tf.Tensor1D {
    return this.memo('actionIndices', () => tf.tensor1d(this.indices(this.batch.actions, 'actions'), 'int32'));
  }

  /** [B, n] one-hot of the actions (Discrete). Selecting Q(s, a) as sum(Q * oneHot) avoids gather's gradient. */
  get actionOneHot(): tf.Tensor2D {
    return this.memo('actionOneHot', () => floatOneHot(this.actionIndices, this.discreteSpace().n));
  }

  /** [B, actionDim] the next actions of the data (SARSA). Throws when the batch has none. */
  get nextActions(): tf.Tensor2D {
    return this.memo('nextActions', () => tf.tensor2d(this.requireNextActions(), [this.batch.size, this.batch.actionDim]));
  }

  /** [B] int32 indices of the next actions (Discrete). */
  get nextActionIndices(): tf.Tensor1D {
    return this.memo('nextActionIndices', () => tf.tensor1d(this.indices(this.requireNextActions(), 'nextActions'), 'int32'));
  }

  /** [B, n] one-hot of the next actions (Discrete). */
  get nextActionOneHot(): tf.Tensor2D {
    return this.memo('nextActionOneHot', () => floatOneHot(this.nextActionIndices, this.discreteSpace().n));
  }

  /** [B] */
  get rewards(): tf.Tensor1D {
    return this.memo('rewards', () => tf.tensor1d(this.batch.rewards));
  }

  /** [B] 1 where the MDP ended (never for time limits). */
  get terminals(): tf.Tensor1D {
    return this.memo('terminals', () => tf.tensor1d(this.batch.terminals));
  }

  /** [B] 1 - terminal: multiplies the bootstrapped value in a TD target. */
  get continues(): tf.Tensor1D {
    return this.memo('continues', () => tf.sub(1, this.terminals) as tf.Tensor1D);
  }

  dispose(): void {
    for (const t of this.cache.values()) t.dispose();
    this.cache.clear();
  }

  private memo<T extends tf.Tensor>(key: string, make: () => T): T {
    const hit = this.cache.get(key);
    if (hit) return hit as T;
    const made = tf.keep(tf.tidy(make));
    this.cache.set(key, made);
    return made;
  }

  private discreteSpace(): Discrete {
    if (this.actionSpace.kind !== 'discrete') {
      throw new Error(`BatchTensors: action indices need a Discrete action space, this learner has ${String(this.actionSpace)}`);
    }
    return this.actionSpace;
  }

  private requireNextActions(): Float32Array {
    if (!this.batch.nextActions) {
      throw new Error('batch has no nextActions: this algorithm needs a dataset that records them (Dataset.hasNextActions)');
    }
    return this.batch.nextActions;
  }

  private indices(values: Float32Array, field: string): Int32Array {
    const { n, start } = this.discreteSpace();
    const out = new Int32Array(this.batch.size);
    for (let i = 0; i < out.length; i++) {
      const index = values[i]! - start;
      if (!Number.isInteger(index) || index < 0 || index >= n) {
        throw new RangeError(`batch.${field} row ${i} is ${values[i]}, expected an integer in [${start}, ${start + n})`);
      }
      out[i] = index;
    }
    return out;
  }
}

/**
 * A float32 one-hot matrix. Built as int32 then cast: tfjs 4.22's wasm OneHot kernel writes
 * integer bits into a float32 output when asked for dtype 'float32' (1 reads as 1.4e-45).
 */
export function floatOneHot(indices: tf.Tensor1D, depth: number): tf.Tensor2D {
  return tf.tidy(() => tf.cast(tf.oneHot(indices, depth), 'float32') as tf.Tensor2D);
}

/**
 * Maps between an unbounded network output and a Box: `squash(u) = center + halfRange * tanh(u)`.
 * For a box with an infinite bound, squash is the identity (the network's output is the action).
 */
export class ActionScaler {
  readonly bounded: boolean;
  readonly center: Float32Array;
  readonly halfRange: Float32Array;

  constructor(readonly box: Box) {
    this.bounded = box.isBounded();
    this.center = new Float32Array(box.size);
    this.halfRange = new Float32Array(box.size);
    for (let i = 0; i < box.size; i++) {
      this.center[i] = this.bounded ? (box.low[i]! + box.high[i]!) / 2 : 0;
      this.halfRange[i] = this.bounded ? (box.high[i]! - box.low[i]!) / 2 : 1;
    }
  }

  /** Tensor version, for losses: [B, actionDim] -> [B, actionDim] inside the box. */
  squash(u: tf.Tensor2D): tf.Tensor2D {
    if (!this.bounded) return u;
    return tf.tidy(() => tf.add(tf.mul(tf.tanh(u), tf.tensor1d(this.halfRange)), tf.tensor1d(this.center)) as tf.Tensor2D);
  }

  /** Array version, for acting. */
  squashArray(u: ArrayLike<number>): Float32Array {
    const out = new Float32Array(this.box.size);
    for (let i = 0; i < out.length; i++) out[i] = this.bounded ? this.center[i]! + this.halfRange[i]! * Math.tanh(u[i]!) : u[i]!;
    return out;
  }
}

/** The values of a tensor computed for reading, as a fresh Float32Array; the tensor is disposed. */
export function readAndDispose(tensor: tf.Tensor): Float32Array {
  const values = Float32Array.from(tensor.dataSync());
  tensor.dispose();
  return values;
}

/** The network's output for one observation, as a fresh Float32Array. */
export function forwardOne(net: Mlp, observation: ArrayLike<number>): Float32Array {
  const dim = net.config.inputDim;
  if (observation.length !== dim) {
    throw new RangeError(`observation has ${observation.length} values, the network expects ${dim}`);
  }
  return readAndDispose(tf.tidy(() => net.forward(tf.tensor2d(Float32Array.from(observation), [1, dim]))));
}

/** Throws unless `values` holds `count` rows of `width` (row-major); `where` and `field` name the argument. */
export function checkRows(where: string, field: string, values: ArrayLike<number>, count: number, width: number): void {
  if (values.length !== count * width) throw new RangeError(`${where}: ${field} has ${values.length} values for ${count} x ${width}`);
}

/** Adam settings with the optional global gradient-norm clip left out when unset. */
export function adamConfig(learningRate: number, clipNorm: number | undefined): AdamConfig {
  return { learningRate, ...(clipNorm !== undefined ? { clipNorm } : {}) };
}

/** A target network's refresh: a copy when tau is 1 (hard update), else target <- tau * source + (1 - tau) * target. */
export function refreshTarget(target: Mlp, source: Mlp, tau: number): void {
  if (tau === 1) target.copyFrom(source);
  else target.softUpdateFrom(source, tau);
}

/** Index of the largest value; ties go to the lowest index. NaN values are errors (a diverged net). */
export function argmax(values: ArrayLike<number>): number {
  let best = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (Number.isNaN(v)) throw new RangeError(`argmax: value ${i} is NaN (did training diverge?)`);
    if (v > values[best]!) best = i;
  }
  return best;
}

/** Draw an index from softmax(logits) with `rng`. */
export function sampleFromLogits(logits: ArrayLike<number>, rng: Rng): number {
  let max = -Infinity;
  for (let i = 0; i < logits.length; i++) max = Math.max(max, logits[i]!);
  let total = 0;
  const weights = new Float64Array(logits.length);
  for (let i = 0; i < logits.length; i++) total += weights[i] = Math.exp(logits[i]! - max);
  let u = rng.uniform() * total;
  for (let i = 0; i < weights.length; i++) {
    u -= weights[i]!;
    if (u < 0) return i;
  }
  return weights.length - 1;
}

/** The action space as a Box, for learners on Box actions; a TypeError naming the algorithm otherwise. */
export function boxActionSpace(algo: string, actionSpace: Box | Discrete): Box {
  if (actionSpace.kind !== 'box') throw new TypeError(`${algo}: needs a Box action space, got ${String(actionSpace)}`);
  return actionSpace;
}

/** Checks a batch's widths against the learner's spaces, naming the field that is off. */
export function checkBatchShape(batch: TransitionBatch, observationDim: number, actionDim: number, algo: string): void {
  if (batch.observationDim !== observationDim) {
    throw new RangeError(`${algo}.update: batch.observationDim is ${batch.observationDim}, the learner's observation space has ${observationDim}`);
  }
  if (batch.actionDim !== actionDim) {
    throw new RangeError(`${algo}.update: batch.actionDim is ${batch.actionDim}, the learner's action space needs ${actionDim}`);
  }
  if (!(batch.size > 0) || batch.observations.length !== batch.size * observationDim) {
    throw new RangeError(`${algo}.update: batch.observations has ${batch.observations.length} values for size ${batch.size} x ${observationDim}`);
  }
}
