/**
 * Diffuser's Gaussian diffusion over normalised trajectories [batch, H, actionDim + observationDim]
 * (a row is [action, observation]): the forward process, the training loss, and three samplers
 * (ancestral DDPM, value-guided DDPM and deterministic DDIM), all conditioned by inpainting: the
 * known states are written into the trajectory on the initial noise and after every step.
 * The network is any `Denoiser`; all randomness comes from a core `Rng`.
 */
import * as tf from '@tensorflow/tfjs-core';
import { UsageError, type Rng } from '@bellman/core';
import type { DiffusionSchedule } from './schedule.js';

/** The network: noisy trajectories [batch, H, D] and steps [batch] to x0 (or noise) estimates [batch, H, D]. */
export type Denoiser = (x: tf.Tensor3D, t: tf.Tensor1D) => tf.Tensor3D;
/** A differentiable value of noisy trajectories [batch, H, D] at steps [batch]: [batch]. */
export type TrajectoryValue = (x: tf.Tensor3D, t: tf.Tensor1D) => tf.Tensor1D;

/**
 * Known states by time index, in normalised units: each is one observation (obsDim values, the
 * same for every trajectory) or one per trajectory (batch * obsDim values, row-major).
 */
export type Conditions = ReadonlyMap<number, ArrayLike<number>>;

export interface TrajectoryLayout {
  horizon: number;
  actionDim: number;
  observationDim: number;
}

export interface GaussianDiffusionOptions {
  /** The network predicts the noise instead of x0 (false in Diffuser). */
  predictEpsilon: boolean;
  /** Clip the x0 estimate to [-1, 1] (true in Diffuser). */
  clipDenoised: boolean;
  /** Loss weight of the first step's action dimensions (10 for locomotion, 1 for maze2d). */
  actionWeight: number;
  /** Loss weight discount^t over time (1 in Diffuser: flat). */
  lossDiscount: number;
}

/** Value guidance: x += scale * posteriorVariance_t * grad V(x, t), `steps` times per denoising step. */
export interface Guidance {
  value: TrajectoryValue;
  scale: number;
  steps: number;
  /** No guidance at steps t below this (2 in Diffuser: the last two). */
  stopBelow: number;
}

export interface SampleOptions {
  batch: number;
  conditions: Conditions;
  rng: Rng;
  guidance?: Guidance;
  /** Sees x after each denoising step (index 0 first), conditions written in; it must not dispose x. */
  onStep?: (index: number, x: tf.Tensor3D) => void;
}

export interface DdimOptions {
  batch: number;
  conditions: Conditions;
  rng: Rng;
  /** Denoising steps, at most the schedule's: evenly spaced steps from T - 1 down to 0. */
  steps: number;
  /** As SampleOptions.onStep. */
  onStep?: (index: number, x: tf.Tensor3D) => void;
}

/** The pieces of the loss, as tensors: `loss` is what training minimises. */
export interface DiffusionLoss {
  loss: tf.Scalar;
  /** Mean squared error of the first step's action, unweighted (Diffuser's a0_loss). */
  firstActionLoss: tf.Scalar;
}

/** Inpainting as tensors: x' = x * keep + values, with keep 0 and values the state where a state is known. */
interface Inpainting {
  keep: tf.Tensor3D;
  values: tf.Tensor3D;
}

export function normalTensor(rng: Rng, shape: [number, number, number]): tf.Tensor3D {
  const values = new Float32Array(shape[0] * shape[1] * shape[2]);
  rng.fillNormal(values);
  return tf.tensor3d(values, shape);
}

/** The DDIM steps: `count` indices spaced evenly from T - 1 down to 0, without repeats. */
export function ddimSteps(total: number, count: number): number[] {
  if (!Number.isInteger(count) || count < 1 || count > total) throw new UsageError(`ddim: steps must be an integer in [1, ${total}], got ${count}`, { steps: count, total });
  if (count === 1) return [total - 1];
  const out: number[] = [];
  for (let i = 0; i < count; i++) {
    const t = Math.round(((total - 1) * (count - 1 - i)) / (count - 1));
    if (out[out.length - 1] !== t) out.push(t);
  }
  return out;
}

export class GaussianDiffusion {
  readonly transitionDim: number;
  private readonly weights: Float32Array;

  constructor(
    readonly schedule: DiffusionSchedule,
    readonly layout: TrajectoryLayout,
    readonly options: GaussianDiffusionOptions,
  ) {
    this.transitionDim = layout.actionDim + layout.observationDim;
    this.weights = this.lossWeights();
  }

  /** The loss weight of each (time, dimension): discount^t, and `actionWeight` on the first action. */
  lossWeights(): Float32Array {
    const { horizon, actionDim } = this.layout;
    const d = this.transitionDim;
    const w = new Float32Array(horizon * d);
    for (let t = 0; t < horizon; t++) w.fill(this.options.lossDiscount ** t, t * d, (t + 1) * d);
    w.fill(this.options.actionWeight, 0, actionDim);
    return w;
  }

  /** Inpainting tensors for `conditions` on `batch` trajectories. */
  private inpainting(conditions: Conditions, batch: number): Inpainting {
    const { horizon, actionDim, observationDim } = this.layout;
    const d = this.transitionDim;
    const keep = new Float32Array(horizon * d).fill(1);
    const values = new Float32Array(batch * horizon * d);
    for (const [t, state] of conditions) {
      if (!Number.isInteger(t) || t < 0 || t >= horizon) throw new UsageError(`conditions: time index ${t} is outside the horizon [0, ${horizon})`, { time: t, horizon });
      const shared = state.length === observationDim;
      if (!shared && state.length !== batch * observationDim) {
        throw new UsageError(`conditions: the state at t = ${t} has ${state.length} values; expected ${observationDim} (one observation) or ${batch * observationDim} (one per trajectory)`, { time: t });
      }
      keep.fill(0, t * d + actionDim, (t + 1) * d);
      for (let b = 0; b < batch; b++) {
        for (let j = 0; j < observationDim; j++) values[(b * horizon + t) * d + actionDim + j] = state[(shared ? 0 : b * observationDim) + j]!;
      }
    }
    return { keep: tf.tensor3d(keep, [1, horizon, d]), values: tf.tensor3d(values, [batch, horizon, d]) };
  }

  /** Inpainting that keeps the observations of `x0` at the time indices `times` (training). */
  private inpaintingFrom(x0: tf.Tensor3D, times: readonly number[]): Inpainting {
    const { horizon, actionDim } = this.layout;
    const d = this.transitionDim;
    const keep = new Float32Array(horizon * d).fill(1);
    for (const t of times) keep.fill(0, t * d + actionDim, (t + 1) * d);
    return tf.tidy(() => {
      const keepT = tf.tensor3d(keep, [1, horizon, d]);
      return { keep: keepT, values: tf.mul(x0, tf.sub(1, keepT)) as tf.Tensor3D };
    });
  }

  private static inpaint(x: tf.Tensor3D, { keep, values }: Inpainting): tf.Tensor3D {
    return tf.add(tf.mul(x, keep), values);
  }

  /** `x` with the states of `x0` at the time indices `times` written in. */
  inpaintFrom(x: tf.Tensor3D, x0: tf.Tensor3D, times: readonly number[]): tf.Tensor3D {
    return tf.tidy(() => GaussianDiffusion.inpaint(x, this.inpaintingFrom(x0, times)));
  }

  /** `conditions` written into `x`. */
  applyConditions(x: tf.Tensor3D, conditions: Conditions): tf.Tensor3D {
    return tf.tidy(() => GaussianDiffusion.inpaint(x, this.inpainting(conditions, x.shape[0])));
  }

  /** A per-trajectory coefficient of `table` at steps `t`, shaped [batch, 1, 1]. */
  private static coefficient(table: Float64Array, t: ArrayLike<number>): tf.Tensor3D {
    return tf.tensor3d(Float32Array.from(t, (s) => table[s]!), [t.length, 1, 1]);
  }

  private checkSteps(t: ArrayLike<number>): void {
    for (let i = 0; i < t.length; i++) {
      if (!Number.isInteger(t[i]) || t[i]! < 0 || t[i]! >= this.schedule.steps) throw new UsageError(`diffusion step ${t[i]} is outside [0, ${this.schedule.steps})`, { step: t[i]! });
    }
  }

  /** x_t = sqrt(abar_t) x0 + sqrt(1 - abar_t) noise. */
  qSample(x0: tf.Tensor3D, t: ArrayLike<number>, noise: tf.Tensor3D): tf.Tensor3D {
    this.checkSteps(t);
    return tf.tidy(() =>
      tf.add(tf.mul(GaussianDiffusion.coefficient(this.schedule.sqrtAlphasCumprod, t), x0), tf.mul(GaussianDiffusion.coefficient(this.schedule.sqrtOneMinusAlphasCumprod, t), noise)),
    );
  }

  /**
   * The training loss at steps `t` with `noise`:
   *   x_t = q(x0, t, noise) with the states of x0 at `conditionTimes` written in (as at sampling)
   *   target = x0, or the noise when predicting epsilon
   *   loss = mean over (n, t, d) of w[t, d] * known[t, d] * mask[n, t] * (net(x_t, t) - target)^2
   * with w the loss weights, known 0 at the inpainted states (they are given, so they carry no
   * error: Diffuser overwrites its x0 estimate there, the same thing) and mask 0 on a window's
   * padding past its episode's end.
   */
  computeLoss(denoise: Denoiser, x0: tf.Tensor3D, t: ArrayLike<number>, noise: tf.Tensor3D, conditionTimes: readonly number[], mask?: tf.Tensor2D): DiffusionLoss {
    const { horizon, actionDim } = this.layout;
    return tf.tidy(() => {
      const inpainting = this.inpaintingFrom(x0, conditionTimes);
      const noisy = GaussianDiffusion.inpaint(this.qSample(x0, t, noise), inpainting);
      const prediction = denoise(noisy, tf.tensor1d(Float32Array.from(t)));
      const target = this.options.predictEpsilon ? noise : x0;
      const squared = tf.square(tf.sub(prediction, target));
      let weights: tf.Tensor = tf.mul(tf.tensor3d(this.weights, [1, horizon, this.transitionDim]), inpainting.keep);
      if (mask) weights = tf.mul(weights, tf.expandDims(mask, 2));
      const loss = tf.mean(tf.mul(squared, weights)) as tf.Scalar;
      const firstActionLoss = tf.mean(tf.slice(squared, [0, 0, 0], [-1, 1, actionDim])) as tf.Scalar;
      return { loss, firstActionLoss };
    });
  }

  /** The x0 estimate from the network's output at x_t (clipped to [-1, 1] when clipDenoised). */
  predictStart(x: tf.Tensor3D, t: ArrayLike<number>, output: tf.Tensor3D): tf.Tensor3D {
    return tf.tidy(() => {
      const s = this.schedule;
      const x0 = this.options.predictEpsilon
        ? tf.sub(tf.mul(GaussianDiffusion.coefficient(s.sqrtRecipAlphasCumprod, t), x), tf.mul(GaussianDiffusion.coefficient(s.sqrtRecipM1AlphasCumprod, t), output))
        : output;
      return (this.options.clipDenoised ? tf.clipByValue(x0, -1, 1) : x0) as tf.Tensor3D;
    });
  }

  /** The mean of q(x_{t-1} | x_t, x0). */
  posteriorMean(x0: tf.Tensor3D, x: tf.Tensor3D, t: ArrayLike<number>): tf.Tensor3D {
    return tf.tidy(() =>
      tf.add(tf.mul(GaussianDiffusion.coefficient(this.schedule.posteriorMeanCoef1, t), x0), tf.mul(GaussianDiffusion.coefficient(this.schedule.posteriorMeanCoef2, t), x)),
    );
  }

  /**
   * One ancestral step from x_t (every trajectory at step t) to x_{t-1}: the posterior mean at the
   * network's x0 estimate, plus exp(log variance / 2) * noise for t > 0 (no noise at t = 0).
   */
  reverseStep(denoise: Denoiser, x: tf.Tensor3D, t: number, noise: tf.Tensor3D | null): tf.Tensor3D {
    const steps = new Array<number>(x.shape[0]).fill(t);
    this.checkSteps(steps);
    return tf.tidy(() => {
      const x0 = this.predictStart(x, steps, denoise(x, tf.fill([x.shape[0]], t) as tf.Tensor1D));
      const mean = this.posteriorMean(x0, x, steps);
      if (t === 0 || !noise) return mean;
      return tf.add(mean, tf.mul(noise, Math.exp(0.5 * this.schedule.posteriorLogVarianceClipped[t]!)));
    });
  }

  /** x + scale * variance_t * grad V(x, t), `steps` times, the conditions written back after each. */
  private guide(x: tf.Tensor3D, t: number, guidance: Guidance, inpainting: Inpainting): tf.Tensor3D {
    if (t < guidance.stopBelow) return x;
    const batchSteps = tf.fill([x.shape[0]], t) as tf.Tensor1D;
    const gradient = tf.grad((y: tf.Tensor) => tf.sum(guidance.value(y as tf.Tensor3D, batchSteps)));
    const step = guidance.scale * this.schedule.posteriorVariance[t]!;
    let out = x;
    for (let k = 0; k < guidance.steps; k++) {
      const next = tf.tidy(() => GaussianDiffusion.inpaint(tf.add(out, tf.mul(gradient(out), step)), inpainting));
      if (out !== x) out.dispose();
      out = next;
    }
    batchSteps.dispose();
    return out;
  }

  /** Ancestral sampling from N(0, I) over all T steps, conditioned by inpainting, optionally value-guided. */
  sample(denoise: Denoiser, options: SampleOptions): tf.Tensor3D {
    const { batch, conditions, rng, guidance } = options;
    const shape: [number, number, number] = [batch, this.layout.horizon, this.transitionDim];
    const inpainting = this.inpainting(conditions, batch);
    let x = tf.tidy(() => GaussianDiffusion.inpaint(normalTensor(rng, shape), inpainting));
    for (let t = this.schedule.steps - 1; t >= 0; t--) {
      const guided = guidance ? this.guide(x, t, guidance, inpainting) : x;
      const noise = t > 0 ? normalTensor(rng, shape) : null;
      const next = tf.tidy(() => GaussianDiffusion.inpaint(this.reverseStep(denoise, guided, t, noise), inpainting));
      noise?.dispose();
      if (guided !== x) guided.dispose();
      x.dispose();
      x = next;
      options.onStep?.(this.schedule.steps - 1 - t, x);
    }
    tf.dispose([inpainting.keep, inpainting.values]);
    return x;
  }

  /**
   * Deterministic DDIM sampling (Song et al. 2021, eta = 0) over `steps` of the schedule's steps:
   * at each step tau, x0 from the network (clipped), eps = (x - sqrt(abar_tau) x0) / sqrt(1 - abar_tau),
   * x = sqrt(abar_next) x0 + sqrt(1 - abar_next) eps with abar_next the next step's (1 after the
   * last), the conditions written in after each. Only the initial noise is random.
   */
  sampleDdim(denoise: Denoiser, options: DdimOptions): tf.Tensor3D {
    const { batch, conditions, rng } = options;
    const shape: [number, number, number] = [batch, this.layout.horizon, this.transitionDim];
    const s = this.schedule;
    const taus = ddimSteps(s.steps, options.steps);
    const inpainting = this.inpainting(conditions, batch);
    let x = tf.tidy(() => GaussianDiffusion.inpaint(normalTensor(rng, shape), inpainting));
    taus.forEach((tau, i) => {
      const next = i + 1 < taus.length ? s.alphasCumprod[taus[i + 1]!]! : 1;
      const steps = new Array<number>(batch).fill(tau);
      const y = tf.tidy(() => {
        const x0 = this.predictStart(x, steps, denoise(x, tf.fill([batch], tau) as tf.Tensor1D));
        const eps = tf.div(tf.sub(x, tf.mul(x0, s.sqrtAlphasCumprod[tau]!)), s.sqrtOneMinusAlphasCumprod[tau]!);
        return GaussianDiffusion.inpaint(tf.add(tf.mul(x0, Math.sqrt(next)), tf.mul(eps, Math.sqrt(1 - next))), inpainting);
      });
      x.dispose();
      x = y;
      options.onStep?.(i, x);
    });
    tf.dispose([inpainting.keep, inpainting.values]);
    return x;
  }
}
