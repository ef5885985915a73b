import type {
  AsyncInvokeResult,
  InvokeOptions,
  InvokeResult,
  Invoker,
  Logger,
} from "@fgconnect/core";

const MAX_RESULT_CHARS = 200;
/** Of a log tail (a route's `delivery.logTail`), the last characters logged. */
const MAX_LOG_CHARS = 1000;

/**
 * Logs each invocation at info with its request id, duration and (clipped) result, and the
 * function's log tail when the route asked for it: what a user watching the embedded default
 * wants to see. Off by default, since a busy stream would flood.
 */
export function loggingInvoker(inner: Invoker, logger: Logger): Invoker {
  return {
    async invoke(urn: string, payload: unknown, options?: InvokeOptions): Promise<InvokeResult> {
      const started = performance.now();
      const result = await inner.invoke(urn, payload, options);
      const raw =
        result.raw.length > MAX_RESULT_CHARS
          ? `${result.raw.slice(0, MAX_RESULT_CHARS)}…`
          : result.raw;
      logger.info(
        {
          function: urn,
          requestId: result.requestId,
          durationMs: Math.round(performance.now() - started),
          result: raw,
          ...(result.log ? { functionLog: result.log.slice(-MAX_LOG_CHARS) } : {}),
        },
        "invoked",
      );
      return result;
    },
    async invokeAsync(
      urn: string,
      payload: unknown,
      options?: InvokeOptions,
    ): Promise<AsyncInvokeResult> {
      const started = performance.now();
      const result = await inner.invokeAsync(urn, payload, options);
      logger.info(
        {
          function: urn,
          requestId: result.requestId,
          // Accepted (202), but its answer could not be read: say why the id is missing.
          requestIdUnknown: result.requestIdUnknown ? result.reason : undefined,
          durationMs: Math.round(performance.now() - started),
        },
        "invoked asynchronously (accepted)",
      );
      return result;
    },
  };
}
