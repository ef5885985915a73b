import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createClient, type FunctionGraphClient } from "../../src/client/client.js";
import {
  InvalidArgumentError,
  InvalidUrnError,
  PayloadTooLargeError,
} from "../../src/client/errors.js";
import { ASYNC_PAYLOAD_LIMIT, SYNC_PAYLOAD_LIMIT } from "../../src/client/payload.js";
import { INSTANCE_MEMORY_MB } from "../../src/client/types.js";
import { envelope, json, PROJECT, startServer, type TestServer, URN } from "./helpers/server.js";

let server: TestServer;
let client: FunctionGraphClient;

beforeAll(async () => {
  server = await startServer((_req, res) => json(res, 200, envelope("1")));
  client = createClient({ endpoint: server.url, projectId: PROJECT });
});
afterAll(async () => {
  await client.close();
  await server.close();
});
afterEach(() => {
  server.requests.length = 0;
});

/** A JSON string literal of exactly `bytes` bytes. */
function jsonOfSize(bytes: number, char = "a"): string {
  return `"${char.repeat(bytes - 2)}"`;
}

describe("payload limits, checked before sending", () => {
  it("sync: 6 MB passes, one byte more is refused", async () => {
    expect(SYNC_PAYLOAD_LIMIT).toBe(6 * 1024 * 1024);
    await client.invoke(URN, jsonOfSize(SYNC_PAYLOAD_LIMIT));
    expect(server.requests).toHaveLength(1);
    server.requests.length = 0;

    const err = await client
      .invoke(URN, jsonOfSize(SYNC_PAYLOAD_LIMIT + 1))
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PayloadTooLargeError);
    expect(err).toMatchObject({
      size: SYNC_PAYLOAD_LIMIT + 1,
      limit: SYNC_PAYLOAD_LIMIT,
      mode: "sync",
      retryable: false,
    });
    await expect(
      client.invokeLegacy(URN, Buffer.alloc(SYNC_PAYLOAD_LIMIT + 1)),
    ).rejects.toBeInstanceOf(PayloadTooLargeError);
    // An object is measured after serialisation.
    await expect(client.invoke(URN, { s: "x".repeat(SYNC_PAYLOAD_LIMIT) })).rejects.toBeInstanceOf(
      PayloadTooLargeError,
    );
    expect(server.requests).toHaveLength(0);
  });

  it("async: 256 KB passes, one byte more is refused", async () => {
    expect(ASYNC_PAYLOAD_LIMIT).toBe(256 * 1024);
    server.handle((_req, res) => json(res, 202, { request_id: "r" }));
    await client.invokeAsync(URN, Buffer.alloc(ASYNC_PAYLOAD_LIMIT, "a"));
    expect(server.requests).toHaveLength(1);
    server.requests.length = 0;
    await expect(
      client.invokeAsync(URN, Buffer.alloc(ASYNC_PAYLOAD_LIMIT + 1)),
    ).rejects.toMatchObject({
      name: "PayloadTooLargeError",
      mode: "async",
      limit: ASYNC_PAYLOAD_LIMIT,
    });
    expect(server.requests).toHaveLength(0);
    server.handle((_req, res) => json(res, 200, envelope("1")));
  });

  it("counts UTF-8 bytes, not characters", async () => {
    // "é" is 2 bytes: 150 000 of them are 300 000 bytes, over 256 KB though under 256 K chars.
    const text = jsonOfSize(150_000 * 2 + 2, "").replace('""', `"${"é".repeat(150_000)}"`);
    expect(text.length).toBeLessThan(ASYNC_PAYLOAD_LIMIT);
    await expect(client.invokeAsync(URN, text)).rejects.toMatchObject({
      size: Buffer.byteLength(text),
    });
    expect(server.requests).toHaveLength(0);
  });

  it("refuses payloads that are not JSON-serialisable", async () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    await expect(client.invoke(URN, cyclic)).rejects.toMatchObject({
      name: "InvalidArgumentError",
      field: "payload",
    });
    await expect(client.invoke(URN, () => 1)).rejects.toMatchObject({ field: "payload" });
    expect(server.requests).toHaveLength(0);
  });
});

describe("instance memory", () => {
  it("accepts every documented size and refuses others, per call and per client", async () => {
    for (const mb of INSTANCE_MEMORY_MB) {
      await client.invoke(URN, {}, { instanceMemoryMb: mb });
    }
    expect(server.requests.map((r) => r.headers["x-cff-instance-memory"])).toEqual(
      INSTANCE_MEMORY_MB.map(String),
    );
    server.requests.length = 0;
    for (const bad of [0, 100, 1000, 4097, 16384, 512.5]) {
      await expect(client.invoke(URN, {}, { instanceMemoryMb: bad })).rejects.toMatchObject({
        name: "InvalidArgumentError",
        field: "instanceMemoryMb",
      });
    }
    expect(server.requests).toHaveLength(0);
    expect(() =>
      createClient({ endpoint: server.url, projectId: PROJECT, instanceMemoryMb: 300 }),
    ).toThrow(/instanceMemoryMb: must be one of 128, 256/);
    const withDefault = createClient({
      endpoint: server.url,
      projectId: PROJECT,
      instanceMemoryMb: 1024,
    });
    await withDefault.invoke(URN, {});
    expect(server.requests[0]!.headers["x-cff-instance-memory"]).toBe("1024");
    await withDefault.close();
  });
});

describe("client options", () => {
  const bad: [string, object][] = [
    ["endpoint", { projectId: PROJECT }],
    ["endpoint", { endpoint: "not a url", projectId: PROJECT }],
    ["endpoint", { endpoint: "ftp://x", projectId: PROJECT }],
    ["endpoint", { endpoint: "https://user:pw@x.example", projectId: PROJECT }],
    ["region", { region: "Not A Region", projectId: PROJECT }],
    ["projectId", { region: "cn-north-4" }],
    ["projectId", { region: "cn-north-4", projectId: "short" }],
    ["timeoutMs", { region: "cn-north-4", projectId: PROJECT, timeoutMs: 0 }],
    ["timeoutMs", { region: "cn-north-4", projectId: PROJECT, timeoutMs: 1.5 }],
    ["connections", { region: "cn-north-4", projectId: PROJECT, connections: 0 }],
    ["logTail", { region: "cn-north-4", projectId: PROJECT, logTail: "yes" }],
    ["headers", { region: "cn-north-4", projectId: PROJECT, headers: { "bad name": "x" } }],
    ["headers", { region: "cn-north-4", projectId: PROJECT, headers: { ok: "a\r\nb" } }],
    ["auth", { region: "cn-north-4", projectId: PROJECT, auth: {} }],
  ];
  it.each(bad)("names the bad field: %s", (field, options) => {
    let err: unknown;
    try {
      createClient(options as never);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(InvalidArgumentError);
    expect((err as InvalidArgumentError).field).toBe(field);
    expect((err as InvalidArgumentError).message).not.toContain("pw@");
  });

  it("derives the endpoint from the region and the region from the endpoint", async () => {
    const byRegion = createClient({ region: "ap-southeast-1", projectId: PROJECT });
    expect(byRegion.endpoint).toBe("https://functiongraph.ap-southeast-1.myhuaweicloud.com");
    expect(byRegion.region).toBe("ap-southeast-1");
    const byEndpoint = createClient({
      endpoint: "https://functiongraph.cn-east-3.myhuaweicloud.com",
      projectId: PROJECT,
    });
    expect(byEndpoint.region).toBe("cn-east-3");
    await byRegion.close();
    await byEndpoint.close();
  });

  it("needs a region for short URNs when the endpoint does not tell it", async () => {
    await expect(client.invoke("hello", {})).rejects.toBeInstanceOf(InvalidUrnError);
    await expect(client.invoke("urn:fss:cn-north-4:bad", {})).rejects.toBeInstanceOf(
      InvalidUrnError,
    );
    expect(server.requests).toHaveLength(0);
  });

  it("sends the client's headers, per-call headers overriding them, and honours a path prefix", async () => {
    const c = createClient({
      endpoint: `${server.url}/prefix/`,
      projectId: PROJECT,
      headers: { "X-Team": "a", "X-Trace": "1" },
      logTail: true,
    });
    await c.invoke(URN, {});
    await c.invoke(URN, {}, { headers: { "x-trace": "2" }, logTail: false });
    const [first, second] = server.requests;
    expect(first!.url.startsWith(`/prefix/v2/${PROJECT}/`)).toBe(true);
    expect(first!.headers).toMatchObject({
      "x-team": "a",
      "x-trace": "1",
      "x-cff-log-type": "tail",
    });
    expect(second!.headers).toMatchObject({ "x-team": "a", "x-trace": "2" });
    expect(second!.headers["x-cff-log-type"]).toBeUndefined();
    await c.close();
  });
});
