import * as tf from '@tensorflow/tfjs-core';
import type { Metrics, Rng, SerializedTensor } from '@bellman/core';
import { ADAM_KERNEL, DENSE_KERNEL, LERP_KERNEL, hasFusedKernel } from './kernels.js';
import { param } from './module.js';
import type { Module, ParamRecord } from './module.js';
import { assignSerialized, serializeTensor, variableFrom } from './tensors.js';

export type Activation = 'relu' | 'tanh' | 'linear' | 'elu';

export interface MlpConfig {
  inputDim: number;
  hiddenSizes: number[];
  outputDim: number;
  activation?: Activation;
  /** Applied to the output layer; 'linear' by default. */
  outputActivation?: Activation;
}

function uniformTensor(rng: Rng, shape: [number, number] | [number], bound: number, name: string): tf.Variable {
  const size = shape.reduce((a, b) => a * b, 1);
  const values = new Float32Array(size);
  rng.fillUniform(values, -bound, bound);
  return variableFrom(tf.tensor(values, shape, 'float32'), true, name);
}

let mlpCounter = 0;

/**
 * A multilayer perceptron whose penultimate features are exposed: `features(x)` is phi, the input
 * of the last linear layer, which feature regularizers (DR3) and diagnostics need.
 * Initialisation follows PyTorch's nn.Linear: weights and biases ~ U(-1/sqrt(fanIn), 1/sqrt(fanIn)).
 */
export class Mlp implements Module<tf.Tensor2D, tf.Tensor2D> {
  readonly config: Required<MlpConfig>;
  readonly weights: tf.Variable[] = [];
  readonly biases: tf.Variable[] = [];
  readonly name: string;

  constructor(config: MlpConfig, rng: Rng, name?: string) {
    const cfg: Required<MlpConfig> = { activation: 'relu', outputActivation: 'linear', ...config };
    for (const [key, value] of Object.entries({ inputDim: cfg.inputDim, outputDim: cfg.outputDim })) {
      if (!Number.isInteger(value) || value <= 0) throw new RangeError(`Mlp: ${key} must be a positive integer, got ${value}`);
    }
    cfg.hiddenSizes.forEach((h, i) => {
      if (!Number.isInteger(h) || h <= 0) throw new RangeError(`Mlp: hiddenSizes[${i}] must be a positive integer, got ${h}`);
    });
    this.config = cfg;
    this.name = name ?? `mlp${mlpCounter++}`;
    const sizes = [cfg.inputDim, ...cfg.hiddenSizes, cfg.outputDim];
    for (let i = 0; i < sizes.length - 1; i++) {
      const fanIn = sizes[i]!;
      const bound = 1 / Math.sqrt(fanIn);
      this.weights.push(uniformTensor(rng, [fanIn, sizes[i + 1]!], bound, `${this.name}/dense${i}/kernel`));
      this.biases.push(uniformTensor(rng, [sizes[i + 1]!], bound, `${this.name}/dense${i}/bias`));
    }
  }

  /** All trainable variables, in a fixed order. */
  get variables(): tf.Variable[] {
    const out: tf.Variable[] = [];
    for (let i = 0; i < this.weights.length; i++) out.push(this.weights[i]!, this.biases[i]!);
    return out;
  }

  /** Width of the penultimate features phi (the input width of the last layer). */
  get featureDim(): number {
    const h = this.config.hiddenSizes;
    return h.length > 0 ? h[h.length - 1]! : this.config.inputDim;
  }

  /** phi(x): activations of the last hidden layer, [batch, featureDim]. */
  features(x: tf.Tensor2D): tf.Tensor2D {
    return this.layers(this.weights, this.biases, x, 0, this.weights.length - 1);
  }

  /** The last linear layer (and output activation) applied to features. */
  head(phi: tf.Tensor2D): tf.Tensor2D {
    const last = this.weights.length - 1;
    return this.layers(this.weights, this.biases, phi, last, last + 1);
  }

  forward(x: tf.Tensor2D): tf.Tensor2D {
    return this.head(this.features(x));
  }

  /** Layers `from` to `to - 1` on the given weights; the last layer takes the output activation. */
  private layers(weights: tf.Tensor[], biases: tf.Tensor[], x: tf.Tensor2D, from: number, to: number): tf.Tensor2D {
    const last = this.weights.length - 1;
    let h = x;
    for (let i = from; i < to; i++) h = dense(h, weights[i]!, biases[i]!, i === last ? this.config.outputActivation : this.config.activation);
    return h;
  }

  /**
   * The variables under Module names: `layers.<i>.weight` ([in, out], the transpose of PyTorch's
   * nn.Linear weight) and `layers.<i>.bias`.
   */
  namedVariables(): Map<string, tf.Variable> {
    const out = new Map<string, tf.Variable>();
    this.weights.forEach((w, i) => {
      out.set(`layers.${i}.weight`, w);
      out.set(`layers.${i}.bias`, this.biases[i]!);
    });
    return out;
  }

  apply(x: tf.Tensor2D): tf.Tensor2D {
    return this.forward(x);
  }

  /** forward(x) on explicit weights keyed as in namedVariables(), e.g. MAML's adapted ones. */
  applyWith(params: ParamRecord, x: tf.Tensor2D): tf.Tensor2D {
    const n = this.weights.length;
    const weights = Array.from({ length: n }, (_, i) => param(params, `layers.${i}.weight`, `Mlp ${this.name}`));
    const biases = Array.from({ length: n }, (_, i) => param(params, `layers.${i}.bias`, `Mlp ${this.name}`));
    return this.layers(weights, biases, x, 0, n);
  }

  forwardWithFeatures(x: tf.Tensor2D): { output: tf.Tensor2D; features: tf.Tensor2D } {
    const features = this.features(x);
    return { output: this.head(features), features };
  }

  /** Copy every weight from a network of the same architecture (hard target update). */
  copyFrom(other: Mlp): void {
    this.softUpdateFrom(other, 1);
  }

  /** Polyak averaging: theta <- tau * theta_other + (1 - tau) * theta. */
  softUpdateFrom(other: Mlp, tau: number): void {
    const mine = this.variables;
    const theirs = other.variables;
    if (mine.length !== theirs.length) throw new Error(`Mlp ${this.name}: cannot copy from ${other.name}: different depth`);
    for (let i = 0; i < mine.length; i++) {
      const target = mine[i]!;
      const source = theirs[i]!;
      if (target.shape.length !== source.shape.length || target.shape.some((d, k) => d !== source.shape[k])) {
        throw new Error(`Mlp ${this.name}: cannot copy from ${other.name}: variable ${i} has shape [${source.shape}], expected [${target.shape}]`);
      }
    }
    lerpVariables(mine, theirs, tau);
  }

  /** Weights by name, serialised. */
  serialize(prefix = this.name): Record<string, SerializedTensor> {
    const out: Record<string, SerializedTensor> = {};
    this.variables.forEach((v, i) => {
      out[`${prefix}/${i}`] = serializeTensor(v);
    });
    return out;
  }

  deserialize(weights: Record<string, SerializedTensor>, prefix = this.name): void {
    this.variables.forEach((v, i) => {
      const key = `${prefix}/${i}`;
      const w = weights[key];
      if (!w) throw new Error(`checkpoint is missing weight "${key}"`);
      assignSerialized(v, w, key);
    });
  }

  /** Module's load: reads what serialize() wrote (its `<name>/<i>` keys, the checkpoint format). */
  load(weights: Record<string, SerializedTensor>): void {
    this.deserialize(weights);
  }

  dispose(): void {
    for (const v of this.variables) v.dispose();
  }
}

/**
 * target <- tau * source + (1 - tau) * target for each pair (shapes already checked), in one
 * fused kernel per pair where the backend has it; tau = 1 copies.
 */
export function lerpVariables(targets: tf.Variable[], sources: tf.Tensor[], tau: number): void {
  const fused = tau !== 1 && hasFusedKernel(LERP_KERNEL);
  tf.tidy(() => {
    for (let i = 0; i < targets.length; i++) {
      const target = targets[i]!;
      const source = sources[i]!;
      if (tau === 1) target.assign(source);
      else if (fused && target.dtype === 'float32' && source.dtype === 'float32') {
        target.assign(tf.engine().runKernel(LERP_KERNEL, { target, source }, { tau }) as tf.Tensor);
      } else target.assign(tf.add(tf.mul(source, tau), tf.mul(target, 1 - tau)));
    }
  });
}

/**
 * x W + b with an activation, as one fused op where the backend has it. On wasm and cpu this is
 * Bellman's dense kernel, fused in the forward and the backward pass (bias, relu and bias
 * gradient in one kernel each); tanh and elu are applied after its linear form.
 */
export function dense(x: tf.Tensor2D, w: tf.Tensor, b: tf.Tensor, activation: Activation): tf.Tensor2D {
  if (
    x.rank === 2 &&
    w.rank === 2 &&
    b.rank === 1 &&
    x.dtype === 'float32' &&
    w.dtype === 'float32' &&
    b.dtype === 'float32' &&
    hasFusedKernel(DENSE_KERNEL)
  ) {
    if (x.shape[1] !== w.shape[0] || w.shape[1] !== b.shape[0]) {
      throw new Error(`dense: input [${x.shape}], kernel [${w.shape}] and bias [${b.shape}] do not fit (expected [m, k], [k, n], [n])`);
    }
    const fusedActivation = activation === 'relu' ? 'relu' : 'linear';
    const z = tf.engine().runKernel(DENSE_KERNEL, { x, w, b }, { activation: fusedActivation }) as tf.Tensor2D;
    if (activation === 'relu' || activation === 'linear') return z;
    return activation === 'tanh' ? tf.tanh(z) : tf.elu(z);
  }
  if (activation === 'relu' || activation === 'linear') {
    return tf.fused.matMul({ a: x, b: w as tf.Tensor2D, bias: b, activation }) as tf.Tensor2D;
  }
  const z = tf.fused.matMul({ a: x, b: w as tf.Tensor2D, bias: b }) as tf.Tensor2D;
  return activation === 'tanh' ? tf.tanh(z) : tf.elu(z);
}

export interface AdamConfig {
  learningRate?: number;
  beta1?: number;
  beta2?: number;
  epsilon?: number;
  /** Clip the global gradient norm to this value (off by default). */
  clipNorm?: number;
}

/** What a loss closure returns: the scalar to minimise and scalar diagnostics to report. */
export interface LossOutput {
  loss: tf.Scalar;
  metrics?: Record<string, tf.Tensor>;
}

/**
 * Adam with PyTorch's update rule (bias corrections in the step size and in the denominator),
 * with its state held in tfjs variables so that checkpoints capture it exactly.
 */
export class Adam {
  readonly config: Required<Omit<AdamConfig, 'clipNorm'>> & { clipNorm?: number };
  private readonly m: tf.Variable[];
  private readonly v: tf.Variable[];
  private t = 0;

  constructor(
    readonly params: tf.Variable[],
    config: AdamConfig = {},
  ) {
    this.config = { learningRate: 1e-3, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, ...config };
    const lr = this.config.learningRate;
    if (!(lr > 0) || !Number.isFinite(lr)) throw new RangeError(`Adam: learningRate must be a positive number, got ${lr}`);
    const zeroState = (p: tf.Variable) => {
      const zeros = tf.zerosLike(p);
      const variable = tf.variable(zeros, false);
      zeros.dispose();
      return variable;
    };
    this.m = params.map(zeroState);
    this.v = params.map(zeroState);
  }

  get steps(): number {
    return this.t;
  }

  /**
   * Compute the gradients of `lossFn` with respect to this optimizer's parameters, take one step,
   * and return the loss and the closure's metrics as numbers.
   */
  minimize(lossFn: () => LossOutput): Metrics {
    const kept: Record<string, tf.Tensor> = {};
    const { value, grads } = tf.variableGrads(() => {
      const out = lossFn();
      for (const [k, t] of Object.entries(out.metrics ?? {})) kept[k] = tf.keep(t);
      return out.loss;
    }, this.params);
    // A parameter the loss does not reach has no gradient: it is left untouched, as in PyTorch.
    this.applyGradients(this.params.map((p) => grads[p.name] ?? null));
    const result: Metrics = { loss: value.dataSync()[0]! };
    value.dispose();
    for (const g of Object.values(grads)) g.dispose();
    for (const [k, t] of Object.entries(kept)) {
      result[k] = t.dataSync()[0]!;
      t.dispose();
    }
    return result;
  }

  /** One Adam step; a `null` gradient leaves its parameter and moments unchanged. */
  applyGradients(gradients: Array<tf.Tensor | null>): void {
    if (gradients.length !== this.params.length) {
      throw new Error(`Adam.applyGradients: got ${gradients.length} gradients for ${this.params.length} parameters`);
    }
    if (gradients.some((g) => g === null)) {
      const present = gradients.flatMap((g, i) => (g === null ? [] : [i]));
      if (present.length === 0) throw new Error('Adam.applyGradients: no parameter received a gradient (is the loss connected to the parameters?)');
      this.applyToSubset(present, present.map((i) => gradients[i]!));
      return;
    }
    this.applyToSubset(null, gradients as tf.Tensor[]);
  }

  private applyToSubset(indices: number[] | null, gradients: tf.Tensor[]): void {
    const params = indices ? indices.map((i) => this.params[i]!) : this.params;
    const ms = indices ? indices.map((i) => this.m[i]!) : this.m;
    const vs = indices ? indices.map((i) => this.v[i]!) : this.v;
    this.t += 1;
    const { learningRate, beta1, beta2, epsilon, clipNorm } = this.config;
    const stepSize = learningRate / (1 - beta1 ** this.t);
    const sqrtBias2 = Math.sqrt(1 - beta2 ** this.t);
    if (hasFusedKernel(ADAM_KERNEL) && gradients.every((g) => g.dtype === 'float32') && params.every((p) => p.dtype === 'float32')) {
      // One fused kernel per parameter; clipping reads the global norm once (wasm and cpu are synchronous).
      let gradScale = 1;
      if (clipNorm !== undefined) {
        const norm = tf.tidy(() => tf.sqrt(tf.addN(gradients.map((g) => tf.sum(tf.square(g))))));
        gradScale = Math.min(1, clipNorm / (norm.dataSync()[0]! + 1e-6));
        norm.dispose();
      }
      const attrs = { stepSize, beta1, beta2, epsilon, sqrtBias2, gradScale };
      for (let i = 0; i < params.length; i++) {
        const param = params[i]!;
        const m = ms[i]!;
        const v = vs[i]!;
        const outs = tf.engine().runKernel(ADAM_KERNEL, { param, grad: gradients[i]!, m, v }, attrs) as unknown as tf.Tensor[];
        param.assign(outs[0]!);
        m.assign(outs[1]!);
        v.assign(outs[2]!);
        tf.dispose(outs);
      }
      return;
    }
    tf.tidy(() => {
      let scale: tf.Scalar | null = null;
      if (clipNorm !== undefined) {
        const sq = tf.addN(gradients.map((g) => tf.sum(tf.square(g))));
        const norm = tf.sqrt(sq);
        scale = tf.minimum(tf.scalar(1), tf.div(tf.scalar(clipNorm), tf.add(norm, 1e-6))) as tf.Scalar;
      }
      for (let i = 0; i < params.length; i++) {
        let g = gradients[i]!;
        if (scale) g = tf.mul(g, scale);
        const m = ms[i]!;
        const v = vs[i]!;
        m.assign(tf.add(tf.mul(m, beta1), tf.mul(g, 1 - beta1)));
        v.assign(tf.add(tf.mul(v, beta2), tf.mul(tf.square(g), 1 - beta2)));
        const denom = tf.add(tf.div(tf.sqrt(v), sqrtBias2), epsilon);
        params[i]!.assign(tf.sub(params[i]!, tf.mul(tf.div(m, denom), stepSize)));
      }
    });
  }

  serialize(): Record<string, SerializedTensor | number> {
    const out: Record<string, SerializedTensor | number> = { t: this.t };
    this.m.forEach((m, i) => (out[`m/${i}`] = serializeTensor(m)));
    this.v.forEach((v, i) => (out[`v/${i}`] = serializeTensor(v)));
    return out;
  }

  deserialize(state: Record<string, SerializedTensor | number>, context = 'optimizer'): void {
    const t = state.t;
    if (typeof t !== 'number') throw new Error(`${context}: checkpoint lacks the step count "t"`);
    this.t = t;
    const load = (vars: tf.Variable[], key: string) =>
      vars.forEach((variable, i) => {
        const s = state[`${key}/${i}`];
        if (!s || typeof s === 'number') throw new Error(`${context}: checkpoint lacks "${key}/${i}"`);
        assignSerialized(variable, s, `${context}/${key}/${i}`);
      });
    load(this.m, 'm');
    load(this.v, 'v');
  }

  dispose(): void {
    for (const x of [...this.m, ...this.v]) x.dispose();
  }
}
