/**
 * What the daemon owns and lends each connector it creates: its logger, its metrics and, when
 * the daemon coordinates replicas, a lease named after the connector. A connector built by hand
 * (a library user, a test) gets `noConnectorServices` or its own.
 */
import type { Lease } from "./coordination/lease-contract.js";
import { type Logger, silentLogger } from "./engine/logger.js";

/** Label values by label name; the daemon adds `connector` (the connector's name) itself. */
export type MetricLabels = Readonly<Record<string, string>>;

export interface ConnectorCounter {
  inc(labels?: MetricLabels, by?: number): void;
}

export interface ConnectorGauge {
  set(value: number, labels?: MetricLabels): void;
}

/**
 * A connector's own metrics, exported beside the daemon's. Names are the metric's full name
 * (`fgconnect_<type>_…`, with its unit); asking twice for a name returns the same metric, so
 * two connectors of one type share it, told apart by the `connector` label.
 */
export interface ConnectorMetrics {
  counter(name: string, help: string, labelNames?: readonly string[]): ConnectorCounter;
  gauge(name: string, help: string, labelNames?: readonly string[]): ConnectorGauge;
}

export interface ConnectorServices {
  /** The daemon's logger, already labelled with the connector's name. */
  readonly logger: Logger;
  /**
   * Identifies this replica among several running the same config: stable across restarts
   * where the platform allows (a StatefulSet pod name), unique across replicas.
   */
  readonly replicaId: string;
  readonly metrics: ConnectorMetrics;
  /**
   * Present when the daemon's config has `coordination`: the lease named after this connector,
   * not yet started. A source that must be single-active across replicas returns
   * `withLease(services.lease, …)`, which acts only while this replica holds it; a source that
   * never reads it competes for nothing.
   */
  readonly lease?: Lease;
}

const ignore = (): void => {};

/** Metrics that record nothing. */
export const noMetrics: ConnectorMetrics = {
  counter: () => ({ inc: ignore }),
  gauge: () => ({ set: ignore }),
};

/** Services for a connector outside the daemon: silent, uncounted, uncoordinated. */
export const noConnectorServices: ConnectorServices = {
  logger: silentLogger,
  replicaId: "local",
  metrics: noMetrics,
};
