/** The training monitor: measure a model's blocks while it trains, into a run file (docs/monitor.md). */
export {
  MAX_FAILURES_IN_A_ROW,
  MONITOR_DEFAULTS,
  monitorTraining,
  type MonitorOptions,
  TrainingMonitor,
} from './training-monitor';
export {
  parseRunFile,
  RUN_FILE_VERSION,
  type RunAlert,
  type RunEnd,
  type RunError,
  type RunFile,
  RunFileError,
  type RunHeader,
  type RunMeasurement,
} from './run-file';
export { summarizeRun, type RunSummary, type Thresholds } from './summary';
