// Browser-safe entry. File-system pieces (trainers that write checkpoint files, results.json,
// signal handling) live in '@bellman/training/node'.
export { isEnvStepAware } from './learner.js';
export type { BatchLearner, EnvStepAware } from './learner.js';
export { transitionBatches, windowBatches } from './batch-source.js';
export type { BatchSource, TransitionSource, WindowSource } from './batch-source.js';
export { HookChain } from './hooks.js';
export type { EnvTransition, HookContext, TrainerHooks } from './hooks.js';
export { MemoryCheckpointStore, TrainerCheckpointError, checkpointExtra } from './checkpoint.js';
export type { CheckpointModule, CheckpointStore, TrainerCheckpoint } from './checkpoint.js';
export { evaluatePolicy, meanStd } from './evaluate.js';
export type { EvaluateOptions, EvaluationResult, EvaluationVectorEnv } from './evaluate.js';
export { DivergenceError, MetricWindow, Q_BOUND_FACTOR, TRAINER_DEFAULTS } from './trainer-common.js';
export type { EvalRecord, TrainerSummary, TrainerEvent, TrainerOptions, TrainerProgressState, MetricWindowState } from './trainer-common.js';
export { OfflineTrainer } from './offline-trainer.js';
export type { OfflineTrainerOptions, OfflineTrainerState } from './offline-trainer.js';
export { OnlineTrainer } from './online-trainer.js';
export type { OnlineTrainerOptions, OnlineTrainerState, OnlineEpisodeState, TransitionBuffer } from './online-trainer.js';
export { NStepAccumulator, nStepOf } from './n-step.js';
export type { NStepLearner, NStepPendingState, TransitionSink } from './n-step.js';
export { MemoryExperimentStore, gridCells, runGrid, seedList } from './experiment.js';
export type { ExperimentStore, GridCell, GridCellResult, GridOptions } from './experiment.js';
