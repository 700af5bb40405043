import * as tf from '@tensorflow/tfjs-core';
import type { Rng } from '@bellman/core';
import { dense } from './nn.js';
import { Layer, param, uniformVariable } from './module.js';
import type { ParamRecord } from './module.js';

/**
 * Temporal convolutions over inputs laid out [batch, length, channels] (channels last, tfjs's
 * conv1d layout; PyTorch's nn.Conv1d takes [batch, channels, length]). Kernels are
 * [kernelSize, inChannels, outChannels].
 *
 * They are built from slices, a concatenation and one matrix product (im2col), never tfjs's
 * conv1d: the wasm backend has no Conv2DBackpropFilter / Conv2DBackpropInput, so its conv1d
 * cannot be trained there, while slice, pad, concat, reshape and matMul have gradients (and
 * gradients of gradients) on every backend.
 */
export interface Conv1dOptions {
  /** Step between output positions (1 by default). */
  stride?: number;
  /** Zeros added at each end of the length axis (0 by default). */
  padding?: number;
  /** Spacing between kernel taps (1 by default). */
  dilation?: number;
}

function positiveInteger(value: number, what: string, owner: string): void {
  if (!Number.isInteger(value) || value <= 0) throw new RangeError(`${owner}: ${what} must be a positive integer, got ${value}`);
}

function checkOptions(owner: string, stride: number, padding: number, dilation: number): void {
  positiveInteger(stride, 'stride', owner);
  positiveInteger(dilation, 'dilation', owner);
  if (!Number.isInteger(padding) || padding < 0) throw new RangeError(`${owner}: padding must be a non-negative integer, got ${padding}`);
}

function checkOutputPadding(owner: string, outputPadding: number, stride: number, dilation: number): void {
  if (!Number.isInteger(outputPadding) || outputPadding < 0 || outputPadding >= Math.max(stride, dilation)) {
    throw new RangeError(`${owner}: outputPadding must be an integer in [0, max(stride, dilation)) = [0, ${Math.max(stride, dilation)}), got ${outputPadding}`);
  }
}

function checkShapes(owner: string, x: tf.Tensor, w: tf.Tensor, b: tf.Tensor | null): void {
  if (x.rank !== 3 || w.rank !== 3) throw new Error(`${owner}: expected input [batch, length, channels] and kernel [k, in, out], got [${x.shape}] and [${w.shape}]`);
  if (x.shape[2] !== w.shape[1]) throw new Error(`${owner}: input has ${x.shape[2]} channels, the kernel [${w.shape}] expects ${w.shape[1]}`);
  if (b && (b.rank !== 1 || b.shape[0] !== w.shape[2])) throw new Error(`${owner}: bias [${b.shape}] does not fit kernel [${w.shape}]`);
}

/** Pad (positive) or crop (negative) the length axis of [batch, length, channels] at each end. */
function padOrCrop(x: tf.Tensor3D, left: number, right: number): tf.Tensor3D {
  let out = x;
  if (left < 0 || right < 0) {
    const start = Math.max(0, -left);
    const end = out.shape[1] - Math.max(0, -right);
    out = tf.slice(out, [0, start, 0], [-1, end - start, -1]);
  }
  if (left > 0 || right > 0) out = tf.pad(out, [[0, 0], [Math.max(0, left), Math.max(0, right)], [0, 0]]);
  return out;
}

/** x W + b over the last axis of [batch, length, in], W [in, out]. */
function linearOverLength(x: tf.Tensor3D, w: tf.Tensor2D, b: tf.Tensor | null): tf.Tensor3D {
  const [batch, length, width] = x.shape;
  const rows = tf.reshape(x, [batch * length, width]) as tf.Tensor2D;
  const y = b ? dense(rows, w, b, 'linear') : tf.matMul(rows, w);
  return tf.reshape(y, [batch, length, w.shape[1]]);
}

/**
 * A 1-d convolution (a cross-correlation, as in PyTorch): y[n, i, o] = b[o] + sum over taps j and
 * input channels c of x_padded[n, i * stride + j * dilation, c] w[j, c, o]. Output length
 * floor((length + 2 padding - dilation (k - 1) - 1) / stride) + 1.
 */
export function conv1d(x: tf.Tensor3D, w: tf.Tensor3D, b: tf.Tensor1D | null, options: Conv1dOptions = {}): tf.Tensor3D {
  const { stride = 1, padding = 0, dilation = 1 } = options;
  checkOptions('conv1d', stride, padding, dilation);
  checkShapes('conv1d', x, w, b);
  const [batch, length, channels] = x.shape;
  const k = w.shape[0];
  const span = dilation * (k - 1);
  const outLength = Math.floor((length + 2 * padding - span - 1) / stride) + 1;
  if (outLength < 1) throw new Error(`conv1d: input length ${length} with padding ${padding} is shorter than the kernel's span ${span + 1}`);
  return tf.tidy(() => {
    // Every tap reads stride * outLength positions from its offset; pad the end so that all fit.
    const needed = span + stride * outLength;
    const xp = padOrCrop(x, padding, Math.max(padding, needed - length - padding));
    const taps: tf.Tensor3D[] = [];
    for (let j = 0; j < k; j++) {
      let tap = tf.slice(xp, [0, j * dilation, 0], [batch, stride * outLength, channels]);
      if (stride > 1) {
        // Every stride-th position: view [outLength, stride] and keep the first of each group.
        tap = tf.reshape(tf.slice(tf.reshape(tap, [batch, outLength, stride, channels]), [0, 0, 0, 0], [batch, outLength, 1, channels]), [batch, outLength, channels]);
      }
      taps.push(tap);
    }
    const columns = k === 1 ? taps[0]! : tf.concat(taps, 2);
    return linearOverLength(columns, tf.reshape(w, [k * channels, w.shape[2]]), b);
  });
}

export interface ConvTranspose1dOptions extends Conv1dOptions {
  /** Extra positions at the end of the output, below max(stride, dilation) (0 by default). */
  outputPadding?: number;
}

/**
 * The transpose of conv1d with the same options (PyTorch's nn.ConvTranspose1d): each input
 * position i adds x[n, i, :] w[j] at output position i * stride + j * dilation - padding. Output
 * length (length - 1) stride - 2 padding + dilation (k - 1) + outputPadding + 1. Computed as a
 * stride-1 conv1d of the input spread out by stride (zeros between positions), padded by
 * dilation (k - 1) - padding, with the taps reversed.
 */
export function convTranspose1d(x: tf.Tensor3D, w: tf.Tensor3D, b: tf.Tensor1D | null, options: ConvTranspose1dOptions = {}): tf.Tensor3D {
  const { stride = 1, padding = 0, dilation = 1, outputPadding = 0 } = options;
  checkOptions('convTranspose1d', stride, padding, dilation);
  checkOutputPadding('convTranspose1d', outputPadding, stride, dilation);
  checkShapes('convTranspose1d', x, w, b);
  const [batch, length, channels] = x.shape;
  const span = dilation * (w.shape[0] - 1);
  const outLength = (length - 1) * stride - 2 * padding + span + outputPadding + 1;
  if (outLength < 1) throw new Error(`convTranspose1d: padding ${padding} leaves no output for input length ${length}`);
  return tf.tidy(() => {
    let spread = x;
    if (stride > 1) {
      const zeros = tf.zeros([batch, length, stride - 1, channels]);
      const interleaved = tf.reshape(tf.concat([tf.expandDims(x, 2), zeros], 2), [batch, length * stride, channels]) as tf.Tensor3D;
      spread = tf.slice(interleaved, [0, 0, 0], [batch, (length - 1) * stride + 1, channels]);
    }
    const edge = span - padding;
    return conv1d(padOrCrop(spread, edge, edge + outputPadding), tf.reverse(w, 0), b, { dilation });
  });
}

export interface Conv1dConfig extends Conv1dOptions {
  inChannels: number;
  outChannels: number;
  kernelSize: number;
  /** A learned bias per output channel (true by default). */
  bias?: boolean;
}

export interface ConvTranspose1dConfig extends ConvTranspose1dOptions {
  inChannels: number;
  outChannels: number;
  kernelSize: number;
  bias?: boolean;
}

function checkChannels(owner: string, config: { inChannels: number; outChannels: number; kernelSize: number }): void {
  positiveInteger(config.inChannels, 'inChannels', owner);
  positiveInteger(config.outChannels, 'outChannels', owner);
  positiveInteger(config.kernelSize, 'kernelSize', owner);
}

/** `weight` [kernelSize, inChannels, outChannels] and `bias` from U(-1/sqrt(fanIn), 1/sqrt(fanIn)). */
function addKernelVariables(own: Map<string, tf.Variable>, rng: Rng, config: Required<Conv1dConfig>, fanIn: number, label: string): void {
  const { kernelSize, inChannels, outChannels } = config;
  const bound = 1 / Math.sqrt(fanIn);
  own.set('weight', uniformVariable(rng, [kernelSize, inChannels, outChannels], bound, `${label}/weight`));
  if (config.bias) own.set('bias', uniformVariable(rng, [outChannels], bound, `${label}/bias`));
}

function kernelAndBias(params: ParamRecord, hasBias: boolean, owner: string): { w: tf.Tensor3D; b: tf.Tensor1D | null } {
  return { w: param(params, 'weight', owner) as tf.Tensor3D, b: hasBias ? (param(params, 'bias', owner) as tf.Tensor1D) : null };
}

/**
 * A Conv1d layer: variables `weight` [kernelSize, inChannels, outChannels] and `bias`
 * [outChannels], initialised as PyTorch's nn.Conv1d, U(-1/sqrt(fanIn), 1/sqrt(fanIn)) with
 * fanIn = inChannels * kernelSize.
 */
export class Conv1d extends Layer<tf.Tensor3D, tf.Tensor3D> {
  readonly config: Required<Conv1dConfig>;

  constructor(config: Conv1dConfig, rng: Rng) {
    super();
    checkChannels('Conv1d', config);
    this.config = { stride: 1, padding: 0, dilation: 1, bias: true, ...config };
    checkOptions('Conv1d', this.config.stride, this.config.padding, this.config.dilation);
    const { inChannels, kernelSize } = this.config;
    addKernelVariables(this.own, rng, this.config, inChannels * kernelSize, 'conv1d');
  }

  applyWith(params: ParamRecord, x: tf.Tensor3D): tf.Tensor3D {
    const { w, b } = kernelAndBias(params, this.config.bias, 'Conv1d');
    return conv1d(x, w, b, this.config);
  }
}

/**
 * A ConvTranspose1d layer: variables `weight` [kernelSize, inChannels, outChannels] (PyTorch
 * stores [inChannels, outChannels, kernelSize]) and `bias`, initialised as PyTorch's
 * nn.ConvTranspose1d: U(-1/sqrt(fanIn), 1/sqrt(fanIn)) with its fanIn = outChannels * kernelSize.
 */
export class ConvTranspose1d extends Layer<tf.Tensor3D, tf.Tensor3D> {
  readonly config: Required<ConvTranspose1dConfig>;

  constructor(config: ConvTranspose1dConfig, rng: Rng) {
    super();
    checkChannels('ConvTranspose1d', config);
    this.config = { stride: 1, padding: 0, dilation: 1, outputPadding: 0, bias: true, ...config };
    checkOptions('ConvTranspose1d', this.config.stride, this.config.padding, this.config.dilation);
    checkOutputPadding('ConvTranspose1d', this.config.outputPadding, this.config.stride, this.config.dilation);
    const { outChannels, kernelSize } = this.config;
    addKernelVariables(this.own, rng, this.config, outChannels * kernelSize, 'convTranspose1d');
  }

  applyWith(params: ParamRecord, x: tf.Tensor3D): tf.Tensor3D {
    const { w, b } = kernelAndBias(params, this.config.bias, 'ConvTranspose1d');
    return convTranspose1d(x, w, b, this.config);
  }
}
