/**
 * The daemon uses a function's result and its failures through the MQTT connection itself:
 * request/response (`respond`) and the dead-letter topic (`deadLetter`), configured in YAML only.
 */
import { type Emulator, startEmulator } from "@fgconnect/emulator";
import type { MqttEvent } from "@fgconnect/mqtt";
import type { IPublishPacket } from "mqtt";
import { afterAll, beforeAll, describe, expect, inject, it, vi } from "vitest";
import { daemonConfig, killAllDaemons, startDaemon, tempDir } from "./daemon.js";
import { publisher, Received, uniqueName } from "./helpers.js";

const broker = inject("broker");

let emulator: Emulator;
let dir: string;
const received = new Received();
/** Invocations per message payload `id`, failed ones included. */
const invocations = new Map<string, number>();

beforeAll(async () => {
  dir = await tempDir();
  emulator = await startEmulator({
    functions: {
      // Doubles `x`; throws for a message whose payload says `poison`.
      sink: async (event: unknown) => {
        const e = event as MqttEvent;
        received.add(e);
        const body = e.records[0]!.payload as { id: string; x?: number; poison?: boolean };
        invocations.set(body.id, (invocations.get(body.id) ?? 0) + 1);
        if (body.poison) throw new Error(`cannot handle ${body.id}`);
        return { id: body.id, doubled: (body.x ?? 0) * 2 };
      },
    },
    auth: false,
    log: false,
  });
});
afterAll(async () => {
  await killAllDaemons();
  await emulator.close();
});

/** Collects the messages a client receives, and waits for one that matches. */
function inbox(client: Awaited<ReturnType<typeof publisher>>) {
  const got: { topic: string; payload: Buffer; packet: IPublishPacket }[] = [];
  client.on("message", (topic, payload, packet) => got.push({ topic, payload, packet }));
  return {
    got,
    async next(topic: string) {
      await vi.waitFor(() => expect(got.some((m) => m.topic === topic)).toBe(true), {
        timeout: 20_000,
        interval: 20,
      });
      return got.find((m) => m.topic === topic)!;
    },
  };
}

async function metric(adminUrl: string, pattern: RegExp): Promise<number> {
  const text = await (await fetch(`${adminUrl}/metrics`)).text();
  const match = pattern.exec(text);
  if (!match) throw new Error(`no ${pattern} in /metrics:\n${text}`);
  return Number(match[1]);
}

describe("the fgconnect daemon's MQTT request/response and dead-letter topic", () => {
  it("publishes the function's result to the response topic with the correlation data", async () => {
    const base = uniqueName("d-rr");
    const daemon = await startDaemon(
      daemonConfig(
        emulator,
        {
          mq: {
            url: broker.url,
            clientId: base,
            topics: [{ filter: `${base}/requests/#`, qos: 1 }],
            respond: { qos: 1 },
          },
        },
        dir,
      ),
      dir,
    );
    const requester = await publisher(broker.url);
    const replies = inbox(requester);
    await requester.subscribeAsync(`${base}/replies/#`, { qos: 1 });
    // Two requesters' messages in one stream: each reply goes to its own topic and correlation.
    for (const [who, x] of [
      ["a", 21],
      ["b", 50],
    ] as const) {
      await requester.publishAsync(`${base}/requests/calc`, JSON.stringify({ id: who, x }), {
        qos: 1,
        properties: {
          responseTopic: `${base}/replies/${who}`,
          correlationData: Buffer.from(`corr-${who}`),
        },
      });
    }
    const a = await replies.next(`${base}/replies/a`);
    const b = await replies.next(`${base}/replies/b`);
    expect(JSON.parse(a.payload.toString())).toEqual({ id: "a", doubled: 42 });
    expect(Buffer.from(a.packet.properties!.correlationData!).toString()).toBe("corr-a");
    expect(a.packet.properties!.contentType).toBe("application/json");
    expect(JSON.parse(b.payload.toString())).toEqual({ id: "b", doubled: 100 });
    expect(Buffer.from(b.packet.properties!.correlationData!).toString()).toBe("corr-b");

    // A message without a response topic is delivered and gets no reply.
    await requester.publishAsync(`${base}/requests/calc`, JSON.stringify({ id: "c", x: 1 }), {
      qos: 1,
    });
    await vi.waitFor(() => expect(invocations.get("c")).toBe(1), { timeout: 20_000 });
    await vi.waitFor(
      async () =>
        expect(
          await metric(
            daemon.adminUrl,
            /fgconnect_source_lag_records\{source="mq",part=""\} (\d+)/,
          ),
        ).toBe(0),
      { timeout: 10_000, interval: 50 },
    );
    expect(replies.got.map((m) => m.topic).sort()).toEqual([
      `${base}/replies/a`,
      `${base}/replies/b`,
    ]);
    await requester.endAsync();
    expect(await daemon.kill("SIGTERM")).toBe(0);
  });

  it("retries a failing function, dead-letters to the MQTT topic with the error in user properties, acknowledges, and goes on", async () => {
    const base = uniqueName("d-dlq");
    const id = (name: string) => `${base}:${name}`;
    const config = daemonConfig(
      emulator,
      {
        mq: {
          url: broker.url,
          clientId: base,
          topics: [{ filter: `${base}/in/#`, qos: 1 }],
          deadLetter: { topic: `${base}/dead`, qos: 1 },
        },
      },
      dir,
      { delivery: { maxAttempts: 3, firstDelayMs: 20, maxDelayMs: 50 } },
    );
    let daemon = await startDaemon(config, dir);
    const client = await publisher(broker.url);
    const dead = inbox(client);
    await client.subscribeAsync(`${base}/dead`, { qos: 1 });
    const send = (name: string, extra: object = {}) =>
      client.publishAsync(`${base}/in/x`, JSON.stringify({ id: id(name), ...extra }), {
        qos: 1,
        properties: { contentType: "application/json" },
      });
    // One topic: the poison message holds the next one back while it is retried (ordering).
    await send("before");
    await send("poison", { poison: true });
    await send("after");

    const letter = await dead.next(`${base}/dead`);
    expect(JSON.parse(letter.payload.toString())).toEqual({ id: id("poison"), poison: true });
    expect(letter.packet.properties!.contentType).toBe("application/json");
    expect(letter.packet.properties!.userProperties).toMatchObject({
      "fgconnect-reason": "retries exhausted",
      "fgconnect-attempts": "3",
      "fgconnect-topic": `${base}/in/x`,
      "fgconnect-function": emulator.urnFor("sink"),
      "fgconnect-error-code": expect.any(String),
      "fgconnect-error-message": expect.stringContaining(`cannot handle ${id("poison")}`),
    });
    expect(invocations.get(id("poison"))).toBe(3);
    // The daemon goes on: the next message of the same topic is delivered.
    await vi.waitFor(() => expect(invocations.get(id("after"))).toBe(1), { timeout: 20_000 });
    expect(
      received.messages
        .map((m) => (m.payload as { id: string }).id)
        .filter((x) => x.startsWith(base)),
    ).toEqual([id("before"), id("poison"), id("poison"), id("poison"), id("after")]);
    expect(
      await metric(
        daemon.adminUrl,
        /fgconnect_records_dead_lettered_total\{[^}]*reason="retries exhausted"[^}]*\} (\d+)/,
      ),
    ).toBe(1);
    await vi.waitFor(
      async () =>
        expect(
          await metric(
            daemon.adminUrl,
            /fgconnect_source_lag_records\{source="mq",part=""\} (\d+)/,
          ),
        ).toBe(0),
      { timeout: 10_000, interval: 50 },
    );

    // Acknowledged: a restarted daemon on the same persistent session gets only what is new.
    expect(await daemon.kill("SIGTERM")).toBe(0);
    await send("later");
    daemon = await startDaemon(config, dir);
    await vi.waitFor(() => expect(invocations.get(id("later"))).toBe(1), { timeout: 20_000 });
    expect(invocations.get(id("poison"))).toBe(3);
    expect(invocations.get(id("before"))).toBe(1);
    expect(invocations.get(id("after"))).toBe(1);
    expect(dead.got).toHaveLength(1);
    await client.endAsync();
    expect(await daemon.kill("SIGTERM")).toBe(0);
  });
});
