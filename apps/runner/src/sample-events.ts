/**
 * Sample FunctionGraph trigger events (like `sam local generate-event`), each built by the
 * connector's own payload builder from a sample message, so a sample is exactly what the daemon
 * sends. The emulator serves them from its sample-events.json, which scripts/sample-events.mjs
 * writes from here (the emulator depends on no connector); a test keeps it fresh.
 */
import { timerEvent } from "@fgconnect/cron";
import type { SampleEvent } from "@fgconnect/emulator";
import { apigEvent } from "@fgconnect/http";
import { kafkaTriggerEvent, toRecord } from "@fgconnect/kafka";
import { mqttEvent } from "@fgconnect/mqtt";
import { nativeEvent } from "@fgconnect/rabbitmq";
import { obsEvent, obsEventRecord, sequencerOf } from "@fgconnect/s3";

/** One fixed instant, so samples (and the emulator's copy) do not change from run to run. */
const AT = Date.parse("2026-01-01T00:30:00.000Z");
const REGION = "cn-north-4";
const INSTANCE_ID = "81335d56-b9fe-4679-ba95-7030949cc76b";
const ORDER = '{"orderId":"1001","amount":42.5}';

function kafka(): unknown {
  const limits = { maxRecordBytes: 6_000_000, requireUtf8: true };
  const records = [ORDER, '{"orderId":"1002","amount":7}'].map((value, i) =>
    toRecord(
      "sample",
      "orders",
      0,
      {
        offset: String(100 + i),
        key: Buffer.from(`order-${1001 + i}`),
        value: Buffer.from(value),
        timestamp: String(AT),
      },
      "partition",
      limits,
    ),
  );
  return kafkaTriggerEvent(records, { region: REGION, instanceId: INSTANCE_ID });
}

function obs(): unknown {
  const record = obsEventRecord({
    eventName: "ObjectCreated:Put",
    eventTime: new Date(AT).toISOString(),
    region: REGION,
    bucket: "uploads",
    key: "images/job.png",
    size: 777835,
    etag: "9d377b10ce778c4938b3c7e2c63a229a",
    sequencer: sequencerOf(AT),
    configurationId: "uploads",
  });
  return obsEvent([{ body: record }]);
}

function mqtt(): unknown {
  return mqttEvent("sensors", [
    {
      message: {
        topic: "sensors/greenhouse-1/temperature",
        payload: Buffer.from('{"celsius":21.5}'),
        qos: 1,
        retain: false,
        dup: false,
        properties: { contentType: "application/json" },
      },
      receivedAt: AT,
    },
  ]);
}

function rabbitmq(): unknown {
  const messages = [ORDER, '{"orderId":"1002","amount":7}'].map((body, i) => ({
    id: `orders/${i + 1}`,
    queue: "orders",
    exchange: "topic",
    routingKey: "orders.created",
    deliveryTag: i + 1,
    redelivered: false,
    body: Buffer.from(body),
    properties: { contentType: "application/json" },
    receivedAt: AT,
  }));
  return nativeEvent(messages, { region: REGION, instanceId: INSTANCE_ID });
}

function apig(): unknown {
  return apigEvent(
    {
      method: "POST",
      path: "/orders/1001",
      resource: "/orders/{id}",
      headers: {
        host: "127.0.0.1:8080",
        "content-type": "application/json",
        "user-agent": "curl/8.5.0",
      },
      query: { verbose: "true" },
      pathParameters: { id: "1001" },
      body: Buffer.from(ORDER),
      sourceIp: "127.0.0.1",
      requestId: "11cdcdcf33949dc6d722640a13091c77",
    },
    { apiId: "fgconnect", stage: "RELEASE", base64Body: "binary" },
  );
}

const BUILDERS: readonly (Omit<SampleEvent, "event"> & { build(): unknown })[] = [
  {
    kind: "timer",
    connector: "cron",
    summary: "timer trigger: one schedule tick",
    build: () =>
      timerEvent({
        schedule: "Timer_001",
        scheduledAt: new Date(AT),
        timezone: "Asia/Shanghai",
        userEvent: "hello from the timer",
      }),
  },
  {
    kind: "kafka",
    connector: "kafka",
    summary: "Kafka trigger (DMS for Kafka): two records of one topic",
    build: kafka,
  },
  {
    kind: "obs",
    connector: "s3",
    summary: "OBS trigger (S3 event notification): an object created",
    build: obs,
  },
  {
    kind: "rabbitmq",
    connector: "rabbitmq",
    summary: "DMS for RabbitMQ trigger: two messages from one exchange",
    build: rabbitmq,
  },
  {
    kind: "apig",
    connector: "http",
    summary: "APIG trigger: an HTTP request to /orders/{id}",
    build: apig,
  },
  {
    kind: "mqtt",
    connector: "mqtt",
    summary: "fgconnect's MQTT event (FunctionGraph has no MQTT trigger): one message",
    build: mqtt,
  },
];

/** Every sample, in a stable order: what the emulator's sample-events.json must hold. */
export function buildSampleEvents(): SampleEvent[] {
  return BUILDERS.map(({ build, ...rest }) => ({ ...rest, event: build() }));
}
