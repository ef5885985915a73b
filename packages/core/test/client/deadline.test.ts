import { createServer, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it, vi } from "vitest";
import { createClient, type FunctionGraphClient } from "../../src/client/client.js";
import { TimeoutError } from "../../src/client/errors.js";
import { PROJECT, URN } from "./helpers/server.js";

let server: Server | undefined;
let client: FunctionGraphClient | undefined;
const trickles = new Set<NodeJS.Timeout>();

afterEach(async () => {
  for (const t of trickles) clearInterval(t);
  trickles.clear();
  await client?.close().catch(() => undefined);
  client = undefined;
  if (server) {
    server.closeAllConnections();
    await new Promise<void>((r) => server!.close(() => r()));
    server = undefined;
  }
});

/** A real server whose every answer is a 200 whose body comes one byte every 300 ms, for ever. */
async function trickleServer(): Promise<{ url: string; closed: () => number }> {
  let closed = 0;
  server = createServer((req, res: ServerResponse) => {
    req.resume();
    res.writeHead(200, { "content-type": "application/json" });
    res.write("{");
    const timer = setInterval(() => res.write(" "), 300);
    trickles.add(timer);
    res.once("close", () => {
      clearInterval(timer);
      closed += 1;
    });
  });
  await new Promise<void>((r) => server!.listen(0, "127.0.0.1", r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    closed: () => closed,
  };
}

/** Settles with what `call` settled with, or "still pending" after `ms`. */
function within(ms: number, call: Promise<unknown>): Promise<unknown> {
  return Promise.race([
    call.catch((e: unknown) => e),
    new Promise((r) => setTimeout(() => r("still pending"), ms).unref()),
  ]);
}

describe("timeoutMs bounds the whole call", () => {
  it("ends a call whose body trickles in, and closes its connection", async () => {
    const { url, closed } = await trickleServer();
    client = createClient({ endpoint: url, projectId: PROJECT, timeoutMs: 1000 });
    const started = performance.now();
    const outcome = await within(10_000, client.invoke(URN, {}));
    const took = performance.now() - started;
    expect(outcome).toBeInstanceOf(TimeoutError);
    expect(outcome).toMatchObject({ code: "TIMEOUT", retryable: true, timeoutMs: 1000 });
    expect(took).toBeGreaterThanOrEqual(950);
    expect(took).toBeLessThan(6000);
    // The server sees its connection closed: the client does not keep reading.
    await vi.waitFor(() => expect(closed()).toBe(1), { timeout: 5000 });
  }, 20_000);

  it("ends a status query whose body trickles in the same way", async () => {
    const { url } = await trickleServer();
    client = createClient({ endpoint: url, projectId: PROJECT });
    const outcome = await within(10_000, client.listAsyncInvocations(URN, {}, { timeoutMs: 800 }));
    expect(outcome).toBeInstanceOf(TimeoutError);
    expect(outcome).toMatchObject({ timeoutMs: 800 });
  }, 20_000);

  it("counts the time a call waits for a pooled connection", async () => {
    const { url } = await trickleServer();
    // One connection, held by a first call: the second waits in undici's queue.
    client = createClient({ endpoint: url, projectId: PROJECT, connections: 1 });
    const first = client.invoke(URN, {}, { timeoutMs: 3000 }).catch((e: unknown) => e);
    const started = performance.now();
    const second = await within(6000, client.invoke(URN, {}, { timeoutMs: 500 }));
    expect(second).toBeInstanceOf(TimeoutError);
    expect(performance.now() - started).toBeLessThan(4000);
    expect(await first).toBeInstanceOf(TimeoutError);
  }, 20_000);
});
