import type { DeliveryLabels, EngineMetrics } from "@fgconnect/core";

/** Latencies kept per route for its percentiles: the most recent ones. */
const LATENCY_SAMPLES = 512;

export interface RouteCounts {
  delivered: number;
  retried: number;
  deadLettered: number;
  failedAttempts: number;
  inFlight: number;
  /** Recent invocation latencies (ms), oldest first once full. */
  latencies: number[];
}

/**
 * Counts what the engine reports, per source and per route, for the status page and the
 * summary line (the Prometheus registry keeps the same counts for scraping, not for reading).
 */
export class StatusStats {
  readonly received = new Map<string, number>();
  readonly unrouted = new Map<string, number>();
  readonly routes = new Map<string, RouteCounts>();
  /** Sources the engine paused because its buffer is full. */
  readonly paused = new Set<string>();

  readonly hooks: Partial<EngineMetrics> = {
    paused: (l) => this.paused.add(l.source),
    resumed: (l) => this.paused.delete(l.source),
    received: (l) => bump(this.received, l.source, 1),
    unrouted: (l) => bump(this.unrouted, l.source, 1),
    delivered: (l, n) => {
      this.route(l).delivered += n;
    },
    retried: (l) => {
      this.route(l).retried += 1;
    },
    deadLettered: (l, n) => {
      this.route(l).deadLettered += n;
    },
    attemptFailed: (l) => {
      this.route(l).failedAttempts += 1;
    },
    invoking: (l) => {
      this.route(l).inFlight += 1;
    },
    invocation: (l, ms) => {
      const r = this.route(l);
      r.inFlight = Math.max(0, r.inFlight - 1);
      if (r.latencies.length >= LATENCY_SAMPLES) r.latencies.shift();
      r.latencies.push(ms);
    },
  };

  route(l: DeliveryLabels | string): RouteCounts {
    const name = typeof l === "string" ? l : l.route;
    let r = this.routes.get(name);
    if (!r) {
      r = {
        delivered: 0,
        retried: 0,
        deadLettered: 0,
        failedAttempts: 0,
        inFlight: 0,
        latencies: [],
      };
      this.routes.set(name, r);
    }
    return r;
  }

  /** Totals over every route, for the summary line. */
  totals(): { received: number; delivered: number; deadLettered: number; failedAttempts: number } {
    let delivered = 0;
    let deadLettered = 0;
    let failedAttempts = 0;
    for (const r of this.routes.values()) {
      delivered += r.delivered;
      deadLettered += r.deadLettered;
      failedAttempts += r.failedAttempts;
    }
    let received = 0;
    for (const n of this.received.values()) received += n;
    return { received, delivered, deadLettered, failedAttempts };
  }
}

/** The q-quantile (0..1) of `values` by nearest rank; undefined when there are none. */
export function quantile(values: readonly number[], q: number): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}

function bump(map: Map<string, number>, key: string, n: number): void {
  map.set(key, (map.get(key) ?? 0) + n);
}
