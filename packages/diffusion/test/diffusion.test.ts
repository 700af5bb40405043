import * as tf from '@tensorflow/tfjs';
import { Rng } from '@bellman/core';
import { initBackend } from '@bellman/nn';
import { GaussianDiffusion, cosineSchedule, ddimSteps, type Denoiser } from '../src/index.js';

beforeAll(async () => {
  await initBackend({ backend: 'cpu', quiet: true });
});

const layout = { horizon: 8, actionDim: 1, observationDim: 2 };
const options = { predictEpsilon: false, clipDenoised: true, actionWeight: 10, lossDiscount: 1 };

describe('cosine schedule', () => {
  it('matches the formulas evaluated independently in float64', () => {
    const T = 20;
    const s = cosineSchedule(T);
    const f = (i: number) => Math.cos(((i / (T + 1) + 0.008) / 1.008) * (Math.PI / 2)) ** 2; // x = linspace(0, T+1, T+1)[i] = i (T+1)/T
    const abar = (i: number) => f((i * (T + 1)) / T) / f(0);
    let product = 1;
    for (let t = 0; t < T; t++) {
      const beta = Math.min(0.999, Math.max(0, 1 - abar(t + 1) / abar(t)));
      const prev = product;
      product *= 1 - beta;
      expect(s.betas[t]).toBeCloseTo(beta, 14);
      expect(s.alphasCumprod[t]).toBeCloseTo(product, 14);
      expect(s.posteriorVariance[t]).toBeCloseTo((beta * (1 - prev)) / (1 - product), 14);
      expect(s.posteriorLogVarianceClipped[t]).toBeCloseTo(Math.log(Math.max((beta * (1 - prev)) / (1 - product), 1e-20)), 12);
      expect(s.posteriorMeanCoef1[t]).toBeCloseTo((beta * Math.sqrt(prev)) / (1 - product), 14);
      expect(s.posteriorMeanCoef2[t]).toBeCloseTo(((1 - prev) * Math.sqrt(1 - beta)) / (1 - product), 14);
    }
    expect(s.posteriorVariance[0]).toBe(0);
    expect(s.posteriorLogVarianceClipped[0]).toBeCloseTo(Math.log(1e-20), 12);
    expect(s.betas[T - 1]).toBe(0.999); // the cosine schedule ends at the clip
  });

  it('spaces DDIM steps evenly from T - 1 to 0', () => {
    expect(ddimSteps(64, 5)).toEqual([63, 47, 32, 16, 0]);
    expect(ddimSteps(10, 1)).toEqual([9]);
    expect(() => ddimSteps(10, 11)).toThrow(/steps must be an integer in \[1, 10\]/);
  });
});

/** A trajectory set inside [-1, 1]: x0[n, t, d] = 0.8 sin(n + 0.7 t + 1.3 d). */
function trajectories(batch: number): tf.Tensor3D {
  const d = layout.actionDim + layout.observationDim;
  return tf.tensor3d(Float32Array.from({ length: batch * layout.horizon * d }, (_, i) => 0.8 * Math.sin(Math.floor(i / (layout.horizon * d)) + 0.7 * Math.floor(i / d) + 1.3 * (i % d))), [batch, layout.horizon, d]);
}

describe('reverse process', () => {
  const diffusion = new GaussianDiffusion(cosineSchedule(20), layout, options);

  it('a network that predicts x0 exactly recovers x0 in the last reverse step', () => {
    const x0 = trajectories(3);
    const exact: Denoiser = () => tf.clone(x0);
    const noise = tf.randomNormal(x0.shape, 0, 1, 'float32', 4) as tf.Tensor3D;
    const x1 = diffusion.qSample(x0, [0, 0, 0], noise);
    const back = diffusion.reverseStep(exact, x1, 0, null);
    expect(Array.from(back.dataSync())).toEqual(Array.from(x0.dataSync()).map((v) => expect.closeTo(v, 6) as unknown as number));
    // one step earlier the posterior mean is coef1 x0 + coef2 x_t, not x0
    const s = diffusion.schedule;
    const x5 = diffusion.qSample(x0, [5, 5, 5], noise);
    const mean = diffusion.reverseStep(exact, x5, 5, null).dataSync();
    const a = x0.dataSync();
    const b = x5.dataSync();
    mean.forEach((m, i) => expect(m).toBeCloseTo(s.posteriorMeanCoef1[5]! * a[i]! + s.posteriorMeanCoef2[5]! * b[i]!, 5));
  });

  it('weights the first action by actionWeight and leaves the inpainted states out of the loss', () => {
    const w = diffusion.lossWeights();
    expect(w[0]).toBe(10);
    expect(Array.from(w.slice(1))).toEqual(new Array(w.length - 1).fill(1));
    const x0 = trajectories(2);
    const zero: Denoiser = (x) => tf.zerosLike(x);
    const noise = tf.randomNormal(x0.shape, 0, 1, 'float32', 5) as tf.Tensor3D;
    const { loss } = diffusion.computeLoss(zero, x0, [3, 7], noise, [0]);
    const v = x0.arraySync();
    let sum = 0;
    for (let n = 0; n < 2; n++) for (let t = 0; t < 8; t++) for (let d = 0; d < 3; d++) sum += (t === 0 && d > 0 ? 0 : t === 0 ? 10 : 1) * v[n]![t]![d]! ** 2;
    expect(loss.dataSync()[0]).toBeCloseTo(sum / 48, 5);
  });
});

describe('inpainting', () => {
  const diffusion = new GaussianDiffusion(cosineSchedule(12), layout, options);
  // A denoiser that knows nothing of the conditions: it pulls every row towards 0.3.
  const pull: Denoiser = (x) => tf.add(tf.mul(x, 0.5), 0.15);
  const conditions = new Map([
    [0, Float32Array.from([0.25, -0.5])],
    [7, Float32Array.from([-0.75, 0.125])],
  ]);

  function conditionedStates(x: tf.Tensor3D): number[][] {
    const v = x.arraySync();
    return v.flatMap((row) => [row[0]!.slice(1), row[7]!.slice(1)]);
  }

  it('every DDPM sample carries the conditions exactly, and the same seed gives the same samples', () => {
    const a = diffusion.sample(pull, { batch: 4, conditions, rng: new Rng(9) });
    for (const [i, state] of conditionedStates(a).entries()) expect(state).toEqual(Array.from(conditions.get(i % 2 === 0 ? 0 : 7)!));
    const b = diffusion.sample(pull, { batch: 4, conditions, rng: new Rng(9) });
    expect(Array.from(b.dataSync())).toEqual(Array.from(a.dataSync()));
    const c = diffusion.sample(pull, { batch: 4, conditions, rng: new Rng(10) });
    expect(Array.from(c.dataSync())).not.toEqual(Array.from(a.dataSync()));
  });

  it('DDIM samples carry the conditions exactly and depend only on the initial noise', () => {
    const a = diffusion.sampleDdim(pull, { batch: 3, conditions, rng: new Rng(2), steps: 4 });
    for (const [i, state] of conditionedStates(a).entries()) expect(state).toEqual(Array.from(conditions.get(i % 2 === 0 ? 0 : 7)!));
    const b = diffusion.sampleDdim(pull, { batch: 3, conditions, rng: new Rng(2), steps: 4 });
    expect(Array.from(b.dataSync())).toEqual(Array.from(a.dataSync()));
  });
});

describe('value guidance', () => {
  it('raises a known value over unguided samples from the same noise', () => {
    const diffusion = new GaussianDiffusion(cosineSchedule(16), layout, options);
    const pull: Denoiser = (x) => tf.mul(x, 0.5);
    // V = mean of the observations' first dimension: guidance should push it up.
    const value = (x: tf.Tensor3D) => tf.mean(tf.slice(x, [0, 0, 1], [-1, -1, 1]), [1, 2]) as tf.Tensor1D;
    const conditions = new Map([[0, Float32Array.from([0, 0])]]);
    const plain = diffusion.sample(pull, { batch: 16, conditions, rng: new Rng(4) });
    const guided = diffusion.sample(pull, { batch: 16, conditions, rng: new Rng(4), guidance: { value, scale: 50, steps: 2, stopBelow: 2 } });
    const vPlain = value(plain).dataSync();
    const vGuided = value(guided).dataSync();
    const mean = (a: ArrayLike<number>) => Array.from(a).reduce((s, v) => s + v, 0) / a.length;
    expect(mean(vGuided)).toBeGreaterThan(mean(vPlain) + 0.05);
    expect(guided.arraySync().map((row) => row[0]!.slice(1))).toEqual(new Array(16).fill([0, 0]));
  });
});
