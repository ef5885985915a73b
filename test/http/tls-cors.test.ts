/**
 * The HTTP connector's `tls` (HTTPS with a given certificate, made here with openssl) and `cors`
 * options, through the built daemon and the emulator over real HTTP.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Emulator, startEmulator } from "@fgconnect/emulator";
import { Agent, request } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createPki } from "../harness/kafka/certs.js";
import { type HttpDaemon, startHttpDaemon, stopDaemon } from "./daemon.js";

const APP = "https://app.example";
let emulator: Emulator;
let d: HttpDaemon;
let ca: string;

beforeAll(async () => {
  const certs = mkdtempSync(join(tmpdir(), "fgc-http-tls-"));
  // A CA and a server certificate for 127.0.0.1 and localhost.
  ca = (await createPki(certs)).ca;
  emulator = await startEmulator({
    functions: {
      echo: async (event: unknown) => ({
        statusCode: 200,
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify(event),
      }),
    },
    auth: false,
    log: false,
  });
  const to = [emulator.urnFor("echo")];
  const on = (from: string) => ({ from, to, mode: "sync" });
  d = await startHttpDaemon(
    emulator,
    {
      secure: {
        tls: { cert: join(certs, "broker.crt"), key: join(certs, "broker.key") },
        routes: [{ name: "orders", method: "POST", path: "/orders/{id}" }],
      },
      browser: {
        cors: { origins: [APP], credentials: true, maxAgeSeconds: 120 },
        routes: [{ name: "orders", method: "POST", path: "/orders/{id}" }],
      },
      anyone: {
        cors: {},
        routes: [{ name: "orders", method: "ANY", path: "/orders/{id}" }],
      },
      closed: { routes: [{ name: "orders", method: "POST", path: "/orders/{id}" }] },
    },
    [on("secure"), on("browser"), on("anyone"), on("closed")],
  );
}, 120_000);

afterAll(async () => {
  await stopDaemon(d);
  await emulator?.close();
});

async function call(
  url: string,
  opts: { method?: string; headers?: Record<string, string>; dispatcher?: Agent } = {},
) {
  const res = await request(url, {
    method: (opts.method ?? "POST") as "POST",
    headers: opts.headers,
    body: opts.method === "OPTIONS" ? undefined : '{"sku":"a1"}',
    dispatcher: opts.dispatcher,
  });
  const text = await res.body.text();
  return { status: res.statusCode, headers: res.headers, text };
}

const corsHeaders = (headers: Record<string, unknown>) =>
  Object.keys(headers).filter((h) => h.startsWith("access-control-"));

describe("http connector TLS", () => {
  it("serves HTTPS with the given certificate; the event is the request's", async () => {
    expect(d.urls.secure).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const trusting = new Agent({ connect: { ca } });
    try {
      const res = await call(`${d.urls.secure}/orders/17`, {
        dispatcher: trusting,
        headers: { "content-type": "application/json" },
      });
      expect(res.status, res.text).toBe(200);
      const event = JSON.parse(res.text);
      expect(event).toMatchObject({
        httpMethod: "POST",
        path: "/orders/17",
        pathParameters: { id: "17" },
        body: '{"sku":"a1"}',
      });
    } finally {
      await trusting.close();
    }
  });

  it("is refused by a client that does not trust the certificate, and speaks no plain HTTP", async () => {
    const invoked = emulator.invocations.length;
    await expect(call(`${d.urls.secure}/orders/17`)).rejects.toThrow(
      /certificate|self[- ]signed|UNABLE_TO_VERIFY/i,
    );
    const plain = d.urls.secure!.replace("https:", "http:");
    // The TLS server drops a plain-HTTP request: nothing reaches a function.
    await expect(call(`${plain}/orders/17`)).rejects.toThrow(/other side closed|socket/i);
    expect(emulator.invocations.length).toBe(invoked);
  });
});

describe("http connector CORS", () => {
  it("answers a preflight from an allowed origin without invoking a function", async () => {
    const invoked = emulator.invocations.length;
    const res = await call(`${d.urls.browser}/orders/17`, {
      method: "OPTIONS",
      headers: {
        origin: APP,
        "access-control-request-method": "POST",
        "access-control-request-headers": "content-type",
      },
    });
    expect(res.status).toBe(204);
    expect(res.headers["access-control-allow-origin"]).toBe(APP);
    expect(res.headers["access-control-allow-credentials"]).toBe("true");
    expect(res.headers["access-control-max-age"]).toBe("120");
    expect(String(res.headers["access-control-allow-methods"])).toContain("POST");
    expect(emulator.invocations.length).toBe(invoked);
  });

  it("adds the CORS headers to the function's answer for an allowed origin only", async () => {
    const allowed = await call(`${d.urls.browser}/orders/17`, { headers: { origin: APP } });
    expect(allowed.status).toBe(200);
    expect(allowed.headers["access-control-allow-origin"]).toBe(APP);
    expect(JSON.parse(allowed.text).headers.origin).toBe(APP);
    const other = await call(`${d.urls.browser}/orders/17`, {
      headers: { origin: "https://evil.example" },
    });
    expect(other.status).toBe(200);
    expect(other.headers["access-control-allow-origin"]).toBeUndefined();
  });

  it("allows any origin by default, an ANY route included", async () => {
    const preflight = await call(`${d.urls.anyone}/orders/17`, {
      method: "OPTIONS",
      headers: { origin: APP, "access-control-request-method": "PUT" },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers["access-control-allow-origin"]).toBe("*");
    const res = await call(`${d.urls.anyone}/orders/17`, { headers: { origin: APP } });
    expect(res.status).toBe(200);
    expect(res.headers["access-control-allow-origin"]).toBe("*");
  });

  it("sends no CORS headers without the option", async () => {
    const res = await call(`${d.urls.closed}/orders/17`, { headers: { origin: APP } });
    expect(res.status).toBe(200);
    expect(corsHeaders(res.headers)).toEqual([]);
    const preflight = await call(`${d.urls.closed}/orders/17`, {
      method: "OPTIONS",
      headers: { origin: APP, "access-control-request-method": "POST" },
    });
    expect(preflight.status).toBe(404);
    expect(corsHeaders(preflight.headers)).toEqual([]);
  });
});
