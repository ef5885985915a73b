import { type DeadLetterEntry, toDeadLetterEntry } from "@fgconnect/core";
import type { ConsumeMessage } from "amqplib";
import { describe, expect, it } from "vitest";
import { reviveRabbitmqRecord } from "../src/dead-letter-revive.js";
import { rabbitmqFormats } from "../src/formats.js";
import { type RabbitmqRecord, toMessage, toRecord } from "../src/record.js";

const PARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
const formats = rabbitmqFormats({ region: "cn-north-4", instanceId: "i-1" });
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

/** A delivery as amqplib hands it over (absent properties are undefined). */
function delivery(
  content: Buffer,
  properties: Partial<ConsumeMessage["properties"]>,
  fields: Partial<ConsumeMessage["fields"]> = {},
): ConsumeMessage {
  return {
    content,
    fields: {
      deliveryTag: 7,
      redelivered: true,
      exchange: "shop",
      routingKey: "order.created",
      consumerTag: "c",
      ...fields,
    },
    properties: {
      contentType: undefined,
      contentEncoding: undefined,
      headers: undefined,
      deliveryMode: undefined,
      priority: undefined,
      correlationId: undefined,
      replyTo: undefined,
      expiration: undefined,
      messageId: undefined,
      timestamp: undefined,
      type: undefined,
      userId: undefined,
      appId: undefined,
      clusterId: undefined,
      ...properties,
    },
  };
}

const record = (m: ConsumeMessage, id = "orders#1"): RabbitmqRecord =>
  toRecord("mq", toMessage("orders", id, m), "routingKey");

/** The entry as the file store writes it and reads it back. */
const stored = (r: RabbitmqRecord): DeadLetterEntry =>
  JSON.parse(JSON.stringify(toDeadLetterEntry(r, failure)));

const full = delivery(
  Buffer.from('{"sku":"a1"}'),
  {
    contentType: "application/json",
    contentEncoding: "identity",
    headers: {
      traceparent: PARENT,
      tenant: "acme",
      raw: Buffer.from([0xde, 0xad]),
      nested: { n: 1, list: [1, "two", Buffer.from("x")] },
      big: 12345678901234567890n,
    },
    deliveryMode: 2,
    priority: 5,
    correlationId: "corr-1",
    replyTo: "replies",
    expiration: "60000",
    messageId: "m-1",
    timestamp: 1_700_000_000,
    type: "order.created",
    userId: "guest",
    appId: "shop",
  },
  { deliveryTag: 42 },
);

describe("a RabbitMQ record revived from its dead letter", () => {
  it("builds the same rich and native events as the original, every AMQP property kept", () => {
    const original = record(full);
    const revived = reviveRabbitmqRecord(stored(original));
    for (const format of ["rich", "native"] as const)
      expect(formats[format].build([revived], info)).toEqual(
        formats[format].build([original], info),
      );
    const rich = formats.rich.build([revived], info) as { records: Record<string, unknown>[] };
    expect(rich.records[0]).toMatchObject({
      id: "orders#1",
      deliveryTag: 42,
      redelivered: true,
      headers: { tenant: "acme", raw: "3q0=", big: "12345678901234567890" },
      properties: { priority: 5, replyTo: "replies", timestamp: 1_700_000_000, appId: "shop" },
    });
  });

  it("keeps a binary body, the ordering key, the timestamp and the trace context", () => {
    const original = record(
      delivery(Buffer.from([0xff, 0x00, 0xfe]), { headers: { traceparent: PARENT } }),
    );
    const revived = reviveRabbitmqRecord(stored(original));
    expect(revived.body).toEqual(Buffer.from([0xff, 0x00, 0xfe]));
    expect(formats.rich.build([revived], info)).toEqual(formats.rich.build([original], info));
    expect(formats.native.build([revived], info)).toEqual(formats.native.build([original], info));
    expect(revived.traceContext).toEqual({ traceparent: PARENT });
    expect(revived).toMatchObject({
      id: original.id,
      orderingKey: "orders/order.created",
      timestamp: original.timestamp,
      size: original.size,
    });
  });

  it("revives a message with no properties as one with none", () => {
    const original = record(delivery(Buffer.from("plain"), {}));
    const revived = reviveRabbitmqRecord(stored(original));
    expect(revived.message.properties).toEqual({});
    expect(revived.traceContext).toBeUndefined();
    expect(formats.rich.build([revived], info)).toEqual(formats.rich.build([original], info));
  });

  it("revives an entry written before properties were attributes with what it holds", () => {
    const entry = stored(record(full));
    const { properties: _, deliveryTag: __, ...older } = entry.record.attributes;
    const revived = reviveRabbitmqRecord({
      ...entry,
      record: { ...entry.record, attributes: older },
    });
    expect(revived.message.properties).toMatchObject({
      contentType: "application/json",
      messageId: "m-1",
      type: "order.created",
    });
    expect(revived.message.properties.priority).toBeUndefined();
    expect(formats.native.build([revived], info)).toEqual(
      formats.native.build([record(full)], info),
    );
  });
});

describe("a RabbitMQ record's attributes", () => {
  it("hold every property but headers as JSON, the delivery tag, and the names filters use", () => {
    expect(record(full).attributes).toEqual({
      queue: "orders",
      exchange: "shop",
      routingKey: "order.created",
      redelivered: true,
      deliveryTag: 42,
      headers: {
        traceparent: PARENT,
        tenant: "acme",
        raw: "3q0=",
        nested: { n: 1, list: [1, "two", "eA=="] },
        big: "12345678901234567890",
      },
      properties: {
        contentType: "application/json",
        contentEncoding: "identity",
        deliveryMode: 2,
        priority: 5,
        correlationId: "corr-1",
        replyTo: "replies",
        expiration: "60000",
        messageId: "m-1",
        timestamp: 1_700_000_000,
        type: "order.created",
        userId: "guest",
        appId: "shop",
      },
      contentType: "application/json",
      messageId: "m-1",
      type: "order.created",
    });
  });
});
