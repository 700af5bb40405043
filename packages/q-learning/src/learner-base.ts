/**
 * The shared part of every learner: config resolution, spaces, a seeded Rng, a registry of the
 * networks / free variables / optimizers to checkpoint, `update` plumbing and save / load.
 * An algorithm subclasses BaseLearner, registers its parts, and writes `trainStep` and `act`.
 */
import * as tf from '@tensorflow/tfjs-core';
import {
  CheckpointError,
  Rng,
  resolveConfig,
  spaceFromJSON,
  type ActOptions,
  type Action,
  type AnySpace,
  type Box,
  type ConfigSchema,
  type Discrete,
  type Learner,
  type LearnerSnapshot,
  type Metrics,
  type SerializedTensor,
  type Space,
  type SpaceSpec,
  type TransitionBatch,
} from '@bellman/core';
import { Mlp, deserializeTensor, serializeTensor, type Adam, type FeatureProbe, type Regularizer, type RegularizerContext } from '@bellman/nn';
import { BatchTensors, checkBatchShape } from './learner-utils.js';

export type ActionKind = 'discrete' | 'box';

/** What `createLearner` and every learner constructor take. */
export interface LearnerInit<C extends object = object> {
  /** A Box (any shape; flattened row-major), or its JSON spec. */
  observationSpace: Space<Float32Array> | SpaceSpec;
  actionSpace: Space<Action> | SpaceSpec;
  /** Overrides of the algorithm's defaults; unknown or invalid fields throw a ConfigError naming the field. */
  config?: Partial<C>;
  /** Seeds weight initialisation and the learner's own sampling. Default 0. */
  seed?: number;
  /**
   * Value-based learners only: penalties added to the critic loss (DR3 is one). Each is called in
   * the loss closure with the critic's penultimate features phi(s,a) and phi(s',a'); which
   * features a learner hands over is documented in its file and in the README.
   */
  regularizers?: Regularizer[];
  /** Value-based learners only: feature diagnostics, measured on the update's own forward pass when `due`. */
  featureProbe?: FeatureProbe;
  /** Observation statistics for learners that normalise inputs (TD3+BC); `dataset.statistics()` fits. */
  normalization?: { observationMean: ArrayLike<number>; observationStd: ArrayLike<number> };
  /**
   * The offline dataset's episode returns and lengths, for learners whose reward scale adapts to
   * the data (IQL's `rewardScale: 'auto'`); an OfflineDataset's `statistics()` fits. Learners
   * that read it save what they derived from it, so a snapshot does not need it again.
   */
  episodeStatistics?: { returnMin: number; returnMax: number; lengthMax: number };
}

/**
 * The critic's features of one update, from which BaseLearner applies the regularizers and the
 * feature probe (which features each learner hands over is documented in its file).
 */
export interface CriticFeatures {
  /** phi(s, a) at the batch, [B, featureDim]. */
  phi: tf.Tensor2D;
  /**
   * phi(s', a') at the backup's next state-action: a tensor, or a function computing it, called
   * only when a regularizer or a due probe reads it. Null only when `needsNextFeatures` is false.
   */
  phiNext: tf.Tensor2D | (() => tf.Tensor2D) | null;
  /** Q(s, a) at the batch, [B] (regularizers get it). */
  q: tf.Tensor1D;
}

/** A critic loss as `BaseLearner.minimizeCritic` minimises it. */
export interface CriticLoss {
  /** The loss before regularizer penalties. */
  total: tf.Scalar;
  /** Scalars reported with the update's metrics, in this order (qMean, targetMean, ...). */
  report: Record<string, tf.Tensor>;
  features: CriticFeatures;
}

/** What one critic step reports: the loss and its terms, and the feature probe's metrics when it was due. */
export type CriticStep = {
  metrics: Metrics;
  probe: Metrics;
};

/** How the registry knows an algorithm: what `registerLearner` takes and `listAlgorithms` shows. */
export interface LearnerDefinition<C extends object = object, I extends LearnerInit<C> = LearnerInit<C>, L extends Learner = Learner> {
  /** The name used on the command line and in snapshots, e.g. 'bc'. */
  algo: string;
  description: string;
  actionKinds: readonly ActionKind[];
  /** The resolved defaults (what an empty config gives). */
  defaults: Readonly<C>;
  /**
   * The fields of LearnerInit, beyond the spaces, config and seed, that `create` cannot do
   * without (FQE: `evaluationPolicy`). Listed by `listAlgorithms`; default none.
   */
  requiredInit?: readonly string[];
  create(init: I): L;
}

/** The static description of an algorithm that BaseLearner needs. */
export interface LearnerSpec<C extends object> {
  algo: string;
  /** Name used in config error messages, e.g. 'BC'. */
  configName: string;
  schema: ConfigSchema<C>;
  defaults: Readonly<C>;
  actionKinds: readonly ActionKind[];
}

/** An algorithm stated once: its registry entry and the spec its learner class is built from. */
export type DefinedLearner<A extends string, C extends object, I extends LearnerInit<C>, L extends Learner = Learner> = LearnerDefinition<C, I, L> & LearnerSpec<C> & { readonly algo: A };

/**
 * One algorithm's name, config schema and defaults, action kinds and constructor, in one place.
 * The learner class passes the result to BaseLearner (`super(definition, init)`), the registry
 * lists it, and `createLearner` types its config by `algo`.
 */
export function defineLearner<const A extends string, C extends object, I extends LearnerInit<C> = LearnerInit<C>, L extends Learner = Learner>(
  definition: LearnerSpec<C> & { algo: A; description: string; requiredInit?: readonly string[]; create(init: I): L },
): DefinedLearner<A, C, I, L> {
  return Object.freeze({ ...definition });
}

function toSpace(space: { toJSON(): SpaceSpec } | SpaceSpec): AnySpace {
  const spec = typeof (space as { toJSON?: unknown }).toJSON === 'function' ? (space as { toJSON(): SpaceSpec }).toJSON() : (space as SpaceSpec);
  return spaceFromJSON(spec);
}

type Part = { kind: 'mlp'; net: Mlp } | { kind: 'variable'; variable: tf.Variable };

export abstract class BaseLearner<C extends object> implements Learner {
  readonly algo: string;
  readonly config: Readonly<C>;
  readonly observationSpace: Box;
  readonly actionSpace: Box | Discrete;
  /** Width of a flat observation row. */
  readonly observationDim: number;
  /** Columns of an action row in a batch: the Box size, or 1 for Discrete. */
  readonly actionDim: number;
  /** The learner's own randomness (initialisation, target noise, sampled actions); part of the snapshot. */
  protected readonly rng: Rng;
  private updateCount = 0;
  private readonly parts = new Map<string, Part>();
  private readonly optimizers = new Map<string, Adam>();
  private disposed = false;
  /** Penalties on the critic's features (value-based learners add them to the critic loss). */
  protected readonly regularizers: readonly Regularizer[];
  /** Feature diagnostics, measured when `featureProbe.due(this.updates)`. */
  protected readonly featureProbe: FeatureProbe | undefined;

  protected constructor(spec: LearnerSpec<C>, init: LearnerInit<C>) {
    this.algo = spec.algo;
    // A copy of the defaults, so that the config never shares an array with the frozen defaults.
    this.config = Object.freeze(resolveConfig(spec.configName, spec.schema, structuredClone(spec.defaults) as C, init.config ?? {}));
    const observationSpace = toSpace(init.observationSpace);
    if (observationSpace.kind !== 'box') {
      throw new TypeError(`${spec.algo}: observation space must be a Box, got ${String(observationSpace)}`);
    }
    const actionSpace = toSpace(init.actionSpace);
    if (!spec.actionKinds.includes(actionSpace.kind)) {
      throw new TypeError(
        `${spec.algo} supports ${spec.actionKinds.map((k) => (k === 'box' ? 'Box' : 'Discrete')).join(' and ')} action spaces, got ${String(actionSpace)}`,
      );
    }
    this.observationSpace = observationSpace;
    this.actionSpace = actionSpace;
    this.observationDim = observationSpace.size;
    this.actionDim = actionSpace.kind === 'box' ? actionSpace.size : 1;
    this.rng = new Rng(init.seed ?? 0);
    this.regularizers = [...(init.regularizers ?? [])];
    init.regularizers?.forEach((r, i) => {
      if (!r || typeof r.penalty !== 'function' || typeof r.name !== 'string') {
        throw new TypeError(`${spec.algo}: regularizers[${i}] is not a Regularizer (needs a name and penalty(ctx))`);
      }
    });
    if (init.featureProbe && (typeof init.featureProbe.due !== 'function' || typeof init.featureProbe.measure !== 'function')) {
      throw new TypeError(`${spec.algo}: featureProbe needs due(update) and measure(phi, phiNext)`);
    }
    this.featureProbe = init.featureProbe;
  }

  /** Number of `update` calls so far (restored by `load`). */
  get updates(): number {
    return this.updateCount;
  }

  /** Register a network under a stable name: it is saved, loaded and disposed with the learner. */
  protected addNetwork<T extends Mlp>(name: string, net: T): T {
    this.claim(name);
    this.parts.set(name, { kind: 'mlp', net });
    return net;
  }

  /** Register a free variable (a log-std vector, a temperature, normalisation statistics). */
  protected addVariable(name: string, variable: tf.Variable): tf.Variable {
    this.claim(name);
    this.parts.set(name, { kind: 'variable', variable });
    return variable;
  }

  /** Register an optimizer: its moments and step count go into the snapshot. */
  protected addOptimizer<T extends Adam>(name: string, optimizer: T): T {
    if (this.optimizers.has(name)) throw new Error(`${this.algo}: optimizer "${name}" is registered twice`);
    this.optimizers.set(name, optimizer);
    return optimizer;
  }

  /** One gradient step: checks the batch, builds its tensors, runs `trainStep`, frees the tensors. */
  update(batch: TransitionBatch): Metrics {
    this.assertAlive();
    checkBatchShape(batch, this.observationDim, this.actionDim, this.algo);
    const tensors = new BatchTensors(batch, this.actionSpace);
    try {
      const metrics = this.trainStep(tensors);
      this.updateCount += 1;
      return metrics;
    } finally {
      tensors.dispose();
    }
  }

  /** The algorithm's gradient step. `this.updates` is the number of steps taken before this one. */
  protected abstract trainStep(batch: BatchTensors): Metrics;

  abstract act(observation: Float32Array, options?: ActOptions): Action;

  save(): LearnerSnapshot {
    this.assertAlive();
    const weights: Record<string, SerializedTensor> = {};
    for (const [name, part] of this.parts) {
      if (part.kind === 'mlp') Object.assign(weights, part.net.serialize(name));
      else weights[name] = serializeTensor(part.variable);
    }
    const optimizers: LearnerSnapshot['optimizers'] = {};
    for (const [name, opt] of this.optimizers) optimizers[name] = opt.serialize();
    return {
      algo: this.algo,
      config: structuredClone(this.config),
      observationSpace: this.observationSpace.toJSON(),
      actionSpace: this.actionSpace.toJSON(),
      weights,
      optimizers,
      rng: this.rng.getState(),
      updates: this.updateCount,
    };
  }

  /**
   * Restore a snapshot taken from a learner of the same algorithm, spaces and config. Everything is
   * checked before anything is assigned, so a rejected snapshot leaves the learner unchanged.
   */
  load(snapshot: LearnerSnapshot): void {
    this.assertAlive();
    if (!snapshot || typeof snapshot !== 'object') throw new TypeError(`${this.algo}.load: expected a learner snapshot, got ${String(snapshot)}`);
    if (snapshot.algo !== this.algo) {
      throw new CheckpointError(`cannot load a "${snapshot.algo}" snapshot into a "${this.algo}" learner (use learnerFromSnapshot to build the right one)`, { algo: this.algo });
    }
    for (const which of ['observationSpace', 'actionSpace'] as const) {
      const mine = JSON.stringify(this[which].toJSON());
      const theirs = JSON.stringify(snapshot[which]);
      if (mine !== theirs) throw new CheckpointError(`${this.algo}.load: snapshot ${which} is ${theirs}, this learner has ${mine}`, { algo: this.algo });
    }
    const differing = configDifferences(this.config, snapshot.config);
    if (differing.length > 0) {
      throw new CheckpointError(
        `${this.algo}.load: snapshot config differs in ${differing.map((d) => `"${d.key}" (snapshot ${d.theirs}, learner ${d.mine})`).join(', ')}; build the learner with learnerFromSnapshot to adopt the snapshot's config`,
        { algo: this.algo, fields: differing.map((d) => d.key) },
      );
    }
    this.checkWeights(snapshot.weights ?? {});
    this.checkOptimizers(snapshot.optimizers ?? {});
    if (!Number.isInteger(snapshot.updates) || snapshot.updates < 0) throw new CheckpointError(`${this.algo}.load: snapshot "updates" must be a non-negative integer, got ${snapshot.updates}`, { algo: this.algo });
    const restoredRng = new Rng(snapshot.rng); // validates the state before anything changes

    for (const [name, part] of this.parts) {
      if (part.kind === 'mlp') part.net.deserialize(snapshot.weights, name);
      else {
        const t = deserializeTensor(snapshot.weights[name]!);
        part.variable.assign(t);
        t.dispose();
      }
    }
    for (const [name, opt] of this.optimizers) opt.deserialize(snapshot.optimizers[name]!, `${this.algo} optimizer "${name}"`);
    this.rng.setState(restoredRng.getState());
    this.updateCount = snapshot.updates;
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const part of this.parts.values()) {
      if (part.kind === 'mlp') part.net.dispose();
      else part.variable.dispose();
    }
    for (const opt of this.optimizers.values()) opt.dispose();
  }

  /** True when the feature probe measures on this update. */
  protected get probeDue(): boolean {
    return this.featureProbe !== undefined && this.featureProbe.due(this.updateCount);
  }

  /** True when this update needs phi(s', a'): a regularizer is set or the probe is due. */
  protected get needsNextFeatures(): boolean {
    return this.regularizers.length > 0 || this.probeDue;
  }

  /**
   * One step of `optimizer` on a critic loss, with every regularizer's penalty on the features
   * the loss reports added to it, and the feature probe measured on them when due (no second
   * forward pass). `metrics` holds the loss (as `lossName`), the loss's report and `reg/<name>`
   * per regularizer; `probe` the probe's metrics, which go at the end of the update's metrics.
   */
  protected minimizeCritic(optimizer: Adam, batch: BatchTensors, lossName: string, criticLoss: () => CriticLoss): CriticStep {
    const probe: Metrics = {};
    const stepMetrics = optimizer.minimize(() => {
      const { total, report, features } = criticLoss();
      if (!this.needsNextFeatures) return { loss: total, metrics: report };
      const { phi, q } = features;
      const phiNext = typeof features.phiNext === 'function' ? features.phiNext() : features.phiNext;
      if (!phiNext) throw new Error(`${this.algo}: the critic loss left out phi(s', a'), which a regularizer or the feature probe needs`);
      const penalties = this.regularize({ phi, phiNext, q, batch: batch.batch });
      if (this.probeDue) Object.assign(probe, this.featureProbe!.measure(phi, phiNext));
      const metrics = { ...report, ...penalties.metrics };
      return { loss: penalties.sum ? (tf.add(total, penalties.sum) as tf.Scalar) : total, metrics };
    });
    const metrics: Metrics = {};
    for (const [key, value] of Object.entries(stepMetrics)) metrics[key === 'loss' ? lossName : key] = value;
    return { metrics, probe };
  }

  /**
   * The sum of every regularizer's penalty on (phi, phiNext, q, batch, step = this.updates), and
   * `reg/<name>` metrics. Gradients flow through the returned sum.
   */
  private regularize(ctx: Omit<RegularizerContext, 'step'>): { sum: tf.Scalar | null; metrics: Record<string, tf.Tensor> } {
    const metrics: Record<string, tf.Tensor> = {};
    let sum: tf.Scalar | null = null;
    const full: RegularizerContext = { ...ctx, step: this.updateCount };
    this.regularizers.forEach((regularizer, i) => {
      const p = regularizer.penalty(full);
      // Two regularizers of the same name (say, two DR3 coefficients) keep apart by position.
      const key = `reg/${regularizer.name}`;
      metrics[key in metrics ? `${key}#${i}` : key] = p;
      sum = sum ? (tf.add(sum, p) as tf.Scalar) : p;
    });
    return { sum, metrics };
  }

  /** Checks an observation handed to `act`. */
  protected checkObservation(observation: ArrayLike<number>): void {
    if (!observation || observation.length !== this.observationDim) {
      throw new RangeError(`${this.algo}.act: observation has ${observation?.length} values, the observation space has ${this.observationDim}`);
    }
  }

  private assertAlive(): void {
    if (this.disposed) throw new Error(`${this.algo}: this learner has been disposed`);
  }

  private claim(name: string): void {
    if (this.parts.has(name)) throw new Error(`${this.algo}: a network or variable named "${name}" is already registered`);
    if (name.includes('/')) {
      // Mlp weights are saved as `${name}/${index}`; a slash in a name could collide with them.
      throw new Error(`${this.algo}: part name "${name}" must not contain "/"`);
    }
  }

  private expectedShapes(): Map<string, readonly number[]> {
    const shapes = new Map<string, readonly number[]>();
    for (const [name, part] of this.parts) {
      if (part.kind === 'mlp') part.net.variables.forEach((v, i) => shapes.set(`${name}/${i}`, v.shape));
      else shapes.set(name, part.variable.shape);
    }
    return shapes;
  }

  private checkWeights(weights: Record<string, SerializedTensor>): void {
    const expected = this.expectedShapes();
    for (const [key, shape] of expected) {
      const w = weights[key];
      if (!w) throw new CheckpointError(`${this.algo}.load: snapshot is missing weight "${key}"`, { algo: this.algo });
      if (w.dtype !== 'float32') throw new CheckpointError(`${this.algo}.load: weight "${key}" has dtype ${w.dtype}, expected float32`, { algo: this.algo });
      if (!sameShape(w.shape, shape)) {
        throw new CheckpointError(`${this.algo}.load: weight "${key}" has shape [${w.shape}], this learner expects [${shape}]`, { algo: this.algo });
      }
    }
    const extra = Object.keys(weights).filter((k) => !expected.has(k));
    if (extra.length > 0) throw new CheckpointError(`${this.algo}.load: snapshot has weights this learner does not: ${extra.slice(0, 5).join(', ')}`, { algo: this.algo });
  }

  private checkOptimizers(optimizers: LearnerSnapshot['optimizers']): void {
    for (const [name, opt] of this.optimizers) {
      const state = optimizers[name];
      if (!state) throw new CheckpointError(`${this.algo}.load: snapshot has no state for optimizer "${name}"`, { algo: this.algo });
      opt.params.forEach((p, i) => {
        for (const moment of ['m', 'v']) {
          const s = state[`${moment}/${i}`];
          if (!s || typeof s === 'number') throw new CheckpointError(`${this.algo}.load: optimizer "${name}" state lacks "${moment}/${i}"`, { algo: this.algo });
          if (!sameShape(s.shape, p.shape)) {
            throw new CheckpointError(`${this.algo}.load: optimizer "${name}" "${moment}/${i}" has shape [${s.shape}], expected [${p.shape}]`, { algo: this.algo });
          }
        }
      });
    }
    const extra = Object.keys(optimizers).filter((k) => !this.optimizers.has(k));
    if (extra.length > 0) throw new CheckpointError(`${this.algo}.load: snapshot has optimizers this learner does not: ${extra.join(', ')}`, { algo: this.algo });
  }
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

function configDifferences(mine: object, theirs: unknown): { key: string; mine: string; theirs: string }[] {
  if (!theirs || typeof theirs !== 'object') return [{ key: '(config)', mine: 'an object', theirs: JSON.stringify(theirs) }];
  const keys = new Set([...Object.keys(mine), ...Object.keys(theirs)]);
  const out: { key: string; mine: string; theirs: string }[] = [];
  for (const key of keys) {
    const a = JSON.stringify((mine as Record<string, unknown>)[key]);
    const b = JSON.stringify((theirs as Record<string, unknown>)[key]);
    if (a !== b) out.push({ key, mine: a ?? 'unset', theirs: b ?? 'unset' });
  }
  return out;
}
