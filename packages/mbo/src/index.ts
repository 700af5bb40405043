export { createDesignTask, designSize, percentile, type DesignSet, type DesignSpace, type DesignTask, type DesignTaskSource, type Designs } from './task.js';
export { makeToyContinuous, makeToyDiscrete, toyContinuousScore, toyDiscreteScore } from './toy.js';
export { DESIGN_TASK_IDS, makeDesignTask, type DesignTaskOptions } from './registry.js';
export { COMS_SCHEMA, ConservativeObjectiveModel, comsDefaults, type ComsConfig, type ComsLoss, type ComsUpdate } from './coms.js';
export { ONE_HOT_WEIGHT, fitEncoding, type DesignEncoding } from './encoding.js';
export { proposeDesigns, trainComs, type ComsEpoch, type ComsTrainingOptions, type DesignProposal, type ProposalOptions, type ProposalStep, type TrainedComs } from './train.js';
