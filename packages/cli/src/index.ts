export { run, VERSION } from './program.js';
export type { TrainCliOptions } from './program.js';
export { UsageError, fromUserInput, fromUserInputAsync, EXIT_OK, EXIT_FAILURE, EXIT_USAGE } from './errors.js';
export { Reporter, processIo, isCi } from './io.js';
export type { CliIo, OutputStream } from './io.js';
export { startProgress } from './progress.js';
export type { Progress, ProgressOptions } from './progress.js';
export { parseInteger, parseSeeds, parseOptionalInteger, parseConfigOption, parseBackend, BACKENDS } from './args.js';
export type { BackendChoice } from './args.js';
export { formatTable, shortSpace } from './table.js';
export {
  plotMetrics,
  learningCurveSpec,
  lossCurveSpec,
  renderSvg,
  svgToPng,
  writePlot,
  readSeries,
  evalReturnMetric,
  lossMetrics,
  downsample,
} from './plot.js';
export type { MetricSeries, PlotOptions, ReferenceLine } from './plot.js';
export { QUICKSTART_ALGOS, QUICKSTART_ENV, QUICKSTART_DATASET } from './defaults.js';
