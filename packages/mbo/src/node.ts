// Node-only pieces (file system, HDF5 through h5wasm). Import from '@bellman/mbo/node'.
export {
  DESIGN_DATASET_FORMAT,
  DESIGN_DATASET_VERSION,
  isDesignDataset,
  loadDesignTask,
  readDesignDataset,
  writeDesignDataset,
  type DesignDatasetContents,
  type DesignDatasetWriteSummary,
} from './hdf5.js';
export { DesignFileError } from './hdf5-file.js';
export { designTaskCachePath, loadDesignTaskCached, type LoadDesignTaskOptions } from './cache.js';
// The ids whose oracle `loadDesignTask` reattaches, without loading the main entry (and tfjs).
export { DESIGN_TASK_IDS } from './registry.js';
