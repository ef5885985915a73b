import type { Connector, Engine } from "@fgconnect/core";
import { Registry } from "prom-client";
import { describe, expect, it } from "vitest";
import type { AdminDeps } from "../src/admin/deps.js";
import { type AdminRoutes, buildAdmin, startAdmin } from "../src/admin/server.js";
import { StatusBoard } from "../src/status/board.js";

const TOKEN = "a-token-of-sixteen-chars-or-more";

function deps(over: Partial<AdminDeps> = {}): AdminDeps {
  const connector = {
    name: "ticks",
    type: "cron",
    health: () => ({ connected: true }),
  } as unknown as Connector;
  return { registry: new Registry(), connectors: () => [connector], ready: () => true, ...over };
}

/** A state-changing route, as the dead-letter replay will be. */
const changes: AdminRoutes = (app) => {
  app.post("/api/change", async () => ({ changed: true }));
};

describe("the admin server", () => {
  it("answers /healthz, /readyz and /metrics as before", async () => {
    const app = buildAdmin(deps());
    expect((await app.inject("/healthz")).json()).toEqual({ status: "ok" });
    const ready = await app.inject("/readyz");
    expect(ready.statusCode).toBe(200);
    expect(ready.json()).toEqual({ status: "ready", connectors: { ticks: { connected: true } } });
    const metrics = await app.inject("/metrics");
    expect(metrics.statusCode).toBe(200);
    expect(metrics.headers["content-type"]).toContain("text/plain");
    const notReady = buildAdmin(deps({ deadLetter: () => ({ ok: false, reason: "disk full" }) }));
    const refused = await notReady.inject("/readyz");
    expect(refused.statusCode).toBe(503);
    expect(refused.json()).toMatchObject({ deadLetter: { ok: false, reason: "disk full" } });
  });

  it("says what exists for an unknown path and refuses other methods on reads", async () => {
    const app = buildAdmin(deps());
    const missing = await app.inject("/nope");
    expect(missing.statusCode).toBe(404);
    expect(missing.json().error).toContain("/healthz");
    expect((await app.inject({ method: "PUT", url: "/metrics" })).statusCode).toBe(401);
    const put = await buildAdmin(deps({ token: TOKEN })).inject({
      method: "PUT",
      url: "/metrics",
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    expect(put.statusCode).toBe(405);
  });

  it("refuses changes without the bearer token, and all changes when none is configured", async () => {
    const app = buildAdmin(deps({ token: TOKEN }), [changes]);
    const none = await app.inject({ method: "POST", url: "/api/change" });
    expect(none.statusCode).toBe(401);
    expect(none.headers["www-authenticate"]).toContain("Bearer");
    expect(none.body).not.toContain(TOKEN);
    const wrong = await app.inject({
      method: "POST",
      url: "/api/change",
      headers: { authorization: "Bearer not-the-token" },
    });
    expect(wrong.statusCode).toBe(401);
    const right = await app.inject({
      method: "POST",
      url: "/api/change",
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    expect(right.statusCode).toBe(200);
    expect(right.json()).toEqual({ changed: true });

    const unset = buildAdmin(deps(), [changes]);
    const refused = await unset.inject({
      method: "POST",
      url: "/api/change",
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    expect(refused.statusCode).toBe(401);
    expect(refused.json().error).toContain("set admin.token");
  });
});

describe("the status endpoints", () => {
  const connector = {
    name: "ticks",
    type: "cron",
    health: () => ({ connected: true }),
  } as unknown as Connector;
  const engine = {
    routes: [{ name: "to-hello", from: "ticks", to: ["hello"], mode: "sync" }],
    health: () => ({
      state: "running",
      paused: false,
      buffered: { records: 0, bytes: 0 },
      inFlight: 0,
      deadLetter: { ok: true },
      connectors: { ticks: { connected: true } },
    }),
  } as unknown as Engine;

  it("serve the page with its files, the JSON, and a stream of updates", async () => {
    const board = new StatusBoard();
    board.start({ engine, connectors: [connector] });
    board.recent.add({
      at: Date.UTC(2026, 0, 1),
      function: "hello",
      mode: "sync",
      durationMs: 7,
      requestId: "req-1",
      outcome: "success",
    });
    const admin = await startAdmin({ ...deps(), host: "127.0.0.1", port: 0, status: board });
    try {
      const page = await fetch(`${admin.url}/`);
      expect(page.headers.get("content-security-policy")).toContain("script-src 'self'");
      const html = await page.text();
      expect(html).toContain('<th scope="row">to-hello</th>');
      expect(html).toContain("<code>req-1</code>");
      expect(html).not.toContain("<!--fragment:");
      expect((await fetch(`${admin.url}/status/status.js`)).headers.get("content-type")).toContain(
        "javascript",
      );
      // Only the listed files: not the raw template, nothing else of the package.
      expect((await fetch(`${admin.url}/status/index.html`)).status).toBe(404);
      const status = (await (await fetch(`${admin.url}/api/status`)).json()) as {
        connectors: { name: string; state: string }[];
      };
      expect(status.connectors).toEqual([
        expect.objectContaining({ name: "ticks", state: "connected" }),
      ]);

      const stream = await fetch(`${admin.url}/api/events`);
      expect(stream.headers.get("content-type")).toContain("text/event-stream");
      const reader = stream.body!.getReader();
      let text = "";
      while (!text.includes("event: fragments"))
        text += new TextDecoder().decode((await reader.read()).value);
      expect(text).toMatch(/event: status\ndata: \{.*"requestId":"req-1"/);
      await reader.cancel();
    } finally {
      await admin.close();
      board.stop();
    }
  });
});
