/**
 * `fgconnect dlq replay` of HTTP requests the real daemon dead-lettered (a sync route whose
 * function fails: the caller gets 502): replayed half by a filter on a header, again (nothing
 * sent), then the rest. The function gets each exactly once per replay, in the very APIG event
 * of the original request (repeated headers and query keys, path parameters, a binary body),
 * and the dead-letter file never holds the API key.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { type Emulator, startEmulator } from "@fgconnect/emulator";
import type { ApigEvent } from "@fgconnect/http";
import { request } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../harness/cli.js";
import { type HttpDaemon, startHttpDaemon, stopDaemon } from "./daemon.js";

const API_KEY = "k-dlq-0123456789abcdef";
const PARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

let emulator: Emulator;
let d: HttpDaemon | undefined;
let failing = true;
/** The event each request's original delivery sent, by request id. */
const originals = new Map<string, ApigEvent>();
/** The events each request's replays sent, by request id. */
const replayed = new Map<string, ApigEvent[]>();

beforeAll(async () => {
  emulator = await startEmulator({
    functions: {
      sink: async (event: unknown) => {
        const e = event as ApigEvent;
        const id = e.requestContext.requestId;
        if (failing) {
          originals.set(id, e);
          throw new Error(`refusing ${id}`);
        }
        replayed.set(id, [...(replayed.get(id) ?? []), e]);
        return { statusCode: 200, body: "ok" };
      },
    },
    auth: false,
    log: false,
  });
});
afterAll(async () => {
  await stopDaemon(d);
  await emulator.close();
});

/** Request `i`: JSON orders with repeated headers and query keys, every third a binary file. */
async function send(url: string, i: number): Promise<string> {
  const binary = i % 3 === 0;
  const headers = [
    "x-api-key",
    API_KEY,
    "x-tenant",
    i % 2 === 0 ? "even" : "odd",
    "x-tag",
    `a${i}`,
    "x-tag",
    `b${i}`,
    "content-type",
    binary ? "application/octet-stream" : "application/json",
    ...(i % 4 === 0 ? ["traceparent", PARENT] : []),
  ];
  const res = binary
    ? await request(`${url}/files/dir-${i}/blob.bin?v=${i}`, {
        method: "PUT",
        headers,
        body: Buffer.from([0xff, 0x00, 0xfe, i]),
      })
    : await request(`${url}/orders/${i}?expand=lines&tag=x&tag=y${i}`, {
        method: "POST",
        headers,
        body: JSON.stringify({ order: i }),
      });
  const body = await res.body.json();
  expect(res.statusCode, JSON.stringify(body)).toBe(502);
  return String(res.headers["x-request-id"]);
}

/** What the function got from replays: per request, each event, "same" when it was the original. */
function replays() {
  return Object.fromEntries(
    [...replayed].map(([id, events]) => [
      id,
      events.map((e) => (JSON.stringify(e) === JSON.stringify(originals.get(id)) ? "same" : e)),
    ]),
  );
}

const sameOnce = (ids: string[]) => Object.fromEntries(ids.map((id) => [id, ["same"]]));

describe("dlq replay of HTTP dead letters", () => {
  it("replays half by a header filter, then the rest: each once, in the original APIG event", async () => {
    d = await startHttpDaemon(
      emulator,
      {
        api: {
          auth: { type: "api-key", header: "X-Api-Key", keys: [API_KEY] },
          routes: [
            { name: "order", method: "POST", path: "/orders/{id}" },
            { name: "files", method: "PUT", path: "/files/{path+}" },
          ],
        },
      },
      [
        {
          name: "api-route",
          from: "api",
          to: [emulator.urnFor("sink")],
          mode: "sync",
          delivery: { onFunctionError: "dead-letter" },
        },
      ],
    );
    const n = 10;
    const ids: string[] = [];
    for (let i = 0; i < n; i++) ids.push(await send(d.urls.api!, i));
    await stopDaemon(d);
    expect(await d.daemon.exited).toBe(0);
    const dir = d.dir;
    d = undefined;

    const file = readFileSync(join(dir, "dead-letter.jsonl"), "utf8");
    expect(file.trim().split("\n")).toHaveLength(n);
    expect(file).not.toContain(API_KEY);
    expect(file).not.toContain("x-api-key");
    expect([...originals.keys()].sort()).toEqual([...ids].sort());
    // The originals are what the test sent (so "same" below means the whole request).
    expect(originals.get(ids[3]!)).toMatchObject({
      resource: "/files/{path+}",
      path: "/files/dir-3/blob.bin",
      httpMethod: "PUT",
      queryStringParameters: { v: "3" },
      pathParameters: { path: "dir-3/blob.bin" },
      body: Buffer.from([0xff, 0x00, 0xfe, 3]).toString("base64"),
      isBase64Encoded: true,
    });
    expect(originals.get(ids[4]!)).toMatchObject({
      resource: "/orders/{id}",
      headers: { "x-tag": "a4, b4", "x-tenant": "even", traceparent: PARENT },
      queryStringParameters: { expand: "lines", tag: "x,y4" },
      pathParameters: { id: "4" },
      body: '{"order":4}',
      isBase64Encoded: false,
    });

    failing = false;
    const cli = (...args: string[]) =>
      runCli(["dlq", ...args, "-c", join(dir, "fgconnect.yaml")], dir);
    const even = ids.filter((_, i) => i % 2 === 0);
    const byTenant = '{"attributes":{"headers":{"x-tenant":["even"]}}}';
    const half = await cli("replay", "--pattern", byTenant);
    expect(half.code, half.stderr).toBe(0);
    expect(replays()).toEqual(sameOnce(even));

    const again = await cli("replay", "--pattern", byTenant);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toContain("nothing to replay");
    expect(replays()).toEqual(sameOnce(even));

    const rest = await cli("replay");
    expect(rest.code, rest.stderr).toBe(0);
    expect(replays()).toEqual(sameOnce(ids));
  });
});
