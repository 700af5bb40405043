export { initBackend, currentBackend } from './backend.js';
export type { BackendName, BackendInfo, InitBackendOptions } from './backend.js';
export { registerWasmKernelPatches, registerCpuKernels, setKernelOptions, kernelOptions } from './kernels.js';
export type { KernelOptions } from './kernels.js';
export { Mlp, Adam, dense, serializeTensor, deserializeTensor, variableFrom } from './nn.js';
export type { MlpConfig, AdamConfig, Activation, LossOutput } from './nn.js';
export type { RegularizerContext, Regularizer, FeatureProbe } from './features.js';
