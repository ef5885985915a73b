import type { ServerResponse } from "node:http";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createClient, type FunctionGraphClient } from "../../src/client/client.js";
import { ApiError } from "../../src/client/errors.js";
import { createEngine } from "../../src/engine/engine.js";
import { FakeConnector, MemorySink, record, recordingMetrics } from "../engine/fakes.js";
import { json, PROJECT, REQUEST_ID, startServer, type TestServer, URN } from "./helpers/server.js";

let server: TestServer;
let client: FunctionGraphClient;

beforeAll(async () => {
  server = await startServer();
  client = createClient({ endpoint: server.url, projectId: PROJECT, timeoutMs: 5000 });
});
afterAll(async () => {
  await client.close();
  await server.close();
});
afterEach(() => {
  server.requests.length = 0;
});

/** A 202 that promises 100 bytes, sends the first few, and resets the connection. */
function resetMidBody(res: ServerResponse, headers: Record<string, string> = {}): void {
  res.writeHead(202, { "content-type": "application/json", "content-length": "100", ...headers });
  res.write('{"request_id":"', () => res.socket?.destroy());
}

describe("a 202 whose body cannot be read is an accepted event", () => {
  it("resolves with the request id unknown when the connection resets mid-body", async () => {
    server.handle((_req, res) => resetMidBody(res));
    const result = await client.invokeAsync(URN, { k: "v" });
    expect(result.requestId).toBeUndefined();
    expect(result).toMatchObject({ requestIdUnknown: true });
    expect(result.requestIdUnknown && result.reason).toMatch(/body of the 202 answer/);
    expect(server.requests).toHaveLength(1);
  });

  it("resolves with the request id unknown when the body is not JSON", async () => {
    server.handle((_req, res) => {
      res.writeHead(202, { "content-type": "application/json" });
      res.end("<html>accepted</html>");
    });
    await expect(client.invokeAsync(URN, {})).resolves.toMatchObject({
      requestId: undefined,
      requestIdUnknown: true,
    });
  });

  it("resolves with the request id unknown when the body passes the deadline", async () => {
    server.handle((_req, res) => {
      res.writeHead(202, { "content-type": "application/json" });
      res.write("{");
      // and nothing more until the client goes away
    });
    const result = await client.invokeAsync(URN, {}, { timeoutMs: 300 });
    expect(result).toMatchObject({ requestId: undefined, requestIdUnknown: true });
    expect(result.requestIdUnknown && result.reason).toMatch(/within 300 ms/);
  });

  it("takes the id from X-Cff-Request-Id when the body is lost", async () => {
    server.handle((_req, res) => resetMidBody(res, { "x-cff-request-id": REQUEST_ID }));
    await expect(client.invokeAsync(URN, {})).resolves.toEqual({ requestId: REQUEST_ID });
  });

  it("still fails a sync call whose body is lost, and an async error answer", async () => {
    server.handle((_req, res) => {
      res.writeHead(200, { "content-type": "application/json", "content-length": "100" });
      res.write('{"request_id":"', () => res.socket?.destroy());
    });
    await expect(client.invoke(URN, {})).rejects.toMatchObject({ retryable: true });
    server.handle((_req, res) => json(res, 503, { error_code: "FSS.0503", error_msg: "busy" }));
    await expect(client.invokeAsync(URN, {})).rejects.toBeInstanceOf(ApiError);
  });

  it("is delivered once by the engine, not sent again", async () => {
    server.handle((_req, res) => resetMidBody(res));
    const connector = new FakeConnector();
    const sink = new MemorySink();
    const { metrics, calls } = recordingMetrics();
    const engine = createEngine({
      invoker: client,
      connectors: [connector],
      routes: [{ name: "r", from: "src", to: [URN], mode: "async", delivery: { maxAttempts: 3 } }],
      deadLetter: sink,
      metrics,
      random: () => 0, // no backoff: a retry would come at once
    });
    await engine.start();
    try {
      const outcome = await connector.push(record("a"));
      expect(outcome).toBe("delivered");
      expect(server.requests).toHaveLength(1);
      expect(sink.entries).toHaveLength(0);
      expect(calls.filter(([m]) => m === "retried")).toHaveLength(0);
      expect(calls.filter(([m]) => m === "delivered")).toHaveLength(1);
    } finally {
      await engine.stop({ deadlineMs: 5000 });
    }
  });
});
