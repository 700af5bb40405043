export { Rng, toRng } from './rng.js';
export type { RngState } from './rng.js';
export { encodeBase64, decodeBase64, float32ToBase64, base64ToFloat32 } from './bytes.js';
export { Box, Discrete, spaceFromJSON, flatSize } from './spaces.js';
export type { Space, SpaceSpec, AnySpace } from './spaces.js';
export type {
  Action,
  Metrics,
  Info,
  ResetOptions,
  ResetResult,
  StepResult,
  EnvSpec,
  Env,
  TransitionBatch,
  WindowBatch,
  DatasetStatistics,
  Dataset,
  ActOptions,
  Policy,
  SerializedTensor,
  LearnerSnapshot,
  Learner,
  RegularizerContext,
  Regularizer,
  FeatureProbe,
  RewardModel,
  Logger,
} from './types.js';
export { initBackend, currentBackend } from './backend.js';
export type { BackendName, BackendInfo, InitBackendOptions } from './backend.js';
export { registerWasmKernelPatches, registerCpuKernels, setKernelOptions, kernelOptions } from './kernels.js';
export type { KernelOptions } from './kernels.js';
export { Mlp, Adam, dense, serializeTensor, deserializeTensor, variableFrom } from './nn.js';
export type { MlpConfig, AdamConfig, Activation, LossOutput } from './nn.js';
export { resolveConfig, ConfigError, closestMatches, editDistance } from './config.js';
export type { ConfigSchema, FieldSpec } from './config.js';
