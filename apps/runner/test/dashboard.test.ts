import { readFileSync } from "node:fs";
import type { Coordinator } from "@fgconnect/core";
import { describe, expect, it } from "vitest";
import { registerCoordinationMetrics } from "../src/coordination-metrics.js";
import { createMetrics } from "../src/metrics.js";

const dashboard = JSON.parse(
  readFileSync(new URL("../../../deploy/grafana/fgconnect.json", import.meta.url), "utf8"),
) as { panels: { title: string; targets: { expr: string }[] }[] };

/** Series names a query reads, with a histogram's `_bucket` mapped to the histogram. */
function seriesIn(expr: string): string[] {
  const names = expr.match(/\b(?:fgconnect|process|nodejs)_[a-z0-9_]+\b/g) ?? [];
  return names.map((n) => n.replace(/_(bucket|sum|count)$/, ""));
}

describe("the Grafana dashboard in deploy/", () => {
  it("queries only metrics the daemon exports", async () => {
    const { registry } = createMetrics(() => []);
    // A replica with `coordination` also exports the lease metrics.
    const coordinator = {
      engine: "redis",
      leases: () => [],
      health: () => ({ connected: true }),
    } as unknown as Coordinator;
    registerCoordinationMetrics(registry, coordinator);
    const exported = new Set((await registry.getMetricsAsJSON()).map((m) => m.name));
    const used = dashboard.panels.flatMap((p) => p.targets.flatMap((t) => seriesIn(t.expr)));
    expect(used.length).toBeGreaterThan(10);
    expect([...new Set(used)].filter((name) => !exported.has(name))).toEqual([]);
  });
});
