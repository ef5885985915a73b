import { describe, expect, it } from "vitest";
import { type AmqpMessage, jsonOf, nativeEvent, richEvent } from "../src/payload.js";

const trigger = { region: "cn-north-4", instanceId: "81335d56-b9fe-4679-ba95-7030949cc76b" };

function message(over: Partial<AmqpMessage> = {}): AmqpMessage {
  return {
    id: "orders#k.1.1",
    queue: "orders",
    exchange: "topic",
    routingKey: "order.created",
    deliveryTag: 1,
    redelivered: false,
    body: Buffer.from("rabbitmq message1"),
    properties: {},
    receivedAt: 1_576_737_962_500,
    ...over,
  };
}

describe("the native event (FunctionGraph's DMS-for-RabbitMQ trigger)", () => {
  it("matches the trigger's published sample for a batch of two", () => {
    const event = nativeEvent(
      [message(), message({ id: "b", deliveryTag: 2, body: Buffer.from("rabbitmq message2") })],
      trigger,
    );
    expect(event).toEqual({
      event_version: "v1.0",
      event_time: 1576737962,
      trigger_type: "RABBITMQ",
      region: "cn-north-4",
      instance_id: trigger.instanceId,
      records: [
        {
          messages: ["rabbitmq message1", "rabbitmq message2"],
          instance_id: trigger.instanceId,
          exchange: "topic",
        },
      ],
    });
  });

  it("groups messages by exchange in order of first appearance, event_time the latest", () => {
    const event = nativeEvent(
      [
        message({ exchange: "a", body: Buffer.from("1") }),
        message({ exchange: "b", body: Buffer.from("2"), receivedAt: 1_700_000_000_999 }),
        message({ exchange: "a", body: Buffer.from("3") }),
      ],
      trigger,
    );
    expect(event.records.map((r) => [r.exchange, r.messages])).toEqual([
      ["a", ["1", "3"]],
      ["b", ["2"]],
    ]);
    expect(event.event_time).toBe(1_700_000_000);
  });
});

describe("the rich event", () => {
  it("carries the record id, routing, properties and headers of each message", () => {
    const event = richEvent(
      [
        message({
          redelivered: true,
          properties: {
            contentType: "application/json",
            messageId: "m-1",
            correlationId: "c-1",
            timestamp: 1_576_737_962,
            headers: { tenant: "acme", raw: Buffer.from([1, 2]), n: 3 },
          },
        }),
      ],
      trigger,
    );
    expect(event.trigger_type).toBe("RABBITMQ");
    expect(event.records).toEqual([
      {
        id: "orders#k.1.1",
        queue: "orders",
        exchange: "topic",
        routingKey: "order.created",
        deliveryTag: 1,
        redelivered: true,
        headers: { tenant: "acme", raw: "AQI=", n: 3 },
        properties: {
          contentType: "application/json",
          messageId: "m-1",
          correlationId: "c-1",
          timestamp: 1_576_737_962,
        },
        body: "rabbitmq message1",
        bodyEncoding: "text",
      },
    ]);
  });

  it("writes a binary body as base64", () => {
    const bytes = Buffer.from([0xff, 0xfe, 0x00, 0x80]);
    const [record] = richEvent([message({ body: bytes })], trigger).records;
    expect(record).toMatchObject({ body: bytes.toString("base64"), bodyEncoding: "base64" });
  });
});

describe("jsonOf", () => {
  it("turns AMQP field values into JSON", () => {
    expect(jsonOf({ a: [1, Buffer.from("x")], b: 10n, c: null, d: Number.NaN })).toEqual({
      a: [1, "eA=="],
      b: "10",
      c: null,
      d: "NaN",
    });
  });
});
