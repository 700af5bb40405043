export {
  SweepSpecError,
  parseSweepText,
  validateSweepSpec,
  type CommandSchema,
  type SweepReportSpec,
  type SweepSpec,
  type SweepValue,
} from './spec.js';
export { commandLine, shortHash, sweepCells, type SweepCell } from './cells.js';
export {
  PLAN_FILE,
  RESULT_FILE,
  SweepFolder,
  TIMING_FILE,
  readCellResult,
  readCellTiming,
  stableResult,
  writeCellResult,
  type CellResultFile,
  type CellTiming,
  type SweepPlanFile,
} from './folder.js';
export { lastJsonObject, processCellRunner, workerName, type CellOutcome, type CellRunner, type ProcessRunnerOptions } from './runner.js';
export { SweepTally, runSweepPool, saveOutcome, type PoolOptions, type SweepCounts, type SweepEvent, type SweepSummary } from './pool.js';
export {
  DEFAULT_QUEUE_NAME,
  SweepQueueError,
  cellJobId,
  checkRedisUrl,
  connectRedis,
  runQueueWorker,
  runSweepOnQueue,
  type CellJobData,
  type CellJobResult,
  type QueueSweepOptions,
  type QueueWorkerOptions,
  type WorkerEvent,
} from './queue.js';
export { formatGroup, meanAndSampleStd, metricAt, reportTable, summarizeSweep, type ReportTable, type SweepGroup, type SweepReport } from './report.js';
