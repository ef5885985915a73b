import type { IncomingHttpHeaders } from "node:http";
import { header } from "./classify.js";
import { FunctionError, ProtocolError } from "./errors.js";
import type {
  ApigResult,
  AsyncInvocationPage,
  AsyncInvocationRecord,
  AsyncInvocationStatus,
  AsyncInvokeResult,
  InvokeResult,
  InvokeSummary,
} from "./types.js";

/**
 * Reading FunctionGraph's answers. The sync answer is the v1 envelope
 * `{request_id, result, log, status}` or, from a v0 or legacy endpoint, the raw result; the
 * extras (log tail, summary, billing) come in `X-Cff-*` headers.
 */

interface Envelope {
  request_id?: unknown;
  result?: unknown;
  log?: unknown;
  status?: unknown;
}

const UNPARSED = Symbol("unparsed");

/**
 * A successful sync invocation. `json`, `apig`, `log` (from the header) and `summary` are
 * parsed on first access, so a caller that only needs the acknowledgement pays for one parse.
 * They are getters: spread (`{...result}`) does not copy them, JSON.stringify does (toJSON).
 */
export class SyncInvokeResult implements InvokeResult {
  readonly requestId: string;
  readonly status: number;
  readonly raw: string;
  readonly billingDurationMs: number | undefined;
  #json: unknown = UNPARSED;
  #apig: ApigResult | undefined | typeof UNPARSED = UNPARSED;
  #log: string | undefined;
  #logHeader: string | undefined;
  #summaryHeader: string | undefined;
  #summary: InvokeSummary | undefined | typeof UNPARSED = UNPARSED;

  constructor(
    requestId: string,
    status: number,
    raw: string,
    log: string | undefined,
    headers: IncomingHttpHeaders,
  ) {
    this.requestId = requestId;
    this.status = status;
    this.raw = raw;
    this.#log = log;
    this.#logHeader = log === undefined ? header(headers, "x-cff-function-log") : undefined;
    this.#summaryHeader = header(headers, "x-cff-invoke-summary");
    const billing = header(headers, "x-cff-billing-duration");
    this.billingDurationMs = billing === undefined ? undefined : parseNumber(billing);
  }

  /** `raw` parsed as JSON, or undefined when it is not JSON. */
  get json(): unknown {
    if (this.#json === UNPARSED) this.#json = tryParseJson(this.raw);
    return this.#json;
  }

  /** The APIG-style result (`{statusCode, isBase64Encoded, body, headers}`), when it is one. */
  get apig(): ApigResult | undefined {
    if (this.#apig === UNPARSED) this.#apig = toApig(this.json);
    return this.#apig;
  }

  /** The v1 `log` field, else the decoded `X-Cff-Function-Log` tail (asked with logTail). */
  get log(): string | undefined {
    if (this.#log === undefined && this.#logHeader !== undefined) {
      this.#log = Buffer.from(this.#logHeader, "base64").toString("utf8");
      this.#logHeader = undefined;
    }
    return this.#log;
  }

  /** `X-Cff-Invoke-Summary`, parsed. */
  get summary(): InvokeSummary | undefined {
    if (this.#summary === UNPARSED) {
      const parsed =
        this.#summaryHeader === undefined ? undefined : tryParseJson(this.#summaryHeader);
      this.#summary =
        parsed !== null && typeof parsed === "object" && !Array.isArray(parsed)
          ? (parsed as InvokeSummary)
          : undefined;
    }
    return this.#summary;
  }

  toJSON(): InvokeResult {
    const out: InvokeResult = {
      requestId: this.requestId,
      status: this.status,
      raw: this.raw,
      json: this.json,
    };
    if (this.apig !== undefined) out.apig = this.apig;
    if (this.log !== undefined) out.log = this.log;
    if (this.summary !== undefined) out.summary = this.summary;
    if (this.billingDurationMs !== undefined) out.billingDurationMs = this.billingDurationMs;
    return out;
  }
}

/**
 * Reads a sync answer (any status: a function error may come with a non-2xx status).
 * `envelope` false reads the body as the raw result (the legacy v1.0 endpoint). Throws
 * FunctionError when the function failed, ProtocolError when a v1 answer is not an envelope.
 */
export function parseSyncResponse(
  httpStatus: number,
  headers: IncomingHttpHeaders,
  text: string,
  envelope: boolean,
): SyncInvokeResult {
  const version = header(headers, "x-cff-response-version");
  let env: Envelope | undefined;
  if (envelope && version !== "v0") {
    env = readEnvelope(text);
    if (env === undefined && version === "v1") {
      throw new ProtocolError(
        `the sync answer says X-Cff-Response-Version: v1 but its body is not the {request_id, result, log, status} envelope`,
      );
    }
  }
  let raw: string;
  let log: string | undefined;
  let status = httpStatus;
  let requestId: string | undefined;
  if (env) {
    const r = env.result;
    raw = typeof r === "string" ? r : r === undefined || r === null ? "" : JSON.stringify(r);
    if (typeof env.log === "string" && env.log !== "") log = env.log;
    if (typeof env.status === "number") status = env.status;
    if (typeof env.request_id === "string" && env.request_id !== "") requestId = env.request_id;
  } else {
    raw = text;
  }
  requestId ??= header(headers, "x-cff-request-id") ?? header(headers, "x-request-id") ?? "";

  const funcErrCode = header(headers, "x-func-err-code");
  const isFuncErr = header(headers, "x-is-func-err");
  if (isFuncErr !== undefined && isFuncErr.toLowerCase() === "true") {
    throw functionError(requestId, raw, funcErrCode, tryParseJson(raw));
  }
  if (funcErrCode !== undefined && funcErrCode !== "0" && funcErrCode !== "") {
    const parsed = tryParseJson(raw);
    if (isErrorResult(parsed)) throw functionError(requestId, raw, funcErrCode, parsed);
  }
  return new SyncInvokeResult(requestId, status, raw, log, headers);
}

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

function readEnvelope(text: string): Envelope | undefined {
  if (text.charCodeAt(0) !== 123 /* { */ && !text.trimStart().startsWith("{")) return undefined;
  const parsed = tryParseJson(text);
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) return undefined;
  const env = parsed as Envelope;
  return "result" in env || "request_id" in env ? env : undefined;
}

function functionError(
  requestId: string,
  raw: string,
  funcErrCode: string | undefined,
  parsed: unknown,
): FunctionError {
  const obj =
    parsed !== null && typeof parsed === "object" ? (parsed as Record<string, unknown>) : {};
  const errorType = typeof obj.errorType === "string" ? obj.errorType : undefined;
  const errorMessage =
    typeof obj.errorMessage === "string"
      ? obj.errorMessage
      : typeof parsed === "string"
        ? parsed
        : undefined;
  return new FunctionError(requestId || undefined, errorType, errorMessage, raw, funcErrCode);
}

function isErrorResult(v: unknown): boolean {
  return (
    v !== null &&
    typeof v === "object" &&
    typeof (v as Record<string, unknown>).errorMessage === "string" &&
    typeof (v as Record<string, unknown>).errorType === "string"
  );
}

/** APIG-style results: a numeric statusCode and a body. Anything else is not one. */
function toApig(value: unknown): ApigResult | undefined {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return undefined;
  const v = value as Record<string, unknown>;
  if (typeof v.statusCode !== "number" || !("body" in v)) return undefined;
  const isBase64Encoded = v.isBase64Encoded === true;
  const headers: Record<string, string> = {};
  if (v.headers && typeof v.headers === "object") {
    for (const [k, h] of Object.entries(v.headers as Record<string, unknown>)) {
      headers[k] = String(h);
    }
  }
  let body: string;
  let decodedBody: unknown;
  if (typeof v.body === "string") {
    body = v.body;
    decodedBody = isBase64Encoded ? decodeBase64Body(body) : parseMaybeJson(body);
  } else {
    // Some runtimes leave an object body unserialised: keep it, and show it serialised.
    body = v.body === undefined || v.body === null ? "" : JSON.stringify(v.body);
    decodedBody = v.body ?? undefined;
  }
  return { statusCode: v.statusCode, isBase64Encoded, body, decodedBody, headers };
}

const utf8 = new TextDecoder("utf-8", { fatal: true });

/** Base64 → JSON value when it is JSON, else text when it is UTF-8, else the bytes. */
function decodeBase64Body(body: string): unknown {
  const bytes = Buffer.from(body, "base64");
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    return bytes;
  }
  return parseMaybeJson(text);
}

/** JSON value when `text` is JSON, else the text itself. */
function parseMaybeJson(text: string): unknown {
  const parsed = tryParseJson(text);
  return parsed === undefined ? text : parsed;
}

function tryParseJson(text: string): unknown {
  if (text === "") return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function parseNumber(value: string): number | undefined {
  const n = Number.parseFloat(value);
  return Number.isFinite(n) ? n : undefined;
}
