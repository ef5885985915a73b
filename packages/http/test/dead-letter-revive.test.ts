import { request } from "node:http";
import {
  type ConnectorContext,
  type DeadLetterEntry,
  type RecordOutcome,
  silentLogger,
  toDeadLetterEntry,
} from "@fgconnect/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { reviveHttpRecord } from "../src/dead-letter-revive.js";
import { createHttpConnector, type HttpConnector, type HttpRecord } from "../src/index.js";

const PARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
const KEY = "s3cret-key-value";
const info = { route: "r", mode: "sync" as const };
const failure = {
  reason: "retries exhausted" as const,
  route: "r",
  target: "urn:x",
  mode: "sync" as const,
  attempts: 2,
  firstAttemptAt: undefined,
  error: new Error("boom"),
  now: Date.UTC(2024, 0, 1),
};

let connector: HttpConnector;
let url: string;
const records: HttpRecord[] = [];

beforeAll(async () => {
  connector = createHttpConnector("api", {
    host: "127.0.0.1",
    port: 0,
    auth: { type: "api-key", header: "X-Api-Key", keys: [KEY] },
    routes: [
      { name: "order", method: "POST", path: "/orders/{id}" },
      { name: "files", method: "ANY", path: "/files/{path+}" },
    ],
  });
  const ctx: ConnectorContext<HttpRecord> = {
    push(record): Promise<RecordOutcome> {
      records.push(record);
      return Promise.resolve("dead-lettered");
    },
    logger: silentLogger,
  };
  await connector.start(ctx);
  url = connector.url!;
});
afterAll(() => connector.stop());

/** Sends one request with raw headers (a name may repeat); resolves with its record. */
function send(method: string, path: string, rawHeaders: string[], body?: Buffer) {
  const before = records.length;
  return new Promise<HttpRecord>((resolve, reject) => {
    // Raw headers get no Host of their own.
    const headers = ["host", new URL(url).host, ...rawHeaders];
    const req = request(`${url}${path}`, { method, headers }, (res) => {
      res.resume();
      res.once("end", () => {
        const record = records[before];
        if (record) resolve(record);
        else reject(new Error(`no record for ${method} ${path} (answered ${res.statusCode})`));
      });
    });
    req.once("error", reject);
    req.end(body);
  });
}

/** The entry as the file store writes it and reads it back. */
const stored = (r: HttpRecord): DeadLetterEntry =>
  JSON.parse(JSON.stringify(toDeadLetterEntry(r, failure)));

const build = (r: HttpRecord) => connector.formats.apig!.build([r], info);

describe("an HTTP record revived from its dead letter", () => {
  it("builds the identical APIG event: repeated headers and query keys, path parameters, trace context", async () => {
    const original = await send(
      "POST",
      "/orders/17?expand=lines&tag=a&tag=b",
      [
        "x-api-key",
        KEY,
        "content-type",
        "application/json",
        "x-tag",
        "one",
        "x-tag",
        "two",
        "traceparent",
        PARENT,
      ],
      Buffer.from('{"sku":"a1"}'),
    );
    const revived = reviveHttpRecord(stored(original));
    expect(build(revived)).toEqual(build(original));
    expect(revived.event).toMatchObject({
      resource: "/orders/{id}",
      path: "/orders/17",
      queryStringParameters: { expand: "lines", tag: "a,b" },
      pathParameters: { id: "17" },
      body: '{"sku":"a1"}',
      isBase64Encoded: false,
    });
    expect(revived.event.headers["x-tag"]).toBe("one, two");
    expect(revived.traceContext).toEqual({ traceparent: PARENT });
    expect(revived).toMatchObject({
      id: original.id,
      timestamp: original.timestamp,
      size: original.size,
    });
  });

  it("builds the identical event for a binary body on a greedy path", async () => {
    const bytes = Buffer.from([0xff, 0x00, 0xfe, 0x80]);
    const original = await send(
      "PUT",
      "/files/a/b/c.bin",
      ["x-api-key", KEY, "content-type", "application/octet-stream"],
      bytes,
    );
    expect(original.event.isBase64Encoded).toBe(true);
    const revived = reviveHttpRecord(stored(original));
    expect(build(revived)).toEqual(build(original));
    expect(Buffer.from(revived.event.body, "base64")).toEqual(bytes);
    expect(revived.event.pathParameters).toEqual({ path: "a/b/c.bin" });
    expect(revived.traceContext).toBeUndefined();
  });

  it("holds no API key in the dead letter", async () => {
    const original = await send("GET", "/files/x", ["x-api-key", KEY]);
    const text = JSON.stringify(toDeadLetterEntry(original, failure));
    expect(text).not.toContain(KEY);
    expect(text).not.toContain("x-api-key");
    expect(build(reviveHttpRecord(stored(original)))).toEqual(build(original));
  });

  it("holds no caller credentials: the function gets them, the dead letter and its replay do not", async () => {
    const original = await send("GET", "/files/z", [
      "x-api-key",
      KEY,
      "authorization",
      "Bearer caller-token",
      "cookie",
      "session=caller-session",
      "x-tenant",
      "t1",
    ]);
    expect(original.event.headers).toMatchObject({
      authorization: "Bearer caller-token",
      cookie: "session=caller-session",
    });
    const text = JSON.stringify(toDeadLetterEntry(original, failure));
    expect(text).not.toContain("caller-token");
    expect(text).not.toContain("caller-session");
    const { authorization: _a, cookie: _c, ...others } = original.event.headers;
    expect(reviveHttpRecord(stored(original)).event.headers).toEqual(others);
  });

  it("refuses an entry that does not hold the whole request, saying what to do", async () => {
    const entry = stored(await send("GET", "/files/y", ["x-api-key", KEY]));
    const { route = null, method = null, path = null } = entry.record.attributes;
    const older = { ...entry, record: { ...entry.record, attributes: { route, method, path } } };
    expect(() => reviveHttpRecord(older)).toThrow(/does not hold the whole HTTP request.*filter/);
  });
});

describe("an HTTP record's attributes", () => {
  it("hold the route, method and path filters use, and the rest of the event but its body", async () => {
    const original = await send("POST", "/orders/9?q=1", ["x-api-key", KEY], Buffer.from("hi"));
    // The event's own objects: a request costs no copy.
    expect(original.attributes.headers).toBe(original.event.headers);
    const { body: _, httpMethod, queryStringParameters, ...rest } = original.event;
    expect(original.attributes).toEqual({
      route: "order",
      method: httpMethod,
      query: queryStringParameters,
      ...rest,
    });
  });
});
