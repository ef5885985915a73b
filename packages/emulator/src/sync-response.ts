import type { ServerResponse } from "node:http";
import { FUNCTION_ERROR_HTTP_STATUS, LOG_TAIL_BYTES, V1_LOG_TAIL_BYTES } from "./constants.js";
import type { InvocationOutcome } from "./invoker.js";
import { invokeSummary } from "./log-format.js";

export type ResponseVersion = "v0" | "v1";

/** The last `bytes` bytes of the log, as UTF-8. */
function tailBuffer(log: string, bytes: number): Buffer {
  const buf = Buffer.from(log, "utf8");
  return buf.length > bytes ? buf.subarray(buf.length - bytes) : buf;
}

/**
 * Answers a sync (or legacy) invocation. v0 and legacy: the result is the body. v1: the JSON
 * envelope `{request_id, result, log, status}`; `log` is filled only when the log tail was asked for.
 */
export function writeSyncResponse(
  res: ServerResponse,
  requestId: string,
  outcome: InvocationOutcome,
  version: ResponseVersion,
  tail: boolean,
): number {
  const status = outcome.isError ? FUNCTION_ERROR_HTTP_STATUS : 200;
  let body: string;
  let contentType: string;
  if (version === "v1") {
    body = JSON.stringify({
      request_id: requestId,
      result: outcome.result,
      log: tail ? tailBuffer(outcome.log, V1_LOG_TAIL_BYTES).toString("utf8") : "",
      status,
    });
    contentType = "application/json";
  } else {
    body = outcome.result;
    contentType = looksLikeJson(body) ? "application/json" : "text/plain; charset=utf-8";
  }
  const headers: Record<string, string | number> = {
    "Content-Type": contentType,
    "Content-Length": Buffer.byteLength(body),
    "X-Cff-Request-Id": requestId,
    "X-Request-Id": requestId,
    "X-Cff-Invoke-Summary": invokeSummary(
      outcome.durationMs,
      outcome.billingMs,
      outcome.memoryMb,
      outcome.memoryUsedMb,
    ),
    "X-CFF-Billing-Duration": String(outcome.billingMs),
    "X-Cff-Response-Version": version,
    "X-Func-Err-Code": outcome.errCode,
    "X-Is-Func-Err": outcome.isError ? "true" : "false",
  };
  if (tail) {
    headers["X-Cff-Function-Log"] = tailBuffer(outcome.log, LOG_TAIL_BYTES).toString("base64");
  }
  res.writeHead(status, headers);
  res.end(body);
  return status;
}

/** A cheap guess for Content-Type: results that are objects, arrays or quoted strings are JSON. */
function looksLikeJson(body: string): boolean {
  const c = body.charCodeAt(0);
  return c === 123 /* { */ || c === 91 /* [ */ || c === 34 /* " */;
}
