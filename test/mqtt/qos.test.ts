import { afterAll, describe, expect, inject, it, vi } from "vitest";
import { type Pipeline, payloads, pipeline, publisher, uniqueName } from "./helpers.js";

const broker = inject("broker");

describe.each([
  { protocolVersion: 4 as const, label: "MQTT 3.1.1" },
  { protocolVersion: 5 as const, label: "MQTT 5" },
])("$label", ({ protocolVersion }) => {
  const running: Pipeline[] = [];
  afterAll(async () => {
    for (const p of running) await p.stop();
  });

  it.each([0, 1, 2] as const)(
    "delivers QoS %i messages end to end, in order per topic",
    async (qos) => {
      const base = uniqueName(`qos${qos}`);
      const p = await pipeline({
        url: broker.url,
        protocolVersion,
        clientId: base,
        topics: [{ filter: `${base}/+/data`, qos }],
      });
      running.push(p);
      const pub = await publisher(broker.url, { protocolVersion });
      const n = 50;
      for (let i = 0; i < n; i++)
        await pub.publishAsync(`${base}/dev1/data`, JSON.stringify({ i }), { qos });
      await p.received.waitFor(n);
      await pub.endAsync();
      expect(payloads(p.received)).toEqual(Array.from({ length: n }, (_, i) => ({ i })));
      const first = p.received.messages[0]!;
      expect(first).toMatchObject({
        topic: `${base}/dev1/data`,
        encoding: "json",
        qos,
        retain: false,
      });
      expect(p.received.events[0]).toMatchObject({
        event_version: "v1.0",
        trigger_type: "MQTT",
        trigger_name: "mq",
      });
      // Every message acknowledged once delivered: nothing is left waiting at the broker. The
      // last acknowledgement is counted only after its HTTP response settles, so poll for it.
      await vi.waitFor(
        () =>
          expect(p.connector.stats).toMatchObject({ received: n, acknowledged: n, inFlight: 0 }),
        { timeout: 10_000 },
      );
    },
  );

  it("matches + and # wildcards and encodes text and binary payloads", async () => {
    const base = uniqueName("wild");
    const p = await pipeline({
      url: broker.url,
      protocolVersion,
      clientId: base,
      topics: [
        { filter: `${base}/sensors/+/temp`, qos: 1 },
        { filter: `${base}/logs/#`, qos: 1 },
      ],
    });
    running.push(p);
    const pub = await publisher(broker.url, { protocolVersion });
    await pub.publishAsync(`${base}/sensors/a/temp`, "21.5", { qos: 1 });
    await pub.publishAsync(`${base}/sensors/a/humidity`, "ignored", { qos: 1 });
    await pub.publishAsync(`${base}/logs/app/x/y`, "plain text line", { qos: 1 });
    await pub.publishAsync(`${base}/logs`, Buffer.from([0xff, 0x00, 0xfe]), { qos: 1 });
    await p.received.waitFor(3);
    await pub.endAsync();
    const byTopic = Object.fromEntries(p.received.messages.map((m) => [m.topic, m]));
    expect(Object.keys(byTopic).sort()).toEqual([
      `${base}/logs`,
      `${base}/logs/app/x/y`,
      `${base}/sensors/a/temp`,
    ]);
    expect(byTopic[`${base}/sensors/a/temp`]).toMatchObject({ payload: 21.5, encoding: "json" });
    expect(byTopic[`${base}/logs/app/x/y`]).toMatchObject({
      payload: "plain text line",
      encoding: "text",
    });
    expect(byTopic[`${base}/logs`]).toMatchObject({ payload: "/wD+", encoding: "base64" });
  });
});

describe("MQTT 5 properties", () => {
  it("carries content type, user properties, response topic and correlation data", async () => {
    const base = uniqueName("props");
    const p = await pipeline({
      url: broker.url,
      clientId: base,
      topics: [{ filter: `${base}/#`, qos: 1 }],
    });
    const pub = await publisher(broker.url);
    await pub.publishAsync(`${base}/x`, '{"a":1}', {
      qos: 1,
      retain: true,
      properties: {
        contentType: "application/json",
        userProperties: { site: "north", tag: ["a", "b"] },
        responseTopic: `${base}/reply`,
        correlationData: Buffer.from("req-1"),
      },
    });
    await p.received.waitFor(1);
    await pub.endAsync();
    await p.stop();
    expect(p.received.messages[0]).toEqual({
      topic: `${base}/x`,
      payload: { a: 1 },
      encoding: "json",
      qos: 1,
      retain: false,
      properties: {
        content_type: "application/json",
        user_properties: { site: "north", tag: ["a", "b"] },
        response_topic: `${base}/reply`,
        correlation_data: Buffer.from("req-1").toString("base64"),
      },
    });
  });
});
