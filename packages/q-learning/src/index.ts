// Browser-safe entry. File-system pieces (saveLearner / loadLearner) live in
// '@bellman/q-learning/node'; trainers, evaluation and checkpoint stores in @bellman/training.

// Building learners by name.
export { createLearner, createLearnerByName, learnerFromSnapshot, listAlgorithms, registerLearner, getLearnerDefinition, definitionByActionKind } from './registry.js';
export type { AlgorithmName, LearnerInitOf, LearnerOf, LearnerConfigOf, UntypedLearnerInit, AlgorithmInfo, SnapshotExtras } from './registry.js';

// The algorithms: each learner, its config and defaults.
export { BC, BC_DEFAULTS } from './bc.js';
export type { BCConfig } from './bc.js';
export { DQN, DQN_DEFAULTS, tdElementLoss } from './dqn.js';
export type { DQNConfig } from './dqn.js';
export { DiscreteCQL, DISCRETE_CQL_DEFAULTS } from './cql-discrete.js';
export type { DiscreteCQLConfig } from './cql-discrete.js';
export { SARSA, FQE, SARSA_DEFAULTS, FQE_DEFAULTS } from './sarsa.js';
export type { SARSAConfig, FQEConfig, FQEInit, TDEvaluationConfig, DiscreteActionProbabilities } from './sarsa.js';
export { ContinuousSARSA, ContinuousFQE, CONTINUOUS_SARSA_DEFAULTS, CONTINUOUS_FQE_DEFAULTS } from './sarsa-continuous.js';
export type { ContinuousSARSAConfig, ContinuousFQEConfig, ContinuousFQEInit, ContinuousTDEvaluationConfig, ContinuousActionSampler } from './sarsa-continuous.js';
export type { TDRegressionConfig } from './td-evaluation.js';
export { SAC, SAC_DEFAULTS } from './sac.js';
export type { SACConfig, SoftActorCriticConfig } from './sac.js';
export { CQL, CQL_DEFAULTS } from './cql.js';
export type { CQLConfig, CQLCriticLoss } from './cql.js';
export { TD3BC, TD3BC_DEFAULTS } from './td3bc.js';
export type { TD3BCConfig, TD3BCInit, ObservationNormalization } from './td3bc.js';
export { IQL, IQL_DEFAULTS, expectileLoss } from './iql.js';
export type { IQLConfig } from './iql.js';
export { DiscreteIQL, DISCRETE_IQL_DEFAULTS } from './iql-discrete.js';
export type { DiscreteIQLConfig } from './iql-discrete.js';
export { CRR, CRR_DEFAULTS, advantageWeights } from './crr.js';
export type { CRRConfig } from './crr.js';

// Writing a learner: the bases, the pieces they are built from, and helpers.
export { BaseLearner, defineLearner } from './learner-base.js';
export type { ActionKind, LearnerInit, LearnerDefinition, LearnerSpec, DefinedLearner, CriticFeatures, CriticLoss, CriticStep } from './learner-base.js';
export { SoftActorCritic, SOFT_ACTOR_CRITIC_SCHEMA } from './sac.js';
export type { SoftTarget } from './sac.js';
export { DiscreteQLearner, Q_NETWORK_SCHEMA } from './dqn.js';
export type { QNetworkConfig, ExtraLoss } from './dqn.js';
export { TDEvaluator } from './sarsa.js';
export { ContinuousTDEvaluator } from './sarsa-continuous.js';
export { Critics, stateAction, mse } from './twin-critic.js';
export { TanhGaussianActor, GaussianActor, normalNoise } from './gaussian-policy.js';
export { BatchTensors, ActionScaler, floatOneHot, forwardOne, argmax, sampleFromLogits } from './learner-utils.js';

