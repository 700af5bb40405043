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
  DiscreteActionProbabilities,
  ContinuousActionSampler,
  SerializedTensor,
  LearnerSnapshot,
  LearnerBatch,
  Learner,
  RewardInputs,
  RewardBatch,
  RewardModelSnapshot,
  RewardModel,
  PlanningMetrics,
  Planner,
  Logger,
} from './types.js';
export { resolveConfig, closestMatches, editDistance } from './config.js';
export type { ConfigSchema, FieldSpec } from './config.js';
export { BellmanError, ConfigError, DatasetError, CheckpointError, UsageError } from './errors.js';
export type { ErrorContext, ErrorContextValue } from './errors.js';
