import type { ConfigSchema } from '@bellman/core';
import type { BlockNorm } from './unet.js';

/** The network and schedule both the diffusion model and the value model are built from. */
export interface TrajectoryNetConfig {
  /** Planning horizon H; a multiple of 2^(dimMults.length - 1). */
  horizon: number;
  /** Diffusion steps T. */
  nDiffusionSteps: number;
  dim: number;
  dimMults: number[];
  normGroups: number;
  norm: BlockNorm;
  learningRate: number;
}

export interface DiffuserConfig extends TrajectoryNetConfig {
  /** The network predicts the noise rather than x0. */
  predictEpsilon: boolean;
  /** Clip the x0 estimate to [-1, 1] while sampling. */
  clipDenoised: boolean;
  /** Loss weight of the first action's dimensions. */
  actionWeight: number;
  /** Loss weight discount^t over the horizon (1: flat). */
  lossDiscount: number;
  /** Training also inpaints each window's last state (goal-conditioned planning, maze2d). */
  conditionOnGoal: boolean;
  /** Batch size the trainer should sample (Diffuser's 32); `trainStep` takes any batch. */
  batchSize: number;
  emaDecay: number;
  /** Steps between updates of the moving average. */
  emaEvery: number;
  /** Before this step the moving average is a copy of the weights. */
  emaStart: number;
}

const NET_SCHEMA: ConfigSchema<TrajectoryNetConfig> = {
  horizon: { type: 'number', integer: true, min: 1 },
  nDiffusionSteps: { type: 'number', integer: true, min: 1 },
  dim: { type: 'number', integer: true, min: 4 },
  dimMults: { type: 'integerArray', minLength: 1 },
  normGroups: { type: 'number', integer: true, min: 1 },
  norm: { type: 'enum', values: ['group', 'none'] },
  learningRate: { type: 'number', min: 0, exclusiveMin: true },
};

export const DIFFUSER_SCHEMA: ConfigSchema<DiffuserConfig> = {
  ...NET_SCHEMA,
  predictEpsilon: { type: 'boolean' },
  clipDenoised: { type: 'boolean' },
  actionWeight: { type: 'number', min: 0 },
  lossDiscount: { type: 'number', min: 0, exclusiveMin: true, max: 1 },
  conditionOnGoal: { type: 'boolean' },
  batchSize: { type: 'number', integer: true, min: 1 },
  emaDecay: { type: 'number', min: 0, max: 0.999999 },
  emaEvery: { type: 'number', integer: true, min: 1 },
  emaStart: { type: 'number', integer: true, min: 0 },
};

/** Diffuser's maze2d settings (umaze: H 128, T 64; medium and large use H 256 / 384 and T 256). */
export const MAZE2D_DIFFUSER: Readonly<DiffuserConfig> = Object.freeze({
  horizon: 128,
  nDiffusionSteps: 64,
  dim: 32,
  dimMults: [1, 4, 8],
  normGroups: 8,
  norm: 'group',
  learningRate: 2e-4,
  predictEpsilon: false,
  clipDenoised: true,
  actionWeight: 1,
  lossDiscount: 1,
  conditionOnGoal: true,
  batchSize: 32,
  emaDecay: 0.995,
  emaEvery: 10,
  emaStart: 2000,
});

/** Diffuser's locomotion settings (H 32, T 20, mults (1, 2, 4, 8), first action weighted 10). */
export const LOCOMOTION_DIFFUSER: Readonly<DiffuserConfig> = Object.freeze({
  ...MAZE2D_DIFFUSER,
  horizon: 32,
  nDiffusionSteps: 20,
  dimMults: [1, 2, 4, 8],
  actionWeight: 10,
  conditionOnGoal: false,
});

export interface ValueModelConfig extends TrajectoryNetConfig {
  /** Hidden widths of the MLP after the pooled down path. */
  hiddenSizes: number[];
}

export const VALUE_MODEL_SCHEMA: ConfigSchema<ValueModelConfig> = {
  ...NET_SCHEMA,
  hiddenSizes: { type: 'integerArray', minLength: 0 },
};

/** The value model of Diffuser's locomotion guidance (horizon and steps as LOCOMOTION_DIFFUSER). */
export const VALUE_MODEL_DEFAULTS: Readonly<ValueModelConfig> = Object.freeze({
  horizon: 32,
  nDiffusionSteps: 20,
  dim: 32,
  dimMults: [1, 2, 4, 8],
  normGroups: 8,
  norm: 'group',
  learningRate: 2e-4,
  hiddenSizes: [256, 128],
});
