/**
 * The noise schedule of Diffuser's DDPM and everything derived from it, in float64 (rounded to
 * float32 only where tensors are built). Step indices run 0 .. T - 1; index 0 is the least noisy.
 *
 *   x_s = s, s = 0 .. T (T + 1 points), alphaBar(s) = cos(((s / (T + 1)) + 0.008) / 1.008 * pi / 2)^2 / alphaBar(0)
 *   beta_t = clip(1 - alphaBar(t + 1) / alphaBar(t), 0, 0.999),   alpha_t = 1 - beta_t
 *   abar_t = prod_{i <= t} alpha_i,   abar_{t-1} = 1 at t = 0
 *   q(x_t | x_0) = N(sqrt(abar_t) x_0, (1 - abar_t) I)
 *   posterior q(x_{t-1} | x_t, x_0): variance beta_t (1 - abar_{t-1}) / (1 - abar_t), its log clamped at 1e-20,
 *   mean coef1 x_0 + coef2 x_t with coef1 = beta_t sqrt(abar_{t-1}) / (1 - abar_t),
 *   coef2 = (1 - abar_{t-1}) sqrt(alpha_t) / (1 - abar_t)
 */
import { ConfigError } from '@bellman/core';

export interface DiffusionSchedule {
  /** Number of diffusion steps T. */
  readonly steps: number;
  readonly betas: Float64Array;
  readonly alphas: Float64Array;
  readonly alphasCumprod: Float64Array;
  readonly alphasCumprodPrev: Float64Array;
  readonly sqrtAlphasCumprod: Float64Array;
  readonly sqrtOneMinusAlphasCumprod: Float64Array;
  /** 1 / sqrt(abar_t) and sqrt(1 / abar_t - 1): x_0 from x_t and a noise estimate. */
  readonly sqrtRecipAlphasCumprod: Float64Array;
  readonly sqrtRecipM1AlphasCumprod: Float64Array;
  readonly posteriorVariance: Float64Array;
  /** log(max(posteriorVariance, 1e-20)): the variance is 0 at t = 0. */
  readonly posteriorLogVarianceClipped: Float64Array;
  readonly posteriorMeanCoef1: Float64Array;
  readonly posteriorMeanCoef2: Float64Array;
}

/** The betas of the cosine schedule (Nichol and Dhariwal 2021) as Diffuser computes them. */
export function cosineBetas(steps: number, s = 0.008): Float64Array {
  if (!Number.isInteger(steps) || steps < 1) throw new ConfigError('diffusion', 'nDiffusionSteps', `"nDiffusionSteps" must be a positive integer, got ${steps}`);
  const points = steps + 1;
  // linspace(0, points, points): points samples from 0 to points inclusive
  const alphaBar = Float64Array.from({ length: points }, (_, i) => {
    const x = (points * i) / (points - 1);
    return Math.cos((((x / points) + s) / (1 + s)) * Math.PI * 0.5) ** 2;
  });
  const first = alphaBar[0]!;
  for (let i = 0; i < points; i++) alphaBar[i] = alphaBar[i]! / first;
  return Float64Array.from({ length: steps }, (_, t) => Math.min(Math.max(1 - alphaBar[t + 1]! / alphaBar[t]!, 0), 0.999));
}

/** Every coefficient the forward process, the loss and the samplers read, from the betas. */
export function scheduleFromBetas(betas: Float64Array): DiffusionSchedule {
  const steps = betas.length;
  const make = (f: (t: number) => number) => Float64Array.from({ length: steps }, (_, t) => f(t));
  const alphas = make((t) => 1 - betas[t]!);
  const alphasCumprod = new Float64Array(steps);
  let product = 1;
  for (let t = 0; t < steps; t++) {
    product *= alphas[t]!;
    alphasCumprod[t] = product;
  }
  const alphasCumprodPrev = make((t) => (t === 0 ? 1 : alphasCumprod[t - 1]!));
  const posteriorVariance = make((t) => (betas[t]! * (1 - alphasCumprodPrev[t]!)) / (1 - alphasCumprod[t]!));
  return {
    steps,
    betas,
    alphas,
    alphasCumprod,
    alphasCumprodPrev,
    sqrtAlphasCumprod: make((t) => Math.sqrt(alphasCumprod[t]!)),
    sqrtOneMinusAlphasCumprod: make((t) => Math.sqrt(1 - alphasCumprod[t]!)),
    sqrtRecipAlphasCumprod: make((t) => Math.sqrt(1 / alphasCumprod[t]!)),
    sqrtRecipM1AlphasCumprod: make((t) => Math.sqrt(1 / alphasCumprod[t]! - 1)),
    posteriorVariance,
    posteriorLogVarianceClipped: make((t) => Math.log(Math.max(posteriorVariance[t]!, 1e-20))),
    posteriorMeanCoef1: make((t) => (betas[t]! * Math.sqrt(alphasCumprodPrev[t]!)) / (1 - alphasCumprod[t]!)),
    posteriorMeanCoef2: make((t) => ((1 - alphasCumprodPrev[t]!) * Math.sqrt(alphas[t]!)) / (1 - alphasCumprod[t]!)),
  };
}

/** Diffuser's schedule: the cosine betas of `steps` diffusion steps and their coefficients. */
export function cosineSchedule(steps: number): DiffusionSchedule {
  return scheduleFromBetas(cosineBetas(steps));
}
