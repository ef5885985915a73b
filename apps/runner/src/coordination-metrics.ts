import type { Coordinator } from "@fgconnect/core";
import { Counter, Gauge, type Registry } from "prom-client";

/** Per connector, whether this replica holds its lease; lease transitions; the engine's health. */
export function registerCoordinationMetrics(registry: Registry, coordinator: Coordinator): void {
  new Gauge({
    name: "fgconnect_lease_held",
    help: "1 while this replica holds the connector's lease (and may fire or poll).",
    labelNames: ["connector"],
    registers: [registry],
    collect() {
      for (const lease of coordinator.leases())
        this.set({ connector: lease.name }, lease.held ? 1 : 0);
    },
  });
  new Counter({
    name: "fgconnect_lease_transitions_total",
    help: "Times this replica gained or lost a connector's lease.",
    labelNames: ["connector", "transition"],
    registers: [registry],
    collect() {
      this.reset();
      for (const lease of coordinator.leases()) {
        this.inc({ connector: lease.name, transition: "gained" }, lease.transitions.gained);
        this.inc({ connector: lease.name, transition: "lost" }, lease.transitions.lost);
      }
    },
  });
  new Gauge({
    name: "fgconnect_coordination_up",
    help: "1 while the coordination engine (Redis or PostgreSQL) answers.",
    labelNames: ["engine"],
    registers: [registry],
    collect() {
      this.set({ engine: coordinator.engine }, coordinator.health().connected ? 1 : 0);
    },
  });
}
