import { type Emulator, startEmulator } from "@fgconnect/emulator";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { kafkaDaemonConfig, type RunningDaemon, startDaemon } from "../harness/kafka/daemon.js";
import { countByValue, recordingFunction } from "../harness/kafka/sink.js";
import {
  controlBroker,
  createTopic,
  numbered,
  produce,
  testKafka,
  waitFor,
} from "../harness/kafka.js";

const { broker, controlUrl } = inject("kafka");
const kafka = testKafka(broker);
const fn = recordingFunction();
let emulator: Emulator;
let daemon: RunningDaemon | undefined;

beforeAll(async () => {
  emulator = await startEmulator({
    functions: { sink: fn.handler },
    port: 0,
    log: false,
    auth: false,
  });
});
afterAll(async () => {
  await daemon?.stop("SIGKILL");
  await emulator.close();
});

interface Line {
  level: number;
  msg: string;
  connector?: string;
  [key: string]: unknown;
}

const WARN = 40;

async function ready(d: RunningDaemon, status: number): Promise<boolean> {
  return (await fetch(`${d.adminUrl}/readyz`)).status === status;
}
const LOST = /^Kafka broker unreachable \(.+\): reconnecting$/;
const BACK = "Kafka broker reachable again: consuming";

describe("the daemon's log when the broker goes away and comes back", () => {
  it("one warn line with the reason, one info line on recovery, and no stack trace", async () => {
    const topic = `log-${Date.now()}`;
    await createTopic(kafka, topic, 2);
    let producer = kafka.producer();
    await producer.connect();
    await produce(producer, topic, numbered("l", 1_000));
    emulator.setFault("sink", { latencyMs: 20 });
    daemon = await startDaemon(
      kafkaDaemonConfig({
        emulatorUrl: emulator.url,
        projectId: emulator.projectId,
        urn: emulator.urnFor("sink"),
        connector: {
          brokers: [broker.plaintext],
          topics: [topic],
          groupId: `g-${topic}`,
          startFrom: "earliest",
          heartbeatIntervalMs: 1_000,
          sessionTimeoutMs: 10_000,
        },
        batch: { maxRecords: 20 },
      }),
    );
    const d = daemon;
    const lines = () => d.log.flatMap((l) => (l.startsWith("{") ? [JSON.parse(l) as Line] : []));
    try {
      await waitFor("some deliveries", () => fn.received.length >= 100);
      await controlBroker(controlUrl, "stop");
      await waitFor("/readyz to report the broker gone", () => ready(d, 503), 60_000);
      await controlBroker(controlUrl, "start");
      await producer.disconnect();
      producer = kafka.producer();
      await producer.connect();
      await produce(producer, topic, numbered("m", 1_000));
      await waitFor("every record", () => countByValue(fn.received).size >= 2_000, 120_000);
      await waitFor("/readyz to report it back", () => ready(d, 200), 30_000);
    } finally {
      await producer.disconnect();
      emulator.setFault("sink", undefined);
    }
    expect(await d.stop()).toBe(0);
    const all = lines();
    const loud = all.filter((l) => l.level >= WARN);
    console.log(
      `broker loss: ${loud.length} warn/error line(s) of ${all.length}:\n${loud.map((l) => `  ${l.level} ${l.msg}`).join("\n")}`,
    );
    expect(loud).toEqual([expect.objectContaining({ level: WARN, connector: "orders" })]);
    expect(loud[0]!.msg).toMatch(LOST);
    expect(all.filter((l) => l.msg === BACK)).toEqual([
      expect.objectContaining({ level: 30, connector: "orders" }),
    ]);
    expect(all.filter((l) => "stack" in l)).toEqual([]);
    // A stack in a JSON line is an escaped newline followed by "    at ".
    expect(d.log.filter((l) => l.includes("\\n    at ") || l.includes("\n    at "))).toEqual([]);
  });
});
