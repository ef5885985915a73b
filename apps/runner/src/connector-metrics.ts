import type { ConnectorMetrics, MetricLabels } from "@fgconnect/core";
import { Counter, Gauge, type Registry } from "prom-client";

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;

/**
 * A connector's own metrics on the daemon's registry, labelled with the connector's name. One
 * metric per name whoever asks, so connectors of one type share it; a name already taken by a
 * metric of another kind or other labels is a programming error of the connector, thrown.
 */
export function connectorMetrics(registry: Registry, connector: string): ConnectorMetrics {
  const get = <M extends Counter | Gauge>(
    kind: new (config: {
      name: string;
      help: string;
      labelNames: string[];
      registers: Registry[];
    }) => M,
    name: string,
    help: string,
    labelNames: readonly string[],
  ): M => {
    if (!NAME.test(name)) throw new Error(`metric name "${name}" is not a Prometheus name`);
    const labels = ["connector", ...labelNames];
    const existing = registry.getSingleMetric(name) as M | undefined;
    if (existing) {
      const known = (existing as unknown as { labelNames?: string[] }).labelNames;
      if (!(existing instanceof kind) || known?.join() !== labels.join())
        throw new Error(`metric "${name}" is already registered with another kind or labels`);
      return existing;
    }
    return new kind({ name, help, labelNames: labels, registers: [registry] });
  };
  const with_ = (labels: MetricLabels | undefined) => ({ ...labels, connector });
  return {
    counter(name, help, labelNames = []) {
      const counter = get(Counter, name, help, labelNames);
      return { inc: (labels, by = 1) => counter.inc(with_(labels), by) };
    },
    gauge(name, help, labelNames = []) {
      const gauge = get(Gauge, name, help, labelNames);
      return { set: (value, labels) => gauge.set(with_(labels), value) };
    },
  };
}
