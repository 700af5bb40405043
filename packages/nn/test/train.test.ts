import * as tf from '@tensorflow/tfjs';
import { Rng } from '@bellman/core';
import { Adam, Conv1d, GroupNorm, Sequential, conv1d, initBackend, mish, variablesOf } from '../src/index.js';
import { waveTensor } from './helpers.js';

/**
 * Conv1d + GroupNorm + Mish trained with Adam on wasm (whose tfjs conv1d has no gradient
 * kernels) and on cpu: from the same initial weights the two agree to float32 rounding over the
 * first steps, and both fit a tiny regression target.
 */

/** The target: a fixed random-looking convolution of the input through tanh, reachable by the net. */
function problem(): { x: tf.Tensor3D; y: tf.Tensor3D } {
  const x = waveTensor([4, 12, 2], 0.1) as tf.Tensor3D;
  const teacher = waveTensor([3, 2, 1], 0.9, 0.8) as tf.Tensor3D;
  return { x, y: tf.tanh(conv1d(x, teacher, null, { padding: 1 })) };
}

function net(): Sequential {
  const rng = new Rng(11);
  return new Sequential([
    new Conv1d({ inChannels: 2, outChannels: 8, kernelSize: 3, padding: 1 }, rng),
    new GroupNorm({ groups: 2, channels: 8 }),
    mish,
    new Conv1d({ inChannels: 8, outChannels: 1, kernelSize: 3, padding: 1 }, rng),
  ]);
}

async function train(backend: 'cpu' | 'wasm', steps: number): Promise<{ losses: number[]; weights: number[] }> {
  await initBackend({ backend });
  const model = net();
  const { x, y } = problem();
  const adam = new Adam(variablesOf(model), { learningRate: 0.02 });
  const losses: number[] = [];
  for (let i = 0; i < steps; i++) losses.push(adam.minimize(() => ({ loss: tf.mean(tf.square(tf.sub(model.apply(x), y))) as tf.Scalar })).loss!);
  const weights = variablesOf(model).flatMap((v) => Array.from(v.dataSync()));
  model.dispose();
  adam.dispose();
  tf.dispose([x, y]);
  return { losses, weights };
}

afterAll(async () => {
  await initBackend({ backend: 'cpu' });
});

describe('training a Conv1d + GroupNorm + Mish stack', () => {
  it('cpu and wasm agree to float32 rounding over the first steps', async () => {
    const cpu = await train('cpu', 5);
    const wasm = await train('wasm', 5);
    cpu.losses.forEach((l, i) => expect(Math.abs(wasm.losses[i]! - l) / l).toBeLessThan(1e-5));
    expect(wasm.weights.length).toBe(cpu.weights.length);
    // Adam's first steps move each weight by about lr: differences stay at float32 rounding of that.
    expect(Math.max(...cpu.weights.map((w, i) => Math.abs(w - wasm.weights[i]!)))).toBeLessThan(1e-5);
  });

  it.each(['cpu', 'wasm'] as const)('loses over 95%% of its loss in 60 Adam steps on %s', async (backend) => {
    const { losses } = await train(backend, 60);
    expect(losses[losses.length - 1]!).toBeLessThan(0.05 * losses[0]!);
  });
});
