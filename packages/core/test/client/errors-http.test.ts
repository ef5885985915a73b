import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { parseRetryAfter } from "../../src/client/classify.js";
import { createClient, type FunctionGraphClient } from "../../src/client/client.js";
import {
  AbortedError,
  ApiError,
  ClientClosedError,
  ConnectionError,
  TimeoutError,
} from "../../src/client/errors.js";
import { json, PROJECT, startServer, type TestServer, URN } from "./helpers/server.js";

let server: TestServer;
let client: FunctionGraphClient;

beforeAll(async () => {
  server = await startServer();
  client = createClient({ endpoint: server.url, projectId: PROJECT });
});
afterAll(async () => {
  await client.close();
  await server.close();
});
afterEach(() => {
  server.requests.length = 0;
});

// The table in FUNCTIONGRAPH.md: status, code, retryable, a word the hint must contain.
const TABLE: [number, string, boolean, RegExp][] = [
  [400, "FSS.0400", false, /invalid/i],
  [400, "FSS.1309", false, /URN/],
  [400, "FSS.1014", false, /alias/i],
  [400, "FSS.1015", false, /version/i],
  [401, "FSS.0401", false, /credentials/i],
  [401, "APIGW.0301", false, /AK\/SK/],
  [403, "FSS.0403", false, /permission/i],
  [404, "FSS.0404", false, /does not exist/],
  [404, "FSS.1051", false, /does not exist in that project and region/],
  [404, "FSS.1052", false, /version/i],
  [404, "FSS.1053", false, /alias/i],
  [406, "FSS.0406", false, /JSON/],
  [408, "FSS.0408", true, /retry/i],
  [413, "FSS.0413", false, /6 MB.*256 KB/],
  [413, "FSS.1201", false, /6 MB.*256 KB/],
  [429, "FSS.0429", true, /concurren/i],
  [500, "FSS.0500", true, /try again/i],
  [502, "FSS.0502", true, /try again/i],
  [503, "FSS.0503", true, /try again/i],
  [504, "FSS.0504", true, /90 s/],
];

describe("HTTP error answers → ApiError", () => {
  it.each(TABLE)("%i %s → retryable %s", async (status, code, retryable, hint) => {
    server.handle((_req, res) =>
      json(
        res,
        status,
        { error_code: code, error_msg: "message from server" },
        {
          "X-Request-Id": "gw-req-id",
        },
      ),
    );
    for (const call of [() => client.invoke(URN, {}), () => client.invokeAsync(URN, {})]) {
      const err = await call().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ApiError);
      const api = err as ApiError;
      expect(api).toMatchObject({
        status,
        code,
        errorCode: code,
        errorMsg: "message from server",
        requestId: "gw-req-id",
        retryable,
      });
      expect(api.hint).toMatch(hint);
      expect(api.retryAfterMs).toBeUndefined();
    }
  });

  it("takes the request id from the body first (gateway auth failures)", async () => {
    server.handle((_req, res) =>
      json(
        res,
        401,
        {
          error_code: "APIGW.0301",
          error_msg: "Incorrect IAM authentication information: verify aksk signature fail",
          request_id: "body-id",
        },
        { "X-Request-Id": "header-id" },
      ),
    );
    await expect(client.invoke(URN, {})).rejects.toMatchObject({ requestId: "body-id" });
    server.handle((_req, res) =>
      json(res, 500, { error_code: "FSS.0500", error_msg: "x" }, { "X-Cff-Request-Id": "cff-id" }),
    );
    await expect(client.invoke(URN, {})).rejects.toMatchObject({ requestId: "cff-id" });
  });

  it("does not retry a 429 that says the function is disabled", async () => {
    server.handle((_req, res) =>
      json(res, 429, { error_code: "FSS.0429", error_msg: "Function Disabled" }),
    );
    const err = (await client.invoke(URN, {}).catch((e: unknown) => e)) as ApiError;
    expect(err.retryable).toBe(false);
    expect(err.hint).toMatch(/disabled/);
  });

  it("reads Retry-After in seconds and as an HTTP date", async () => {
    server.handle((_req, res) =>
      json(res, 429, { error_code: "FSS.0429", error_msg: "too many" }, { "Retry-After": "3" }),
    );
    await expect(client.invoke(URN, {})).rejects.toMatchObject({
      retryAfterMs: 3000,
      retryable: true,
    });

    const at = new Date(Date.now() + 10_000).toUTCString();
    server.handle((_req, res) =>
      json(res, 503, { error_code: "FSS.0503", error_msg: "busy" }, { "Retry-After": at }),
    );
    const err = (await client.invoke(URN, {}).catch((e: unknown) => e)) as ApiError;
    // The date has whole seconds, and a loaded machine may take a while to get here: more than
    // half the 10 s still proves the date was read (the seconds form above said 3 s).
    expect(err.retryAfterMs).toBeGreaterThan(5000);
    expect(err.retryAfterMs).toBeLessThanOrEqual(10_000);

    expect(parseRetryAfter("1.5")).toBe(1500);
    expect(parseRetryAfter("garbage")).toBeUndefined();
    expect(parseRetryAfter(new Date(0).toUTCString())).toBe(0);
  });

  it("gives HTTP_<status> for a body that is not FunctionGraph's JSON", async () => {
    server.handle((_req, res) => {
      res.writeHead(502, { "content-type": "text/html" });
      res.end("<html>Bad Gateway</html>");
    });
    await expect(client.invoke(URN, {})).rejects.toMatchObject({
      name: "ApiError",
      code: "HTTP_502",
      status: 502,
      retryable: true,
      errorMsg: "<html>Bad Gateway</html>",
    });
    server.handle((_req, res) => {
      res.writeHead(418);
      res.end();
    });
    await expect(client.invoke(URN, {})).rejects.toMatchObject({
      code: "HTTP_418",
      retryable: false,
    });
  });

  it("gives an error code named like an Object property the hint of its status", async () => {
    for (const code of ["constructor", "toString", "__proto__"]) {
      server.handle((_req, res) => json(res, 404, { error_code: code, error_msg: "nope" }));
      const err = (await client.invoke(URN, {}).catch((e: unknown) => e)) as ApiError;
      expect(err).toBeInstanceOf(ApiError);
      expect(err.code).toBe(code);
      expect(err.hint).toMatch(/does not exist/);
    }
  });

  it("reports errors of the legacy and async-status calls the same way", async () => {
    server.handle((_req, res) =>
      json(res, 404, { error_code: "FSS.1051", error_msg: "not found" }),
    );
    await expect(client.invokeLegacy(URN, {})).rejects.toMatchObject({ code: "FSS.1051" });
    await expect(client.listAsyncInvocations(URN)).rejects.toMatchObject({ code: "FSS.1051" });
  });
});

describe("transport failures", () => {
  // undici's timers tick about every 0.5 s: a 100 ms timeout fires within about a second, a few
  // on a loaded machine, and long before the reply (10 s).
  it("times out with TimeoutError, and an aborted signal gives AbortedError", async () => {
    server.handle(async (_req, res) => {
      await new Promise<void>((r) => {
        const timer = setTimeout(r, 10_000);
        res.once("close", () => {
          clearTimeout(timer);
          r();
        });
      });
      if (!res.destroyed) json(res, 200, { request_id: "x", result: "1" });
    });
    const started = Date.now();
    const err = await client.invoke(URN, {}, { timeoutMs: 100 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TimeoutError);
    expect(err).toMatchObject({ code: "TIMEOUT", retryable: true, timeoutMs: 100 });
    expect(Date.now() - started).toBeLessThan(5000);

    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    const aborted = await client
      .invoke(URN, {}, { signal: controller.signal, timeoutMs: 5000 })
      .catch((e: unknown) => e);
    expect(aborted).toBeInstanceOf(AbortedError);
    expect(aborted).toMatchObject({ code: "ABORTED", retryable: false });

    await expect(
      client.invokeAsync(URN, {}, { signal: AbortSignal.abort() }),
    ).rejects.toBeInstanceOf(AbortedError);
  });

  it("aborts every call in flight under one signal, and a call that finished is left alone", async () => {
    server.handle(async (req, res) => {
      if (req.url?.includes("quick")) return json(res, 200, { request_id: "q", result: "1" });
      await new Promise<void>((r) => res.once("close", r));
    });
    const controller = new AbortController();
    // Tagged: a call aborted by the test before may still reach the loaded server late.
    const headers = { "x-test": "one-signal" };
    const options = { signal: controller.signal, timeoutMs: 10_000, headers };
    const mine = () => server.requests.filter((r) => r.headers["x-test"] === "one-signal").length;
    const QUICK = URN.replace(":hello:", ":quick:");
    const quick = await client.invoke(QUICK, {}, options);
    expect(quick.requestId).toBe("q");
    const held = [client.invoke(URN, {}, options), client.invokeAsync(URN, {}, options)];
    await vi.waitFor(() => expect(mine()).toBe(3));
    controller.abort();
    for (const call of held) await expect(call).rejects.toBeInstanceOf(AbortedError);
    await expect(client.invoke(QUICK, {}, options)).rejects.toBeInstanceOf(AbortedError);
    expect(mine()).toBe(3);
  });

  it("times out on the client default too", async () => {
    const quick = createClient({ endpoint: server.url, projectId: PROJECT, timeoutMs: 80 });
    server.handle(async (_req, res) => {
      await new Promise((r) => setTimeout(r, 3000));
      if (!res.destroyed) res.end();
    });
    await expect(quick.invoke(URN, {})).rejects.toMatchObject({
      name: "TimeoutError",
      timeoutMs: 80,
    });
    await quick.close();
  });

  it("reports a refused connection as ConnectionError", async () => {
    // Port 1: nothing listens there (a just-freed port could be taken again meanwhile).
    const port = 1;
    const dead = createClient({ endpoint: `http://127.0.0.1:${port}`, projectId: PROJECT });
    const err = await dead.invoke(URN, {}).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConnectionError);
    expect(err).toMatchObject({ code: "CONNECTION_FAILED", retryable: true });
    expect((err as ConnectionError).message).toMatch(/ECONNREFUSED/);
    expect((err as ConnectionError).endpoint).toBe(`http://127.0.0.1:${port}`);
    await dead.close();
  });

  it("refuses calls after close()", async () => {
    const c = createClient({ endpoint: server.url, projectId: PROJECT });
    await c.close();
    await expect(c.invoke(URN, {})).rejects.toBeInstanceOf(ClientClosedError);
  });
});
