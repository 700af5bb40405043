export { createDesignTask, designSize, percentile, type DesignSet, type DesignSpace, type DesignTask, type DesignTaskSource, type Designs } from './task.js';
export { makeToyContinuous, makeToyDiscrete, toyContinuousScore, toyDiscreteScore } from './toy.js';
export { DESIGN_TASK_IDS, makeDesignTask, type DesignTaskOptions } from './registry.js';
