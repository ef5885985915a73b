/**
 * What fgconnect's own connector packages share that is not part of core's public API:
 * `@fgconnect/core/internal`. It may change in any release.
 */
export { doublingDelayMs, reconnectDelayMs } from "./connection/backoff.js";
export { lazyRequire } from "./connection/lazy-require.js";
export {
  readTlsFiles,
  reconnectOptionsSchema,
  type TlsOptions,
  tlsOptionsSchema,
} from "./connection/options.js";
export { Waiters } from "./connection/waiters.js";
export { type JsonPart, jsonEmbeddable, jsonPartLength, writeJsonPart } from "./json-bytes.js";
