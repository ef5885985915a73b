/**
 * `fgconnect dlq replay` of RabbitMQ dead letters the real daemon wrote to its file: messages
 * with distinct AMQP properties, headers and bodies (one binary) fail at the function, then are
 * replayed half by a filter on a header, again (nothing sent), then the rest. The function gets
 * each exactly once per replay, in the very event (rich, and native) the original delivery sent.
 */
import { join } from "node:path";
import { type Emulator, startEmulator } from "@fgconnect/emulator";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { runCli } from "../harness/cli.js";
import { functiongraphOf } from "../harness/emulator-section.js";
import {
  brokerFixture,
  config,
  daemonDir,
  deadLetters,
  startIn,
  stopDaemon,
  uniqueName,
} from "./helpers.js";

const broker = brokerFixture();
const { queues, daemons } = broker;
const PARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

interface Event {
  records: { id?: string; properties?: { messageId?: string }; messages?: string[] }[];
}

let emulator: Emulator;
let failing = true;
/** Picks the message a one-message event is for. */
let keyOf: (event: Event) => string = () => "";
/** The event each message's original delivery sent (the first of its failed attempts). */
const originals = new Map<string, Event>();
/** The events each message's replays sent. */
const replayed = new Map<string, Event[]>();

beforeAll(async () => {
  emulator = await startEmulator({
    functions: {
      sink: async (event: unknown) => {
        const e = event as Event;
        const key = keyOf(e);
        if (failing) {
          if (!originals.has(key)) originals.set(key, e);
          throw new Error(`refusing ${key}`);
        }
        replayed.set(key, [...(replayed.get(key) ?? []), e]);
        return "ok";
      },
    },
    auth: false,
    log: false,
  });
});
afterAll(() => emulator.close());

/** `n` messages published with properties, headers and bodies of their own. */
async function publishAll(queue: string, n: number): Promise<void> {
  const ch = await broker.model.createConfirmChannel();
  for (let i = 0; i < n; i++) {
    const body =
      i === 3 ? Buffer.from([0xff, 0x00, i]) : Buffer.from(JSON.stringify({ i, note: `m${i}` }));
    ch.sendToQueue(queue, body, {
      messageId: `m-${i}`,
      correlationId: `c-${i}`,
      replyTo: `replies-${i % 3}`,
      contentType: i === 3 ? "application/octet-stream" : "application/json",
      contentEncoding: "identity",
      priority: i % 10,
      persistent: i % 2 === 0,
      expiration: String(60_000 + i),
      timestamp: 1_700_000_000 + i,
      type: `t${i % 4}`,
      appId: "shop",
      headers: {
        kind: i % 2 === 0 ? "even" : "odd",
        n: i,
        tags: ["a", `b${i}`],
        raw: Buffer.from([i, 0xfe]),
        ...(i % 5 === 0 ? { traceparent: PARENT } : {}),
      },
    });
  }
  await ch.waitForConfirms();
  await ch.close();
}

/** The daemon's dead letters of `n` messages of a new queue, routed in `format`. */
async function deadLettered(n: number, format: "rich" | "native") {
  const queue = uniqueName("dlq-replay");
  queues.push(queue);
  const dir = daemonDir();
  failing = true;
  originals.clear();
  replayed.clear();
  const text = config(
    { queues: [queue], declare: true },
    {
      name: "mq-route",
      to: [emulator.urnFor("sink")],
      format,
      batch: { maxRecords: 1 },
    },
    {
      emulator: undefined,
      functiongraph: functiongraphOf(emulator),
    },
  );
  const daemon = await startIn(dir, text);
  daemons.push(daemon);
  await publishAll(queue, n);
  await vi.waitFor(() => expect(deadLetters(dir)).toHaveLength(n), { timeout: 30_000 });
  expect(await stopDaemon(daemon)).toBe(0);
  expect(originals.size).toBe(n);
  failing = false;
  const cli = (...args: string[]) =>
    runCli(["dlq", ...args, "-c", join(dir, "fgconnect.yaml")], dir);
  return { dir, cli };
}

/** What the function got from replays: each message's count, and whether it was the original event. */
function replays() {
  return Object.fromEntries(
    [...replayed].map(([key, events]) => [
      key,
      events.map((e) => (JSON.stringify(e) === JSON.stringify(originals.get(key)) ? "same" : e)),
    ]),
  );
}

const sameOnce = (keys: string[]) => Object.fromEntries(keys.map((k) => [k, ["same"]]));

describe("dlq replay of RabbitMQ dead letters", () => {
  it("replays half by a header filter, then the rest: each once, in the original rich event", async () => {
    keyOf = (e) => e.records[0]!.properties!.messageId!;
    const n = 20;
    const keys = Array.from({ length: n }, (_, i) => `m-${i}`);
    const { cli } = await deadLettered(n, "rich");

    const even = await cli("replay", "--pattern", '{"attributes":{"headers":{"kind":["even"]}}}');
    expect(even.code, even.stderr).toBe(0);
    expect(replays()).toEqual(sameOnce(keys.filter((_, i) => i % 2 === 0)));

    const again = await cli("replay", "--pattern", '{"attributes":{"headers":{"kind":["even"]}}}');
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toContain("nothing to replay");
    expect(replays()).toEqual(sameOnce(keys.filter((_, i) => i % 2 === 0)));

    const rest = await cli("replay");
    expect(rest.code, rest.stderr).toBe(0);
    expect(replays()).toEqual(sameOnce(keys));

    // The event is the whole message: properties, headers (bytes in base64), a binary body.
    expect(replayed.get("m-3")![0]!.records[0]).toMatchObject({
      headers: { kind: "odd", n: 3, tags: ["a", "b3"], raw: "A/4=" },
      properties: {
        messageId: "m-3",
        correlationId: "c-3",
        replyTo: "replies-0",
        contentType: "application/octet-stream",
        contentEncoding: "identity",
        priority: 3,
        deliveryMode: 1,
        expiration: "60003",
        timestamp: 1_700_000_003,
        type: "t3",
        appId: "shop",
      },
      body: Buffer.from([0xff, 0x00, 3]).toString("base64"),
      bodyEncoding: "base64",
    });
  });

  it("replays in the native format the event the original delivery sent", async () => {
    keyOf = (e) => String((JSON.parse(e.records[0]!.messages![0]!) as { i: number }).i);
    const { cli } = await deadLettered(3, "native");
    // Filters see the AMQP properties too.
    const some = await cli(
      "replay",
      "--pattern",
      '{"attributes":{"properties":{"priority":[0,2]}}}',
    );
    expect(some.code, some.stderr).toBe(0);
    expect(replays()).toEqual(sameOnce(["0", "2"]));
    const rest = await cli("replay");
    expect(rest.code, rest.stderr).toBe(0);
    expect(replays()).toEqual(sameOnce(["0", "1", "2"]));
  });
});
