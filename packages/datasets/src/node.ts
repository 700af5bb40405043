// Node-only pieces (file system, HDF5, recipe cache). Import from '@bellman/datasets/node'.
export { readD4RL, readMinari, readDataset, writeMinari, DatasetFileError, BELLMAN_HDF5_VERSION } from './hdf5.js';
export type { DatasetFormat, WriteMinariOptions, WriteSummary } from './hdf5.js';
export { loadH5, hdf5Reason, hasHdf5Signature, withHdf5File, writeHdf5Atomically } from './hdf5-io.js';
export type { H5wasm, WithHdf5FileOptions } from './hdf5-io.js';
export { loadRecipe, defaultDataDir, recipeCachePath } from './cache.js';
export type { LoadRecipeOptions } from './cache.js';
