import * as tf from '@tensorflow/tfjs';
import { Rng } from '@bellman/core';
import { Conv1d, ConvTranspose1d, GroupNorm, LayerNorm, conv1d, convTranspose1d, initBackend, paramsOf, sinusoidalEmbedding } from '../src/index.js';
import { maxAbsDiff, parseReference, wave, waveTensor, ACTIVATIONS } from './helpers.js';

/**
 * Outputs against PyTorch in float64. The numbers below are the output of
 *   python3 packages/nn/test/reference/layers_reference.py
 * (PyTorch 1.13 on float64 tensors: F.conv1d, F.conv_transpose1d, nn.GroupNorm, nn.LayerNorm,
 * nn.Mish, nn.SiLU, nn.GELU() with the exact erf, and Diffuser's SinusoidalPosEmb written out).
 * Its inputs are the waves of helpers.ts (the same formula in both); it permutes them into
 * PyTorch's [batch, channels, length] layout and the outputs back. Rerun it and paste its lines
 * here if a case changes.
 */
const REFERENCE = parseReference(`
conv1d_k3_pad1: 0.207739725, 0.179957978, 0.194089281, -0.466932744, 0.243748817, -0.476546188, 0.0269380034, 0.219805686, -0.186620856, 0.75583015, -0.131251034, 0.464688909, 0.117659053, -0.0155468204, 0.366226479, -0.061221911, 0.110567372, -0.0277644134, -0.141530195, 0.664004857, -0.18079387, 0.642843175, 0.0416221067, -0.0649233852, 0.249022359, -0.578801717, -0.337584019, -0.113295762
conv1d_k3_stride2_pad2_dil2: 0.835360613, -0.200244763, -0.455809277, -0.103826111, -0.201092206, 0.143140974, 0.844395816, 0.211100219, -0.669465612, -0.499927458, -0.796662403, 0.0937674967, 0.970322588, 0.27390815, -0.765580807, -0.138406474, 0.224653589, 0.2355653, -0.0282352531, 0.382970821
conv_transpose1d_k4_stride2_pad1: 0.622585456, 0.160175039, -0.4713269, 0.0510310042, 0.46101785, -0.237699027, -0.0452292179, 0.271078251, -0.0373753576, -0.0741401208, 0.473899653, 0.267012734, -0.452507927, 0.294773044, 0.44024029, 0.0438921376, -0.267936463, 0.410096068, 0.251976111, 0.230425889, 0.564269907, 0.0583370592, -0.482347789, -0.0220240745, 0.521451011, -0.199939481, -0.223535866, 0.217183012, 0.144233864, -0.166386675, 0.350128655, 0.299325412, -0.375652601, 0.187279208, 0.524981572, 0.122214322, -0.391446479, 0.421082068, 0.427809715, 0.0873337481
conv_transpose1d_k3_stride3_pad2_dil2_out1: 0.0887635823, -0.416929562, 0.0186745749, 0.362342359, -0.365252292, -0.268220866, 0.340300371, 0.449284051, -0.456075923, 0.083543512, 0.610152139, -0.240773, -0.218596256, 0.605863068, 0.0624720147, -0.380366854, -0.194613671, 0.430516654, -0.134057293, -0.405177502, 0.238467074, 0.176580293, -0.44856144, -0.0609909488, 0.511421324, 0.284701146, -0.584785674, 0.291914908, 0.53097852, -0.428742226, 0.0295520207, 0.0909297427, -0.0529836141
group_norm_3x2: 0.889295066, 1.98948844, -0.805798988, -0.860678048, 1.87004289, 0.944986822, -1.43430923, -0.269923997, 0.699568447, -0.161548543, -1.77315185, 0.508019045, 1.84441199, -0.719107663, -0.985599498, 0.510828954, 1.52477632, -1.39543494, -0.515739613, 2.1819777, -0.0836517705, -1.14881285, 0.456777436, 1.76067644, -0.422910391, -1.51312989, 0.313055611, 0.549659925, -1.31548089, -0.844473477, 1.73832212, 0.790203933, -1.11523278, -0.18230752, 2.19444527, -0.327736458, -1.53404592, 1.08875557, 0.572359481, -0.780688683, -1.13137526, 1.44608734, 0.914843485, -1.71335703, -0.381608036, 0.834613432, 0.0671946108, -1.6458795, 0.68889635, 1.9909969, -0.706427831, -0.874515041, 1.68082056, 0.997268125, -1.4372205, -0.498676048, 0.711554931, -0.0482736291, -1.82286449, 0.313415842
layer_norm_5: 1.10761284, 1.0471229, -1.09211763, -0.850462433, 1.87277244, 0.719307653, -1.8258426, -0.238586151, 1.16480251, -0.344750569, -1.18743652, 1.47952992, 0.507389244, -0.713725871, -0.570941282
mish: -0.0335762377, -0.0497128293, -0.0725917408, -0.104095754, -0.145647461, -0.196816204, -0.252501483, -0.298099742, -0.303401461, -0.220743775, 0, 0.375245211, 0.865098388, 1.40337827, 1.94395896, 2.4713923, 2.986535, 3.49399072, 3.99741281, 4.49891371, 4.99955208
silu: -0.0334642546, -0.0494412418, -0.0719448398, -0.102592808, -0.14227762, -0.18964545, -0.238405844, -0.273638286, -0.268941421, -0.188770334, 0, 0.311229666, 0.731058579, 1.22636171, 1.76159416, 2.31035455, 2.85772238, 3.39740719, 3.92805516, 4.45055876, 4.96653575
gelu: -1.43325786e-06, -1.52895291e-05, -0.000126684967, -0.000814201777, -0.00404969409, -0.0155241633, -0.0455002639, -0.100210802, -0.158655254, -0.154268769, 0, 0.345731231, 0.841344746, 1.3997892, 1.95449974, 2.48447584, 2.99595031, 3.4991858, 3.99987332, 4.49998471, 4.99999857
sinusoidal_8: 0, 0, 0, 0, 1, 1, 1, 1, 0.841470985, 0.0463992235, 0.00215443302, 9.99999998e-05, 0.540302306, 0.998922976, 0.999997679, 0.999999995, 0.937999977, 0.341130395, 0.0161575571, 0.00074999993, 0.346635318, 0.940015986, 0.999869458, 0.999999719, -0.506365641, -0.997494716, 0.213780666, 0.00999983333, 0.862318872, -0.0707410121, 0.976881685, 0.99995
`);

function expected(name: string): number[] {
  const values = REFERENCE.get(name);
  if (!values) throw new Error(`no reference "${name}"`);
  return values;
}

/** float32 against float64 for O(1) values after a few dozen products and sums. */
const TOL = 2e-6;

describe.each(['cpu', 'wasm'] as const)('layers match PyTorch (float64) on %s', (backend) => {
  beforeAll(async () => {
    await initBackend({ backend });
  });
  afterAll(async () => {
    await initBackend({ backend: 'cpu' });
  });

  const convCases = [
    { name: 'conv1d_k3_pad1', batch: 2, length: 7, cin: 3, cout: 2, k: 3, stride: 1, padding: 1, dilation: 1, outLength: 7 },
    { name: 'conv1d_k3_stride2_pad2_dil2', batch: 2, length: 9, cin: 3, cout: 2, k: 3, stride: 2, padding: 2, dilation: 2, outLength: 5 },
  ];
  it.each(convCases)('$name', ({ name, batch, length, cin, cout, k, stride, padding, dilation, outLength }) => {
    const x = waveTensor([batch, length, cin], 0.1) as tf.Tensor3D;
    const w = waveTensor([k, cin, cout], 0.2, 0.5) as tf.Tensor3D;
    const b = tf.tensor1d(wave(cout, 0.3, 0.1));
    const y = conv1d(x, w, b, { stride, padding, dilation });
    expect(y.shape).toEqual([batch, outLength, cout]);
    expect(maxAbsDiff(y.dataSync(), expected(name))).toBeLessThan(TOL);
    // The layer runs the same function on its own variables.
    const layer = new Conv1d({ inChannels: cin, outChannels: cout, kernelSize: k, stride, padding, dilation }, new Rng(0));
    layer.namedVariables().get('weight')!.assign(w);
    layer.namedVariables().get('bias')!.assign(b);
    expect(Array.from(layer.apply(x).dataSync())).toEqual(Array.from(y.dataSync()));
    layer.dispose();
    tf.dispose([x, w, b, y]);
  });

  const transposeCases = [
    { name: 'conv_transpose1d_k4_stride2_pad1', batch: 2, length: 5, cin: 3, cout: 2, k: 4, stride: 2, padding: 1, dilation: 1, outputPadding: 0, outLength: 10 },
    { name: 'conv_transpose1d_k3_stride3_pad2_dil2_out1', batch: 1, length: 4, cin: 2, cout: 3, k: 3, stride: 3, padding: 2, dilation: 2, outputPadding: 1, outLength: 11 },
  ];
  it.each(transposeCases)('$name', ({ name, batch, length, cin, cout, k, stride, padding, dilation, outputPadding, outLength }) => {
    const x = waveTensor([batch, length, cin], 0.1) as tf.Tensor3D;
    const w = waveTensor([k, cin, cout], 0.2, 0.5) as tf.Tensor3D;
    const b = tf.tensor1d(wave(cout, 0.3, 0.1));
    const y = convTranspose1d(x, w, b, { stride, padding, dilation, outputPadding });
    expect(y.shape).toEqual([batch, outLength, cout]);
    expect(maxAbsDiff(y.dataSync(), expected(name))).toBeLessThan(TOL);
    const layer = new ConvTranspose1d({ inChannels: cin, outChannels: cout, kernelSize: k, stride, padding, dilation, outputPadding }, new Rng(0));
    expect(layer.apply(x).shape).toEqual([batch, outLength, cout]);
    layer.dispose();
    tf.dispose([x, w, b, y]);
  });

  it('GroupNorm (3 groups of 2 channels, affine)', () => {
    const norm = new GroupNorm({ groups: 3, channels: 6 });
    const params = { weight: tf.tensor1d(wave(6, 0.5, 0.5, 1)), bias: tf.tensor1d(wave(6, 0.6, 0.3)) };
    const x = waveTensor([2, 5, 6], 0.4, 2, 0.7);
    expect(maxAbsDiff(norm.applyWith(params, x).dataSync(), expected('group_norm_3x2'))).toBeLessThan(TOL);
    // Fresh affine parameters are the identity (weight 1, bias 0).
    const plain = new GroupNorm({ groups: 3, channels: 6, affine: false }).apply(x);
    expect(maxAbsDiff(norm.apply(x).dataSync(), plain.dataSync())).toBe(0);
    norm.dispose();
  });

  it('LayerNorm (last axis, affine)', () => {
    const norm = new LayerNorm({ features: 5 });
    const params = { weight: tf.tensor1d(wave(5, 0.8, 0.5, 1)), bias: tf.tensor1d(wave(5, 0.9, 0.3)) };
    const x = waveTensor([3, 5], 0.7, 1.5, -0.4);
    expect(maxAbsDiff(norm.applyWith(params, x).dataSync(), expected('layer_norm_5'))).toBeLessThan(TOL);
    expect(Object.keys(paramsOf(norm))).toEqual(['weight', 'bias']);
    norm.dispose();
  });

  it.each(ACTIVATIONS)('%s on [-5, 5]', (name, fn) => {
    const x = tf.linspace(-5, 5, 21);
    expect(maxAbsDiff(fn(x).dataSync(), expected(name))).toBeLessThan(TOL);
  });

  it('sinusoidal embedding (dim 8: sines, then cosines)', () => {
    const y = sinusoidalEmbedding(tf.tensor1d([0, 1, 7.5, 100]), 8);
    expect(y.shape).toEqual([4, 8]);
    // t = 100 puts angles near 100 rad into float32 (spacing 7.6e-6 there).
    expect(maxAbsDiff(y.dataSync(), expected('sinusoidal_8'))).toBeLessThan(2e-5);
  });
});
