// Browser-safe entry. File-system pieces (saveLearner / loadLearner) live in
// '@bellman/q-learning/node'; trainers, evaluation and checkpoint stores in @bellman/training.
export { BaseLearner, learnerSpec } from './learner-base.js';
export type { ActionKind, LearnerInit, LearnerDefinition, LearnerSpec, RegularizationResult } from './learner-base.js';
export {
  BatchTensors,
  ActionScaler,
  floatOneHot,
  forwardOne,
  argmax,
  sampleFromLogits,
  checkBatchShape,
  checkRows,
  readAndDispose,
  adamConfig,
  refreshTarget,
} from './learner-utils.js';
export { BC, BC_DEFAULTS, bcDefinition } from './bc.js';
export type { BCConfig } from './bc.js';
export { DQN, DQN_DEFAULTS, dqnDefinition, DiscreteQLearner, QNetwork, Q_NETWORK_SCHEMA, tdElementLoss } from './dqn.js';
export type { DQNConfig, QNetworkConfig, ExtraLoss } from './dqn.js';
export { DiscreteCQL, DISCRETE_CQL_DEFAULTS, discreteCqlDefinition } from './cql-discrete.js';
export type { DiscreteCQLConfig } from './cql-discrete.js';
export { SARSA, FQE, SARSA_DEFAULTS, FQE_DEFAULTS, sarsaDefinition, fqeDefinition, ActionValueCritic, TDEvaluator } from './sarsa.js';
export type { SARSAConfig, FQEConfig, FQEInit, TDEvaluationConfig, DiscreteActionProbabilities } from './sarsa.js';
export {
  ContinuousSARSA,
  ContinuousFQE,
  ContinuousTDEvaluator,
  CONTINUOUS_SARSA_DEFAULTS,
  CONTINUOUS_FQE_DEFAULTS,
  continuousSarsaDefinition,
  continuousFqeDefinition,
} from './sarsa-continuous.js';
export type { ContinuousSARSAConfig, ContinuousFQEConfig, ContinuousFQEInit, ContinuousTDEvaluationConfig, ContinuousActionSampler } from './sarsa-continuous.js';
export type { TDRegressionConfig } from './td-evaluation.js';
export { SAC, SAC_DEFAULTS, SoftActorCritic, SOFT_ACTOR_CRITIC_SCHEMA, sacDefinition } from './sac.js';
export type { SACConfig, SoftActorCriticConfig } from './sac.js';
export { CQL, CQL_DEFAULTS, cqlDefinition } from './cql.js';
export type { CQLConfig } from './cql.js';
export { TD3BC, TD3BC_DEFAULTS, NORMALIZATION_STD_EPSILON, td3bcDefinition } from './td3bc.js';
export type { TD3BCConfig, TD3BCInit, ObservationNormalization } from './td3bc.js';
export { IQL, IQL_DEFAULTS, expectileLoss, iqlDefinition } from './iql.js';
export type { IQLConfig } from './iql.js';
export { DiscreteIQL, DISCRETE_IQL_DEFAULTS, discreteIqlDefinition } from './iql-discrete.js';
export type { DiscreteIQLConfig } from './iql-discrete.js';
export { CRR, CRR_DEFAULTS, advantageWeights, crrDefinition } from './crr.js';
export type { CRRConfig } from './crr.js';
export { AdvantageWeightedLearner } from './advantage-weighted.js';
export type { AdvantageWeightedConfig } from './advantage-weighted.js';
export {
  TanhGaussianActor,
  GaussianActor,
  gaussianLogProb,
  logOneMinusTanhSquared,
  normalNoise,
  clipToBox,
  clipTensorToBox,
  LOG_STD_MIN,
  LOG_STD_MAX,
} from './gaussian-policy.js';
export type { ActionSample } from './gaussian-policy.js';
export { Critics, ContinuousCriticLearner, stateAction, mse, repeatRows, ACTOR_CRITIC_SCHEMA, POSITIVE_NUMBER } from './twin-critic.js';
export type { CriticOptions, RegisterNetwork } from './twin-critic.js';
export { registerLearner, listAlgorithms, getLearnerDefinition, createLearner, learnerFromSnapshot, definitionByActionKind } from './registry.js';
export type { AlgorithmInfo, SnapshotExtras } from './registry.js';
