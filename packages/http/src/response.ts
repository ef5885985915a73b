import type { InvocationMode, InvokeResult, RecordOutcome } from "@fgconnect/core";

/** What a caller gets back. */
export interface HttpAnswer {
  statusCode: number;
  headers: Record<string, string | string[]>;
  body: Buffer;
}

type HeaderMap = Record<string, string | string[]>;

function isApigShaped(value: unknown): value is {
  statusCode: number;
  body?: unknown;
  isBase64Encoded?: unknown;
  headers?: unknown;
  multiValueHeaders?: unknown;
} {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  const code = (value as { statusCode?: unknown }).statusCode;
  return typeof code === "number" && Number.isInteger(code) && code >= 100 && code <= 599;
}

/** Header values as strings or lists of strings; `multiValueHeaders` adds to `headers`. */
function headersOf(headers: unknown, multi: unknown): HeaderMap {
  const out: HeaderMap = {};
  const add = (name: string, value: unknown) => {
    const values = (Array.isArray(value) ? value : [value])
      .filter((v) => v !== null && v !== undefined)
      .map(String);
    if (values.length === 0) return;
    const key = name.toLowerCase();
    const had = out[key];
    const all = had === undefined ? values : [...(Array.isArray(had) ? had : [had]), ...values];
    out[key] = all.length === 1 ? all[0]! : all;
  };
  if (typeof headers === "object" && headers !== null)
    for (const [k, v] of Object.entries(headers)) add(k, v);
  if (typeof multi === "object" && multi !== null)
    for (const [k, v] of Object.entries(multi)) {
      // A header in both maps is sent once, with the multi-value list.
      delete out[k.toLowerCase()];
      add(k, v);
    }
  return out;
}

/**
 * The HTTP answer for a function's result, as APIG gives it: an APIG-style result
 * (`statusCode`, `headers` or `multiValueHeaders`, `body`, `isBase64Encoded`) is the answer,
 * base64 undone; any other result is sent as a JSON body with 200.
 */
export function answerOf(result: InvokeResult): HttpAnswer {
  const value = result.json;
  if (isApigShaped(value)) {
    const headers = headersOf(value.headers, value.multiValueHeaders);
    const raw = value.body;
    const text =
      typeof raw === "string" ? raw : raw === undefined || raw === null ? "" : JSON.stringify(raw);
    const body = Buffer.from(text, value.isBase64Encoded === true ? "base64" : "utf8");
    return { statusCode: value.statusCode, headers, body };
  }
  return {
    statusCode: 200,
    headers: { "content-type": "application/json" },
    body: Buffer.from(result.json === undefined ? JSON.stringify(result.raw) : result.raw, "utf8"),
  };
}

/** A FunctionGraph-style error answer: `{error_code, error_msg, request_id}`. */
export function errorAnswer(
  statusCode: number,
  code: string,
  message: string,
  requestId: string,
  headers: HeaderMap = {},
): HttpAnswer {
  return {
    statusCode,
    headers: { "content-type": "application/json", ...headers },
    body: Buffer.from(
      JSON.stringify({ error_code: code, error_msg: message, request_id: requestId }),
    ),
  };
}

/** What became of a request's record, as far as the connector saw it. */
export interface Delivery {
  /** The mode of the first route the record was formatted for (unset: no route took it). */
  mode?: InvocationMode;
  /** The first sync result. */
  result?: InvokeResult;
  /** FunctionGraph's request id for the first accepted async invocation. */
  requestId?: string;
}

/** 503: the connector is stopping. */
export function stopping(id: string): HttpAnswer {
  return errorAnswer(503, "FSS.0503", "fgconnect is stopping; try again", id, {
    "retry-after": "1",
  });
}

/** The caller's answer once the record's delivery settled (or the wait timed out). */
export function answerFor(
  outcome: RecordOutcome | "timeout",
  delivery: Delivery,
  id: string,
  timeoutMs: number,
): HttpAnswer {
  switch (outcome) {
    case "timeout":
      return errorAnswer(504, "FSS.0504", `no answer from the function within ${timeoutMs} ms`, id);
    case "abandoned":
      return stopping(id);
    case "dead-lettered":
      return errorAnswer(
        502,
        "FSS.0502",
        "the function failed or could not be invoked; the request was dead-lettered",
        id,
      );
    case "delivered":
      if (delivery.result) return answerOf(delivery.result);
      if (delivery.mode === "async")
        return {
          statusCode: 202,
          headers: { "content-type": "application/json" },
          // FunctionGraph's id; ours when its answer did not carry one.
          body: Buffer.from(JSON.stringify({ request_id: delivery.requestId ?? id })),
        };
      return errorAnswer(404, "APIG.0101", "no function route takes this request", id);
    default:
      return errorAnswer(500, "FSS.0500", `unexpected outcome ${String(outcome)}`, id);
  }
}
