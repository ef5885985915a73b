import {
  coordinationSchema,
  deadLetterSchema,
  functiongraphConfigSchema,
  limitsSchema,
  routeSchema,
} from "@fgconnect/core";
import { z } from "zod";
import { registry as builtIns } from "../connectors.js";
import type { ConnectorRegistry } from "../registry.js";

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
 * The whole `fgconnect.yaml` for the connector types `registry` holds (the built-ins plus a
 * config's plugins): the single source of validation, defaults and `fgconnect schema`.
 * Checks between fields and of the files named are `parseConfig`'s (cross-checks.ts,
 * file-checks.ts): zod skips an object's refinements once a field fails, and they must not be.
 */
export function configSchemaFor(registry: ConnectorRegistry) {
  return z
    .object({
      plugins: z
        .array(z.string().min(1))
        .optional()
        .describe(
          "Modules that add connector types: npm package names (found from the config file's folder) or paths relative to the config file. Loaded before `connectors` is read.",
        ),
      functiongraph: functiongraphConfigSchema.prefault({}),
      emulator: emulatorSchema.optional(),
      connectors: z
        .record(
          z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, "use 1-64 letters, digits, '.', '_' or '-'"),
          registry.configSchema(),
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
              "Bearer token that requests changing state (dead-letter replay) must send as `Authorization: Bearer <token>`; without it they are refused (401). Reads stay open, but for dead letters when `host` is not a loopback address. Use ${ENV_VAR}; never commit it.",
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
}

/** The config schema with the built-in connector types only. */
export const configSchema = configSchemaFor(builtIns);

export type Config = z.output<typeof configSchema>;
