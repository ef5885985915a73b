import {
  type AsyncInvokeResult,
  FunctionError,
  type InvocationOutcome,
  type InvokeOptions,
  type InvokeResult,
  type Invoker,
  type Logger,
} from "@fgconnect/core";

const MAX_RESULT_CHARS = 200;
/** Of a log tail (a route's `delivery.logTail`), the last characters kept. */
const MAX_LOG_CHARS = 1000;

/** One invocation call as the status page and the log show it. */
export interface InvocationEntry {
  /** When it started, ms since the epoch. */
  at: number;
  /** The function URN. */
  function: string;
  mode: "sync" | "async";
  durationMs: number;
  /** FunctionGraph's request id, when the answer carried one. */
  requestId?: string;
  outcome: InvocationOutcome;
  /** The result (sync), clipped. */
  result?: string;
  /** Why it failed: the error's code and message. */
  error?: string;
  /** The function's log tail, when the route asked for it (sync). */
  logTail?: string;
}

export type InvocationLogLevel = "info" | "debug" | "off";

/** `log.invocations`, or by default: info for a person watching a terminal, debug otherwise. */
export function invocationLogLevel(
  configured: InvocationLogLevel | undefined,
  interactive: boolean,
): InvocationLogLevel {
  return configured ?? (interactive ? "info" : "debug");
}

/**
 * Wraps an invoker so that every call, success or failure, is reported to `observe` (the log,
 * the status page's list of recent invocations). The call itself is untouched.
 */
export function observedInvoker(
  inner: Invoker,
  observe: (entry: InvocationEntry) => void,
): Invoker {
  const report = (entry: InvocationEntry) => {
    try {
      observe(entry);
    } catch {
      // A broken observer never fails a delivery.
    }
  };
  return {
    async invoke(urn: string, payload: unknown, options?: InvokeOptions): Promise<InvokeResult> {
      const at = Date.now();
      const started = performance.now();
      const base = { at, function: urn, mode: "sync" as const };
      try {
        const result = await inner.invoke(urn, payload, options);
        report({
          ...base,
          durationMs: Math.round(performance.now() - started),
          requestId: result.requestId,
          outcome: "success",
          result: clip(result.raw),
          ...(result.log ? { logTail: result.log.slice(-MAX_LOG_CHARS) } : {}),
        });
        return result;
      } catch (error) {
        report({ ...base, durationMs: Math.round(performance.now() - started), ...failure(error) });
        throw error;
      }
    },
    async invokeAsync(
      urn: string,
      payload: unknown,
      options?: InvokeOptions,
    ): Promise<AsyncInvokeResult> {
      const at = Date.now();
      const started = performance.now();
      const base = { at, function: urn, mode: "async" as const };
      try {
        const result = await inner.invokeAsync(urn, payload, options);
        report({
          ...base,
          durationMs: Math.round(performance.now() - started),
          outcome: "success",
          // Accepted (202), but its answer could not be read: say why the id is missing.
          ...(result.requestIdUnknown
            ? { result: `accepted; request id unknown: ${result.reason}` }
            : { requestId: result.requestId }),
        });
        return result;
      } catch (error) {
        report({ ...base, durationMs: Math.round(performance.now() - started), ...failure(error) });
        throw error;
      }
    },
  };
}

/**
 * Logs each invocation at `level` with its request id, duration and (clipped) result, and the
 * function's log tail when the route asked for it. A failure is logged at the same level: the
 * engine already warns when it retries or dead-letters.
 */
export function invocationLogger(
  logger: Logger,
  level: InvocationLogLevel,
): ((entry: InvocationEntry) => void) | undefined {
  if (level === "off") return undefined;
  return (e) => {
    const fields = {
      function: e.function,
      requestId: e.requestId,
      durationMs: e.durationMs,
      ...(e.result !== undefined ? { result: e.result } : {}),
      ...(e.logTail ? { functionLog: e.logTail } : {}),
      ...(e.error ? { outcome: e.outcome, error: e.error } : {}),
    };
    const msg =
      e.outcome !== "success"
        ? "invocation failed"
        : e.mode === "sync"
          ? "invoked"
          : "invoked asynchronously (accepted)";
    logger[level](fields, msg);
  };
}

function failure(error: unknown): Pick<InvocationEntry, "outcome" | "error" | "requestId"> {
  const code = (error as { code?: unknown })?.code;
  const message = error instanceof Error ? error.message : String(error);
  return {
    outcome: error instanceof FunctionError ? "function-error" : "error",
    error: clip(typeof code === "string" ? `${code}: ${message}` : message),
    ...(error instanceof FunctionError && error.requestId ? { requestId: error.requestId } : {}),
  };
}

function clip(text: string): string {
  return text.length > MAX_RESULT_CHARS ? `${text.slice(0, MAX_RESULT_CHARS)}…` : text;
}
