import { Registry } from "prom-client";
import { describe, expect, it } from "vitest";
import { connectorMetrics } from "../src/connector-metrics.js";

describe("a connector's own metrics", () => {
  it("are labelled with the connector, and one name is one metric across connectors", async () => {
    const registry = new Registry();
    const a = connectorMetrics(registry, "a");
    const b = connectorMetrics(registry, "b");
    a.counter("fgconnect_tail_lines_total", "Lines read.", ["file"]).inc({ file: "x" }, 2);
    b.counter("fgconnect_tail_lines_total", "Lines read.", ["file"]).inc({ file: "y" });
    a.gauge("fgconnect_tail_open_files", "Files open.").set(3);
    const text = await registry.metrics();
    expect(text).toContain('fgconnect_tail_lines_total{file="x",connector="a"} 2');
    expect(text).toContain('fgconnect_tail_lines_total{file="y",connector="b"} 1');
    expect(text).toContain('fgconnect_tail_open_files{connector="a"} 3');
  });

  it("refuse a name taken with another kind or labels, and a name Prometheus refuses", () => {
    const metrics = connectorMetrics(new Registry(), "a");
    metrics.counter("fgconnect_tail_lines_total", "Lines read.", ["file"]);
    expect(() => metrics.gauge("fgconnect_tail_lines_total", "x", ["file"])).toThrow(
      "already registered with another kind or labels",
    );
    expect(() => metrics.counter("fgconnect_tail_lines_total", "x")).toThrow("already registered");
    expect(() => metrics.counter("tail lines", "x")).toThrow("not a Prometheus name");
  });
});
