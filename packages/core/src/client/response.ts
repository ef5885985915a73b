import type { IncomingHttpHeaders } from "node:http";
import { header } from "./classify.js";
import { FunctionError, ProtocolError } from "./errors.js";
import { toApig, tryParseJson } from "./result-body.js";
import type { ApigResult, InvokeResult, InvokeSummary } from "./types.js";

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

function parseNumber(value: string): number | undefined {
  const n = Number.parseFloat(value);
  return Number.isFinite(n) ? n : undefined;
}
