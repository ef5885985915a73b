import type { KafkaOptions } from "@fgconnect/kafka";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { startPipeline } from "../harness/kafka/pipeline.js";
import { createTopic, numbered, produce, testKafka, waitFor } from "../harness/kafka.js";

const { broker } = inject("kafka");
const kafka = testKafka(broker);
const producer = kafka.producer();
let topic: string;

beforeAll(async () => {
  topic = `secure-${Date.now()}`;
  await createTopic(kafka, topic, 1);
  await producer.connect();
  await produce(producer, topic, numbered("s", 20));
});
afterAll(() => producer.disconnect());

async function consumesAll(connection: Partial<KafkaOptions>, group: string): Promise<void> {
  const p = await startPipeline({
    connector: {
      brokers: [broker.plaintext],
      topics: [topic],
      groupId: `g-${group}-${Date.now()}`,
      startFrom: "earliest",
      ...connection,
    },
  });
  try {
    await waitFor("20 deliveries", () => p.fn.received.length >= 20);
    expect(p.fn.received.map((r) => r.value)).toEqual(numbered("s", 20).map((m) => m.value));
    expect(p.connector.health().connected).toBe(true);
  } finally {
    await p.stop();
  }
}

describe("secured listeners", () => {
  it("SASL SCRAM-SHA-256", () =>
    consumesAll(
      { brokers: [broker.sasl], sasl: { mechanism: "scram-sha-256", ...broker.users.scram256 } },
      "scram256",
    ));

  it("SASL SCRAM-SHA-512", () =>
    consumesAll(
      { brokers: [broker.sasl], sasl: { mechanism: "scram-sha-512", ...broker.users.scram512 } },
      "scram512",
    ));

  it("SASL PLAIN", () =>
    consumesAll(
      { brokers: [broker.sasl], sasl: { mechanism: "plain", ...broker.users.plain } },
      "plain",
    ));

  it("mutual TLS with the harness's CA and a client certificate", () =>
    consumesAll(
      {
        brokers: [broker.ssl],
        tls: { ca: broker.tls.ca, cert: broker.tls.clientCert, key: broker.tls.clientKey },
      },
      "tls",
    ));

  it("refuses to start with a wrong SCRAM password, saying so", async () => {
    await expect(
      startPipeline({
        connector: {
          brokers: [broker.sasl],
          topics: [topic],
          groupId: "g-bad-password",
          sasl: {
            mechanism: "scram-sha-256",
            username: broker.users.scram256.username,
            password: "wrong-password",
          },
          connectionTimeoutMs: 3_000,
        },
      }),
    ).rejects.toThrow(/SASL SCRAM SHA256 authentication failed|Authentication failed/i);
  });

  it("refuses a broker certificate from an unknown CA", async () => {
    await expect(
      startPipeline({
        connector: {
          brokers: [broker.ssl],
          topics: [topic],
          groupId: "g-bad-ca",
          tls: true,
          connectionTimeoutMs: 3_000,
        },
      }),
    ).rejects.toThrow(/certificate|self.signed|unable to verify/i);
  });
});
