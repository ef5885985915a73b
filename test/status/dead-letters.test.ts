/// <reference lib="dom" />
/**
 * The status page's dead letters in headless Chromium: a daemon dead-letters cron ticks while
 * the function fails; without JavaScript the page lists one, filters, and opens its own page;
 * with JavaScript it lists one, inspects it, refuses its replay without the admin token, and
 * replays it with the token, after which the function has received that tick.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { type Emulator, startEmulator } from "@fgconnect/emulator";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchBrowser } from "../harness/browser.js";
import { type DaemonProcess, startRunningDaemon, workDir } from "../harness/daemon.js";

const TOKEN = "dlq-admin-token-0123456789";

let emulator: Emulator;
let daemon: DaemonProcess;
let browser: Browser;
let dir: string;
let failing = true;
/** The `time` of each tick the function took. */
const received: string[] = [];

beforeAll(async () => {
  emulator = await startEmulator({
    functions: {
      tick: async (event: unknown) => {
        const { time } = event as { time: string };
        if (failing) throw new Error(`refusing the tick of ${time}`);
        received.push(time);
        return "ok";
      },
    },
    port: 0,
    log: false,
    auth: false,
  });
  dir = workDir("fgc-dlq-page-");
  daemon = await startRunningDaemon(
    dir,
    `
functiongraph: { endpoint: "${emulator.url}", projectId: "${emulator.projectId}", auth: { type: none } }
connectors:
  ticks:
    type: cron
    schedules: [{ name: every-second, schedule: "* * * * * *" }]
routes:
  - name: ticks
    from: ticks
    to: ["${emulator.urnFor("tick")}"]
    mode: sync
    delivery: { maxAttempts: 1 }
deadLetter: { type: file, path: ./dead-letter.jsonl, fsync: false }
admin: { port: 0, token: "${TOKEN}" }
`,
  );
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  if (daemon?.child.exitCode === null) {
    daemon.child.kill("SIGTERM");
    await daemon.exited;
  }
  await emulator?.close();
});

/** The first dead letter the daemon wrote, once there is one. */
async function firstDeadLetter(): Promise<{ id: string; record: { body: { time: string } } }> {
  const file = join(dir, "dead-letter.jsonl");
  await expect
    .poll(
      () => {
        try {
          return readFileSync(file, "utf8").trim().length;
        } catch {
          return 0;
        }
      },
      { timeout: 20_000 },
    )
    .toBeGreaterThan(0);
  return JSON.parse(readFileSync(file, "utf8").split("\n")[0]!);
}

describe("the status page's dead letters", () => {
  it("lists, filters and shows one dead letter with JavaScript disabled, and says how to replay", async () => {
    const dead = await firstDeadLetter();
    const context = await browser.newContext({ javaScriptEnabled: false });
    const page = await context.newPage();
    await page.goto(`${daemon.adminUrl}/`);
    const row = page.locator(`#dlq-rows tr[data-id="${dead.id}"]`);
    expect(await row.locator("td").allTextContents()).toEqual([
      expect.any(String),
      "ticks",
      "default:tick:latest",
      "retries exhausted (FUNCTION_ERROR)",
      "1",
      expect.any(String),
      "no",
      "Inspect",
    ]);
    // Replaying needs the token in a header: no form for it, and words on where else to replay.
    expect(await page.locator("#dlq-form").isVisible()).toBe(false);
    expect(await page.locator("#dead-letters").textContent()).toContain("fgconnect dlq replay");

    // The filter is a plain form: a route with no dead letters, then the one with them.
    await page.locator("#dlq-route").fill("no-such-route");
    await page.getByRole("button", { name: "Filter" }).click();
    await page.waitForURL(/\?route=no-such-route/);
    expect(await page.locator("#dlq-rows").textContent()).toBe("No dead letters.");
    await page.locator("#dlq-route").fill("ticks");
    await page.getByRole("button", { name: "Filter" }).click();
    await page.waitForURL(/\?route=ticks/);

    await row.getByRole("link", { name: "Inspect" }).click();
    await page.waitForURL(`**/dead-letters/${dead.id}`);
    expect(await page.locator("h1").textContent()).toBe(`Dead letter ${dead.id}`);
    const field = (name: string) => page.locator(`dt:text-is("${name}") + dd`).textContent();
    expect(await field("Route")).toBe("ticks");
    expect(await field("Reason")).toBe("retries exhausted");
    expect(await field("Error")).toContain("refusing the tick of");
    expect(await field("Replayed")).toBe("no");
    expect(JSON.parse((await page.locator("pre.entry").textContent())!)).toMatchObject({
      id: dead.id,
      record: { body: { time: dead.record.body.time } },
    });
    await context.close();
  });

  it("lists and inspects a dead letter, refuses its replay without the token, replays it with the token", async () => {
    const dead = await firstDeadLetter();
    failing = false;
    const page = await browser.newPage();
    await page.goto(`${daemon.adminUrl}/`);
    const row = page.locator(`#dlq-rows tr[data-id="${dead.id}"]`);
    await row.waitFor({ timeout: 15_000 });
    expect(await row.locator("td").nth(1).textContent()).toBe("ticks");
    expect(await row.locator("td").nth(6).textContent()).toBe("no");

    await row.getByRole("button", { name: "Inspect" }).click();
    await page.locator("#dlq-detail:not([hidden])").waitFor();
    const shown = JSON.parse((await page.locator("#dlq-detail").textContent())!);
    expect(shown).toMatchObject({ id: dead.id, route: "ticks", reason: "retries exhausted" });
    expect(shown.error.message).toContain("refusing the tick of");

    // Without the token: refused, and the function never got that tick.
    await row.getByRole("button", { name: "Replay" }).click();
    await expect
      .poll(() => page.locator("#dlq-message").textContent(), { timeout: 15_000 })
      .toContain("Refused (401)");
    expect(received).not.toContain(dead.record.body.time);

    await page.locator("#dlq-token").fill(TOKEN);
    await page
      .locator(`#dlq-rows tr[data-id="${dead.id}"]`)
      .getByRole("button", { name: "Replay" })
      .click();
    await expect
      .poll(() => page.locator("#dlq-message").textContent(), { timeout: 20_000 })
      .toContain("1 delivered");
    expect(received.filter((t) => t === dead.record.body.time)).toHaveLength(1);
    await expect
      .poll(() => page.locator(`#dlq-rows tr[data-id="${dead.id}"] td`).nth(6).textContent(), {
        timeout: 15_000,
      })
      .toBe("yes");

    // The API says the same, and refuses a replay without the token.
    const api = await fetch(`${daemon.adminUrl}/api/dead-letters/${dead.id}`);
    expect(((await api.json()) as { entry: { replayed: boolean } }).entry.replayed).toBe(true);
    const refused = await fetch(`${daemon.adminUrl}/api/dead-letters/replay`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ id: dead.id }),
    });
    expect(refused.status).toBe(401);
    await page.close();
  });
});
