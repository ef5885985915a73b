export { AkSkAuth, type AkSkAuthOptions, akskAuth } from "./client/auth/aksk.js";
export {
  type CredentialsSource,
  parseCredentials,
  readCredentials,
  type TemporaryCredentials,
} from "./client/auth/credentials-source.js";
export { IamAuth, type IamAuthOptions, iamAuth } from "./client/auth/iam.js";
export type { AuthHeaders, AuthProvider, AuthRequest } from "./client/auth/provider.js";
export * as signature from "./client/auth/signature.js";
export {
  TemporaryAkSkAuth,
  type TemporaryAuthOptions,
  temporaryAuth,
} from "./client/auth/temporary.js";
export { TokenAuth, tokenAuth } from "./client/auth/token.js";
export { classifyHttpError, parseRetryAfter } from "./client/classify.js";
export { createClient, FunctionGraphClient, type RequestOptions } from "./client/client.js";
export {
  type AuthConfig,
  authConfigSchema,
  authFromConfig,
  type FunctionGraphConfig,
  functiongraphConfigSchema,
} from "./client/config-schema.js";
export * from "./client/errors.js";
export {
  type ClientOptions,
  DEFAULT_CONNECTIONS,
  DEFAULT_MAX_RESPONSE_BYTES,
  DEFAULT_TIMEOUT_MS,
  regionFromHost,
} from "./client/options.js";
export { ASYNC_PAYLOAD_LIMIT, SYNC_PAYLOAD_LIMIT } from "./client/payload.js";
export { SyncInvokeResult } from "./client/response.js";
export * from "./client/types.js";
export { type FunctionUrn, formatUrn, parseUrn, type UrnDefaults } from "./client/urn.js";
export {
  type ConnectorDefinition,
  type ConnectorDefinitionInput,
  type ConnectorExample,
  ConnectorOptionsError,
  defineConnector,
  isConnectorDefinition,
  type OptionIssue,
  optionPath,
  parseConnectorOptions,
} from "./connector-definition.js";
export { renderOptionsDoc } from "./connector-docs.js";
export { ConnectorError } from "./connector-error.js";
export {
  type ConnectorCounter,
  type ConnectorGauge,
  type ConnectorMetrics,
  type ConnectorServices,
  type MetricLabels,
  noConnectorServices,
  noMetrics,
} from "./connector-services.js";
export * from "./coordination/index.js";
export {
  type ConnectorDeadLetters,
  type DeadLetterEntry,
  type DeadLetterError,
  type DeadLetterReader,
  type DeadLetterReaderContext,
  type DeadLetterReadOptions,
  type DeadLetterSink,
  deadLetterBody,
  parseDeadLetterEntry,
  reviveRecord,
  type StoredDeadLetter,
} from "./dead-letters.js";
export * from "./engine/index.js";
export { traceContextOf } from "./trace-context.js";
