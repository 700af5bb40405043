import * as tf from '@tensorflow/tfjs';
import { ConfigError, Rng, UsageError } from '@bellman/core';
import { initBackend, paramsOf, type ParamRecord } from '@bellman/nn';
import { ResidualTemporalBlock, TemporalUnet, ValueNet, checkHorizon, conv1dBlock, timeEmbedding, type TemporalUnetConfig } from '../src/index.js';
import { gradientMismatches, waveTensor, weightedSum } from '../../nn/test/helpers.js';

beforeAll(async () => {
  await initBackend({ backend: 'cpu', quiet: true });
});

const tiny = (overrides: Partial<TemporalUnetConfig> = {}): TemporalUnetConfig => ({ transitionDim: 3, dim: 8, dimMults: [1, 2, 2], normGroups: 4, norm: 'group', ...overrides });

describe('TemporalUnet', () => {
  it.each([128, 256, 384])('maps [batch, %i, D] to the same shape', (horizon) => {
    const net = new TemporalUnet(tiny(), new Rng(0));
    const y = tf.tidy(() => net.apply(tf.ones([2, horizon, 3]) as tf.Tensor3D, tf.tensor1d([0, 5])));
    expect(y.shape).toEqual([2, horizon, 3]);
    expect(Array.from(y.dataSync()).every(Number.isFinite)).toBe(true);
    y.dispose();
    net.dispose();
  });

  it('names the horizon when it is not divisible by 2^(levels - 1)', () => {
    expect(() => checkHorizon(130, [1, 4, 8])).toThrow(ConfigError);
    expect(() => checkHorizon(130, [1, 4, 8])).toThrow(/horizon H = 130 must be a positive multiple of 4/);
    expect(() => checkHorizon(128, [1, 4, 8])).not.toThrow();
    expect(() => checkHorizon(36, [1, 2, 4, 8])).toThrow(/multiple of 8/);
    const net = new TemporalUnet(tiny(), new Rng(0));
    expect(() => net.apply(tf.ones([1, 18, 3]) as tf.Tensor3D, tf.tensor1d([0]))).toThrow(UsageError);
    expect(() => net.apply(tf.ones([1, 18, 3]) as tf.Tensor3D, tf.tensor1d([0]))).toThrow(/H = 18 must be a multiple of 4/);
    net.dispose();
  });

  it("has Diffuser's maze2d parameter layout", () => {
    const net = new TemporalUnet({ transitionDim: 6, dim: 32, dimMults: [1, 4, 8], normGroups: 8, norm: 'group' }, new Rng(0));
    const names = [...net.namedVariables().keys()];
    const count = [...net.namedVariables().values()].reduce((n, v) => n + v.size, 0);
    expect(names).toContain('down.0.0.residual.weight');
    expect(names).not.toContain('down.2.downsample.weight'); // the last level keeps its length
    expect(names).toContain('up.1.upsample.weight');
    expect(net.namedVariables().get('up.0.0.block1.0.weight')!.shape).toEqual([5, 512, 128]); // concat of mid (256) and skip (256)
    // the count derived layer by layer from the architecture's description
    expect(count).toBe(expectedUnetParameters(6, 32, [1, 4, 8]));
    net.dispose();
  });
});

/** Parameters of the architecture, counted from its description (conv k*in*out + out, norm 2 out, linear in*out + out). */
function expectedUnetParameters(transitionDim: number, dim: number, mults: number[]): number {
  const conv = (k: number, i: number, o: number) => k * i * o + o;
  const block = (i: number, o: number) => conv(5, i, o) + 2 * o;
  const res = (i: number, o: number) => block(i, o) + block(o, o) + (dim * o + o) + (i === o ? 0 : conv(1, i, o));
  const channels = [transitionDim, ...mults.map((m) => m * dim)];
  let n = dim * 4 * dim + 4 * dim + 4 * dim * dim + dim; // time MLP
  for (let i = 0; i < mults.length; i++) {
    const [cin, cout] = [channels[i]!, channels[i + 1]!];
    n += res(cin, cout) + res(cout, cout) + (i < mults.length - 1 ? conv(3, cout, cout) : 0);
  }
  const deep = channels[channels.length - 1]!;
  n += 2 * res(deep, deep);
  for (let i = mults.length - 1; i >= 1; i--) {
    const [cin, cout] = [channels[i]!, channels[i + 1]!];
    n += res(2 * cout, cin) + res(cin, cin) + conv(4, cin, cin);
  }
  return n + block(dim, dim) + conv(1, dim, transitionDim);
}

/**
 * The output positions an input position can reach, walked through the architecture: a k-tap
 * conv with padding p widens an interval by p each side; Conv1d(3, stride 2, padding 1) maps
 * [lo, hi] to [ceil((lo - 1) / 2), floor((hi + 1) / 2)]; ConvTranspose1d(4, 2, 1) to [2 lo - 1, 2 hi + 2].
 */
function reachable(t0: number, horizon: number, levels: number): [number, number] {
  type Span = [number, number];
  const clip = ([lo, hi]: Span, length: number): Span => [Math.max(0, lo), Math.min(length - 1, hi)];
  const conv5 = (s: Span, length: number): Span => clip([s[0] - 2, s[1] + 2], length);
  const res = (s: Span, length: number): Span => conv5(conv5(s, length), length); // the residual path lies inside
  let span: Span = [t0, t0];
  let length = horizon;
  const skips: Span[] = [];
  for (let i = 0; i < levels; i++) {
    span = res(res(span, length), length);
    skips.push(span);
    if (i < levels - 1) {
      span = clip([Math.ceil((span[0] - 1) / 2), Math.floor((span[1] + 1) / 2)], length / 2);
      length /= 2;
    }
  }
  span = res(res(span, length), length);
  for (let i = levels - 1; i >= 1; i--) {
    const skip = skips[i]!;
    span = [Math.min(span[0], skip[0]), Math.max(span[1], skip[1])];
    span = res(res(span, length), length);
    span = clip([2 * span[0] - 1, 2 * span[1] + 2], length * 2);
    length *= 2;
  }
  return conv5(span, length);
}

describe('temporal locality', () => {
  const horizon = 512;
  const t0 = 256;

  function perturbationEffect(norm: 'group' | 'none'): boolean[] {
    const net = new TemporalUnet(tiny({ norm }), new Rng(3));
    const x = waveTensor([1, horizon, 3], 0.4) as tf.Tensor3D;
    const bump = tf.tensor3d(Float32Array.from({ length: horizon * 3 }, (_, i) => (Math.floor(i / 3) === t0 ? 1 : 0)), [1, horizon, 3]);
    const t = tf.tensor1d([7]);
    const a = net.apply(x, t).dataSync();
    const b = net.apply(tf.add(x, bump) as tf.Tensor3D, t).dataSync();
    net.dispose();
    return Array.from({ length: horizon }, (_, i) => [0, 1, 2].some((c) => a[i * 3 + c] !== b[i * 3 + c]));
  }

  it('without normalisation, outputs beyond the receptive field are unchanged and those within it change', () => {
    const [lo, hi] = reachable(t0, horizon, 3);
    expect(hi - lo).toBeLessThan(horizon - 1); // the test means something only if the field is not the whole horizon
    const changed = perturbationEffect('none');
    changed.forEach((c, i) => {
      if (i < lo || i > hi) expect({ i, changed: c }).toEqual({ i, changed: false });
    });
    // Within the field the effect decays towards its edges until float32 rounding hides it; it
    // must still reach well beyond the perturbed step on both sides.
    expect(changed[t0]).toBe(true);
    expect(changed.indexOf(true)).toBeLessThan(t0 - (t0 - lo) / 2);
    expect(changed.lastIndexOf(true)).toBeGreaterThan(t0 + (hi - t0) / 2);
  });

  it("with Diffuser's GroupNorm, the whole-horizon statistics reach every output", () => {
    expect(perturbationEffect('group').every(Boolean)).toBe(true);
  });
});

describe('gradients match central finite differences', () => {
  const rng = new Rng(11);
  const emb = () => waveTensor([2, 8], 0.9) as tf.Tensor2D;

  function check(loss: (p: ParamRecord) => tf.Scalar, params: ParamRecord): void {
    const mismatches = gradientMismatches(loss, params);
    expect(mismatches.slice(0, 5)).toEqual([]);
  }

  it('Conv1dBlock', () => {
    const block = conv1dBlock(3, 8, 5, 'group', 4, rng);
    check(({ x, ...w }) => weightedSum(block.applyWith(w, x!)), { ...paramsOf(block), x: waveTensor([2, 6, 3], 0.1) });
  });

  it.each([
    ['with a 1x1 residual', 3, 4],
    ['with the identity residual', 4, 4],
  ])('ResidualTemporalBlock %s', (_, cin, cout) => {
    const block = new ResidualTemporalBlock(cin, cout, 8, 'group', 2, rng);
    check(({ x, e, ...w }) => weightedSum(block.applyWith(w, x as tf.Tensor3D, e as tf.Tensor2D)), { ...paramsOf(block), x: waveTensor([2, 5, cin], 0.2), e: emb() });
  });

  it('time embedding', () => {
    const time = timeEmbedding(8, rng);
    check((w) => weightedSum(time.applyWith(w, tf.tensor1d([0, 3, 17]))), paramsOf(time));
  });

  // Finite differences of the whole network cost two forward passes per element: the input and
  // one parameter of each kind of layer (conv, norm, time MLP, downsample, upsample, residual, head).
  it('TemporalUnet: the input and a parameter of every kind of layer', () => {
    // GroupNorm over few elements is sharply curved: two groups and 16 steps keep the difference quotients accurate.
    const net = new TemporalUnet(tiny({ dimMults: [1, 2], normGroups: 2 }), rng);
    const all = paramsOf(net);
    const checked = ['down.0.0.block1.0.bias', 'down.0.0.block1.1.weight', 'down.0.0.time.1.bias', 'down.0.downsample.bias', 'mid.1.block2.0.bias', 'up.0.0.residual.bias', 'up.0.upsample.bias', 'final.1.weight', 'time.3.bias'];
    const t = tf.tensor1d([9]);
    check((p) => {
      const { x, ...some } = p;
      return weightedSum(net.applyWith({ ...all, ...some }, x as tf.Tensor3D, t));
    }, { x: waveTensor([1, 16, 3], 0.3), ...Object.fromEntries(checked.map((n) => [n, all[n]!])) });
  });

  it('ValueNet', () => {
    const net = new ValueNet({ ...tiny({ dimMults: [1, 2] }), hiddenSizes: [8] }, rng);
    const all = paramsOf(net);
    const checked = ['down.1.0.block1.0.bias', 'mid.0.time.1.bias', 'head.0.bias', 'head.1.weight'];
    const t = tf.tensor1d([9]);
    check((p) => {
      const { x, ...some } = p;
      return weightedSum(net.applyWith({ ...all, ...some }, x as tf.Tensor3D, t));
    }, { x: waveTensor([1, 4, 3], 0.5), ...Object.fromEntries(checked.map((n) => [n, all[n]!])) });
  });
});
