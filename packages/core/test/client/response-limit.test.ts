import { createServer, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it, vi } from "vitest";
import { createClient, type FunctionGraphClient } from "../../src/client/client.js";
import { InvalidArgumentError, ResponseTooLargeError } from "../../src/client/errors.js";
import { DEFAULT_MAX_RESPONSE_BYTES } from "../../src/client/options.js";
import { envelope, json, PROJECT, REQUEST_ID, startServer, URN } from "./helpers/server.js";

const MiB = 1024 * 1024;

let server: Server | undefined;
let client: FunctionGraphClient | undefined;

afterEach(async () => {
  await client?.close().catch(() => undefined);
  client = undefined;
  if (server) {
    server.closeAllConnections();
    await new Promise<void>((r) => server!.close(() => r()));
    server = undefined;
  }
});

interface Streamed {
  url: string;
  /** Bytes the server handed to its socket before the client went away. */
  written: () => number;
  done: () => boolean;
}

/**
 * A real server that answers 200 with `total` bytes of JSON string, chunked (no Content-Length),
 * writing only as fast as the client reads: what it wrote is what the client was sent.
 */
async function streamingServer(total: number): Promise<Streamed> {
  let written = 0;
  let done = false;
  const chunk = Buffer.alloc(64 * 1024, "a");
  server = createServer((req, res: ServerResponse) => {
    req.resume();
    res.writeHead(200, { "content-type": "application/json", "x-cff-request-id": REQUEST_ID });
    let closed = false;
    res.once("close", () => {
      closed = true;
      done = true;
    });
    const pump = () => {
      while (!closed && written < total) {
        written += chunk.length;
        if (!res.write(chunk)) {
          res.once("drain", pump);
          return;
        }
      }
      if (!closed) res.end();
    };
    pump();
  });
  await new Promise<void>((r) => server!.listen(0, "127.0.0.1", r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    written: () => written,
    done: () => done,
  };
}

describe("the answer's body is bounded", () => {
  it("stops reading a 400 MB answer at the default cap and fails with ResponseTooLargeError", async () => {
    const total = 400 * MiB;
    const streamed = await streamingServer(total);
    client = createClient({ endpoint: streamed.url, projectId: PROJECT });
    const rssBefore = process.memoryUsage().rss;
    const err = await client.invoke(URN, {}).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ResponseTooLargeError);
    expect(err).toMatchObject({
      code: "RESPONSE_TOO_LARGE",
      retryable: false,
      limit: DEFAULT_MAX_RESPONSE_BYTES,
      requestId: REQUEST_ID,
    });
    expect((err as ResponseTooLargeError).size).toBeGreaterThan(DEFAULT_MAX_RESPONSE_BYTES);
    expect((err as ResponseTooLargeError).hint).toMatch(/maxResponseBytes/);
    // The client closed the connection: the server stopped long before the 400 MB, and the
    // client's memory grew by about the cap, not the answer.
    await vi.waitFor(() => expect(streamed.done()).toBe(true), { timeout: 10_000 });
    expect(streamed.written()).toBeLessThan(DEFAULT_MAX_RESPONSE_BYTES + 32 * MiB);
    expect(process.memoryUsage().rss - rssBefore).toBeLessThan(200 * MiB);
  }, 60_000);

  it("reads an answer of exactly maxResponseBytes; one byte more fails", async () => {
    const limit = 1000;
    const s = await startServer();
    try {
      client = createClient({ endpoint: s.url, projectId: PROJECT, maxResponseBytes: limit });
      // A v0 raw body of exactly `limit` bytes, then one more, sent chunked.
      s.handle((_req, res) => {
        res.writeHead(200, { "x-cff-response-version": "v0" });
        res.write("a".repeat(limit - 1));
        res.end("b");
      });
      const ok = await client.invoke(URN, {});
      expect(ok.raw).toHaveLength(limit);
      s.handle((_req, res) => {
        res.writeHead(200, { "x-cff-response-version": "v0" });
        res.write("a".repeat(limit));
        res.end("b");
      });
      const err = await client.invoke(URN, {}).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ResponseTooLargeError);
      expect(err).toMatchObject({ limit, size: limit + 1 });
    } finally {
      await s.close();
    }
  });

  it("fails at once on a Content-Length over the cap, before any of the body", async () => {
    const s = await startServer();
    try {
      client = createClient({ endpoint: s.url, projectId: PROJECT, maxResponseBytes: 100 });
      s.handle((_req, res) => {
        res.writeHead(200, { "content-length": String(50 * MiB) });
        res.write("{"); // and nothing more: the client must not wait for the rest
      });
      const err = await client.invoke(URN, {}, { timeoutMs: 20_000 }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ResponseTooLargeError);
      expect(err).toMatchObject({ limit: 100, size: 50 * MiB });
      // A normal answer still passes on the same client.
      s.handle((_req, res) => json(res, 200, envelope("1")));
      await expect(client.invoke(URN, {})).resolves.toMatchObject({ raw: "1" });
    } finally {
      await s.close();
    }
  });

  it("refuses a maxResponseBytes that is not a positive integer", () => {
    for (const bad of [0, -1, 1.5, Number.NaN, "1" as unknown as number]) {
      expect(() =>
        createClient({ endpoint: "http://127.0.0.1:1", projectId: PROJECT, maxResponseBytes: bad }),
      ).toThrow(InvalidArgumentError);
    }
  });
});
