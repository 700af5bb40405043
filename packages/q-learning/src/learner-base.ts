/**
 * The shared part of every learner: config resolution, spaces, a seeded Rng, a registry of the
 * networks / free variables / optimizers to checkpoint, `update` plumbing and save / load.
 * An algorithm subclasses BaseLearner, registers its parts, and writes `trainStep` and `act`.
 */
import * as tf from '@tensorflow/tfjs';
import {
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
export interface LearnerInit<C extends object = Record<string, unknown>> {
  /** A Box (any shape; flattened row-major), or its JSON spec. */
  observationSpace: Space<Float32Array> | SpaceSpec;
  actionSpace: Space<Action> | SpaceSpec;
  /** Overrides of the algorithm's defaults; unknown or invalid fields throw a ConfigError naming the field. */
  config?: Partial<C> | Record<string, unknown>;
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

/** What a value-based learner's critic loss gets back from `BaseLearner.regularize`. */
export interface RegularizationResult {
  /** The sum of every regularizer's penalty, or null when there are none. */
  penalty: tf.Scalar | null;
  /** `reg/<name>` -> that regularizer's penalty, for the update's metrics. */
  metrics: Record<string, tf.Tensor>;
}

/** How the registry knows an algorithm. Each algorithm file exports one. */
export interface LearnerDefinition<C extends object = object> {
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
  create(init: LearnerInit<C>): Learner;
}

/** The static description of an algorithm that BaseLearner needs. */
export interface LearnerSpec<C extends object> {
  algo: string;
  /** Name used in config error messages, e.g. 'BC'. */
  configName: string;
  schema: ConfigSchema<C>;
  defaults: C;
  actionKinds: readonly ActionKind[];
}

/**
 * A LearnerSpec with a fresh copy of `defaults` (its `hiddenSizes` array included), so that a
 * learner's config never shares an array with the exported, frozen defaults.
 */
export function learnerSpec<C extends { hiddenSizes: number[] }>(
  algo: string,
  configName: string,
  schema: ConfigSchema<C>,
  defaults: Readonly<C>,
  actionKinds: readonly ActionKind[],
): LearnerSpec<C> {
  return { algo, configName, schema, defaults: { ...defaults, hiddenSizes: [...defaults.hiddenSizes] }, actionKinds };
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
    this.config = Object.freeze(resolveConfig(spec.configName, spec.schema, spec.defaults, init.config ?? {}));
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
      throw new Error(`cannot load a "${snapshot.algo}" snapshot into a "${this.algo}" learner (use learnerFromSnapshot to build the right one)`);
    }
    for (const which of ['observationSpace', 'actionSpace'] as const) {
      const mine = JSON.stringify(this[which].toJSON());
      const theirs = JSON.stringify(snapshot[which]);
      if (mine !== theirs) throw new Error(`${this.algo}.load: snapshot ${which} is ${theirs}, this learner has ${mine}`);
    }
    const differing = configDifferences(this.config, snapshot.config);
    if (differing.length > 0) {
      throw new Error(
        `${this.algo}.load: snapshot config differs in ${differing.map((d) => `"${d.key}" (snapshot ${d.theirs}, learner ${d.mine})`).join(', ')}; build the learner with learnerFromSnapshot to adopt the snapshot's config`,
      );
    }
    this.checkWeights(snapshot.weights ?? {});
    this.checkOptimizers(snapshot.optimizers ?? {});
    if (!Number.isInteger(snapshot.updates) || snapshot.updates < 0) throw new Error(`${this.algo}.load: snapshot "updates" must be a non-negative integer, got ${snapshot.updates}`);
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

  /**
   * Call inside a critic loss closure: the sum of every regularizer's penalty on
   * (phi, phiNext, q, batch, step = this.updates), and `reg/<name>` metrics. Gradients flow
   * through the returned penalty.
   */
  protected regularize(ctx: Omit<RegularizerContext, 'step'>): RegularizationResult {
    const metrics: Record<string, tf.Tensor> = {};
    let penalty: tf.Scalar | null = null;
    const full: RegularizerContext = { ...ctx, step: this.updateCount };
    this.regularizers.forEach((regularizer, i) => {
      const p = regularizer.penalty(full);
      // Two regularizers of the same name (say, two DR3 coefficients) keep apart by position.
      const key = `reg/${regularizer.name}`;
      metrics[key in metrics ? `${key}#${i}` : key] = p;
      penalty = penalty ? (penalty.add(p) as tf.Scalar) : p;
    });
    return { penalty, metrics };
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
   * Call inside the critic loss closure: `loss` plus every regularizer's penalty on
   * phi = phi(s, a) and phiNext = phi(s', a'), with the penalty metrics merged into `metrics` and,
   * when the probe is due, the probe metrics into `probe`. Pass phiNext null when the update has
   * no use for it (`needsNextFeatures` is false): `loss` comes back unchanged.
   */
  protected addFeatureTerms(
    loss: tf.Scalar,
    phi: tf.Tensor2D,
    phiNext: tf.Tensor2D | null,
    q: tf.Tensor1D,
    batch: BatchTensors,
    metrics: Record<string, tf.Tensor>,
    probe: Metrics,
  ): tf.Scalar {
    if (!phiNext) return loss;
    const { penalty, metrics: penaltyMetrics } = this.regularize({ phi, phiNext, q, batch: batch.batch });
    Object.assign(metrics, penaltyMetrics);
    this.probeFeatures(phi, phiNext, probe);
    return penalty ? (tf.add(loss, penalty) as tf.Scalar) : loss;
  }

  /**
   * Call inside the loss closure with the features of the update's own forward pass: when the
   * probe is due, its metrics are merged into `into` (no second forward pass).
   */
  protected probeFeatures(phi: tf.Tensor2D, phiNext: tf.Tensor2D, into: Metrics): void {
    if (!this.probeDue) return;
    Object.assign(into, this.featureProbe!.measure(phi, phiNext));
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
      if (!w) throw new Error(`${this.algo}.load: snapshot is missing weight "${key}"`);
      if (w.dtype !== 'float32') throw new Error(`${this.algo}.load: weight "${key}" has dtype ${w.dtype}, expected float32`);
      if (!sameShape(w.shape, shape)) {
        throw new Error(`${this.algo}.load: weight "${key}" has shape [${w.shape}], this learner expects [${shape}]`);
      }
    }
    const extra = Object.keys(weights).filter((k) => !expected.has(k));
    if (extra.length > 0) throw new Error(`${this.algo}.load: snapshot has weights this learner does not: ${extra.slice(0, 5).join(', ')}`);
  }

  private checkOptimizers(optimizers: LearnerSnapshot['optimizers']): void {
    for (const [name, opt] of this.optimizers) {
      const state = optimizers[name];
      if (!state) throw new Error(`${this.algo}.load: snapshot has no state for optimizer "${name}"`);
      opt.params.forEach((p, i) => {
        for (const moment of ['m', 'v']) {
          const s = state[`${moment}/${i}`];
          if (!s || typeof s === 'number') throw new Error(`${this.algo}.load: optimizer "${name}" state lacks "${moment}/${i}"`);
          if (!sameShape(s.shape, p.shape)) {
            throw new Error(`${this.algo}.load: optimizer "${name}" "${moment}/${i}" has shape [${s.shape}], expected [${p.shape}]`);
          }
        }
      });
    }
    const extra = Object.keys(optimizers).filter((k) => !this.optimizers.has(k));
    if (extra.length > 0) throw new Error(`${this.algo}.load: snapshot has optimizers this learner does not: ${extra.join(', ')}`);
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
