import type { Connector, Coordinator, Engine } from "@fgconnect/core";
import type { InvocationEntry } from "../invocation-log.js";
import type { Rates } from "./rates.js";
import { quantile, type StatusStats } from "./stats.js";

export interface ConnectorStatus {
  name: string;
  type: string;
  /** `paused`: connected, but the engine paused it (its buffer is full). */
  state: "connected" | "disconnected" | "paused";
  detail?: string;
  /** Whether this replica holds the connector's lease; absent when it needs none. */
  lease?: "held" | "not held";
  /** Records waiting at the source, where the source knows. */
  lag?: number;
  received: number;
  inPerSecond: number;
  /** Records of this source delivered per second, over all its routes. */
  outPerSecond: number;
}

export interface RouteStatus {
  name: string;
  from: string;
  to: readonly string[];
  mode: string;
  delivered: number;
  retried: number;
  deadLettered: number;
  inFlight: number;
  /** Over the most recent invocations; absent before the first. */
  latencyMs?: { p50: number; p99: number };
}

/** What `/api/status` returns and `/api/events` streams. */
export interface StatusSnapshot {
  at: string;
  engine: { state: string; inFlight: number; buffered: { records: number; bytes: number } };
  deadLetter: { ok: boolean; reason?: string };
  coordination?: { engine: string; connected: boolean; detail: string };
  connectors: ConnectorStatus[];
  routes: RouteStatus[];
  /** Newest first. */
  invocations: readonly InvocationEntry[];
}

export interface SnapshotSources {
  engine: Engine;
  connectors: readonly Connector[];
  coordinator?: Coordinator;
  stats: StatusStats;
  rates: Rates;
  lag: ReadonlyMap<string, number>;
  invocations: readonly InvocationEntry[];
}

/** Keys of the out-rate counters: records delivered, by source. */
export const outKey = (source: string) => `out:${source}`;

export function buildSnapshot(s: SnapshotSources): StatusSnapshot {
  const health = s.engine.health();
  const leases = new Map(s.coordinator?.leases().map((l) => [l.name, l.held]));
  return {
    at: new Date().toISOString(),
    engine: { state: health.state, inFlight: health.inFlight, buffered: health.buffered },
    deadLetter: health.deadLetter,
    ...(s.coordinator
      ? { coordination: { engine: s.coordinator.engine, ...s.coordinator.health() } }
      : {}),
    connectors: s.connectors.map((c) => {
      const h = health.connectors[c.name] ?? { connected: false };
      const held = leases.get(c.name);
      return {
        name: c.name,
        type: c.type,
        state: !h.connected ? "disconnected" : s.stats.paused.has(c.name) ? "paused" : "connected",
        ...(h.detail ? { detail: h.detail } : {}),
        ...(held === undefined ? {} : { lease: held ? "held" : "not held" }),
        ...(s.lag.has(c.name) ? { lag: s.lag.get(c.name) } : {}),
        received: s.stats.received.get(c.name) ?? 0,
        inPerSecond: round(s.rates.perSecond(c.name)),
        outPerSecond: round(s.rates.perSecond(outKey(c.name))),
      };
    }),
    routes: s.engine.routes.map((r) => {
      const counts = s.stats.route(r.name);
      const p50 = quantile(counts.latencies, 0.5);
      const p99 = quantile(counts.latencies, 0.99);
      return {
        name: r.name,
        from: r.from,
        to: r.to,
        mode: r.mode,
        delivered: counts.delivered,
        retried: counts.retried,
        deadLettered: counts.deadLettered,
        inFlight: counts.inFlight,
        ...(p50 !== undefined && p99 !== undefined
          ? { latencyMs: { p50: round(p50), p99: round(p99) } }
          : {}),
      };
    }),
    invocations: s.invocations,
  };
}

function round(n: number): number {
  return Math.round(n * 10) / 10;
}
