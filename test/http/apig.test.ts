/**
 * The daemon's HTTP connector turns requests into FunctionGraph APIG trigger events and answers
 * callers as APIG does, through the built daemon and the emulator over real HTTP.
 */
import { createHmac } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { type Emulator, startEmulator } from "@fgconnect/emulator";
import type { ApigEvent } from "@fgconnect/http";
import { request } from "undici";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { type HttpDaemon, startHttpDaemon, stopDaemon } from "./daemon.js";

const API_KEY = "k-0123456789abcdef-test";
const SECRET = "s-0123456789abcdef-secret";
const PNG = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0xff, 0x00, 0xfe]);

let emulator: Emulator;
let d: HttpDaemon;
const asyncEvents: ApigEvent[] = [];
/** FunctionGraph's request id of each async invocation. */
const asyncIds: string[] = [];

beforeAll(async () => {
  emulator = await startEmulator({
    functions: {
      echo: async (event: unknown) => ({
        statusCode: 200,
        isBase64Encoded: false,
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify(event),
      }),
      shaped: async () => ({
        statusCode: 201,
        isBase64Encoded: true,
        headers: { "Content-Type": "image/png", "X-One": "1" },
        multiValueHeaders: { "Set-Cookie": ["a=1", "b=2"] },
        body: PNG.toString("base64"),
      }),
      plain: async () => ({ hello: "world", n: 3 }),
      sink: async (event: unknown, context: unknown) => {
        asyncEvents.push(event as ApigEvent);
        asyncIds.push((context as { getRequestID(): string }).getRequestID());
        return null;
      },
      slow: async () => {
        await new Promise((r) => setTimeout(r, 3_000));
        return { statusCode: 200, body: "late" };
      },
      broken: async () => {
        throw new Error("cannot handle this order");
      },
    },
    auth: false,
    log: false,
  });
  const fn = (name: string) => [emulator.urnFor(name)];
  const on = (from: string, route: string, to: string, more: Record<string, unknown> = {}) => ({
    from,
    to: fn(to),
    mode: "sync",
    filter: { attributes: { route: [route] } },
    ...more,
  });
  d = await startHttpDaemon(
    emulator,
    {
      api: {
        maxBodyBytes: 64 * 1024,
        routes: [
          { name: "echo", method: "ANY", path: "/echo/{id}/items/{item}" },
          { name: "greedy", method: "PUT", path: "/files/{path+}" },
          { name: "shaped", method: "GET", path: "/shaped" },
          { name: "plain", method: "GET", path: "/plain" },
          { name: "async", method: "POST", path: "/events" },
          { name: "broken", method: "POST", path: "/broken" },
          { name: "orphan", method: "GET", path: "/orphan" },
        ],
      },
      hasty: {
        requestTimeoutMs: 500,
        routes: [{ name: "slow", method: "GET", path: "/slow" }],
      },
      keyed: {
        auth: { type: "api-key", keys: [API_KEY] },
        routes: [{ name: "keyed", method: "POST", path: "/echo/{id}/items/{item}" }],
      },
      signed: {
        auth: { type: "hmac", header: "x-hub-signature-256", secret: SECRET },
        routes: [{ name: "signed", method: "POST", path: "/echo/{id}/items/{item}" }],
      },
    },
    [
      on("api", "echo", "echo"),
      on("api", "greedy", "echo"),
      on("api", "shaped", "shaped"),
      on("api", "plain", "plain"),
      on("api", "async", "sink", { mode: "async" }),
      on("api", "broken", "broken", {
        delivery: { maxAttempts: 1, onFunctionError: "dead-letter" },
      }),
      on("hasty", "slow", "slow"),
      on("keyed", "keyed", "echo"),
      on("signed", "signed", "echo"),
    ],
  );
}, 60_000);

afterAll(async () => {
  await stopDaemon(d);
  await emulator?.close();
});

async function call(
  url: string,
  opts: { method?: string; headers?: Record<string, string>; body?: Buffer | string } = {},
) {
  const res = await request(url, {
    method: (opts.method ?? "GET") as "GET",
    headers: opts.headers,
    body: opts.body,
  });
  const body = Buffer.from(await res.body.arrayBuffer());
  return {
    status: res.statusCode,
    headers: res.headers,
    body,
    json: () => JSON.parse(body.toString()),
  };
}

describe("an HTTP request through the daemon", () => {
  it("reaches the function as FunctionGraph's APIG trigger event", async () => {
    const res = await call(`${d.urls.api}/echo/o-17/items/x%20y?responseType=html&tag=a&tag=b`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-trace": "t1" },
      body: '{"k":"v"}',
    });
    expect(res.status).toBe(200);
    const event = res.json() as ApigEvent;
    expect(event.httpMethod).toBe("POST");
    expect(event.resource).toBe("/echo/{id}/items/{item}");
    expect(event.path).toBe("/echo/o-17/items/x%20y");
    expect(event.pathParameters).toEqual({ id: "o-17", item: "x y" });
    expect(event.queryStringParameters).toEqual({ responseType: "html", tag: "a,b" });
    expect(event.headers["content-type"]).toBe("application/json");
    expect(event.headers["x-trace"]).toBe("t1");
    expect(event.headers.host).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(event.body).toBe('{"k":"v"}');
    expect(event.isBase64Encoded).toBe(false);
    expect(event.requestContext).toEqual({
      apiId: "fgconnect",
      requestId: res.headers["x-request-id"],
      stage: "RELEASE",
      sourceIp: "127.0.0.1",
    });
    expect(event.requestContext.requestId).toMatch(/^[0-9a-f]{32}$/);
  });

  it("passes a binary body in base64 and fills a greedy path parameter", async () => {
    const res = await call(`${d.urls.api}/files/a/b/c.png`, {
      method: "PUT",
      headers: { "content-type": "image/png" },
      body: PNG,
    });
    const event = res.json() as ApigEvent;
    expect(event.isBase64Encoded).toBe(true);
    expect(Buffer.from(event.body, "base64")).toEqual(PNG);
    expect(event.pathParameters).toEqual({ path: "a/b/c.png" });
    expect(event.queryStringParameters).toEqual({});
  });

  it("answers with the function's APIG result: status, headers, multi-value headers, base64 body", async () => {
    const res = await call(`${d.urls.api}/shaped`);
    expect(res.status).toBe(201);
    expect(res.headers["content-type"]).toBe("image/png");
    expect(res.headers["x-one"]).toBe("1");
    expect(res.headers["set-cookie"]).toEqual(["a=1", "b=2"]);
    expect(res.body).toEqual(PNG);
  });

  it("answers a result that is not APIG-shaped as a JSON body with 200", async () => {
    const res = await call(`${d.urls.api}/plain`);
    expect(res.status).toBe(200);
    expect(res.headers["content-type"]).toMatch(/^application\/json/);
    expect(res.json()).toEqual({ hello: "world", n: 3 });
  });

  it("answers an async route with 202 and FunctionGraph's request id, and the function gets the event", async () => {
    const res = await call(`${d.urls.api}/events`, { method: "POST", body: "ping" });
    expect(res.status).toBe(202);
    const { request_id } = res.json() as { request_id: string };
    expect(request_id).toMatch(/\S/);
    expect(request_id).not.toBe(res.headers["x-request-id"]);
    await vi.waitFor(() => expect(asyncIds).toContain(request_id), {
      timeout: 20_000,
      interval: 50,
    });
    const event = asyncEvents.find(
      (e) => e.requestContext.requestId === res.headers["x-request-id"],
    );
    expect(event?.body).toBe("ping");
  });

  it("answers 502 with a FunctionGraph-style error when the function fails, and dead-letters it", async () => {
    const res = await call(`${d.urls.api}/broken`, { method: "POST", body: "{}" });
    expect(res.status).toBe(502);
    const err = res.json() as Record<string, string>;
    expect(err.error_code).toBe("FSS.0502");
    expect(err.error_msg).toMatch(/dead-lettered/);
    expect(err.request_id).toBe(res.headers["x-request-id"]);
    const letters = readFileSync(join(d.dir, "dead-letter.jsonl"), "utf8");
    expect(letters).toContain(err.request_id);
  });

  it("answers 404 when no route matches, or no daemon route takes the request", async () => {
    const none = await call(`${d.urls.api}/nowhere`);
    expect(none.status).toBe(404);
    expect((none.json() as { error_code: string }).error_code).toBe("APIG.0101");
    const wrongMethod = await call(`${d.urls.api}/plain`, { method: "DELETE" });
    expect(wrongMethod.status).toBe(404);
    const orphan = await call(`${d.urls.api}/orphan`);
    expect(orphan.status).toBe(404);
  });

  it("answers 413 to a body over maxBodyBytes", async () => {
    const res = await call(`${d.urls.api}/echo/1/items/2`, {
      method: "POST",
      headers: { "content-type": "application/octet-stream" },
      body: Buffer.alloc(64 * 1024 + 1, 1),
    });
    expect(res.status).toBe(413);
    expect((res.json() as { error_code: string }).error_code).toBe("FSS.0413");
  });

  it("answers 504 when the function does not answer within requestTimeoutMs", async () => {
    const res = await call(`${d.urls.hasty}/slow`);
    expect(res.status).toBe(504);
    expect((res.json() as { error_code: string }).error_code).toBe("FSS.0504");
  });
});

describe("HTTP connector auth", () => {
  it("lets in a caller with a valid API key, and hides the key from the function", async () => {
    const ok = await call(`${d.urls.keyed}/echo/1/items/2`, {
      method: "POST",
      headers: { "x-api-key": API_KEY },
      body: "hi",
    });
    expect(ok.status).toBe(200);
    expect((ok.json() as ApigEvent).headers["x-api-key"]).toBeUndefined();
    const wrong: Record<string, string>[] = [{ "x-api-key": `${API_KEY}x` }, {}];
    for (const headers of wrong) {
      const refused = await call(`${d.urls.keyed}/echo/1/items/2`, { method: "POST", headers });
      expect(refused.status).toBe(401);
    }
  });

  it("checks the HMAC-SHA256 signature of the body", async () => {
    const body = '{"action":"opened"}';
    const sig = createHmac("sha256", SECRET).update(body).digest("hex");
    const good = await call(`${d.urls.signed}/echo/1/items/2`, {
      method: "POST",
      headers: { "x-hub-signature-256": `sha256=${sig}`, "content-type": "application/json" },
      body,
    });
    expect(good.status).toBe(200);
    expect((good.json() as ApigEvent).body).toBe(body);
    const bad = await call(`${d.urls.signed}/echo/1/items/2`, {
      method: "POST",
      headers: { "x-hub-signature-256": `sha256=${sig}`, "content-type": "application/json" },
      body: '{"action":"closed"}',
    });
    expect(bad.status).toBe(401);
    const missing = await call(`${d.urls.signed}/echo/1/items/2`, { method: "POST", body });
    expect(missing.status).toBe(401);
  });

  it("never logs a key or secret", () => {
    const all = d.daemon.lines.map((l) => JSON.stringify(l)).join("\n") + d.daemon.stderr();
    expect(all).not.toContain(API_KEY);
    expect(all).not.toContain(SECRET);
  });
});
