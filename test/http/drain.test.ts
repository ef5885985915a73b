/** Many callers at once, and a daemon stopping while requests are in flight. */
import { setTimeout as sleep } from "node:timers/promises";
import { type Emulator, startEmulator } from "@fgconnect/emulator";
import { Agent, request } from "undici";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { type HttpDaemon, startHttpDaemon, stopDaemon } from "./daemon.js";

let emulator: Emulator;
let d: HttpDaemon | undefined;
let slowStarted = 0;

beforeAll(async () => {
  emulator = await startEmulator({
    functions: {
      noop: async (event: unknown) => ({
        statusCode: 200,
        body: (event as { pathParameters: { n: string } }).pathParameters.n,
      }),
      slow: async () => {
        slowStarted += 1;
        await sleep(1_500);
        return { statusCode: 200, body: "done" };
      },
    },
    auth: false,
    log: false,
  });
});
afterEach(async () => {
  await stopDaemon(d);
  d = undefined;
});
afterAll(async () => {
  await emulator?.close();
});

function start(fn: string) {
  return startHttpDaemon(
    emulator,
    { api: { routes: [{ name: "n", method: "GET", path: "/n/{n}" }] } },
    [{ from: "api", to: [emulator.urnFor(fn)], mode: "sync" }],
  );
}

describe("the HTTP connector under load", () => {
  it("answers 1,000 concurrent requests, each with its own result", async () => {
    d = await start("noop");
    const agent = new Agent({ connections: 100 });
    const answers = await Promise.all(
      Array.from({ length: 1000 }, async (_, i) => {
        const res = await request(`${d!.urls.api}/n/${i}`, { dispatcher: agent });
        return { status: res.statusCode, body: await res.body.text(), i };
      }),
    );
    await agent.close();
    expect(answers.filter((a) => a.status !== 200)).toEqual([]);
    expect(answers.every((a) => a.body === String(a.i))).toBe(true);
  });

  it("answers or refuses with 503 every request in flight when the daemon stops", async () => {
    d = await start("slow");
    slowStarted = 0;
    const agent = new Agent({ connections: 50 });
    const calls = Array.from({ length: 40 }, async (_, i) => {
      try {
        const res = await request(`${d!.urls.api}/n/${i}`, { dispatcher: agent });
        return { status: res.statusCode, body: await res.body.text() };
      } catch (error) {
        return { status: 0, body: String(error) };
      }
    });
    await vi.waitFor(() => expect(slowStarted).toBeGreaterThan(0), { timeout: 20_000 });
    d.daemon.child.kill("SIGTERM");
    const answers = await Promise.all(calls);
    await d.daemon.exited;
    await agent.close();
    // Connections refused after the server closed are not "in flight"; every accepted one is answered.
    const statuses = answers.map((a) => a.status);
    expect(statuses.filter((s) => s !== 200 && s !== 503 && s !== 0)).toEqual([]);
    expect(statuses.filter((s) => s === 200).length).toBeGreaterThan(0);
    for (const a of answers) if (a.status === 0) expect(a.body).toMatch(/ECONNREFUSED/);
  });
});
