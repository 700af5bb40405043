/**
 * What VICE, CNML and meta-NML share: a classifier with an Adam optimiser, a random stream, the
 * labelled set of the last update, and snapshots that restore all of it exactly.
 */
import * as tf from '@tensorflow/tfjs-core';
import {
  CheckpointError,
  Rng,
  UsageError,
  resolveConfig,
  type ConfigSchema,
  type Metrics,
  type RewardBatch,
  type RewardInputs,
  type RewardModel,
  type RewardModelSnapshot,
} from '@bellman/core';
import { Adam, loadVariables, serializeVariables } from '@bellman/nn';
import { MlpClassifier, type MlpClassifierConfig } from './classifier.js';
import { LabelledSet } from './labelled-set.js';

/** How every classifier reward model is made: the observation size, overrides of its defaults and a seed. */
export interface RewardModelInit<C> {
  observationDim: number;
  /** Overrides of the method's defaults; unknown or invalid fields throw a ConfigError naming the field. */
  config?: Partial<C>;
  /** Seeds the classifier's initialisation and the model's own sampling. Default 0. */
  seed?: number;
}

export abstract class ClassifierRewardModel<C extends object> implements RewardModel {
  abstract readonly kind: string;
  readonly inputs: RewardInputs = 'observation';
  readonly config: Readonly<C>;
  readonly observationDim: number;
  protected readonly classifier: MlpClassifier;
  protected readonly optimizer: Adam;
  protected readonly rng: Rng;
  /** The labelled set of the last update (meta-NML and CNML adapt on it at scoring time). */
  protected labelled: LabelledSet | null = null;
  protected updates = 0;

  constructor(
    name: string,
    init: RewardModelInit<C>,
    schema: ConfigSchema<C>,
    defaults: C,
    classifierOf: (config: C) => MlpClassifierConfig,
    learningRateOf: (config: C) => number,
  ) {
    if (!Number.isInteger(init?.observationDim) || init.observationDim <= 0) {
      throw new UsageError(`${name}: observationDim must be a positive integer, got ${init?.observationDim}`, { owner: name });
    }
    this.observationDim = init.observationDim;
    this.config = Object.freeze(resolveConfig(name, schema, defaults, init.config ?? {}));
    const rng = new Rng(init.seed ?? 0);
    this.classifier = new MlpClassifier(init.observationDim, classifierOf(this.config), rng.split());
    this.optimizer = new Adam(this.classifier.variables(), { learningRate: learningRateOf(this.config) });
    this.rng = rng.split();
  }

  abstract rewards(batch: RewardBatch): Float32Array;
  abstract update(positives: RewardBatch, negatives: RewardBatch): Metrics;

  /** The observations of `batch` as [size, observationDim], after checking their shape. */
  protected observationsOf(batch: RewardBatch): tf.Tensor2D {
    if (batch.observationDim !== this.observationDim) {
      throw new UsageError(`${this.kind}: observations have ${batch.observationDim} dimensions, the model ${this.observationDim}`, { owner: this.kind });
    }
    if (!Number.isInteger(batch.size) || batch.size < 0 || batch.observations.length < batch.size * this.observationDim) {
      throw new UsageError(`${this.kind}: a batch of ${batch.size} rows holds ${batch.observations.length} values`, { owner: this.kind });
    }
    return tf.tensor2d(batch.observations.subarray(0, batch.size * this.observationDim), [batch.size, this.observationDim]);
  }

  /** The labelled set, or a clear error when `rewards` comes before any `update`. */
  protected requireLabelled(): LabelledSet {
    if (!this.labelled) throw new UsageError(`${this.kind}: rewards() needs a labelled set: call update(positives, negatives) first`, { owner: this.kind });
    return this.labelled;
  }

  save(): RewardModelSnapshot {
    return {
      kind: this.kind,
      inputs: this.inputs,
      config: { ...this.config },
      observationDim: this.observationDim,
      weights: { ...serializeVariables(this.classifier.net.namedVariables()), ...(this.labelled?.serialize() ?? {}) },
      optimizers: { classifier: this.optimizer.serialize() },
      rng: this.rng.getState(),
      updates: this.updates,
    };
  }

  load(snapshot: RewardModelSnapshot): void {
    if (snapshot?.kind !== this.kind) throw new CheckpointError(`${this.kind}: cannot load a snapshot of a "${snapshot?.kind}" reward model`, { owner: this.kind });
    if (snapshot.observationDim !== this.observationDim) {
      throw new CheckpointError(`${this.kind}: the snapshot is for ${snapshot.observationDim}-dimensional observations, this model ${this.observationDim}`, { owner: this.kind });
    }
    if (JSON.stringify(snapshot.config) !== JSON.stringify(this.config)) {
      throw new CheckpointError(`${this.kind}: the snapshot's config ${JSON.stringify(snapshot.config)} differs from this model's ${JSON.stringify(this.config)}`, { owner: this.kind });
    }
    try {
      loadVariables(this.classifier.net.namedVariables(), snapshot.weights, this.kind);
      const optimizer = snapshot.optimizers.classifier;
      if (!optimizer) throw new Error('the snapshot has no optimiser state');
      this.optimizer.deserialize(optimizer, `${this.kind}/optimizer`);
    } catch (err) {
      throw new CheckpointError(`${this.kind}: ${(err as Error).message}`, { owner: this.kind }, { cause: err });
    }
    this.labelled = LabelledSet.deserialize(snapshot.weights);
    this.rng.setState(snapshot.rng);
    this.updates = snapshot.updates;
  }

  dispose(): void {
    this.classifier.dispose();
    this.optimizer.dispose();
  }
}
