/**
 * Diffuser's temporal U-Net (Janner et al. 2022) on trajectories laid out [batch, horizon,
 * transitionDim] (channels last, @bellman/nn's convolution layout), a row being
 * [action, observation].
 *
 *   Conv1dBlock(in, out, k)     Conv1d(k, padding k/2) -> GroupNorm(groups) -> Mish
 *   ResidualTemporalBlock       block1(x) + Linear(Mish(emb)) over time -> block2 -> + residual(x)
 *                               (residual a 1x1 Conv1d when in != out)
 *   time embedding              sinusoidal(dim) -> Linear(dim, 4 dim) -> Mish -> Linear(4 dim, dim)
 *   down level i                two residual blocks, then Conv1d(k 3, stride 2, padding 1) but at the last
 *   mid                         two residual blocks at the deepest width
 *   up level (deepest first)    concat the level's skip, two residual blocks, ConvTranspose1d(k 4, s 2, p 1)
 *   final                       Conv1dBlock(dim, dim, 5) -> Conv1d(dim, transitionDim, 1)
 *
 * Channels are [transitionDim, dim * m for m in dimMults]. Every level but the last halves the
 * length, so the horizon must be divisible by 2^(levels - 1).
 */
import * as tf from '@tensorflow/tfjs-core';
import { ConfigError, UsageError, type Rng } from '@bellman/core';
import {
  Conv1d,
  ConvTranspose1d,
  Dense,
  GroupNorm,
  Sequential,
  childVariables,
  mish,
  paramsOf,
  scopeParams,
  sinusoidalEmbedding,
  type Module,
  type ParamRecord,
} from '@bellman/nn';

/** How the convolution blocks normalise: GroupNorm (Diffuser's) or not at all. */
export type BlockNorm = 'group' | 'none';

export interface TemporalUnetConfig {
  /** Width of a trajectory row: actionDim + observationDim. */
  transitionDim: number;
  /** Channels of the first level and of the time embedding (32 in Diffuser). */
  dim: number;
  /** Channel multipliers per level: (1, 4, 8) for maze2d, (1, 2, 4, 8) for locomotion. */
  dimMults: readonly number[];
  /** GroupNorm's groups (8 in Diffuser); every level's channels must be a multiple of it. */
  normGroups: number;
  /**
   * 'group' is Diffuser's network. GroupNorm's statistics span the whole horizon, so every output
   * then depends on every input; 'none' drops the normalisation and leaves a network whose
   * outputs depend only on inputs within its receptive field.
   */
  norm: BlockNorm;
}

/** Something with named weights that maps a sequence and a time embedding to a sequence. */
export interface TimeConditionedModule {
  namedVariables(): Map<string, tf.Variable>;
  applyWith(params: ParamRecord, x: tf.Tensor3D, embedding: tf.Tensor2D): tf.Tensor3D;
}

/** The factor the horizon must be divisible by: 2^(levels - 1). */
export function horizonDivisor(dimMults: readonly number[]): number {
  return 2 ** (dimMults.length - 1);
}

/** Throws a ConfigError naming H unless the horizon suits a network of `dimMults`. */
export function checkHorizon(horizon: number, dimMults: readonly number[], configName = 'diffuser'): void {
  const divisor = horizonDivisor(dimMults);
  if (!Number.isInteger(horizon) || horizon <= 0 || horizon % divisor !== 0) {
    throw new ConfigError(
      configName,
      'horizon',
      `the horizon H = ${horizon} must be a positive multiple of ${divisor}: the U-Net with ${dimMults.length} levels (dimMults [${dimMults.join(', ')}]) halves the length ${dimMults.length - 1} times`,
    );
  }
}

/** Conv1d(k, padding k/2) -> GroupNorm -> Mish; weights `0.*` (conv) and `1.*` (norm). */
export function conv1dBlock(inChannels: number, outChannels: number, kernelSize: number, norm: BlockNorm, groups: number, rng: Rng): Sequential {
  const conv = new Conv1d({ inChannels, outChannels, kernelSize, padding: Math.floor(kernelSize / 2) }, rng);
  return new Sequential(norm === 'group' ? [conv, new GroupNorm({ groups, channels: outChannels }), mish] : [conv, mish]);
}

/**
 * block1(x) + Linear(Mish(embedding)) broadcast over time, then block2, plus the residual: x
 * itself when the channels agree, else a 1x1 Conv1d of x. Weights `block1.*`, `block2.*`,
 * `time.1.*` and `residual.*`.
 */
export class ResidualTemporalBlock implements TimeConditionedModule {
  readonly block1: Sequential;
  readonly block2: Sequential;
  readonly time: Sequential;
  readonly residual: Conv1d | null;

  constructor(
    readonly inChannels: number,
    readonly outChannels: number,
    embeddingDim: number,
    norm: BlockNorm,
    groups: number,
    rng: Rng,
    kernelSize = 5,
  ) {
    this.block1 = conv1dBlock(inChannels, outChannels, kernelSize, norm, groups, rng);
    this.block2 = conv1dBlock(outChannels, outChannels, kernelSize, norm, groups, rng);
    this.time = new Sequential([mish, new Dense({ inputDim: embeddingDim, outputDim: outChannels }, rng)]);
    this.residual = inChannels === outChannels ? null : new Conv1d({ inChannels, outChannels, kernelSize: 1 }, rng);
  }

  namedVariables(): Map<string, tf.Variable> {
    const children: Array<readonly [string, Module]> = [
      ['block1', this.block1],
      ['block2', this.block2],
      ['time', this.time],
    ];
    if (this.residual) children.push(['residual', this.residual]);
    return childVariables(children);
  }

  applyWith(params: ParamRecord, x: tf.Tensor3D, embedding: tf.Tensor2D): tf.Tensor3D {
    return tf.tidy(() => {
      const timeTerm = tf.expandDims(this.time.applyWith(scopeParams(params, 'time'), embedding), 1);
      const h = this.block2.applyWith(scopeParams(params, 'block2'), tf.add(this.block1.applyWith(scopeParams(params, 'block1'), x), timeTerm)) as tf.Tensor3D;
      const skip = this.residual ? this.residual.applyWith(scopeParams(params, 'residual'), x) : x;
      return tf.add(h, skip);
    });
  }
}

/** sinusoidal(dim) -> Linear(dim, 4 dim) -> Mish -> Linear(4 dim, dim); weights `1.*` and `3.*`. */
export function timeEmbedding(dim: number, rng: Rng): Sequential {
  return new Sequential([
    (t: tf.Tensor) => sinusoidalEmbedding(t as tf.Tensor1D, dim),
    new Dense({ inputDim: dim, outputDim: 4 * dim }, rng),
    mish,
    new Dense({ inputDim: 4 * dim, outputDim: dim }, rng),
  ]);
}

function checkUnetConfig(config: TemporalUnetConfig): void {
  const owner = 'TemporalUnet';
  for (const key of ['transitionDim', 'dim', 'normGroups'] as const) {
    if (!Number.isInteger(config[key]) || config[key] <= 0) throw new ConfigError(owner, key, `"${key}" must be a positive integer, got ${config[key]}`);
  }
  if (config.dimMults.length === 0 || config.dimMults.some((m) => !Number.isInteger(m) || m <= 0)) {
    throw new ConfigError(owner, 'dimMults', `"dimMults" must be a non-empty list of positive integers, got [${config.dimMults.join(', ')}]`);
  }
  if (config.norm === 'group') {
    const widths = config.dimMults.map((m) => m * config.dim);
    const bad = widths.find((w) => w % config.normGroups !== 0);
    if (bad !== undefined) throw new ConfigError(owner, 'normGroups', `every level's channels must be a multiple of normGroups = ${config.normGroups}; dim ${config.dim} x dimMults gives ${bad}`);
  }
}

/** Channels per level: [transitionDim, dim * m ...] as (in, out) pairs. */
function levelChannels(config: TemporalUnetConfig): Array<[number, number]> {
  const channels = [config.transitionDim, ...config.dimMults.map((m) => m * config.dim)];
  return channels.slice(0, -1).map((c, i) => [c, channels[i + 1]!]);
}

/** The time embedding, the down levels and the mid blocks: what the U-Net and the value network share. */
export class DownPath {
  readonly time: Sequential;
  readonly levels: Array<{ blocks: [ResidualTemporalBlock, ResidualTemporalBlock]; downsample: Conv1d | null }>;
  readonly mid: [ResidualTemporalBlock, ResidualTemporalBlock];
  /** Channels after the mid blocks. */
  readonly deepChannels: number;

  constructor(
    readonly config: TemporalUnetConfig,
    rng: Rng,
  ) {
    checkUnetConfig(config);
    const { dim, norm, normGroups } = config;
    this.time = timeEmbedding(dim, rng);
    const pairs = levelChannels(config);
    this.levels = pairs.map(([cin, cout], i) => ({
      blocks: [new ResidualTemporalBlock(cin, cout, dim, norm, normGroups, rng), new ResidualTemporalBlock(cout, cout, dim, norm, normGroups, rng)],
      downsample: i < pairs.length - 1 ? new Conv1d({ inChannels: cout, outChannels: cout, kernelSize: 3, stride: 2, padding: 1 }, rng) : null,
    }));
    this.deepChannels = pairs[pairs.length - 1]![1];
    const deep = this.deepChannels;
    this.mid = [new ResidualTemporalBlock(deep, deep, dim, norm, normGroups, rng), new ResidualTemporalBlock(deep, deep, dim, norm, normGroups, rng)];
  }

  namedVariables(): Map<string, tf.Variable> {
    const children: Array<readonly [string, Pick<Module, 'namedVariables'>]> = [['time', this.time]];
    this.levels.forEach((level, i) => {
      children.push([`down.${i}.0`, level.blocks[0]], [`down.${i}.1`, level.blocks[1]]);
      if (level.downsample) children.push([`down.${i}.downsample`, level.downsample]);
    });
    children.push(['mid.0', this.mid[0]], ['mid.1', this.mid[1]]);
    return childVariables(children);
  }

  /** The deepest features, the skips (each level's output before downsampling) and the time embedding. */
  applyWith(params: ParamRecord, x: tf.Tensor3D, t: tf.Tensor1D): { h: tf.Tensor3D; skips: tf.Tensor3D[]; embedding: tf.Tensor2D } {
    const { transitionDim, dimMults } = this.config;
    if (x.rank !== 3 || x.shape[2] !== transitionDim) throw new UsageError(`TemporalUnet: expected trajectories [batch, horizon, ${transitionDim}], got [${x.shape}]`, { expected: transitionDim });
    const divisor = horizonDivisor(dimMults);
    if (x.shape[1] % divisor !== 0) {
      throw new UsageError(`TemporalUnet: the horizon H = ${x.shape[1]} must be a multiple of ${divisor} (${dimMults.length} levels halve it ${dimMults.length - 1} times)`, { horizon: x.shape[1], divisor });
    }
    if (t.rank !== 1 || t.shape[0] !== x.shape[0]) throw new UsageError(`TemporalUnet: expected one diffusion step per trajectory ([${x.shape[0]}]), got [${t.shape}]`);
    const embedding = this.time.applyWith(scopeParams(params, 'time'), t) as tf.Tensor2D;
    const skips: tf.Tensor3D[] = [];
    let h = x;
    this.levels.forEach((level, i) => {
      h = level.blocks[0].applyWith(scopeParams(params, `down.${i}.0`), h, embedding);
      h = level.blocks[1].applyWith(scopeParams(params, `down.${i}.1`), h, embedding);
      skips.push(h);
      if (level.downsample) h = level.downsample.applyWith(scopeParams(params, `down.${i}.downsample`), h);
    });
    h = this.mid[0].applyWith(scopeParams(params, 'mid.0'), h, embedding);
    h = this.mid[1].applyWith(scopeParams(params, 'mid.1'), h, embedding);
    return { h, skips, embedding };
  }
}

/** A network of named children (serialised with nn's serializeVariables / loadVariables). */
abstract class NamedModule {
  abstract namedVariables(): Map<string, tf.Variable>;

  params(): ParamRecord {
    return paramsOf(this);
  }

  dispose(): void {
    for (const v of this.namedVariables().values()) v.dispose();
  }
}

/** The denoising network: trajectories [batch, H, transitionDim] and diffusion steps [batch] to [batch, H, transitionDim]. */
export class TemporalUnet extends NamedModule {
  readonly down: DownPath;
  readonly ups: Array<{ blocks: [ResidualTemporalBlock, ResidualTemporalBlock]; upsample: ConvTranspose1d }>;
  readonly finalBlock: Sequential;
  readonly finalConv: Conv1d;

  constructor(
    readonly config: TemporalUnetConfig,
    rng: Rng,
  ) {
    super();
    this.down = new DownPath(config, rng);
    const { dim, norm, normGroups, transitionDim } = config;
    // Deepest first, skipping the first level: level i's output joins the up path at its resolution.
    this.ups = levelChannels(config)
      .slice(1)
      .reverse()
      .map(([cin, cout]) => ({
        blocks: [new ResidualTemporalBlock(2 * cout, cin, dim, norm, normGroups, rng), new ResidualTemporalBlock(cin, cin, dim, norm, normGroups, rng)],
        upsample: new ConvTranspose1d({ inChannels: cin, outChannels: cin, kernelSize: 4, stride: 2, padding: 1 }, rng),
      }));
    this.finalBlock = conv1dBlock(dim, dim, 5, norm, normGroups, rng);
    this.finalConv = new Conv1d({ inChannels: dim, outChannels: transitionDim, kernelSize: 1 }, rng);
  }

  namedVariables(): Map<string, tf.Variable> {
    const children: Array<readonly [string, Pick<Module, 'namedVariables'>]> = [];
    this.ups.forEach((up, i) => children.push([`up.${i}.0`, up.blocks[0]], [`up.${i}.1`, up.blocks[1]], [`up.${i}.upsample`, up.upsample]));
    children.push(['final.0', this.finalBlock], ['final.1', this.finalConv]);
    return new Map([...this.down.namedVariables(), ...childVariables(children)]);
  }

  apply(x: tf.Tensor3D, t: tf.Tensor1D): tf.Tensor3D {
    return this.applyWith(this.params(), x, t);
  }

  applyWith(params: ParamRecord, x: tf.Tensor3D, t: tf.Tensor1D): tf.Tensor3D {
    return tf.tidy(() => {
      const { h: deep, skips, embedding } = this.down.applyWith(params, x, t);
      let h = deep;
      this.ups.forEach((up, i) => {
        h = tf.concat([h, skips[skips.length - 1 - i]!], 2);
        h = up.blocks[0].applyWith(scopeParams(params, `up.${i}.0`), h, embedding);
        h = up.blocks[1].applyWith(scopeParams(params, `up.${i}.1`), h, embedding);
        h = up.upsample.applyWith(scopeParams(params, `up.${i}.upsample`), h);
      });
      h = this.finalBlock.applyWith(scopeParams(params, 'final.0'), h) as tf.Tensor3D;
      return this.finalConv.applyWith(scopeParams(params, 'final.1'), h);
    });
  }
}

export interface ValueNetConfig extends TemporalUnetConfig {
  /** Hidden widths of the MLP on the pooled features and the time embedding. */
  hiddenSizes: readonly number[];
}

/**
 * A value of a noisy trajectory: the U-Net's down path and mid blocks, the features averaged over
 * time, concatenated with the time embedding, then an MLP (Mish) to a scalar. [batch, H, D] and
 * steps [batch] to values [batch].
 */
export class ValueNet extends NamedModule {
  readonly down: DownPath;
  readonly head: Sequential;

  constructor(
    readonly config: ValueNetConfig,
    rng: Rng,
  ) {
    super();
    this.down = new DownPath(config, rng);
    const sizes = [this.down.deepChannels + config.dim, ...config.hiddenSizes, 1];
    this.head = new Sequential(sizes.slice(0, -1).map((inputDim, i) => new Dense({ inputDim, outputDim: sizes[i + 1]!, activation: i < sizes.length - 2 ? 'mish' : 'linear' }, rng)));
  }

  namedVariables(): Map<string, tf.Variable> {
    return new Map([...this.down.namedVariables(), ...childVariables([['head', this.head]])]);
  }

  apply(x: tf.Tensor3D, t: tf.Tensor1D): tf.Tensor1D {
    return this.applyWith(this.params(), x, t);
  }

  applyWith(params: ParamRecord, x: tf.Tensor3D, t: tf.Tensor1D): tf.Tensor1D {
    return tf.tidy(() => {
      const { h, embedding } = this.down.applyWith(params, x, t);
      const pooled = tf.concat([tf.mean(h, 1), embedding], 1);
      return tf.reshape(this.head.applyWith(scopeParams(params, 'head'), pooled), [-1]) as tf.Tensor1D;
    });
  }
}
