import * as tf from '@tensorflow/tfjs';
import { Rng } from '@bellman/core';
import { Conv1d, ConvTranspose1d, Dense, GroupNorm, Mlp, ModuleEma, Sequential, conv1d, gelu, initBackend, mish, paramsOf, scopeParams } from '../src/index.js';
import { waveTensor } from './helpers.js';

const bits = (t: tf.Tensor) => Array.from(new Uint32Array((t.dataSync() as Float32Array).slice().buffer));

function stack(seed: number): Sequential {
  const rng = new Rng(seed);
  return new Sequential([
    new Conv1d({ inChannels: 2, outChannels: 4, kernelSize: 3, padding: 1 }, rng),
    new GroupNorm({ groups: 2, channels: 4 }),
    mish,
    new ConvTranspose1d({ inChannels: 4, outChannels: 1, kernelSize: 4, stride: 2, padding: 1 }, rng),
  ]);
}

describe('Module', () => {
  beforeAll(async () => {
    await initBackend({ backend: 'cpu' });
  });

  it('Mlp is a Module: apply and applyWith on its own variables are forward, to the bit', () => {
    const net = new Mlp({ inputDim: 3, hiddenSizes: [8, 5], outputDim: 2, activation: 'tanh' }, new Rng(0));
    const x = waveTensor([4, 3], 0.2) as tf.Tensor2D;
    expect([...net.namedVariables().keys()]).toEqual(['layers.0.weight', 'layers.0.bias', 'layers.1.weight', 'layers.1.bias', 'layers.2.weight', 'layers.2.bias']);
    expect([...net.namedVariables().values()]).toEqual(net.variables);
    expect(bits(net.apply(x))).toEqual(bits(net.forward(x)));
    expect(bits(net.applyWith(paramsOf(net), x))).toEqual(bits(net.forward(x)));
    // Other weights change the output.
    const doubled = Object.fromEntries(Object.entries(paramsOf(net)).map(([k, v]) => [k, tf.mul(v, 2)]));
    expect(bits(net.applyWith(doubled, x))).not.toEqual(bits(net.forward(x)));
    expect(() => net.applyWith({}, x)).toThrow(/parameter "layers.0.weight" missing/);
    // load reads the checkpoint format serialize writes (keys `<name>/<i>`).
    const saved = net.serialize();
    const before = bits(net.apply(x));
    for (const v of net.variables) v.assign(tf.zerosLike(v));
    net.load(saved);
    expect(bits(net.apply(x))).toEqual(before);
  });

  it('Sequential names its steps by position, functions included', () => {
    const s = stack(1);
    expect([...s.namedVariables().keys()]).toEqual(['0.weight', '0.bias', '1.weight', '1.bias', '3.weight', '3.bias']);
    expect(Object.keys(scopeParams(paramsOf(s), '3'))).toEqual(['weight', 'bias']);
    expect(s.apply(waveTensor([2, 5, 2], 0.1)).shape).toEqual([2, 10, 1]);
    s.dispose();
  });

  it('serialize and load round-trip by name, and reject a wrong shape or a missing weight', () => {
    const a = stack(1);
    const b = stack(2);
    const x = waveTensor([2, 5, 2], 0.1);
    expect(bits(b.apply(x))).not.toEqual(bits(a.apply(x)));
    const saved = a.serialize();
    b.load(saved);
    expect(bits(b.apply(x))).toEqual(bits(a.apply(x)));
    const { ['3.bias']: _dropped, ...missing } = saved;
    expect(() => b.load(missing)).toThrow(/missing weight "3.bias"/);
    const wide = new Sequential([new Conv1d({ inChannels: 2, outChannels: 5, kernelSize: 3 }, new Rng(0))]);
    expect(() => wide.load(saved)).toThrow(/0.weight" has shape \[3,2,4\], the model expects \[3,2,5\]/);
    [a, b, wide].forEach((m) => m.dispose());
  });

  it('Dense: x W + b with its activation, over the last axis of any rank', () => {
    const layer = new Dense({ inputDim: 3, outputDim: 2, activation: 'gelu' }, new Rng(3));
    const x = waveTensor([2, 4, 3], 0.5);
    const p = paramsOf(layer);
    const manual = gelu(tf.add(tf.matMul(tf.reshape(x, [8, 3]), p.weight as tf.Tensor2D), p.bias!));
    const y = layer.apply(x);
    expect(y.shape).toEqual([2, 4, 2]);
    Array.from(y.dataSync()).forEach((v, i) => expect(v).toBeCloseTo(manual.dataSync()[i]!, 6));
    layer.dispose();
  });

  it('checks shapes and options with errors that name them', () => {
    const w = tf.zeros([3, 2, 4]) as tf.Tensor3D;
    expect(() => conv1d(tf.zeros([1, 5, 3]) as tf.Tensor3D, w, null)).toThrow(/input has 3 channels, the kernel \[3,2,4\] expects 2/);
    expect(() => conv1d(tf.zeros([1, 2, 2]) as tf.Tensor3D, w, null)).toThrow(/shorter than the kernel's span 3/);
    expect(() => conv1d(tf.zeros([1, 5, 2]) as tf.Tensor3D, w, null, { stride: 0 })).toThrow(/stride must be a positive integer/);
    expect(() => new GroupNorm({ groups: 3, channels: 4 })).toThrow(/multiple of groups/);
    expect(() => new ConvTranspose1d({ inChannels: 1, outChannels: 1, kernelSize: 2, stride: 2, outputPadding: 2 }, new Rng(0))).toThrow(/outputPadding/);
  });
});

describe('ModuleEma', () => {
  beforeAll(async () => {
    await initBackend({ backend: 'cpu' });
  });

  it('moves each average by (1 - decay) towards the weights, copies them back, and serialises', () => {
    const module = stack(1);
    const ema = new ModuleEma(module, 0.75);
    const start = Object.fromEntries(Object.entries(paramsOf(module)).map(([k, v]) => [k, Array.from(v.dataSync())]));
    // Move the weights: w <- w + 1, then w <- w + 2 (from the start: +1, +3).
    for (const shift of [1, 2]) {
      for (const v of module.namedVariables().values()) v.assign(tf.add(v, shift));
      ema.update(module);
    }
    // a1 = 0.75 a0 + 0.25 (a0 + 1) = a0 + 0.25; a2 = 0.75 a1 + 0.25 (a0 + 3) = a0 + 0.9375.
    for (const [name, v] of Object.entries(ema.params())) {
      Array.from(v.dataSync()).forEach((a, i) => expect(a).toBeCloseTo(start[name]![i]! + 0.9375, 5));
    }
    expect(ema.steps).toBe(2);
    const saved = ema.serialize();
    const other = stack(2);
    const restored = new ModuleEma(other, 0.75);
    restored.load(saved);
    expect(restored.steps).toBe(2);
    restored.copyTo(other);
    const x = waveTensor([1, 5, 2], 0.3);
    expect(bits(other.apply(x))).toEqual(bits(module.applyWith(ema.params(), x)));
    expect(() => ema.update(new Sequential([new Conv1d({ inChannels: 2, outChannels: 4, kernelSize: 3 }, new Rng(0))]))).toThrow(/missing 1.weight, 1.bias, 3.weight, 3.bias/);
    [module, other].forEach((m) => m.dispose());
    ema.dispose();
    restored.dispose();
  });
});
