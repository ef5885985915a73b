import { FunctionError, type Invoker } from "@fgconnect/core";
import { describe, expect, it } from "vitest";
import { renderFragments, renderPage } from "../src/admin/render.js";
import {
  type InvocationEntry,
  invocationLogger,
  invocationLogLevel,
  observedInvoker,
} from "../src/invocation-log.js";
import { Rates } from "../src/status/rates.js";
import { RecentInvocations } from "../src/status/recent.js";
import type { StatusSnapshot } from "../src/status/snapshot.js";
import { quantile, StatusStats } from "../src/status/stats.js";

const labels = { route: "orders", target: "urn:fn", mode: "sync" as const };

function snapshot(invocations: InvocationEntry[]): StatusSnapshot {
  return {
    at: "2026-01-02T03:04:05.678Z",
    engine: { state: "running", inFlight: 0, buffered: { records: 0, bytes: 0 } },
    deadLetter: { ok: true },
    connectors: [
      {
        name: "api",
        type: "http",
        state: "connected",
        lease: "held",
        lag: 12,
        received: 3,
        inPerSecond: 0.5,
        outPerSecond: 0.5,
      },
    ],
    routes: [
      {
        name: "orders",
        from: "api",
        to: ["urn:fn"],
        mode: "sync",
        delivered: 3,
        retried: 1,
        deadLettered: 0,
        inFlight: 1,
        latencyMs: { p50: 12, p99: 40 },
      },
    ],
    invocations,
  };
}

describe("the status page's rendering", () => {
  it("escapes what functions and sources wrote, so a log tail cannot inject markup", () => {
    const evil = '<script>alert("x")</script>';
    const html = renderFragments(
      snapshot([
        {
          at: 0,
          function: "urn:fn",
          mode: "sync",
          durationMs: 5,
          requestId: "r-1",
          outcome: "success",
          logTail: evil,
        },
      ]),
    );
    expect(html.invocations).not.toContain("<script>");
    expect(html.invocations).toContain("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;");
  });

  it("fills each fragment slot of the page and leaves unknown slots alone", () => {
    const page = renderPage(
      '<tbody data-fragment="routes"><!--fragment:routes--></tbody><!--fragment:unknown-->',
      snapshot([]),
    );
    expect(page).toContain('<th scope="row">orders</th>');
    expect(page).toContain('<td class="num">40</td>');
    expect(page).toContain("<!--fragment:unknown-->");
    expect(renderFragments(snapshot([])).invocations).toContain("No invocations yet.");
    expect(renderFragments(snapshot([])).connectors).toContain("<td>held</td>");
  });
});

describe("the status numbers", () => {
  it("counts in flight per route from each attempt's start and end, and keeps latencies", () => {
    const stats = new StatusStats();
    stats.hooks.invoking!(labels);
    stats.hooks.invoking!(labels);
    expect(stats.route("orders").inFlight).toBe(2);
    stats.hooks.invocation!({ ...labels, outcome: "success" }, 12);
    stats.hooks.delivered!(labels, 4);
    stats.hooks.attemptFailed!({ ...labels, code: "TIMEOUT" });
    expect(stats.route("orders")).toMatchObject({ inFlight: 1, delivered: 4, latencies: [12] });
    expect(stats.totals()).toMatchObject({ delivered: 4, failedAttempts: 1 });
  });

  it("takes percentiles by nearest rank", () => {
    const values = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(quantile(values, 0.5)).toBe(50);
    expect(quantile(values, 0.99)).toBe(99);
    expect(quantile([7], 0.99)).toBe(7);
    expect(quantile([], 0.5)).toBeUndefined();
  });

  it("gives per-second rates over the last ten seconds of samples", () => {
    const rates = new Rates();
    expect(rates.perSecond("a")).toBe(0);
    for (let s = 0; s <= 20; s++)
      rates.sample(s * 1000, new Map([["a", s < 10 ? s * 10 : 90 + (s - 9)]]));
    // The first ten seconds ran at 10/s, the last ten at 1/s: only the last count.
    expect(rates.perSecond("a")).toBeCloseTo(1, 5);
  });

  it("keeps the newest invocations first, up to its capacity", () => {
    const recent = new RecentInvocations(2);
    for (const id of ["a", "b", "c"])
      recent.add({
        at: 0,
        function: "f",
        mode: "sync",
        durationMs: 1,
        requestId: id,
        outcome: "success",
      });
    expect(recent.list().map((e) => e.requestId)).toEqual(["c", "b"]);
  });
});

describe("invocations observed", () => {
  const inner: Invoker = {
    invoke: async (urn) => {
      if (urn === "broken")
        throw new FunctionError("r-9", "Error", "boom", '{"errorMessage":"boom"}', undefined);
      return { requestId: "r-1", status: 200, raw: '{"ok":true}', json: { ok: true }, log: "tail" };
    },
    invokeAsync: async () => ({ requestId: "r-2" }),
  };

  it("reports successes and failures, and passes results and errors through unchanged", async () => {
    const seen: InvocationEntry[] = [];
    const invoker = observedInvoker(inner, (e) => seen.push(e));
    expect((await invoker.invoke("fn", {})).requestId).toBe("r-1");
    await expect(invoker.invoke("broken", {})).rejects.toBeInstanceOf(FunctionError);
    expect((await invoker.invokeAsync("fn", {})).requestId).toBe("r-2");
    expect(seen).toMatchObject([
      { function: "fn", mode: "sync", requestId: "r-1", outcome: "success", logTail: "tail" },
      { function: "broken", requestId: "r-9", outcome: "function-error" },
      { function: "fn", mode: "async", requestId: "r-2", outcome: "success" },
    ]);
    expect(seen[1]!.error).toContain("FUNCTION_ERROR: function failed");
  });

  it("are logged at info on a terminal and at debug otherwise, unless the config says", () => {
    expect(invocationLogLevel(undefined, true)).toBe("info");
    expect(invocationLogLevel(undefined, false)).toBe("debug");
    expect(invocationLogLevel("off", true)).toBe("off");
    expect(invocationLogLevel("info", false)).toBe("info");
  });

  it("logs each at the level asked, or not at all", () => {
    const lines: [string, Record<string, unknown>, string][] = [];
    const logger = {
      info: (o: Record<string, unknown>, m: string) => lines.push(["info", o, m]),
      debug: (o: Record<string, unknown>, m: string) => lines.push(["debug", o, m]),
    } as never;
    const entry: InvocationEntry = {
      at: 0,
      function: "fn",
      mode: "sync",
      durationMs: 3,
      requestId: "r-1",
      outcome: "success",
      logTail: "tail",
    };
    invocationLogger(logger, "debug")!(entry);
    invocationLogger(logger, "info")!({ ...entry, outcome: "error", error: "TIMEOUT: late" });
    expect(invocationLogger(logger, "off")).toBeUndefined();
    expect(lines).toMatchObject([
      ["debug", { requestId: "r-1", functionLog: "tail", durationMs: 3 }, "invoked"],
      ["info", { error: "TIMEOUT: late" }, "invocation failed"],
    ]);
  });
});
