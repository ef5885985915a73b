/** A function's result body decoded: APIG-style results, base64 bodies, JSON or text. */
import type { ApigResult } from "./types.js";

/** APIG-style results: a numeric statusCode and a body. Anything else is not one. */
export function toApig(value: unknown): ApigResult | undefined {
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

export function tryParseJson(text: string): unknown {
  if (text === "") return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
