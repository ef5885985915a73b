/** Instance memory sizes (MB) that FunctionGraph accepts in `X-Cff-Instance-Memory`. */
export const INSTANCE_MEMORY_MB = [
  128, 256, 512, 768, 1024, 1280, 1536, 1792, 2048, 2560, 3072, 3584, 4096, 8192, 10240,
] as const;
export type InstanceMemoryMb = (typeof INSTANCE_MEMORY_MB)[number];

/** Per-call options; each overrides the client's default of the same name. */
export interface InvokeOptions {
  /** Milliseconds before the call fails with TimeoutError. */
  timeoutMs?: number;
  signal?: AbortSignal;
  /** Ask for the log tail (`X-Cff-Log-Type: tail`). Sync only. */
  logTail?: boolean;
  /** `X-Cff-Instance-Memory`, one of INSTANCE_MEMORY_MB. */
  instanceMemoryMb?: number;
  /** Extra request headers (never logged). */
  headers?: Record<string, string>;
}

/** Invocation summary from `X-Cff-Invoke-Summary`. */
export interface InvokeSummary {
  duration?: number;
  billingDuration?: number;
  memorySize?: number;
  memoryUsed?: number;
  [key: string]: unknown;
}

/** An APIG-style function result: `{statusCode, isBase64Encoded, body, headers}`. */
export interface ApigResult {
  statusCode: number;
  isBase64Encoded: boolean;
  /** The body as sent by the function (base64 when isBase64Encoded). */
  body: string;
  /** The body decoded: base64 undone, and parsed when it is JSON. */
  decodedBody: unknown;
  headers: Record<string, string>;
}

/** What a successful synchronous invocation returns. */
export interface InvokeResult {
  requestId: string;
  /** v1 `status` (or the HTTP status for legacy calls). */
  status: number;
  /** The function's result exactly as FunctionGraph returned it. */
  raw: string;
  /** `raw` parsed as JSON, or undefined when it is not JSON. */
  json: unknown;
  /** Present when the function returned an APIG-style object. */
  apig?: ApigResult;
  /** The log: v1 `log` field, else the decoded `X-Cff-Function-Log` tail. */
  log?: string;
  summary?: InvokeSummary;
  billingDurationMs?: number;
}

/**
 * What a successful asynchronous invocation returns: FunctionGraph accepted the event (202).
 * When the 202's body could not be read (reset mid-body, deadline, not JSON) the event was
 * accepted all the same, but its request id is unknown: `requestIdUnknown` says so, and why.
 */
export type AsyncInvokeResult =
  | { requestId: string; requestIdUnknown?: false }
  | {
      requestId: undefined;
      requestIdUnknown: true;
      /** Why the id could not be read from the answer. */
      reason: string;
    };

export type AsyncInvocationStatus = "WAIT" | "RUNNING" | "SUCCESS" | "FAIL" | "DISCARD";

export interface AsyncInvocationRecord {
  requestId: string;
  status: AsyncInvocationStatus;
  errorCode?: string;
  errorMessage?: string;
  startTime?: string;
  endTime?: string;
}

export interface AsyncInvocationQuery {
  requestId?: string;
  status?: AsyncInvocationStatus;
  limit?: number;
  marker?: string;
}

export interface AsyncInvocationPage {
  invocations: AsyncInvocationRecord[];
  count: number;
  nextMarker?: string;
}

/**
 * The invocation surface the delivery engine depends on. `FunctionGraphClient` implements it;
 * tests may pass a fake.
 */
export interface Invoker {
  invoke(urn: string, payload: unknown, options?: InvokeOptions): Promise<InvokeResult>;
  invokeAsync(urn: string, payload: unknown, options?: InvokeOptions): Promise<AsyncInvokeResult>;
}
