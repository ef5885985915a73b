/** The delivery engine's public surface (re-exported by the package index). */
export type {
  Connector,
  ConnectorContext,
  ConnectorHealth,
  ConnectorLag,
  FormatInfo,
  InvocationMode,
  JsonValue,
  PayloadFormat,
  RecordAttributes,
  RecordOutcome,
  SourceRecord,
  TraceContext,
} from "../connector.js";
export { type Clock, systemClock } from "./clock.js";
export { createDeadLetterSink, describeError, toDeadLetterEntry } from "./dead-letter.js";
export {
  createFileDeadLetterReader,
  createFileDeadLetterSink,
  type FileDeadLetterReader,
  type FileDeadLetterReadOptions,
  type FileDeadLetterSinkOptions,
  replayedFileOf,
} from "./dead-letter-file.js";
export {
  createEngine,
  type Engine,
  type EngineHealth,
  type EngineOptions,
  type EngineState,
  type StopOptions,
  type StopResult,
} from "./engine.js";
export { type Logger, silentLogger } from "./logger.js";
export {
  type DeadLetterReason,
  type DeliveryLabels,
  type EngineMetrics,
  type InvocationOutcome,
  noopMetrics,
} from "./metrics.js";
export {
  compileFilter,
  compilePattern,
  type EventPattern,
  PatternError,
  type PatternMatcher,
  type PatternScalar,
  type Predicate,
} from "./pattern.js";
export type { Reconfiguration, ReconfigureResult } from "./reconfigure.js";
export { decideOnFailure, type FailureDecision, retryDelayMs } from "./retry.js";
export { EngineConfigError, type ResolvedRoute } from "./router.js";
export {
  type BatchConfig,
  type BatchConfigInput,
  batchSchema,
  DEFAULTS,
  type DeadLetterConfig,
  type DeadLetterConfigInput,
  type DeliveryPolicy,
  type DeliveryPolicyInput,
  deadLetterSchema,
  deliveryPolicySchema,
  eventPatternSchema,
  fileDeadLetterSchema,
  type Limits,
  type LimitsInput,
  limitsSchema,
  type RouteConfig,
  type RouteInput,
  routeSchema,
} from "./schema.js";
export { type StartRetryOptions, withStartRetry } from "./start-retry.js";
