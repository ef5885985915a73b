import { createHash, createHmac } from "node:crypto";

/**
 * SDK-HMAC-SHA256, the AK/SK request signature of Huawei Cloud's API gateway. Pure functions:
 * the AK/SK provider signs with them and the emulator verifies with them.
 */
export const SIGNING_ALGORITHM = "SDK-HMAC-SHA256";

export interface SignableRequest {
  method: string;
  /** Path without the query, raw or percent-encoded. */
  path: string;
  query?: URLSearchParams | Record<string, string>;
  /** Header names in any case; `host` and `x-sdk-date` must be present to be signed. */
  headers: Record<string, string>;
  body: string | Uint8Array;
}

const UNRESERVED = /[A-Za-z0-9\-_.~]/;

/** Percent-encodes everything but `A-Za-z0-9-_.~`, with uppercase hex. */
export function encodeRfc3986(value: string): string {
  let out = "";
  for (const byte of Buffer.from(value, "utf8")) {
    const ch = String.fromCharCode(byte);
    out += UNRESERVED.test(ch) ? ch : `%${byte.toString(16).toUpperCase().padStart(2, "0")}`;
  }
  return out;
}

function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

/** Each segment decoded then encoded, so raw and percent-encoded paths sign the same. */
export function canonicalUri(path: string): string {
  const uri = path
    .split("/")
    .map((s) => encodeRfc3986(safeDecode(s)))
    .join("/");
  return uri.endsWith("/") ? uri : `${uri}/`;
}

export function canonicalQuery(query: SignableRequest["query"]): string {
  if (!query) return "";
  const entries = query instanceof URLSearchParams ? [...query.entries()] : Object.entries(query);
  return entries
    .map(([k, v]) => [encodeRfc3986(k), encodeRfc3986(v)] as const)
    .sort(([a, av], [b, bv]) => (a === b ? (av < bv ? -1 : 1) : a < b ? -1 : 1))
    .map(([k, v]) => `${k}=${v}`)
    .join("&");
}

function sha256Hex(data: string | Uint8Array): string {
  return createHash("sha256").update(data).digest("hex");
}

/** The canonical request over exactly `signedHeaders` (lower-case names). */
export function canonicalRequest(req: SignableRequest, signedHeaders: readonly string[]): string {
  const lower = lowerCaseHeaders(req.headers);
  const headerLines = signedHeaders.map((h) => `${h}:${(lower[h] ?? "").trim()}\n`).join("");
  const bodyHash =
    lower["x-sdk-content-sha256"] === "UNSIGNED-PAYLOAD" ? "UNSIGNED-PAYLOAD" : sha256Hex(req.body);
  return [
    req.method.toUpperCase(),
    canonicalUri(req.path),
    canonicalQuery(req.query),
    headerLines,
    signedHeaders.join(";"),
    bodyHash,
  ].join("\n");
}

export function stringToSign(canonical: string, sdkDate: string): string {
  return `${SIGNING_ALGORITHM}\n${sdkDate}\n${sha256Hex(canonical)}`;
}

export function computeSignature(
  req: SignableRequest,
  signedHeaders: readonly string[],
  secretKey: string,
): string {
  const date = lowerCaseHeaders(req.headers)["x-sdk-date"] ?? "";
  return createHmac("sha256", secretKey)
    .update(stringToSign(canonicalRequest(req, signedHeaders), date))
    .digest("hex");
}

/**
 * Not signed: trace context, which tracing proxies and gateways on the way may rewrite (a
 * verifier checks only the names listed in SignedHeaders).
 */
const UNSIGNED = new Set(["authorization", "content-length", "traceparent", "tracestate"]);

/** The header names a client signs: every header it sends but UNSIGNED, lower-cased and sorted. */
export function headersToSign(headers: Record<string, string>): string[] {
  return Object.keys(lowerCaseHeaders(headers))
    .filter((h) => !UNSIGNED.has(h))
    .sort();
}

export function authorizationHeader(
  accessKey: string,
  signedHeaders: readonly string[],
  signature: string,
): string {
  return `${SIGNING_ALGORITHM} Access=${accessKey}, SignedHeaders=${signedHeaders.join(";")}, Signature=${signature}`;
}

export interface ParsedAuthorization {
  accessKey: string;
  signedHeaders: string[];
  signature: string;
}

/** Parses an `Authorization: SDK-HMAC-SHA256 Access=..., SignedHeaders=..., Signature=...`. */
export function parseAuthorization(value: string): ParsedAuthorization | undefined {
  const match =
    /^SDK-HMAC-SHA256\s+Access=([^,\s]+),\s*SignedHeaders=([^,\s]+),\s*Signature=([0-9a-fA-F]+)\s*$/.exec(
      value.trim(),
    );
  if (!match) return undefined;
  return {
    accessKey: match[1]!,
    signedHeaders: match[2]!.split(";"),
    signature: match[3]!.toLowerCase(),
  };
}

/** `YYYYMMDDTHHmmssZ` in UTC. */
export function formatSdkDate(date: Date): string {
  return date
    .toISOString()
    .replace(/[-:]/g, "")
    .replace(/\.\d{3}/, "");
}

/** Parses `YYYYMMDDTHHmmssZ`; undefined when malformed. */
export function parseSdkDate(value: string): Date | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value);
  if (!m) return undefined;
  const d = new Date(Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!));
  return Number.isNaN(d.getTime()) ? undefined : d;
}

/** No prototype: a signed header named "constructor" or "__proto__" must read as absent. */
function lowerCaseHeaders(headers: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = Object.create(null);
  for (const [k, v] of Object.entries(headers)) out[k.toLowerCase()] = v;
  return out;
}
