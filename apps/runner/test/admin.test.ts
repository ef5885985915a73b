import type { Connector } from "@fgconnect/core";
import { Registry } from "prom-client";
import { describe, expect, it } from "vitest";
import type { AdminDeps } from "../src/admin/deps.js";
import { type AdminRoutes, buildAdmin } from "../src/admin/server.js";

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
