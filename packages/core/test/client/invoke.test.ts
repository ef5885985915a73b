import { Agent, type Dispatcher } from "undici";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createClient, type FunctionGraphClient } from "../../src/client/client.js";
import { FunctionError, InvalidArgumentError, ProtocolError } from "../../src/client/errors.js";
import {
  envelope,
  json,
  PROJECT,
  REQUEST_ID,
  startServer,
  type TestServer,
  URN,
} from "./helpers/server.js";

let server: TestServer;
let client: FunctionGraphClient;

beforeAll(async () => {
  server = await startServer();
  client = createClient({ endpoint: server.url, region: "cn-north-4", projectId: PROJECT });
});
afterAll(async () => {
  await client.close();
  await server.close();
});
afterEach(() => {
  server.requests.length = 0;
});

const LOG = "2022-09-20T11:43:57Z Start invoke request '1cbe80f3', version: v1\nHello, World!\n";

describe("invoke (sync v2)", () => {
  it("sends the v1 request and reads the envelope, log, summary and billing headers", async () => {
    server.handle((_req, res) =>
      json(res, 200, envelope({ ok: true, n: 1 }, { log: LOG }), {
        "X-Cff-Request-Id": "header-id",
        "X-Cff-Invoke-Summary": JSON.stringify({
          duration: 65.8,
          billingDuration: 66,
          memorySize: 128,
          memoryUsed: 21.4,
        }),
        "X-CFF-Billing-Duration": "66",
        "X-Cff-Response-Version": "v1",
        "X-Func-Err-Code": "0",
        "X-Is-Func-Err": "false",
      }),
    );
    const result = await client.invoke(URN, { k: "v" });
    expect(result.requestId).toBe(REQUEST_ID);
    expect(result.status).toBe(200);
    expect(result.raw).toBe('{"ok":true,"n":1}');
    expect(result.json).toEqual({ ok: true, n: 1 });
    expect(result.apig).toBeUndefined();
    expect(result.log).toBe(LOG);
    expect(result.summary).toEqual({
      duration: 65.8,
      billingDuration: 66,
      memorySize: 128,
      memoryUsed: 21.4,
    });
    expect(result.billingDurationMs).toBe(66);
    expect(JSON.parse(JSON.stringify(result))).toMatchObject({
      requestId: REQUEST_ID,
      json: { ok: true, n: 1 },
    });

    const req = server.requests[0]!;
    expect(req.method).toBe("POST");
    // The URN goes into the path raw, as the official SDK sends it.
    expect(req.url).toBe(`/v2/${PROJECT}/fgs/functions/${URN}/invocations`);
    expect(req.headers["content-type"]).toBe("application/json");
    expect(req.headers["x-cff-request-version"]).toBe("v1");
    expect(req.headers["x-cff-log-type"]).toBeUndefined();
    expect(req.body.toString()).toBe('{"k":"v"}');
  });

  it("reads an answer that arrives in pieces, a character split between two of them", async () => {
    server.handle((_req, res) => {
      const bytes = Buffer.from(JSON.stringify(envelope({ word: "héllo 世界" })));
      const cut = bytes.indexOf(Buffer.from("世")) + 1;
      res.writeHead(200, { "content-type": "application/json" });
      res.write(bytes.subarray(0, cut));
      setTimeout(() => res.end(bytes.subarray(cut)), 20);
    });
    const r = await client.invoke(URN, {});
    expect(r.json).toEqual({ word: "héllo 世界" });
  });

  it("asks for the log tail and instance memory, and decodes the X-Cff-Function-Log tail", async () => {
    server.handle((_req, res) =>
      json(
        res,
        200,
        { request_id: REQUEST_ID, result: '"hi"', status: 200 },
        {
          "X-Cff-Function-Log": Buffer.from(LOG).toString("base64"),
        },
      ),
    );
    const result = await client.invoke(URN, {}, { logTail: true, instanceMemoryMb: 512 });
    expect(result.log).toBe(LOG);
    expect(result.json).toBe("hi");
    expect(server.requests[0]!.headers["x-cff-log-type"]).toBe("tail");
    expect(server.requests[0]!.headers["x-cff-instance-memory"]).toBe("512");
  });

  it("resolves short URNs and keeps '!' of aliases raw in the path", async () => {
    server.handle((_req, res) => json(res, 200, envelope("null")));
    await client.invoke("hello", {});
    await client.invoke("pkg:fn", {});
    await client.invoke(`urn:fss:cn-north-4:${PROJECT}:function:default:hello:!prod`, {});
    expect(server.requests.map((r) => r.url.split("/functions/")[1])).toEqual([
      `urn:fss:cn-north-4:${PROJECT}:function:default:hello:latest/invocations`,
      `urn:fss:cn-north-4:${PROJECT}:function:pkg:fn:latest/invocations`,
      `urn:fss:cn-north-4:${PROJECT}:function:default:hello:!prod/invocations`,
    ]);
  });

  it("sends a Buffer or a string as is, and serialises other values", async () => {
    server.handle((_req, res) => json(res, 200, envelope("1")));
    await client.invoke(URN, Buffer.from('{"a":1}'));
    await client.invoke(URN, '{"b":2}');
    await client.invoke(URN, [1, "x"]);
    await client.invoke(URN);
    expect(server.requests.map((r) => r.body.toString())).toEqual([
      '{"a":1}',
      '{"b":2}',
      '[1,"x"]',
      "{}",
    ]);
  });

  it("decodes an APIG result with a base64 JSON body", async () => {
    const apig = {
      statusCode: 201,
      isBase64Encoded: true,
      body: Buffer.from(JSON.stringify({ key: "value" })).toString("base64"),
      headers: { "Content-Type": "application/json" },
    };
    server.handle((_req, res) => json(res, 200, envelope(apig)));
    const result = await client.invoke(URN, {});
    expect(result.apig).toEqual({
      statusCode: 201,
      isBase64Encoded: true,
      body: apig.body,
      decodedBody: { key: "value" },
      headers: { "Content-Type": "application/json" },
    });
  });

  it("decodes an APIG result with a plain body and a binary base64 body", async () => {
    const plain = { statusCode: 200, isBase64Encoded: false, body: "plain text", headers: {} };
    server.handle((_req, res) => json(res, 200, envelope(plain)));
    expect((await client.invoke(URN, {})).apig?.decodedBody).toBe("plain text");

    const bytes = Buffer.from([0xff, 0xd8, 0xff, 0x00]);
    const binary = { statusCode: 200, isBase64Encoded: true, body: bytes.toString("base64") };
    server.handle((_req, res) => json(res, 200, envelope(binary)));
    const decoded = (await client.invoke(URN, {})).apig?.decodedBody;
    expect(Buffer.isBuffer(decoded) && decoded.equals(bytes)).toBe(true);
  });

  it("accepts a v0 (raw body) answer", async () => {
    server.handle((_req, res) => {
      res.writeHead(200, { "X-Cff-Response-Version": "v0", "X-Cff-Request-Id": "rid-v0" });
      res.end("hello world");
    });
    const result = await client.invoke(URN, {});
    expect(result).toMatchObject({ raw: "hello world", requestId: "rid-v0", status: 200 });
    expect(result.json).toBeUndefined();

    // Without a version header, a body that is not an envelope is read as raw too.
    server.handle((_req, res) => json(res, 200, { some: "object" }, { "X-Cff-Request-Id": "r2" }));
    const raw = await client.invoke(URN, {});
    expect(raw.json).toEqual({ some: "object" });
    expect(raw.requestId).toBe("r2");
  });

  it("rejects a v1 answer that is not an envelope", async () => {
    server.handle((_req, res) => {
      res.writeHead(200, { "X-Cff-Response-Version": "v1" });
      res.end("<html>");
    });
    await expect(client.invoke(URN, {})).rejects.toBeInstanceOf(ProtocolError);
  });

  it("throws FunctionError when X-Is-Func-Err is true", async () => {
    const failure = { errorMessage: "boom", errorType: "TypeError", stackTrace: ["at x"] };
    server.handle((_req, res) =>
      json(res, 200, envelope(failure), { "X-Is-Func-Err": "true", "X-Func-Err-Code": "10001" }),
    );
    const err = await client.invoke(URN, {}).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FunctionError);
    expect(err).toMatchObject({
      code: "FUNCTION_ERROR",
      retryable: true,
      requestId: REQUEST_ID,
      errorType: "TypeError",
      errorMessage: "boom",
      funcErrorCode: "10001",
      result: JSON.stringify(failure),
    });
  });

  it("throws FunctionError for an error result with a non-zero X-Func-Err-Code", async () => {
    const failure = { errorMessage: "timed out", errorType: "FunctionTimeout" };
    server.handle((_req, res) => json(res, 200, envelope(failure), { "X-Func-Err-Code": "2" }));
    await expect(client.invoke(URN, {})).rejects.toMatchObject({
      name: "FunctionError",
      errorType: "FunctionTimeout",
      errorMessage: "timed out",
    });
    // The same result with X-Func-Err-Code 0 is an ordinary success.
    server.handle((_req, res) => json(res, 200, envelope(failure), { "X-Func-Err-Code": "0" }));
    await expect(client.invoke(URN, {})).resolves.toMatchObject({ json: failure });
  });

  it("reads a function error even when it comes with an error status", async () => {
    const failure = { errorMessage: "bad", errorType: "Error" };
    server.handle((_req, res) => json(res, 500, envelope(failure), { "X-Is-Func-Err": "true" }));
    await expect(client.invoke(URN, {})).rejects.toBeInstanceOf(FunctionError);
  });
});

describe("invokeAsync", () => {
  it("posts to invocations-async and returns the request id", async () => {
    server.handle((_req, res) =>
      json(res, 202, { request_id: "1167bf8c-87b0-43ab-8f5f-26b16c64f252" }),
    );
    const result = await client.invokeAsync(URN, { k: "v" }, { instanceMemoryMb: 256 });
    expect(result).toEqual({ requestId: "1167bf8c-87b0-43ab-8f5f-26b16c64f252" });
    const req = server.requests[0]!;
    expect(req.url).toBe(`/v2/${PROJECT}/fgs/functions/${URN}/invocations-async`);
    expect(req.headers["x-cff-instance-memory"]).toBe("256");
    expect(req.headers["x-cff-request-version"]).toBeUndefined();
    expect(req.body.toString()).toBe('{"k":"v"}');
  });

  it("takes a 202 without a request id as accepted, its id unknown", async () => {
    server.handle((_req, res) => json(res, 202, {}));
    await expect(client.invokeAsync(URN, {})).resolves.toEqual({
      requestId: undefined,
      requestIdUnknown: true,
      reason: "the 202 answer holds no request_id",
    });
  });

  it("reports another 2xx without a request id as a ProtocolError", async () => {
    server.handle((_req, res) => json(res, 200, {}));
    await expect(client.invokeAsync(URN, {})).rejects.toBeInstanceOf(ProtocolError);
  });
});

describe("invokeLegacy (v1.0)", () => {
  it("posts to /v1.0/.../fss/... and returns the raw body", async () => {
    server.handle((_req, res) =>
      json(
        res,
        200,
        { message: "Hello World" },
        {
          "X-Cff-Request-Id": "legacy-id",
          "X-Cff-Invoke-Summary":
            '{"duration":1.913,"billingDuration":100,"memorySize":128,"memoryUsed":41.5}',
          "X-Cff-Function-Log": Buffer.from("log line").toString("base64"),
        },
      ),
    );
    const result = await client.invokeLegacy(URN, { message: "Hello World" }, { logTail: true });
    expect(result).toMatchObject({
      requestId: "legacy-id",
      status: 200,
      raw: '{"message":"Hello World"}',
      json: { message: "Hello World" },
      log: "log line",
      summary: { billingDuration: 100 },
    });
    const req = server.requests[0]!;
    expect(req.url).toBe(`/v1.0/${PROJECT}/fss/functions/${URN}/invocations`);
    expect(req.headers["x-cff-log-type"]).toBe("tail");
    expect(req.headers["x-cff-request-version"]).toBeUndefined();
  });

  it("returns an envelope-shaped raw result as is (no envelope on v1.0)", async () => {
    server.handle((_req, res) => json(res, 200, { request_id: "x", result: "y" }));
    const result = await client.invokeLegacy(URN, {});
    expect(result.json).toEqual({ request_id: "x", result: "y" });
  });
});

describe("listAsyncInvocations", () => {
  it("sends the query and maps the page", async () => {
    server.handle((_req, res) =>
      json(res, 200, {
        invocations: [
          {
            request_id: "r1",
            status: "FAIL",
            error_code: 1,
            error_message: "oops",
            start_time: "2024-01-02T03:04:05Z",
            end_time: "2024-01-02T03:04:06Z",
          },
          { request_id: "r2", status: "SUCCESS", error_message: "" },
        ],
        count: 2,
        next_marker: "5",
      }),
    );
    const page = await client.listAsyncInvocations(URN, {
      requestId: "r1",
      status: "FAIL",
      limit: 10,
      marker: "0",
    });
    expect(page).toEqual({
      invocations: [
        {
          requestId: "r1",
          status: "FAIL",
          errorCode: "1",
          errorMessage: "oops",
          startTime: "2024-01-02T03:04:05Z",
          endTime: "2024-01-02T03:04:06Z",
        },
        { requestId: "r2", status: "SUCCESS" },
      ],
      count: 2,
      nextMarker: "5",
    });
    const req = server.requests[0]!;
    expect(req.method).toBe("GET");
    const url = new URL(req.url, "http://x");
    expect(url.pathname).toBe(`/v2/${PROJECT}/fgs/functions/${URN}/async-invocations`);
    expect(Object.fromEntries(url.searchParams)).toEqual({
      request_id: "r1",
      status: "FAIL",
      limit: "10",
      marker: "0",
    });
  });

  it("validates the query", async () => {
    await expect(
      client.listAsyncInvocations(URN, { status: "DONE" as never }),
    ).rejects.toMatchObject({
      name: "InvalidArgumentError",
      field: "query.status",
    });
    await expect(client.listAsyncInvocations(URN, { limit: 0 })).rejects.toMatchObject({
      field: "query.limit",
    });
    expect(server.requests).toHaveLength(0);
  });
});

describe("a dispatcher of the caller's", () => {
  it("carries every call, and stays open when the client closes", async () => {
    let dispatched = 0;
    class Counting extends Agent {
      override dispatch(options: Dispatcher.DispatchOptions, handler: Dispatcher.DispatchHandler) {
        dispatched += 1;
        return super.dispatch(options, handler);
      }
    }
    const dispatcher = new Counting();
    const own = createClient({ endpoint: server.url, projectId: PROJECT, dispatcher });
    server.handle((_req, res) => json(res, 200, envelope("ok")));
    expect((await own.invoke(URN, {})).raw).toBe("ok");
    await own.invokeAsync(URN, {}).catch(() => undefined);
    expect(dispatched).toBe(2);
    await own.close();
    expect(dispatcher.closed).toBe(false);
    await dispatcher.close();
  });

  it("must be a dispatcher", () => {
    expect(() =>
      createClient({ endpoint: server.url, projectId: PROJECT, dispatcher: {} as Dispatcher }),
    ).toThrow(InvalidArgumentError);
  });
});
