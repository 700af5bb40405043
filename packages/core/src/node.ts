// Node-only pieces (file system): checkpoints and metric files. Import from '@bellman/core/node'.
export { writeFileAtomic, saveCheckpoint, loadCheckpoint, CHECKPOINT_FORMAT, CHECKPOINT_VERSION } from './checkpoint.js';
export type { CheckpointFile } from './checkpoint.js';
export { JsonlLogger, CsvLogger, MultiLogger, readJsonlMetrics } from './logger.js';
export type { MetricRow, CsvLoggerOptions } from './logger.js';
