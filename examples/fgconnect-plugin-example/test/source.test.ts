import { readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { resolve } from "node:path";
import {
  noConnectorServices,
  parseConnectorOptions,
  type RecordOutcome,
  renderOptionsDoc,
} from "@fgconnect/core";
import { afterEach, describe, expect, it, vi } from "vitest";
import { parse } from "yaml";
import { HttpPollConnector, type HttpPollRecord, httpPollConnector } from "../src/index.js";

let server: Server | undefined;
afterEach(() => new Promise<void>((done) => (server ? server.close(() => done()) : done())));

/** A server answering each GET with the next body of `bodies` (the last one repeats). */
async function serve(bodies: string[]): Promise<{ url: string; gets: () => number }> {
  let gets = 0;
  server = createServer((_req, res) => {
    const body = bodies[Math.min(gets++, bodies.length - 1)]!;
    res.writeHead(200, { "content-type": "application/json" }).end(body);
  });
  await new Promise<void>((done) => server!.listen(0, "127.0.0.1", done));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, gets: () => gets };
}

function poller(url: string) {
  const options = parseConnectorOptions(httpPollConnector, "status", { url, intervalMs: 100 });
  return new HttpPollConnector("status", options, noConnectorServices);
}

/** A context whose pushes settle with `outcome`. */
function context(outcome: RecordOutcome = "delivered") {
  const pushed: HttpPollRecord[] = [];
  return {
    pushed,
    ctx: {
      logger: noConnectorServices.logger,
      push: async (r: HttpPollRecord) => {
        pushed.push(r);
        return outcome;
      },
    },
  };
}

describe("http-poll", () => {
  it("sends the first response and then only changed ones", async () => {
    const { url, gets } = await serve(['{"v":1}', '{"v":1}', '{"v":2}']);
    const c = poller(url);
    const { pushed, ctx } = context();
    await c.start(ctx);
    await vi.waitFor(() => expect(gets()).toBeGreaterThanOrEqual(4), { timeout: 10_000 });
    c.pause();
    await c.stop();
    expect(pushed.map((r) => r.body)).toEqual([{ v: 1 }, { v: 2 }]);
    expect(pushed[0]!.attributes).toEqual({ url, status: 200, contentType: "application/json" });
    expect(c.formats.native.build([pushed[0]!], { route: "r", mode: "sync" })).toMatchObject({
      url,
      body: { v: 1 },
    });
  });

  it("counts a dead-lettered response as handled: it is not sent again", async () => {
    const { url, gets } = await serve(['{"v":1}']);
    const c = poller(url);
    const { pushed, ctx } = context("dead-lettered");
    await c.start(ctx);
    await vi.waitFor(() => expect(gets()).toBeGreaterThanOrEqual(3), { timeout: 10_000 });
    await c.stop();
    expect(pushed).toHaveLength(1);
  });

  it("polls no more once a record is abandoned (the daemon is stopping)", async () => {
    const { url, gets } = await serve(['{"v":1}']);
    const c = poller(url);
    const { pushed, ctx } = context("abandoned");
    await c.start(ctx);
    await new Promise((r) => setTimeout(r, 400));
    await c.stop();
    expect(pushed).toHaveLength(1);
    expect(gets()).toBe(1);
  });

  it("fails to start when the URL does not answer, and says so in its health", async () => {
    const { url } = await serve(["{}"]);
    await new Promise<void>((done) => server!.close(() => done()));
    server = undefined;
    const c = poller(url);
    await expect(c.start(context().ctx)).rejects.toThrow();
    await c.stop();
  });

  it("its options refuse a missing url and default the rest; its examples are valid", () => {
    expect(() => parseConnectorOptions(httpPollConnector, "s", {})).toThrow("url: required");
    expect(parseConnectorOptions(httpPollConnector, "s", { url: "http://x/" })).toEqual({
      url: "http://x/",
      intervalMs: 10_000,
      timeoutMs: 5_000,
      headers: {},
      onlyChanges: true,
    });
    for (const ex of httpPollConnector.examples)
      expect(() => parseConnectorOptions(httpPollConnector, "s", parse(ex.yaml))).not.toThrow();
  });
});

describe("OPTIONS.md", () => {
  it("is what the definition renders (regenerate: node scripts/options-docs.mjs)", () => {
    const file = resolve(import.meta.dirname, "../OPTIONS.md");
    expect(readFileSync(file, "utf8")).toBe(
      renderOptionsDoc(httpPollConnector, "fgconnect-plugin-example"),
    );
  });
});
