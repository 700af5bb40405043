/** What the diffusion model and the value model share: config, layout, schedule, network, Adam, randomness, snapshots. */
import * as tf from '@tensorflow/tfjs-core';
import { CheckpointError, Rng, UsageError, resolveConfig, type ConfigSchema, type RngState, type SerializedTensor, type WindowBatch } from '@bellman/core';
import { Adam, loadVariables, serializeVariables, variablesOf } from '@bellman/nn';
import type { TrajectoryNetConfig } from './config.js';
import { GaussianDiffusion, type GaussianDiffusionOptions, type TrajectoryLayout } from './diffusion.js';
import { LimitsNormalizer, type LimitsNormalizerState } from './normalizer.js';
import { cosineSchedule } from './schedule.js';
import { checkWindowBatch, disposeNoised, noisedBatch, type NoisedBatch } from './trajectories.js';
import { checkHorizon, type TemporalUnetConfig } from './unet.js';

export interface TrajectoryModelInit<C> {
  observationDim: number;
  actionDim: number;
  /** Per-dimension limits of the rows [action, observation] (`fitTrajectoryNormalizer(windows)`). */
  normalizer: LimitsNormalizer;
  /** Overrides of the defaults; unknown or invalid fields throw a ConfigError naming the field. */
  config?: Partial<C>;
  /** Seeds the initialisation and the model's own draws (steps, noise). Default 0. */
  seed?: number;
}

/** Everything needed to resume a model exactly. */
export interface TrajectoryModelSnapshot<C> {
  kind: string;
  config: C;
  observationDim: number;
  actionDim: number;
  normalizer: LimitsNormalizerState;
  weights: Record<string, SerializedTensor>;
  optimizer: Record<string, SerializedTensor | number>;
  rng: RngState;
  step: number;
}

interface TrainableNet {
  namedVariables(): Map<string, tf.Variable>;
  dispose(): void;
}

export abstract class TrajectoryModel<C extends TrajectoryNetConfig, N extends TrainableNet> {
  abstract readonly kind: string;
  readonly config: Readonly<C>;
  readonly layout: TrajectoryLayout;
  readonly normalizer: LimitsNormalizer;
  readonly diffusion: GaussianDiffusion;
  protected readonly net: N;
  protected readonly optimizer: Adam;
  protected readonly rng: Rng;
  protected steps = 0;

  constructor(name: string, init: TrajectoryModelInit<C>, schema: ConfigSchema<C>, defaults: C, makeNet: (config: C, transitionDim: number, rng: Rng) => N, diffusionOptions: (config: C) => GaussianDiffusionOptions) {
    for (const key of ['observationDim', 'actionDim'] as const) {
      if (!Number.isInteger(init?.[key]) || init[key] <= 0) throw new UsageError(`${name}: ${key} must be a positive integer, got ${init?.[key]}`, { owner: name });
    }
    this.config = Object.freeze(resolveConfig(name, schema, defaults, init.config ?? {}));
    checkHorizon(this.config.horizon, this.config.dimMults, name);
    const transitionDim = init.observationDim + init.actionDim;
    if (init.normalizer?.dim !== transitionDim) throw new UsageError(`${name}: the normalizer covers ${init.normalizer?.dim} dimensions, a row [action, observation] has ${transitionDim}`);
    this.normalizer = init.normalizer;
    this.layout = { horizon: this.config.horizon, actionDim: init.actionDim, observationDim: init.observationDim };
    this.diffusion = new GaussianDiffusion(cosineSchedule(this.config.nDiffusionSteps), this.layout, diffusionOptions(this.config));
    const rng = new Rng(init.seed ?? 0);
    this.net = makeNet(this.config, transitionDim, rng.split());
    this.optimizer = new Adam(variablesOf(this.net), { learningRate: this.config.learningRate });
    this.rng = rng.split();
  }

  /** Gradient steps taken. */
  get step(): number {
    return this.steps;
  }

  /** The network settings of the U-Net family for `config`. */
  static unetConfig(config: TrajectoryNetConfig, transitionDim: number): TemporalUnetConfig {
    return { transitionDim, dim: config.dim, dimMults: config.dimMults, normGroups: config.normGroups, norm: config.norm };
  }

  /** Check the batch, draw its steps and noise, run `body`, free the tensors. */
  protected withNoisedBatch<T>(batch: WindowBatch, body: (b: NoisedBatch) => T): T {
    checkWindowBatch(batch, this.layout, `${this.kind}.trainStep`);
    const noised = noisedBatch(batch, this.normalizer, this.config.nDiffusionSteps, this.rng);
    try {
      return body(noised);
    } finally {
      disposeNoised(noised);
    }
  }

  /** The snapshot parts every model has. */
  protected baseSnapshot(): TrajectoryModelSnapshot<C> {
    return {
      kind: this.kind,
      config: { ...this.config },
      observationDim: this.layout.observationDim,
      actionDim: this.layout.actionDim,
      normalizer: this.normalizer.state(),
      weights: serializeVariables(this.net.namedVariables()),
      optimizer: this.optimizer.serialize(),
      rng: this.rng.getState(),
      step: this.steps,
    };
  }

  /** Check a snapshot against this model and restore the parts every model has. */
  protected restoreBase(snapshot: TrajectoryModelSnapshot<C>): void {
    if (!snapshot || snapshot.kind !== this.kind) throw new CheckpointError(`${this.kind}.restore: expected a "${this.kind}" snapshot, got "${snapshot?.kind}"`, { kind: this.kind });
    const mine = JSON.stringify({ config: this.config, o: this.layout.observationDim, a: this.layout.actionDim, n: this.normalizer.state() });
    const theirs = JSON.stringify({ config: snapshot.config, o: snapshot.observationDim, a: snapshot.actionDim, n: snapshot.normalizer });
    if (mine !== theirs) throw new CheckpointError(`${this.kind}.restore: the snapshot's config, dimensions or normalizer differ from this model's`, { kind: this.kind });
    loadVariables(this.net.namedVariables(), snapshot.weights, this.kind);
    this.optimizer.deserialize(snapshot.optimizer, `${this.kind}.optimizer`);
    this.rng.setState(snapshot.rng);
    this.steps = snapshot.step;
  }

  dispose(): void {
    this.net.dispose();
    this.optimizer.dispose();
  }
}
