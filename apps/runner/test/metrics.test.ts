import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { createMetrics } from "../src/metrics.js";

const { version } = JSON.parse(
  readFileSync(new URL("../package.json", import.meta.url), "utf8"),
) as { version: string };

describe("metrics", () => {
  it("exports Node's process metrics under their standard names, for stock dashboards", async () => {
    const text = await createMetrics(() => []).registry.metrics();
    for (const name of [
      "process_cpu_seconds_total",
      "process_resident_memory_bytes",
      "nodejs_eventloop_lag_seconds",
      "nodejs_heap_size_used_bytes",
    ])
      expect(text).toMatch(new RegExp(`^${name} `, "m"));
    expect(text).not.toMatch(/^fgconnect_process_/m);
  });

  it("says which version runs, with units in gauge names", async () => {
    const text = await createMetrics(() => []).registry.metrics();
    expect(text).toContain(
      `fgconnect_build_info{version="${version}",node="${process.version}"} 1`,
    );
    expect(text).toContain("# TYPE fgconnect_source_lag_records gauge");
  });
});
