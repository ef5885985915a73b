import { coordinationSchema, deadLetterSchema, limitsSchema, routeSchema } from "@fgconnect/core";
import { z } from "zod";
import { connectorConfigSchema } from "../connectors.js";

const authSchema = z
  .discriminatedUnion("type", [
    z
      .object({
        type: z
          .literal("none")
          .describe("No credentials (the embedded emulator, or an emulator run with --no-auth)."),
      })
      .strict(),
    z
      .object({
        type: z.literal("token"),
        token: z
          .string()
          .min(1)
          .describe("An IAM token, sent as X-Auth-Token. Use ${ENV_VAR}; never commit it."),
      })
      .strict()
      .describe("A static IAM token."),
    z
      .object({
        type: z.literal("password"),
        username: z.string().min(1).describe("IAM user name."),
        password: z.string().min(1).describe("IAM user password. Use ${ENV_VAR}; never commit it."),
        domain: z.string().min(1).describe("Account (domain) name that owns the IAM user."),
        iamEndpoint: z
          .url()
          .optional()
          .describe("IAM endpoint. Default: https://iam.<region>.myhuaweicloud.com."),
      })
      .strict()
      .describe("IAM password login; the token is cached and refreshed before it expires."),
    z
      .object({
        type: z.literal("aksk"),
        accessKey: z.string().min(1).optional().describe("Access key. Default: $CLOUD_SDK_AK."),
        secretKey: z.string().min(1).optional().describe("Secret key. Default: $CLOUD_SDK_SK."),
        securityToken: z
          .string()
          .min(1)
          .optional()
          .describe("Security token of temporary credentials."),
      })
      .strict()
      .describe("AK/SK request signing (SDK-HMAC-SHA256)."),
  ])
  .describe("How requests to FunctionGraph are authenticated.");

const functiongraphSchema = z
  .object({
    endpoint: z
      .url()
      .optional()
      .describe(
        "Invocation endpoint, e.g. https://functiongraph.cn-north-4.myhuaweicloud.com. Default: from `region`, or the embedded emulator.",
      ),
    region: z
      .string()
      .min(1)
      .optional()
      .describe("Region, e.g. cn-north-4; gives the endpoint and completes short URNs."),
    projectId: z
      .string()
      .regex(/^[A-Za-z0-9]{32}$/, "a project id is 32 letters or digits")
      .optional()
      .describe(
        "Project id (32 letters or digits). Default with the embedded emulator: the emulator's.",
      ),
    auth: authSchema.default({ type: "none" }),
    timeoutMs: z
      .number()
      .int()
      .positive()
      .default(30_000)
      .describe("Timeout of one invocation, in ms."),
    connections: z
      .number()
      .int()
      .min(1)
      .default(64)
      .describe("Keep-alive connections to the endpoint."),
  })
  .strict()
  .describe("Where and how to invoke FunctionGraph.");

const emulatorSchema = z
  .object({
    functions: z
      .string()
      .min(1)
      .describe("Folder of FunctionGraph Node.js handlers, one per subfolder or file."),
    port: z
      .number()
      .int()
      .min(0)
      .max(65535)
      .default(0)
      .describe("Port of the emulator's HTTP server; 0 picks a free one."),
  })
  .strict()
  .describe(
    "Runs a local FunctionGraph emulator inside the daemon and invokes it (no cloud account needed).",
  );

const telemetrySchema = z
  .object({
    otlp: z
      .object({
        endpoint: z
          .url()
          .optional()
          .describe(
            "OTLP/HTTP base URL of a collector, e.g. http://otel-collector:4318 (`/v1/traces` is appended). Tracing is on when this or $OTEL_EXPORTER_OTLP_ENDPOINT / $OTEL_EXPORTER_OTLP_TRACES_ENDPOINT is set; this one wins.",
          ),
        headers: z
          .record(z.string().min(1), z.string())
          .optional()
          .describe(
            "Headers sent with each export, e.g. a vendor's API key (use ${ENV_VAR}); they add to and win over $OTEL_EXPORTER_OTLP_HEADERS.",
          ),
        protocol: z
          .enum(["http/protobuf", "http/json"])
          .optional()
          .describe(
            "Encoding of the export requests. Default: $OTEL_EXPORTER_OTLP_TRACES_PROTOCOL, else $OTEL_EXPORTER_OTLP_PROTOCOL, else http/protobuf.",
          ),
      })
      .strict()
      .prefault({})
      .describe("Where spans are exported (OTLP over HTTP)."),
  })
  .strict()
  .prefault({})
  .describe(
    "OpenTelemetry traces: a span per batch delivered to a function and per invocation attempt, continuing a producer's W3C traceparent. Off unless an endpoint is set; the standard OTEL_* variables (OTEL_SERVICE_NAME, OTEL_TRACES_SAMPLER, OTEL_RESOURCE_ATTRIBUTES, OTEL_BSP_*, OTEL_SDK_DISABLED) apply.",
  );

/**
 * The whole `fgconnect.yaml`: the single source of validation, defaults and `fgconnect schema`.
 * Checks between fields and of the files named are `parseConfig`'s (cross-checks.ts,
 * file-checks.ts): zod skips an object's refinements once a field fails, and they must not be.
 */
export const configSchema = z
  .object({
    functiongraph: functiongraphSchema.prefault({}),
    emulator: emulatorSchema.optional(),
    connectors: z
      .record(
        z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, "use 1-64 letters, digits, '.', '_' or '-'"),
        connectorConfigSchema,
      )
      .refine((c) => Object.keys(c).length > 0, "declare at least one connector")
      .describe("Sources of events, by name."),
    routes: z.array(routeSchema).min(1).describe("Which records go to which functions, and how."),
    deadLetter: deadLetterSchema.default({
      type: "file",
      path: ".fgconnect/dead-letter.jsonl",
      fsync: true,
    }),
    limits: limitsSchema.prefault({}),
    coordination: coordinationSchema.optional(),
    telemetry: telemetrySchema,
    admin: z
      .object({
        enabled: z
          .boolean()
          .default(true)
          .describe("Serve /healthz, /readyz, /metrics and the status page."),
        host: z
          .string()
          .default("127.0.0.1")
          .describe(
            "Address to listen on; $FGCONNECT_ADMIN_HOST overrides it (0.0.0.0 in a container).",
          ),
        port: z
          .number()
          .int()
          .min(0)
          .max(65535)
          .default(9464)
          .describe("Port to listen on; 0 picks a free one."),
        token: z
          .string()
          .min(16, "use at least 16 characters")
          .optional()
          .describe(
            "Bearer token that requests changing state (dead-letter replay) must send as `Authorization: Bearer <token>`; without it they are refused (401). Reads stay open. Use ${ENV_VAR}; never commit it.",
          ),
      })
      .strict()
      .prefault({})
      .describe("The admin HTTP server: health, metrics, the status page."),
    log: z
      .object({
        level: z
          .enum(["trace", "debug", "info", "warn", "error", "fatal", "silent"])
          .default("info")
          .describe("Log level; $FGCONNECT_LOG_LEVEL overrides it."),
        pretty: z
          .boolean()
          .optional()
          .describe(
            "Human-readable lines. Default: when stdout is a terminal. `--log-format` and $FGCONNECT_LOG_FORMAT (pretty or json) override it.",
          ),
        invocations: z
          .enum(["info", "debug", "off"])
          .optional()
          .describe(
            "Level at which each invocation is logged, with its request id, duration, result and the log tail a route asked for. Default: info when stdout is a terminal, debug otherwise.",
          ),
        summaryEverySeconds: z
          .number()
          .int()
          .min(0)
          .default(60)
          .describe(
            "While invocations are not logged at info, one summary line this often: records in and out, failures, dead-lettered, lag. 0: never.",
          ),
      })
      .strict()
      .prefault({}),
    shutdown: z
      .object({
        deadlineMs: z
          .number()
          .int()
          .min(0)
          .default(20_000)
          .describe(
            "On SIGTERM/SIGINT, how long in-flight deliveries may finish before the rest is handed back unacknowledged.",
          ),
      })
      .strict()
      .prefault({}),
  })
  .strict();

export type Config = z.output<typeof configSchema>;
