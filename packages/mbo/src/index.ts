export { createDesignTask, designSize, percentile, type DesignSet, type DesignSpace, type DesignTask, type DesignTaskSource, type Designs } from './task.js';
export { makeToyContinuous, makeToyDiscrete, toyContinuousScore, toyDiscreteScore } from './toy.js';
export { DESIGN_TASK_IDS, DESIGN_TASK_VERSION, designTaskOracle, makeDesignTask, type DesignTaskOptions } from './registry.js';
export { COMS_SCHEMA, ConservativeObjectiveModel, comsDefaults, type ComsConfig, type ComsLoss, type ComsUpdate } from './coms.js';
export { ONE_HOT_WEIGHT, fitEncoding, type DesignEncoding } from './encoding.js';
export {
  ascendFromBest,
  prepareTrainingData,
  proposeDesigns,
  runEpochs,
  trainComs,
  validationMse,
  type AscentModel,
  type AscentProposalOptions,
  type ComsEpoch,
  type ComsTrainingOptions,
  type FitOptions,
  type TrainedComs,
  type TrainingData,
} from './train.js';
export { gradientAscent, topDesigns } from './ascent.js';
export { evaluateDesigns, type DesignEvaluation, type DesignOptimizer, type DesignSolution, type OptimizeOptions, type OptimizeProgress, type SearchStep, type TraceStep } from './optimizer.js';
export {
  GAUSSIAN_MODEL_SCHEMA,
  GaussianObjectiveModel,
  gaussianModelDefaults,
  trainGaussianModel,
  type GaussianEpoch,
  type GaussianLoss,
  type GaussianModelConfig,
  type GaussianPrediction,
  type TrainedGaussianModel,
} from './gaussian.js';
export {
  cmaEsOptimizer,
  comsAlpha0Optimizer,
  comsOptimizer,
  datasetBestOptimizer,
  gradientAscentOptimizer,
  type CmaEsOptimizerConfig,
  type ComsOptimizerConfig,
  type FitSettings,
  type GradientAscentConfig,
} from './optimizers.js';
export { CmaEs, cmaesMaximize, symmetricEigen, type CmaEsOptions } from './cmaes.js';
export { CONTROLLER_TASK_IDS, makeControllerTask, type ControllerTaskId, type ControllerTaskOptions } from './controller.js';
