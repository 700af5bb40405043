/**
 * Diffuser (Janner, Du, Tenenbaum, Levine, ICML 2022, arXiv 2205.09991): a DDPM over trajectory
 * windows [H, action + observation] with Diffuser's temporal U-Net; planning is sampling with the
 * known states inpainted (and, optionally, the gradient of a learned value added).
 */
import { CheckpointError, UsageError, type Metrics, type Rng, type SerializedTensor, type WindowBatch } from '@bellman/core';
import type * as tf from '@tensorflow/tfjs-core';
import { ModuleEma, loadVariables } from '@bellman/nn';
import { DIFFUSER_SCHEMA, MAZE2D_DIFFUSER, type DiffuserConfig } from './config.js';
import type { Conditions, Denoiser, Guidance } from './diffusion.js';
import { TrajectoryModel, type TrajectoryModelInit, type TrajectoryModelSnapshot } from './model-base.js';
import { LimitsNormalizer, type LimitsNormalizerState } from './normalizer.js';
import { TemporalUnet } from './unet.js';

/** What one training step reports. */
export interface DiffuserLoss {
  /** The weighted loss that was minimised. */
  loss: number;
  /** Unweighted mean squared error of the first step's action. */
  firstActionLoss: number;
  /** Gradient steps taken, this one included. */
  step: number;
}

export interface DiffuserSnapshot extends TrajectoryModelSnapshot<DiffuserConfig> {
  ema: { steps: number; weights: Record<string, SerializedTensor> };
}

/** Which sampler plans: Diffuser's ancestral DDPM over all steps, or deterministic DDIM over fewer. */
export type Sampler = { kind: 'ddpm' } | { kind: 'ddim'; steps: number };


export interface PlanOptions {
  /** Trajectories to sample (1 by default). */
  batch?: number;
  rng: Rng;
  /** DDPM by default. */
  sampler?: Sampler;
  /** DDPM only. */
  guidance?: Guidance;
  /** Sample with the moving average of the weights (true by default), as Diffuser plans. */
  useEma?: boolean;
  /** Sees the sample after every denoising step, in the data's units (to draw the denoising). */
  onDenoisingStep?: (step: DenoisingStep) => void;
}

/** The sample after one denoising step. */
export interface DenoisingStep {
  /** 0 for the first step. */
  index: number;
  /** Steps the sampler takes in all. */
  steps: number;
  /** [batch, H, observationDim] row-major, in the data's units (known states as inpainted). */
  observations: Float32Array;
}

/**
 * What planning needs of a trained Diffuser, as JSON: its settings, normaliser and the moving
 * average of its weights (no optimiser state: `Diffuser.fromModel` plans, it does not resume
 * training). `meta` carries what the maker wants known (the data, the training steps, the command).
 */
export interface DiffuserModelFile {
  format: 'bellman-diffuser-model';
  version: 1;
  config: DiffuserConfig;
  observationDim: number;
  actionDim: number;
  normalizer: LimitsNormalizerState;
  weights: Record<string, SerializedTensor>;
  meta: Record<string, unknown>;
}

/** Sampled trajectories in the data's units, row-major. */
export interface Plans {
  batch: number;
  horizon: number;
  /** [batch, horizon, actionDim] */
  actions: Float32Array;
  /** [batch, horizon, observationDim]; at the conditioned steps exactly the given states. */
  observations: Float32Array;
  /** The normalised trajectories [batch, horizon, actionDim + observationDim] the sampler returned. */
  normalized: Float32Array;
}

export class Diffuser extends TrajectoryModel<DiffuserConfig, TemporalUnet> {
  readonly kind = 'diffuser';
  private ema: ModuleEma;

  /** A Diffuser that plans with a model file's weights (as its weights and their moving average). */
  static fromModel(file: DiffuserModelFile): Diffuser {
    if (file?.format !== 'bellman-diffuser-model' || file.version !== 1) {
      throw new CheckpointError(`Diffuser.fromModel: expected a bellman-diffuser-model file of version 1, got format ${JSON.stringify(file?.format)} version ${JSON.stringify(file?.version)}`, {});
    }
    const diffuser = new Diffuser({
      observationDim: file.observationDim,
      actionDim: file.actionDim,
      normalizer: new LimitsNormalizer(file.normalizer.mins, file.normalizer.maxs),
      config: file.config,
    });
    loadVariables(diffuser.net.namedVariables(), file.weights, 'diffuser model');
    diffuser.ema.dispose();
    diffuser.ema = new ModuleEma(diffuser.net, diffuser.config.emaDecay);
    return diffuser;
  }

  constructor(init: TrajectoryModelInit<DiffuserConfig>) {
    super(
      'diffuser',
      init,
      DIFFUSER_SCHEMA,
      MAZE2D_DIFFUSER,
      (c, transitionDim, rng) => new TemporalUnet(TrajectoryModel.unetConfig(c, transitionDim), rng),
      (c) => ({ predictEpsilon: c.predictEpsilon, clipDenoised: c.clipDenoised, actionWeight: c.actionWeight, lossDiscount: c.lossDiscount }),
    );
    this.ema = new ModuleEma(this.net, this.config.emaDecay);
  }

  /** The U-Net (its weights, for inspection or a custom loss). */
  get network(): TemporalUnet {
    return this.net;
  }

  /** The denoiser on the current weights, or on their moving average. */
  denoiser(useEma = false): Denoiser {
    const params = useEma ? this.ema.params() : this.net.params();
    return (x, t) => this.net.applyWith(params, x, t);
  }

  /** The time indices training inpaints: the first state, and the last for goal-conditioned planning. */
  conditionTimes(): number[] {
    return this.config.conditionOnGoal ? [0, this.config.horizon - 1] : [0];
  }

  /**
   * One Adam step on `computeLoss` of a window batch (rows [action, observation], normalised by
   * the model's normalizer; padding past an episode's end carries no loss), then the moving
   * average: every `emaEvery` steps it is a copy of the weights before `emaStart` and an
   * update with `emaDecay` from then on.
   */
  trainStep(batch: WindowBatch): DiffuserLoss {
    const metrics = this.withNoisedBatch(batch, ({ x0, t, noise, mask }) =>
      this.optimizer.minimize(() => {
        const parts = this.diffusion.computeLoss(this.denoiser(false), x0, t, noise, this.conditionTimes(), mask);
        return { loss: parts.loss, metrics: { firstActionLoss: parts.firstActionLoss } };
      }),
    );
    this.updateEma();
    this.steps += 1;
    return { loss: metrics.loss!, firstActionLoss: metrics.firstActionLoss!, step: this.steps };
  }

  /** `trainStep` as metrics, for trainers. */
  update(batch: WindowBatch): Metrics {
    const { loss, firstActionLoss } = this.trainStep(batch);
    return { loss, firstActionLoss };
  }

  private updateEma(): void {
    if (this.steps % this.config.emaEvery !== 0) return;
    if (this.steps < this.config.emaStart) {
      this.ema.dispose();
      this.ema = new ModuleEma(this.net, this.config.emaDecay);
    } else {
      this.ema.update(this.net);
    }
  }

  /**
   * Sample plans with `conditions` (time index -> observation in the data's units, e.g. the
   * current state at 0 and a goal state at H - 1) inpainted after every denoising step.
   */
  plan(conditions: ReadonlyMap<number, ArrayLike<number>>, options: PlanOptions): Plans {
    const batch = options.batch ?? 1;
    if (!Number.isInteger(batch) || batch < 1) throw new UsageError(`diffuser.plan: batch must be a positive integer, got ${batch}`);
    const { horizon, actionDim: a, observationDim: o } = this.layout;
    const observationNormalizer = this.normalizer.slice(a, o);
    const normalizedConditions: Conditions = new Map([...conditions].map(([t, state]) => [t, observationNormalizer.normalize(state)]));
    const denoise = this.denoiser(options.useEma ?? true);
    const sampler = options.sampler ?? { kind: 'ddpm' };
    const steps = sampler.kind === 'ddim' ? sampler.steps : this.config.nDiffusionSteps;
    const watch = options.onDenoisingStep;
    const onStep = watch ? (index: number, x: tf.Tensor3D) => watch({ index, steps, observations: this.observationsOf(x.dataSync() as Float32Array, batch).observations }) : undefined;
    if (sampler.kind === 'ddim' && options.guidance) throw new UsageError('diffuser.plan: value guidance runs with the DDPM sampler only');
    const x =
      sampler.kind === 'ddim'
        ? this.diffusion.sampleDdim(denoise, { batch, conditions: normalizedConditions, rng: options.rng, steps: sampler.steps, ...(onStep ? { onStep } : {}) })
        : this.diffusion.sample(denoise, { batch, conditions: normalizedConditions, rng: options.rng, guidance: options.guidance, ...(onStep ? { onStep } : {}) });
    const normalized = x.dataSync() as Float32Array;
    x.dispose();
    const { actions, observations } = this.observationsOf(normalized, batch);
    // The known states are the conditions themselves, not their normalised round trip.
    for (const [t, state] of conditions) {
      const shared = state.length === o;
      for (let b = 0; b < batch; b++) for (let j = 0; j < o; j++) observations[(b * horizon + t) * o + j] = state[(shared ? 0 : b * o) + j]!;
    }
    return { batch, horizon, actions, observations, normalized };
  }

  /** Normalised [batch, H, action + observation] samples as actions and observations in the data's units. */
  private observationsOf(normalized: Float32Array, batch: number): { actions: Float32Array; observations: Float32Array } {
    const { horizon, actionDim: a, observationDim: o } = this.layout;
    const rows = this.normalizer.unnormalize(normalized);
    const d = a + o;
    const actions = new Float32Array(batch * horizon * a);
    const observations = new Float32Array(batch * horizon * o);
    for (let r = 0; r < batch * horizon; r++) {
      actions.set(rows.subarray(r * d, r * d + a), r * a);
      observations.set(rows.subarray(r * d + a, (r + 1) * d), r * o);
    }
    return { actions, observations };
  }

  /** The planning model as JSON (settings, normaliser, the moving average of the weights); `Diffuser.fromModel` reads it. */
  exportModel(meta: Record<string, unknown> = {}): DiffuserModelFile {
    const snapshot = this.snapshot();
    return {
      format: 'bellman-diffuser-model',
      version: 1,
      config: snapshot.config,
      observationDim: snapshot.observationDim,
      actionDim: snapshot.actionDim,
      normalizer: snapshot.normalizer,
      weights: snapshot.ema.weights,
      meta,
    };
  }

  /** Weights, moving average, Adam's moments, randomness and step count. */
  snapshot(): DiffuserSnapshot {
    return { ...this.baseSnapshot(), ema: this.ema.serialize() };
  }

  /** Continue exactly where `snapshot` was taken. */
  restore(snapshot: DiffuserSnapshot): void {
    this.restoreBase(snapshot);
    this.ema.load(snapshot.ema);
  }

  override dispose(): void {
    this.ema.dispose();
    super.dispose();
  }
}
