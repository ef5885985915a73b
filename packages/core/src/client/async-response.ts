/** Reading FunctionGraph's answers to async calls: the 202 of an invocation, and a status page. */
import type { IncomingHttpHeaders } from "node:http";
import { header } from "./classify.js";
import { ProtocolError } from "./errors.js";
import { tryParseJson } from "./result-body.js";
import type {
  AsyncInvocationPage,
  AsyncInvocationRecord,
  AsyncInvocationStatus,
  AsyncInvokeResult,
} from "./types.js";

/**
 * 202 `{request_id}` → `{requestId}` (falls back to `X-Cff-Request-Id`). A 202 is an accepted
 * event even when its body could not be read (`bodyError`) or holds no id: the id is then
 * reported unknown, never as a failure that would make the caller send the event again.
 */
export function parseAsyncAccepted(
  status: number,
  headers: IncomingHttpHeaders,
  text: string,
  bodyError: unknown,
): AsyncInvokeResult {
  const body = bodyError === undefined ? tryParseJson(text) : undefined;
  const fromBody =
    body !== null && typeof body === "object"
      ? (body as { request_id?: unknown }).request_id
      : undefined;
  const id =
    typeof fromBody === "string" && fromBody !== ""
      ? fromBody
      : header(headers, "x-cff-request-id");
  if (id) return { requestId: id };
  if (status !== 202) {
    throw new ProtocolError(
      `the async invocation was answered ${status} with no request_id (FunctionGraph answers 202)`,
    );
  }
  const reason =
    bodyError !== undefined
      ? `the body of the 202 answer could not be read: ${(bodyError as Error)?.message ?? String(bodyError)}`
      : "the 202 answer holds no request_id";
  return { requestId: undefined, requestIdUnknown: true, reason };
}

/** `{invocations: [...], count, next_marker}` → AsyncInvocationPage (camelCase). */
export function parseAsyncInvocationPage(text: string): AsyncInvocationPage {
  const body = tryParseJson(text) as
    | { invocations?: unknown; count?: unknown; next_marker?: unknown }
    | undefined;
  if (!body || typeof body !== "object" || !Array.isArray(body.invocations)) {
    throw new ProtocolError("the async-invocations answer has no invocations list");
  }
  const invocations: AsyncInvocationRecord[] = [];
  for (const item of body.invocations as Record<string, unknown>[]) {
    if (!item || typeof item !== "object") continue;
    const record: AsyncInvocationRecord = {
      requestId: String(item.request_id ?? ""),
      // An unknown status is passed through rather than dropped: the list is informational.
      status: String(item.status ?? "") as AsyncInvocationStatus,
    };
    if (item.error_code !== undefined && item.error_code !== null && item.error_code !== "") {
      record.errorCode = String(item.error_code);
    }
    if (typeof item.error_message === "string" && item.error_message !== "") {
      record.errorMessage = item.error_message;
    }
    if (typeof item.start_time === "string") record.startTime = item.start_time;
    if (typeof item.end_time === "string") record.endTime = item.end_time;
    invocations.push(record);
  }
  const page: AsyncInvocationPage = {
    invocations,
    count: typeof body.count === "number" ? body.count : invocations.length,
  };
  if (typeof body.next_marker === "string" && body.next_marker !== "") {
    page.nextMarker = body.next_marker;
  } else if (typeof body.next_marker === "number") {
    page.nextMarker = String(body.next_marker);
  }
  return page;
}
