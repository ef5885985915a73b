/**
 * The OpenTelemetry SDK behind core's spans: off unless an OTLP endpoint is configured (then
 * core's `@opentelemetry/api` calls stay no-ops and the SDK is never loaded). When on, spans
 * are batched and exported over OTLP/HTTP, and the last ones are flushed at stop.
 */
import { readFileSync } from "node:fs";
import { type DiagLogger, DiagLogLevel, diag } from "@opentelemetry/api";
import type { Logger } from "pino";
import type { Config } from "./config/schema.js";
import { replicaId } from "./replica.js";

export type OtlpProtocol = "http/protobuf" | "http/json";
const PROTOCOLS: readonly string[] = ["http/protobuf", "http/json"];

/** What tracing exports where; undefined from `telemetrySettings` when tracing is off. */
export interface TelemetrySettings {
  /** The traces URL; undefined: the exporter reads $OTEL_EXPORTER_OTLP_(TRACES_)ENDPOINT. */
  url?: string;
  headers?: Record<string, string>;
  protocol: OtlpProtocol;
}

/** An OTEL_* variable that cannot work; the run refuses to start (exit 2). */
export class TelemetryEnvError extends Error {}

/**
 * Tracing is on when the config or the environment names an endpoint, unless
 * OTEL_SDK_DISABLED=true or OTEL_TRACES_EXPORTER=none.
 */
export function telemetrySettings(
  config: Config["telemetry"],
  env: NodeJS.ProcessEnv = process.env,
): TelemetrySettings | undefined {
  const { otlp } = config;
  if (env.OTEL_SDK_DISABLED?.trim().toLowerCase() === "true") return undefined;
  const exporter = env.OTEL_TRACES_EXPORTER?.trim();
  if (exporter === "none") return undefined;
  if (exporter && exporter !== "otlp")
    throw new TelemetryEnvError(
      `OTEL_TRACES_EXPORTER must be otlp or none, not "${exporter}": fgconnect exports traces over OTLP/HTTP only`,
    );
  const fromEnv = env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT || env.OTEL_EXPORTER_OTLP_ENDPOINT;
  if (otlp.endpoint === undefined && !fromEnv) return undefined;
  const settings: TelemetrySettings = { protocol: protocolOf(otlp.protocol, env) };
  if (otlp.endpoint !== undefined) settings.url = `${otlp.endpoint.replace(/\/+$/, "")}/v1/traces`;
  if (otlp.headers !== undefined) settings.headers = otlp.headers;
  return settings;
}

function protocolOf(configured: OtlpProtocol | undefined, env: NodeJS.ProcessEnv): OtlpProtocol {
  if (configured) return configured;
  const name = env.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL
    ? "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL"
    : "OTEL_EXPORTER_OTLP_PROTOCOL";
  const value = env[name]?.trim();
  if (!value) return "http/protobuf";
  if (PROTOCOLS.includes(value)) return value as OtlpProtocol;
  throw new TelemetryEnvError(
    `${name} must be http/protobuf or http/json, not "${value}": fgconnect exports traces over OTLP/HTTP only`,
  );
}

export interface Telemetry {
  /** Exports the spans still buffered, then stops the SDK. Never rejects. */
  shutdown(): Promise<void>;
}

/** Registers the SDK globally (the tracer provider and the W3C trace-context propagator). */
export async function startTelemetry(
  settings: TelemetrySettings,
  logger: Logger,
): Promise<Telemetry> {
  const log = logger.child({ component: "telemetry" });
  diag.setLogger(diagLogger(log), DiagLogLevel.WARN);
  // Loaded only when tracing is on: a daemon without it pays for the no-op API alone.
  const [{ NodeTracerProvider, BatchSpanProcessor }, resources, { OTLPTraceExporter }] =
    await Promise.all([
      import("@opentelemetry/sdk-trace-node"),
      import("@opentelemetry/resources"),
      settings.protocol === "http/json"
        ? import("@opentelemetry/exporter-trace-otlp-http")
        : import("@opentelemetry/exporter-trace-otlp-proto"),
    ]);
  const exporter = new OTLPTraceExporter({
    ...(settings.url !== undefined ? { url: settings.url } : {}),
    ...(settings.headers !== undefined ? { headers: settings.headers } : {}),
  });
  // OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES win over fgconnect's defaults.
  const resource = resources
    .defaultResource()
    .merge(
      resources.resourceFromAttributes({
        "service.name": "fgconnect",
        "service.version": runnerVersion(),
        "service.instance.id": replicaId(),
      }),
    )
    .merge(resources.detectResources({ detectors: [resources.envDetector] }));
  const provider = new NodeTracerProvider({
    resource,
    spanProcessors: [new BatchSpanProcessor(exporter)],
  });
  provider.register();
  log.info(
    {
      endpoint: printable(
        settings.url ||
          process.env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ||
          process.env.OTEL_EXPORTER_OTLP_ENDPOINT,
      ),
      protocol: settings.protocol,
      sampler: process.env.OTEL_TRACES_SAMPLER || "parentbased_always_on",
    },
    "tracing: exporting spans over OTLP/HTTP",
  );
  return {
    async shutdown() {
      try {
        await provider.shutdown();
      } catch (err) {
        log.warn({ err: String(err) }, "tracing: the last spans could not be exported");
      }
    },
  };
}

function runnerVersion(): string {
  const pkg = new URL("../package.json", import.meta.url);
  return (JSON.parse(readFileSync(pkg, "utf8")) as { version: string }).version;
}

/** The URL without credentials, for the log. */
function printable(url: string | undefined): string | undefined {
  if (!url) return undefined;
  try {
    const u = new URL(url);
    u.username = "";
    u.password = "";
    return u.href;
  } catch {
    return "(not a URL)";
  }
}

/** Of the SDK's repeated complaints (a collector down fails every export), one line a minute. */
const REPEAT_MS = 60_000;

/**
 * The SDK's own complaints (a collector that cannot be reached…): one warn line, with the
 * error's message rather than the serialised error and its stack.
 */
function diagLogger(log: Logger): DiagLogger {
  const last = new Map<string, number>();
  const warn = (message: string, ...args: unknown[]) => {
    const text = `tracing: ${messageOf(message)}`;
    const now = Date.now();
    if (now - (last.get(text) ?? Number.NEGATIVE_INFINITY) < REPEAT_MS) return;
    last.set(text, now);
    const detail = args.map(messageOf).join(" ");
    log.warn(detail ? { detail } : {}, text);
  };
  const ignore = () => undefined;
  return { error: warn, warn, info: ignore, debug: ignore, verbose: ignore };
}

/** The SDK logs errors as JSON text ({message, stack…}) or as Error objects. */
function messageOf(value: unknown): string {
  if (value instanceof Error) return value.message;
  if (typeof value !== "string") return String(value);
  if (!value.startsWith("{")) return value;
  try {
    const parsed = JSON.parse(value) as { message?: unknown };
    return typeof parsed.message === "string" ? parsed.message : value;
  } catch {
    return value;
  }
}
