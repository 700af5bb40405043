import * as tf from '@tensorflow/tfjs-core';
import { Layer, constantVariable, param } from './module.js';
import type { ParamRecord } from './module.js';

/** Normalise over `axes` with the biased variance, as PyTorch: (x - mean) / sqrt(var + eps). */
function standardise(x: tf.Tensor, axes: number[], eps: number): tf.Tensor {
  const mean = tf.mean(x, axes, true);
  const centred = tf.sub(x, mean);
  const variance = tf.mean(tf.square(centred), axes, true);
  return tf.mul(centred, tf.rsqrt(tf.add(variance, eps)));
}

/** A learned scale `weight` (ones) and shift `bias` (zeros) per feature, PyTorch's affine initialisation. */
function addAffineVariables(own: Map<string, tf.Variable>, size: number, label: string): void {
  own.set('weight', constantVariable([size], 1, `${label}/weight`));
  own.set('bias', constantVariable([size], 0, `${label}/bias`));
}

function affine(y: tf.Tensor, params: ParamRecord, owner: string): tf.Tensor {
  return tf.add(tf.mul(y, param(params, 'weight', owner)), param(params, 'bias', owner));
}

export interface GroupNormConfig {
  groups: number;
  channels: number;
  /** Added to the variance (1e-5 by default, as PyTorch). */
  eps?: number;
  /** Learned per-channel scale `weight` (ones) and shift `bias` (zeros); true by default. */
  affine?: boolean;
}

/**
 * Group normalisation (Wu and He 2018), as PyTorch's nn.GroupNorm, on channels-last inputs
 * (batch, ..., channels): the channels are split into `groups` consecutive groups, and each
 * sample's group is normalised over its channels and all positions.
 */
export class GroupNorm extends Layer {
  readonly config: Required<GroupNormConfig>;

  constructor(config: GroupNormConfig) {
    super();
    const { groups, channels } = config;
    if (!Number.isInteger(groups) || !Number.isInteger(channels) || groups <= 0 || channels <= 0 || channels % groups !== 0) {
      throw new RangeError(`GroupNorm: channels (${channels}) must be a positive multiple of groups (${groups})`);
    }
    this.config = { eps: 1e-5, affine: true, ...config };
    if (this.config.affine) addAffineVariables(this.own, channels, 'groupNorm');
  }

  applyWith(params: ParamRecord, x: tf.Tensor): tf.Tensor {
    const { groups, channels, eps } = this.config;
    if (x.rank < 2 || x.shape[x.rank - 1] !== channels) throw new Error(`GroupNorm: expected [batch, ..., ${channels}], got [${x.shape}]`);
    return tf.tidy(() => {
      const batch = x.shape[0]!;
      // [batch, positions, groups, channels per group]; statistics over positions and the group's channels.
      const grouped = tf.reshape(x, [batch, -1, groups, channels / groups]);
      const y = tf.reshape(standardise(grouped, [1, 3], eps), x.shape);
      return this.config.affine ? affine(y, params, 'GroupNorm') : y;
    });
  }
}

export interface LayerNormConfig {
  /** Size of the last axis, over which each row is normalised. */
  features: number;
  eps?: number;
  /** Learned per-feature `weight` (ones) and `bias` (zeros); true by default. */
  affine?: boolean;
}

/** Layer normalisation over the last axis, as PyTorch's nn.LayerNorm(features). */
export class LayerNorm extends Layer {
  readonly config: Required<LayerNormConfig>;

  constructor(config: LayerNormConfig) {
    super();
    if (!Number.isInteger(config.features) || config.features <= 0) throw new RangeError(`LayerNorm: features must be a positive integer, got ${config.features}`);
    this.config = { eps: 1e-5, affine: true, ...config };
    if (this.config.affine) addAffineVariables(this.own, config.features, 'layerNorm');
  }

  applyWith(params: ParamRecord, x: tf.Tensor): tf.Tensor {
    const { features, eps } = this.config;
    if (x.rank < 1 || x.shape[x.rank - 1] !== features) throw new Error(`LayerNorm: expected [..., ${features}], got [${x.shape}]`);
    return tf.tidy(() => {
      const y = standardise(x, [x.rank - 1], eps);
      return this.config.affine ? affine(y, params, 'LayerNorm') : y;
    });
  }
}
