/// <reference lib="dom" />
// (page.evaluate and waitForFunction bodies run in the browser.)
import { mkdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { redisEngine } from "../coordination/engines.js";
import { launchBrowser } from "../harness/browser.js";
import { type DaemonProcess, startRunningDaemon, workDir } from "../harness/daemon.js";

/** Set to write the page's screenshot into docs/ (the README shows it). */
const SCREENSHOT = process.env.FGCONNECT_STATUS_SCREENSHOT === "1";

const ORDERS = `exports.handler = async (event, context) => {
  context.getLogger().info("order received: " + event.body);
  return {
    statusCode: 200,
    isBase64Encoded: false,
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ requestId: context.getRequestID() }),
  };
};
`;
const TICK = `exports.handler = async (event) => ({ tick: event.time });\n`;

let daemon: DaemonProcess;
let browser: Browser;
let api: string;
/** Coordination gives the cron connector a lease, which the page shows. */
const coordination = redisEngine();

beforeAll(async () => {
  const dir = workDir("fgc-status-");
  for (const [name, code] of Object.entries({ orders: ORDERS, tick: TICK })) {
    mkdirSync(join(dir, "functions", name), { recursive: true });
    writeFileSync(join(dir, "functions", name, "index.js"), code);
  }
  daemon = await startRunningDaemon(
    dir,
    `
emulator: { functions: ./functions }
connectors:
  api:
    type: http
    host: 127.0.0.1
    port: 0
    routes: [{ name: create-order, method: POST, path: /orders }]
  ticks:
    type: cron
    schedules: [{ name: every-2s, schedule: "*/2 * * * * *" }]
routes:
  - name: orders
    from: api
    to: [orders]
    mode: sync
    delivery: { logTail: true }
  - name: ticks
    from: ticks
    to: [tick]
    mode: async
deadLetter: { type: file, path: ./dead-letter.jsonl, fsync: false }
admin: { port: 0 }
log: { summaryEverySeconds: 1 }
coordination: ${JSON.stringify(coordination.section(5000))}
`,
    { FGCONNECT_LOG_LEVEL: "debug" },
  );
  api = String(daemon.lines.find((l) => l.msg === "http server listening")?.url);
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  if (daemon?.child.exitCode === null) {
    daemon.child.kill("SIGTERM");
    await daemon.exited;
  }
  await coordination.cleanup();
});

const order = async (body: string) => {
  const res = await fetch(`${api}/orders`, { method: "POST", body });
  expect(res.status).toBe(200);
  return ((await res.json()) as { requestId: string }).requestId;
};

describe("the status page", () => {
  it("shows the connectors and routes, and updates after an invocation without a reload", async () => {
    const page = await browser.newPage();
    await page.goto(`${daemon.adminUrl}/`);
    expect(await page.title()).toBe("fgconnect status");
    const connector = page.locator("tbody[data-fragment=connectors] tr", { hasText: "api" });
    expect(await connector.locator("th").textContent()).toBe("api");
    expect(await connector.locator("td").nth(1).textContent()).toContain("connected");
    const route = page.locator("tbody[data-fragment=routes] tr", { hasText: "orders" });
    expect(await route.locator("th").textContent()).toBe("orders");
    expect(await route.locator("td").nth(3).textContent()).toBe("0");
    // A leased source (cron) says whether this replica holds its lease; a webhook needs none.
    expect(await connector.locator("td").nth(2).textContent()).toBe("—");
    const ticks = page.locator("tbody[data-fragment=connectors] tr", { hasText: "ticks" });
    await expect
      .poll(() => ticks.locator("td").nth(2).textContent(), { timeout: 15_000 })
      .toBe("held");
    await page.waitForFunction(() =>
      document.getElementById("live")?.textContent?.startsWith("Live"),
    );
    // Anything the page's own script leaves on window is gone if the page reloads.
    await page.evaluate(() => Object.assign(window, { sameDocument: true }));

    const requestId = await order('{"sku":"a1"}');
    const row = page.locator("tbody[data-fragment=invocations] tr", { hasText: requestId });
    await row.waitFor({ timeout: 15_000 });
    expect(await row.locator("td").nth(1).textContent()).toBe("orders");
    expect(await row.locator("td").nth(4).textContent()).toBe("success");
    expect(await row.locator("details pre").textContent()).toContain(
      'order received: {"sku":"a1"}',
    );
    await expect
      .poll(() => route.locator("td").nth(3).textContent(), { timeout: 15_000 })
      .toBe("1");
    expect(await page.evaluate(() => (window as { sameDocument?: boolean }).sameDocument)).toBe(
      true,
    );
    // The JSON has the same numbers.
    const status = (await (await fetch(`${daemon.adminUrl}/api/status`)).json()) as {
      routes: { name: string; delivered: number; latencyMs?: { p50: number } }[];
      invocations: { requestId?: string; outcome: string; logTail?: string }[];
    };
    expect(status.routes.find((r) => r.name === "orders")).toMatchObject({ delivered: 1 });
    expect(status.invocations.find((i) => i.requestId === requestId)).toMatchObject({
      outcome: "success",
    });

    if (SCREENSHOT) {
      for (const sku of ["b2", "c3"]) await order(JSON.stringify({ sku }));
      await page.waitForFunction(
        () => document.querySelectorAll("tbody[data-fragment=invocations] tr").length >= 5,
        undefined,
        { timeout: 15_000 },
      );
      await page.locator("tbody[data-fragment=invocations] details").first().click();
      await page.setViewportSize({ width: 1280, height: 900 });
      await page.screenshot({
        path: resolve(import.meta.dirname, "../../docs/status-page.png"),
        fullPage: true,
      });
    }
    await page.close();
  });

  it("shows the read-only tables with JavaScript disabled", async () => {
    const context = await browser.newContext({ javaScriptEnabled: false });
    const page = await context.newPage();
    const requestId = await order('{"sku":"nojs"}');
    // The invocation is recorded once the caller has its answer: a fresh page has it.
    await page.goto(`${daemon.adminUrl}/`);
    const route = page.locator("tbody[data-fragment=routes] tr", { hasText: "orders" });
    expect(Number(await route.locator("td").nth(3).textContent())).toBeGreaterThanOrEqual(1);
    expect(
      await page.locator("tbody[data-fragment=connectors] th[scope=row]").allTextContents(),
    ).toEqual(["api", "ticks"]);
    expect(
      await page.locator("tbody[data-fragment=invocations] tr", { hasText: requestId }).count(),
    ).toBe(1);
    expect(await page.locator("#live").textContent()).toContain("need JavaScript");
    await context.close();
  });

  it("logs each invocation at debug when stdout is not a terminal, and a summary line", async () => {
    const requestId = await order('{"sku":"logged"}');
    const invoked = await daemon.waitFor((l) => l.msg === "invoked" && l.requestId === requestId);
    expect(invoked).toMatchObject({ level: 20, function: "orders" });
    expect(String(invoked.functionLog)).toContain("order received");
    const summary = await daemon.waitFor((l) => l.msg === "summary" && Number(l.recordsOut) >= 1);
    expect(summary).toMatchObject({ level: 30, periodSeconds: 1, failures: 0, deadLettered: 0 });
    expect(Number(summary.recordsIn)).toBeGreaterThanOrEqual(1);
  });
});
