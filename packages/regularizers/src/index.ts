export { dr3, Dr3Regularizer, DR3_DEFAULTS } from './dr3.js';
export type { Dr3Config } from './dr3.js';
export {
  featureDotProduct,
  featureCosine,
  featureNorms,
  singularValues,
  srank,
  srankFromSingularValues,
  symmetricEigenvalues,
  featureDiagnostics,
  diagnosticsMetrics,
  DiagnosticsSchedule,
  featureProbe,
} from './diagnostics.js';
export type { FeatureNorms, FeatureDiagnostics, FeatureDiagnosticsOptions, DiagnosticsScheduleConfig } from './diagnostics.js';
