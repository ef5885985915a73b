/**
 * `fgconnect dlq` against dead letters the real daemon wrote from a real Kafka topic, to the
 * daemon's file and to a Kafka dead-letter topic: list, replay half by a filter then the rest
 * (each delivered exactly once per replay, and never again), a failed replay dead-lettered
 * afresh and linked to its entry, `--to` another function, and a replay killed by SIGKILL
 * and started again resending at most what was in flight. The CLI runs as a child process.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { type Emulator, startEmulator } from "@fgconnect/emulator";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { runCli, startCli } from "../harness/cli.js";
import { kafkaDaemonConfig, startDaemon } from "../harness/kafka/daemon.js";
import { readTopic } from "../harness/kafka/read.js";
import { countByValue, type RecordingFunction, recordingFunction } from "../harness/kafka/sink.js";
import { createTopic, produce, testKafka, waitFor } from "../harness/kafka.js";

const { broker } = inject("kafka");
const kafka = testKafka(broker);
const producer = kafka.producer();

let failing = true;
let delayMs = 0;
const fn = recordingFunction(() => failing);
const other = recordingFunction();
let emulator: Emulator;

beforeAll(async () => {
  await producer.connect();
  emulator = await startEmulator({
    functions: {
      sink: async (event: unknown) => {
        if (delayMs) await new Promise((r) => setTimeout(r, delayMs));
        return fn.handler(event);
      },
      other: other.handler,
    },
    port: 0,
    log: false,
    auth: false,
  });
});
afterAll(async () => {
  await producer.disconnect();
  await emulator?.close();
});

const EVEN = JSON.stringify({ attributes: { headers: { kind: ["even"] } } });

interface Entry {
  id: string;
  route: string;
  attempts: number;
  replayed: boolean;
  replayOf?: string;
  record: { id: string; body: string };
}

/** The dead letters of `n` records of a new topic, written by the daemon to the `kind` store. */
async function deadLetters(kind: "file" | "kafka", n: number, maxInFlight = 4) {
  const topic = `dlq-cli-${kind}-${Date.now()}`;
  const dlq = `${topic}.dlq`;
  await createTopic(kafka, topic, 2);
  if (kind === "kafka") await createTopic(kafka, dlq, 2);
  const values = Array.from({ length: n }, (_, i) => `v-${i}`);
  await produce(
    producer,
    topic,
    values.map((value, i) => ({
      key: `k${i % 4}`,
      value,
      headers: { kind: i % 2 === 0 ? "even" : "odd" },
    })),
  );
  failing = true;
  const config = {
    ...kafkaDaemonConfig({
      emulatorUrl: emulator.url,
      projectId: emulator.projectId,
      urn: emulator.urnFor("sink"),
      connector: {
        brokers: [broker.plaintext],
        topics: [topic],
        groupId: `g-${topic}`,
        startFrom: "earliest",
        ...(kind === "kafka" ? { deadLetter: { topic: dlq } } : {}),
      },
      batch: { maxRecords: 1 },
      route: { name: "orders-route", delivery: { maxAttempts: 2, firstDelayMs: 5 } },
    }),
    limits: { maxInFlight },
  };
  const daemon = await startDaemon(config);
  const file = join(daemon.dir, ".fgconnect", "dead-letter.jsonl");
  try {
    if (kind === "kafka") await readTopic(kafka, dlq, n);
    else
      await waitFor(`${n} dead letters in the file`, () => {
        try {
          return readFileSync(file, "utf8").trim().split("\n").length >= n;
        } catch {
          return false;
        }
      });
  } finally {
    expect(await daemon.stop()).toBe(0);
  }
  failing = false;
  const sink = kind === "kafka" ? ["--sink", "orders"] : [];
  const cli = (...args: string[]) =>
    runCli(["dlq", ...args, "-c", "fgconnect.yaml", ...sink], daemon.dir);
  const list = async (): Promise<Entry[]> => {
    const r = await cli("list", "--json");
    expect(r.code, r.stderr).toBe(0);
    return r.stdout
      .trim()
      .split("\n")
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Entry);
  };
  return { values, cli, list, dir: daemon.dir };
}

const received = (f: RecordingFunction) => Object.fromEntries(countByValue(f.received));
const once = (values: string[]) => Object.fromEntries(values.map((v) => [v, 1]));

describe.each(["file", "kafka"] as const)("dlq on the %s store", (kind) => {
  it("replays half by a filter, then the rest: each once, and a second replay sends nothing", async () => {
    const { values, cli, list } = await deadLetters(kind, 20);
    const before = await list();
    expect(before).toHaveLength(20);
    expect(new Set(before.map((e) => e.id)).size).toBe(20);
    expect(before.every((e) => e.route === "orders-route" && e.attempts === 2 && !e.replayed)).toBe(
      true,
    );
    fn.received.length = 0;
    other.received.length = 0;

    const dry = await cli("replay", "--pattern", EVEN, "--dry-run");
    expect(dry.stderr).toContain("would replay 10 dead letter(s)");
    expect(fn.received).toHaveLength(0);

    const even = await cli("replay", "--pattern", EVEN);
    expect(even.code, even.stderr).toBe(0);
    expect(even.stdout).toContain("10 delivered");
    const evens = values.filter((_, i) => i % 2 === 0);
    expect(received(fn)).toEqual(once(evens));

    const again = await cli("replay", "--pattern", EVEN);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toContain("nothing to replay");
    expect(received(fn)).toEqual(once(evens));

    const rest = await cli("replay");
    expect(rest.code, rest.stderr).toBe(0);
    expect(rest.stdout).toContain("10 delivered");
    expect(received(fn)).toEqual(once(values));
    expect((await list()).every((e) => e.replayed)).toBe(true);

    // A replay that fails for good is dead-lettered afresh, linked to the entry it replayed.
    failing = true;
    const first = before.find((e) => e.record.body === "v-0")!;
    const failed = await cli("replay", "--all", "--id", first.id);
    expect(failed.code).toBe(1);
    expect(failed.stdout).toContain("1 dead-lettered again");
    const after = await list();
    expect(after).toHaveLength(21);
    const fresh = after.find((e) => e.replayOf === first.id)!;
    expect(fresh).toMatchObject({ route: "orders-route", replayed: false });
    expect(fresh.record.body).toBe("v-0");
    expect(after.find((e) => e.id === first.id)!.replayed).toBe(true);

    // --to: that one delivered to another function.
    const shown = await cli("show", fresh.id);
    expect(JSON.parse(shown.stdout)).toMatchObject({ id: fresh.id, replayOf: first.id });
    const to = await cli("replay", "--id", fresh.id, "--to", emulator.urnFor("other"));
    expect(to.code, to.stderr).toBe(0);
    expect(received(other)).toEqual({ "v-0": 1 });
    failing = false;
  });

  it("a replay killed by SIGKILL and started again resends at most what was in flight", async () => {
    const maxInFlight = 3;
    const { values, dir } = await deadLetters(kind, 30, maxInFlight);
    fn.received.length = 0;
    delayMs = 150;
    try {
      const sink = kind === "kafka" ? ["--sink", "orders"] : [];
      const args = ["dlq", "replay", "-c", "fgconnect.yaml", ...sink];
      const first = startCli(args, dir);
      await waitFor("the first replay halfway", () => fn.received.length >= 10, 60_000);
      first.child.kill("SIGKILL");
      expect((await first.done).code).toBe("SIGKILL");
      const second = await runCli(args, dir);
      expect(second.code, second.stderr).toBe(0);
      const counts = countByValue(fn.received);
      expect([...counts.keys()].sort()).toEqual([...values].sort());
      const twice = [...counts.values()].reduce((sum, c) => sum + c - 1, 0);
      expect(twice).toBeLessThanOrEqual(maxInFlight);
      // The second run replayed only what the first had not marked.
      expect(second.stdout).toMatch(/replayed (\d+) of \1:/);
      const replayedAgain = Number(/replayed (\d+) of/.exec(second.stdout)![1]);
      expect(replayedAgain).toBeLessThan(30 - 10 + maxInFlight + 1);
    } finally {
      delayMs = 0;
    }
  });
});
