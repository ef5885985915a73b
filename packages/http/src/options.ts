import { z } from "zod";

/** APIG's limit for a request body handed to a function. */
export const APIG_BODY_LIMIT = 4 * 1024 * 1024;

const METHODS = ["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS", "ANY"] as const;

/** `/orders/{id}`: segments are text or `{name}`; a last `{name+}` takes the rest of the path. */
export function pathProblem(path: string): string | undefined {
  if (!path.startsWith("/")) return "a path starts with '/'";
  const segments = path.split("/").slice(1);
  for (const [i, s] of segments.entries()) {
    if (!s.includes("{") && !s.includes("}")) {
      if (/[:*]/.test(s)) return "write parameters as {name}, not :name or *";
      continue;
    }
    const m = /^\{([A-Za-z_][A-Za-z0-9_-]*)(\+?)\}$/.exec(s);
    if (!m) return `"${s}": a parameter is a whole segment, {name} or {name+}`;
    if (m[2] && i !== segments.length - 1) return `"${s}": {name+} must be the last segment`;
  }
  return undefined;
}

const routeSchema = z
  .object({
    name: z
      .string()
      .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/)
      .describe(
        "The route key: the record's `route` attribute, which daemon routes filter on to pick the function (`filter: {attributes: {route: [orders]}}`). Also the event's `resource` is this route's path.",
      ),
    method: z
      .enum(METHODS)
      .default("ANY")
      .describe("HTTP method the route answers; ANY answers every method."),
    path: z
      .string()
      .min(1)
      .describe(
        "Path pattern in APIG style: `/orders/{id}` fills `pathParameters.id`; a last `{proxy+}` takes the rest of the path, slashes included.",
      )
      .superRefine((path, ctx) => {
        const problem = pathProblem(path);
        if (problem) ctx.addIssue({ code: "custom", message: problem });
      }),
  })
  .strict();

const authSchema = z
  .discriminatedUnion("type", [
    z.object({ type: z.literal("none").describe("Every caller is let in.") }).strict(),
    z
      .object({
        type: z.literal("api-key").describe("Callers send one of `keys` in the `header` header."),
        header: z
          .string()
          .min(1)
          .default("x-api-key")
          .describe("Request header that carries the key."),
        keys: z
          .array(z.string().min(1))
          .min(1)
          .describe(
            "Accepted keys (several allow rotation): long random strings, written as `${ENV_VAR}`. Never logged.",
          ),
      })
      .strict(),
    z
      .object({
        type: z
          .literal("hmac")
          .describe("Callers sign the body: hex HMAC-SHA256 of the raw body with `secret`."),
        header: z
          .string()
          .min(1)
          .default("x-signature")
          .describe(
            "Request header with the hex signature; a `sha256=` prefix is accepted (GitHub-style webhooks).",
          ),
        secret: z
          .string()
          .min(16)
          .describe(
            "Shared secret, at least 16 characters; write it as `${ENV_VAR}`. Never logged.",
          ),
      })
      .strict(),
  ])
  .describe("Who may call. Refused callers get 401 and reach no function.");

const tlsSchema = z
  .object({
    cert: z.string().min(1).describe("Server certificate chain: a PEM file path."),
    key: z.string().min(1).describe("The certificate's private key: a PEM file path."),
  })
  .strict()
  .describe("Serve HTTPS with this certificate; without it, plain HTTP.");

const corsSchema = z
  .object({
    origins: z
      .array(z.string().min(1))
      .min(1)
      .default(["*"])
      .describe("Origins allowed to call from a browser; `*` allows any."),
    credentials: z
      .boolean()
      .default(false)
      .describe("Send `Access-Control-Allow-Credentials: true` (not with origin `*`)."),
    maxAgeSeconds: z
      .number()
      .int()
      .min(0)
      .default(600)
      .describe("How long browsers may cache a preflight answer."),
  })
  .strict()
  .describe("Answer browsers' CORS preflights and add CORS headers; without it, no CORS headers.");

export const httpOptionsSchema = z
  .object({
    host: z
      .string()
      .min(1)
      .default("0.0.0.0")
      .describe("Address to listen on; 127.0.0.1 keeps the server local."),
    port: z
      .number()
      .int()
      .min(0)
      .max(65535)
      .default(8080)
      .describe("Port to listen on; 0 picks a free one (logged at start)."),
    routes: z
      .array(routeSchema)
      .min(1)
      .describe(
        "The APIs served, each a method and path pattern named by a route key. A request that matches none gets 404.",
      ),
    auth: authSchema.default({ type: "none" }),
    tls: tlsSchema.optional(),
    cors: corsSchema.optional(),
    maxBodyBytes: z
      .number()
      .int()
      .min(1)
      .max(64 * 1024 * 1024)
      .default(APIG_BODY_LIMIT)
      .describe(
        "Largest request body accepted, in bytes; larger ones get 413. APIG's limit is 4 MB.",
      ),
    requestTimeoutMs: z
      .number()
      .int()
      .min(100)
      .default(90_000)
      .describe(
        "Longest a caller waits for the function's answer, in ms; then it gets 504 (the delivery goes on). APIG drops a sync answer after 90 s.",
      ),
    base64Body: z
      .enum(["binary", "always"])
      .default("binary")
      .describe(
        "`binary`: a UTF-8 body is passed as text (`isBase64Encoded: false`), any other body in base64. `always`: every body in base64, as APIG does.",
      ),
    privateHeaders: z
      .array(z.string().min(1))
      .default(["authorization", "proxy-authorization", "cookie"])
      .describe(
        "Request headers that carry callers' credentials: the function gets them, but filters and dead letters do not see them, so a replayed request arrives without them. `[]` keeps every header in dead letters.",
      ),
    apiId: z.string().min(1).default("fgconnect").describe("The event's `requestContext.apiId`."),
    stage: z.string().min(1).default("RELEASE").describe("The event's `requestContext.stage`."),
  })
  .strict();

/** Options as written in a config or passed to `createHttpConnector`. */
export type HttpOptions = z.input<typeof httpOptionsSchema>;
/** Options after validation and defaults. */
export type ResolvedHttpOptions = z.output<typeof httpOptionsSchema>;
export type HttpRouteOptions = ResolvedHttpOptions["routes"][number];
