import type { InvokeResult } from "@fgconnect/core";
import { describe, expect, it } from "vitest";
import { createMqttConnector, type MqttRecord } from "../src/index.js";

const base = { url: "mqtt://127.0.0.1:1", topics: [{ filter: "a/#" }] };
const result = { raw: '{"ok":true}', json: { ok: true } } as unknown as InvokeResult;

function record(properties?: MqttRecord["message"]["properties"]): MqttRecord {
  const payload = Buffer.from("{}");
  return {
    id: "a/1#1",
    source: "mq",
    attributes: { topic: "a/1", qos: 1, retain: false },
    body: payload,
    message: {
      topic: "a/1",
      payload,
      qos: 1,
      retain: false,
      dup: false,
      ...(properties ? { properties } : {}),
    },
    timestamp: 1,
    size: 5,
  };
}

describe("MqttConnector's hooks for the engine", () => {
  it("has its own dead-letter sink only when the deadLetter option is set", () => {
    expect(createMqttConnector("mq", base).deadLetter).toBeUndefined();
    const withTopic = createMqttConnector("mq", { ...base, deadLetter: { topic: "dead" } });
    expect(typeof withTopic.deadLetter?.write).toBe("function");
  });

  it("publishes nothing for a result unless respond is set and the message has a response topic", async () => {
    // Not started: any publish would reject with MQTT_PUBLISH_FAILED.
    const silent = createMqttConnector("mq", base);
    await expect(
      silent.onResult([record({ responseTopic: "r" })], result),
    ).resolves.toBeUndefined();
    const responding = createMqttConnector("mq", { ...base, respond: {} });
    await expect(responding.onResult([record()], result)).resolves.toBeUndefined();
    await expect(
      responding.onResult([record({ responseTopic: "r" })], result),
    ).rejects.toMatchObject({
      code: "MQTT_PUBLISH_FAILED",
    });
  });
});
