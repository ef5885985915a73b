import { timingSafeEqual } from "node:crypto";
import type { IncomingHttpHeaders } from "node:http";
import { signature } from "@fgconnect/core";
import { DEFAULT_MAX_CLOCK_SKEW_MS } from "./constants.js";
import { ApiError } from "./errors.js";

/**
 * Who may call. `false` turns auth off. Omitted or `{}`: any credentials are accepted but some
 * must be sent (any non-empty X-Auth-Token, or a well-formed AK/SK signature with a fresh date).
 * Once `tokens` or `keys` is given, only those are accepted (and the other method is refused).
 */
export interface AuthOptions {
  /** Accepted `X-Auth-Token` values. */
  tokens?: string[];
  /** Accepted AK → SK pairs for SDK-HMAC-SHA256 signatures. */
  keys?: Record<string, string>;
  /** Largest accepted distance between `X-Sdk-Date` and now (default 15 minutes). */
  maxClockSkewMs?: number;
}

/** What the verifier needs from a request. */
export interface AuthRequest {
  method: string;
  path: string;
  query: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

export type Authenticate = (req: AuthRequest) => void;

const badSignature = (why: string) =>
  new ApiError(
    401,
    "APIGW.0301",
    `Incorrect IAM authentication information: verify aksk signature fail (${why})`,
    true,
  );
const badToken = (why: string) => new ApiError(401, "FSS.0401", `Unauthorized: ${why}`);

/** Builds the check run on every request; it throws ApiError(401) to refuse. */
export function createAuthenticator(options: AuthOptions | false | undefined): Authenticate {
  if (options === false) return () => {};
  const opts = options ?? {};
  const permissive = opts.tokens === undefined && opts.keys === undefined;
  const tokens = new Set(opts.tokens ?? []);
  const keys = new Map(Object.entries(opts.keys ?? {}));
  const skew = opts.maxClockSkewMs ?? DEFAULT_MAX_CLOCK_SKEW_MS;

  return (req) => {
    const authorization = req.headers.authorization;
    if (authorization !== undefined) {
      verifySignature(req, authorization, keys, permissive, skew);
      return;
    }
    const token = req.headers["x-auth-token"];
    if (typeof token !== "string" || token === "") {
      throw badToken("send X-Auth-Token or an SDK-HMAC-SHA256 Authorization header");
    }
    if (!permissive && !tokens.has(token)) throw badToken("the token is not valid");
  };
}

function verifySignature(
  req: AuthRequest,
  authorization: string,
  keys: Map<string, string>,
  permissive: boolean,
  skewMs: number,
): void {
  const parsed = signature.parseAuthorization(authorization);
  if (!parsed) throw badSignature("the Authorization header is not SDK-HMAC-SHA256");
  const dateHeader = req.headers["x-sdk-date"];
  const date = typeof dateHeader === "string" ? signature.parseSdkDate(dateHeader) : undefined;
  if (!date) throw badSignature("X-Sdk-Date is missing or not YYYYMMDDTHHmmssZ");
  if (!parsed.signedHeaders.includes("x-sdk-date")) throw badSignature("X-Sdk-Date is not signed");
  if (Math.abs(Date.now() - date.getTime()) > skewMs) {
    throw badSignature("X-Sdk-Date is outside the allowed clock skew");
  }
  if (permissive && keys.size === 0) return;
  const secret = keys.get(parsed.accessKey);
  if (secret === undefined) throw badSignature("unknown access key");

  // Exactly the headers named in SignedHeaders, as received; a name such as "constructor" is
  // a header that was not sent, not a property of Object.prototype.
  const headers: Record<string, string> = Object.create(null);
  for (const name of parsed.signedHeaders) {
    const value = Object.hasOwn(req.headers, name) ? req.headers[name] : undefined;
    headers[name] = Array.isArray(value) ? value.join(",") : (value ?? "");
  }
  const sdkContent = req.headers["x-sdk-content-sha256"];
  if (typeof sdkContent === "string") headers["x-sdk-content-sha256"] = sdkContent;
  const expected = signature.computeSignature(
    {
      method: req.method,
      path: req.path,
      query: new URLSearchParams(req.query),
      headers,
      body: req.body,
    },
    parsed.signedHeaders,
    secret,
  );
  const a = Buffer.from(expected, "utf8");
  const b = Buffer.from(parsed.signature, "utf8");
  if (a.length !== b.length || !timingSafeEqual(a, b)) throw badSignature("signature mismatch");
}
