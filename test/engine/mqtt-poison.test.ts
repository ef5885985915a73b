import { readFileSync } from "node:fs";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createClient, createEngine, type RecordOutcome } from "@fgconnect/core";
import { type Emulator, startEmulator } from "@fgconnect/emulator";
import { createMqttConnector, type MqttEvent } from "@fgconnect/mqtt";
import mqtt from "mqtt";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { type Mosquitto, startMosquitto } from "../harness/mosquitto.js";

// A real source: 300 MQTT messages (QoS 1, one topic, batches of 50), every tenth poison, to a
// function in the emulator that fails its whole batch when one message in it is poison.

let broker: Mosquitto;
let emulator: Emulator;

beforeAll(async () => {
  broker = await startMosquitto();
  emulator = await startEmulator({
    auth: false,
    log: false,
    functions: {
      strict: async (event: unknown) => {
        const records = (event as MqttEvent).records;
        const bad = records.find((r) => (r.payload as { poison?: boolean }).poison);
        if (bad) throw new Error(`cannot handle ${JSON.stringify(bad.payload)}`);
        return { handled: records.length };
      },
    },
  });
});
afterAll(async () => {
  await emulator?.close();
  await broker?.close();
});

describe("bisect on error with MQTT messages", () => {
  it("dead-letters exactly the 30 poison messages of 300 sent in batches of 50", async () => {
    const dir = await mkdtemp(join(tmpdir(), "fgc-engine-mqtt-"));
    const path = join(dir, "dead-letter.jsonl");
    const client = createClient({
      endpoint: emulator.url,
      projectId: emulator.projectId,
      region: emulator.region,
    });
    const connector = createMqttConnector("mq", {
      url: broker.url,
      clientId: "engine-poison",
      topics: [{ filter: "engine-poison/#", qos: 1 }],
    });
    const outcomes: RecordOutcome[] = [];
    const engine = createEngine({
      invoker: client,
      connectors: [connector],
      routes: [
        {
          from: "mq",
          to: [emulator.urnFor("strict")],
          mode: "sync",
          batch: { maxRecords: 50, maxWaitMs: 200 },
          delivery: { maxAttempts: 2, firstDelayMs: 10, maxDelayMs: 50 },
        },
      ],
      deadLetter: { type: "file", path, fsync: false },
      metrics: {
        delivered: (_labels, n) => outcomes.push(...Array<RecordOutcome>(n).fill("delivered")),
        deadLettered: (_labels, n) =>
          outcomes.push(...Array<RecordOutcome>(n).fill("dead-lettered")),
      },
    });
    await engine.start();
    const publisher = await mqtt.connectAsync(broker.url, { protocolVersion: 5 });
    try {
      for (let i = 0; i < 300; i += 1) {
        const poison = i % 10 === 4;
        await publisher.publishAsync("engine-poison/t", JSON.stringify({ i, poison }), { qos: 1 });
      }
      await vi.waitFor(() => expect(outcomes).toHaveLength(300), { timeout: 60_000, interval: 50 });
      const dead = readFileSync(path, "utf8")
        .trim()
        .split("\n")
        .map((line) => JSON.parse(JSON.parse(line).record.body) as { i: number; poison: boolean });
      expect(dead).toHaveLength(30);
      expect(dead.every((d) => d.poison)).toBe(true);
      expect(outcomes.filter((o) => o === "delivered")).toHaveLength(270);
    } finally {
      await publisher.endAsync();
      await engine.stop({ deadlineMs: 5_000 });
      await client.close();
    }
  });
});
