/**
 * What fgconnect's own connector packages share that is not part of core's public API:
 * `@fgconnect/core/internal`. It may change in any release.
 */
export { doublingDelayMs, reconnectDelayMs } from "./connection/backoff.js";
export { type BrokerStats, brokerStats } from "./connection/broker-stats.js";
export { lazyRequire } from "./connection/lazy-require.js";
export {
  type OptionRule,
  optionRules,
  passwordNeedsUsername,
  readTlsFiles,
  reconnectOptionsSchema,
  type TlsOptions,
  tlsOptionsSchema,
  urlList,
  urlListSchema,
} from "./connection/options.js";
export { PauseGate } from "./connection/pause-gate.js";
export { STOP_GRACE_MS } from "./connection/stop-grace.js";
export { Waiters } from "./connection/waiters.js";
export { type JsonPart, jsonEmbeddable, jsonPartLength, writeJsonPart } from "./json-bytes.js";
