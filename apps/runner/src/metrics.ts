import { createRequire } from "node:module";
import type { Connector, EngineMetrics } from "@fgconnect/core";
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";

const { version } = createRequire(import.meta.url)("../package.json") as { version: string };

/** Prometheus metrics for the engine's hooks and the connectors' health and lag. */
export function createMetrics(connectors: () => readonly Connector[]): {
  registry: Registry;
  hooks: Partial<EngineMetrics>;
} {
  const registry = new Registry();
  // Standard names (process_cpu_seconds_total, nodejs_eventloop_lag_seconds…), unprefixed,
  // so stock Node.js dashboards work as they are.
  collectDefaultMetrics({ register: registry });
  new Gauge({
    name: "fgconnect_build_info",
    help: "Always 1; the running fgconnect version and Node.js version as labels.",
    labelNames: ["version", "node"],
    registers: [registry],
  }).set({ version, node: process.version }, 1);
  const delivery = ["route", "function", "mode"] as const;
  const counter = <L extends string>(name: string, help: string, labelNames: readonly L[]) =>
    new Counter({ name, help, labelNames, registers: [registry] });

  const received = counter("fgconnect_records_received_total", "Records pushed by connectors.", [
    "source",
  ]);
  const unrouted = counter(
    "fgconnect_records_unrouted_total",
    "Records that matched no route (acknowledged).",
    ["source"],
  );
  const delivered = counter(
    "fgconnect_records_delivered_total",
    "Records delivered to a function.",
    delivery,
  );
  const failed = counter(
    "fgconnect_invocation_failures_total",
    "Failed invocation attempts, by error code.",
    [...delivery, "code"],
  );
  const retried = counter(
    "fgconnect_retries_total",
    "Invocation attempts scheduled for retry.",
    delivery,
  );
  const deadLettered = counter(
    "fgconnect_records_dead_lettered_total",
    "Records written to the dead-letter sink.",
    [...delivery, "reason"],
  );
  const dlqFailed = counter(
    "fgconnect_dead_letter_write_failures_total",
    "Failed writes to the dead-letter sink (retried).",
    ["route"],
  );
  const abandoned = counter(
    "fgconnect_records_abandoned_total",
    "Records handed back undelivered at shutdown.",
    ["source"],
  );
  const latency = new Histogram({
    name: "fgconnect_invocation_duration_seconds",
    help: "Latency of one invocation call.",
    labelNames: [...delivery, "outcome"],
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 90],
    registers: [registry],
  });
  const inFlight = new Gauge({
    name: "fgconnect_invocations_in_flight",
    help: "Invocations in progress.",
    registers: [registry],
  });
  const bufferedRecords = new Gauge({
    name: "fgconnect_records_buffered",
    help: "Records accepted and not yet handled.",
    registers: [registry],
  });
  const bufferedBytes = new Gauge({
    name: "fgconnect_bytes_buffered",
    help: "Bytes of records accepted and not yet handled.",
    registers: [registry],
  });
  const paused = new Gauge({
    name: "fgconnect_source_paused",
    help: "1 while the engine has paused the source (buffer full).",
    labelNames: ["source"],
    registers: [registry],
  });
  new Gauge({
    name: "fgconnect_connector_up",
    help: "1 while the connector is connected to its source.",
    labelNames: ["connector", "type"],
    registers: [registry],
    collect() {
      this.reset();
      for (const c of connectors())
        this.set({ connector: c.name, type: c.type }, c.health().connected ? 1 : 0);
    },
  });
  new Gauge({
    name: "fgconnect_source_lag_records",
    help: "Records waiting at the source, where the source knows (per partition, topic or prefix).",
    labelNames: ["source", "part"],
    registers: [registry],
    async collect() {
      this.reset();
      await Promise.all(
        connectors().map(async (c) => {
          if (!c.lag) return;
          const lag = await c.lag().catch(() => undefined);
          if (!lag) return;
          this.set({ source: c.name, part: "" }, lag.total);
          for (const [part, n] of Object.entries(lag.detail ?? {}))
            this.set({ source: c.name, part }, n);
        }),
      );
    },
  });

  const d = (l: { route: string; target: string; mode: string }) => ({
    route: l.route,
    function: l.target,
    mode: l.mode,
  });
  const hooks: Partial<EngineMetrics> = {
    received: (l) => received.inc(l),
    unrouted: (l) => unrouted.inc(l),
    delivered: (l, n) => delivered.inc(d(l), n),
    attemptFailed: (l) => failed.inc({ ...d(l), code: l.code }),
    retried: (l) => retried.inc(d(l)),
    deadLettered: (l, n) => deadLettered.inc({ ...d(l), reason: l.reason }, n),
    deadLetterWriteFailed: (l) => dlqFailed.inc(l),
    abandoned: (l, n) => abandoned.inc(l, n),
    invocation: (l, ms) => latency.observe({ ...d(l), outcome: l.outcome }, ms / 1000),
    inFlight: (n) => inFlight.set(n),
    buffered: (records, bytes) => {
      bufferedRecords.set(records);
      bufferedBytes.set(bytes);
    },
    paused: (l) => paused.set(l, 1),
    resumed: (l) => paused.set(l, 0),
  };
  return { registry, hooks };
}

/** One set of engine hooks that calls each of `sets` in turn (Prometheus, the status page). */
export function fanOut(...sets: Partial<EngineMetrics>[]): Partial<EngineMetrics> {
  const out: Record<string, (...args: never[]) => void> = {};
  const names = new Set(sets.flatMap((s) => Object.keys(s)));
  for (const name of names) {
    const hooks = sets
      .map((s) => s[name as keyof EngineMetrics] as ((...args: never[]) => void) | undefined)
      .filter((h) => h !== undefined);
    out[name] = (...args) => {
      for (const hook of hooks) hook(...args);
    };
  }
  return out as Partial<EngineMetrics>;
}
