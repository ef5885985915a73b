import { type Emulator, startEmulator } from "@fgconnect/emulator";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { kafkaDaemonConfig, type RunningDaemon, startDaemon } from "../harness/kafka/daemon.js";
import { countByValue, type RecordingFunction, recordingFunction } from "../harness/kafka/sink.js";
import {
  committedOffsets,
  createTopic,
  endOffsets,
  numbered,
  produce,
  testKafka,
  waitFor,
} from "../harness/kafka.js";

const { broker } = inject("kafka");
const kafka = testKafka(broker);
const producer = kafka.producer();
const one = recordingFunction();
const two = recordingFunction();
let emulator: Emulator;
const daemons: RunningDaemon[] = [];

beforeAll(async () => {
  await producer.connect();
  emulator = await startEmulator({
    functions: { one: one.handler, two: two.handler },
    port: 0,
    log: false,
    auth: false,
  });
});
afterAll(async () => {
  await Promise.all(daemons.map((d) => d.stop("SIGKILL")));
  await producer.disconnect();
  await emulator.close();
});

/**
 * Commits go out every 500 ms; give the commit request and a loaded machine (a stalled event
 * loop, a slow broker reply) 4 s more.
 */
const COMMIT_INTERVAL_MS = 500;
const COMMIT_WINDOW_MS = COMMIT_INTERVAL_MS + 4_000;

function daemon(fn: "one" | "two", topic: string, group: string): Promise<RunningDaemon> {
  const config = kafkaDaemonConfig({
    emulatorUrl: emulator.url,
    projectId: emulator.projectId,
    urn: emulator.urnFor(fn),
    connector: {
      brokers: [broker.plaintext],
      topics: [topic],
      groupId: group,
      startFrom: "earliest",
      heartbeatIntervalMs: 500,
      sessionTimeoutMs: 6_000,
      commitIntervalMs: COMMIT_INTERVAL_MS,
    },
    batch: { maxRecords: 20 },
  });
  return startDaemon(config).then((d) => {
    daemons.push(d);
    return d;
  });
}

function duplicates(fn: RecordingFunction[]): { distinct: number; duplicates: number } {
  const counts = countByValue(fn.flatMap((f) => f.received));
  return { distinct: counts.size, duplicates: [...counts.values()].reduce((n, c) => n + c - 1, 0) };
}

describe("the fgconnect daemon with a Kafka connector", () => {
  it("SIGKILLed mid-stream and restarted: every record delivered at least once, duplicates bounded by the last commit", async () => {
    const topic = `kill-${Date.now()}`;
    const TOTAL = 12_000;
    const group = `g-${topic}`;
    await createTopic(kafka, topic, 4);
    await produce(producer, topic, numbered("d", TOTAL));
    // ~500 records/s (batches of 20, 40 ms each; the engine's buffer holds one or two
    // partitions' records at a time, so 1,000/s at most): after two commit windows (9 s) a
    // few thousand of the 12,000 are delivered, and the kill lands mid-stream.
    emulator.setFault("one", { latencyMs: 40 });
    const first = await daemon("one", topic, group);
    expect((await fetch(`${first.adminUrl}/readyz`)).status).toBe(200);
    await waitFor("lag in /metrics", async () =>
      /fgconnect_source_lag_records\{source="orders",part="kill-[^"]+\/\d"\}/.test(
        await (await fetch(`${first.adminUrl}/metrics`)).text(),
      ),
    );
    // Kill well into the stream, so that records older than the commit window exist.
    await waitFor(
      "the stream to be under way for two commit windows",
      () => one.received.length >= 1_500 && Date.now() - one.received[0]!.at > 2 * COMMIT_WINDOW_MS,
    );
    const killedAt = Date.now();
    await first.stop("SIGKILL");
    const atKill = await committedOffsets(kafka, group, topic);
    const restartedAt = Date.now();
    const second = await daemon("one", topic, group);
    await waitFor("every record", () => countByValue(one.received).size >= TOTAL, 90_000);
    const { distinct, duplicates: dup } = duplicates([one]);
    const byFirst = one.received.filter((r) => r.at < restartedAt);
    const uncommitted = byFirst.filter((r) => BigInt(r.offset!) >= BigInt(atKill[r.partition!]!));
    const old = byFirst.filter((r) => r.at < killedAt - COMMIT_WINDOW_MS);
    console.log(
      `SIGKILL after ${byFirst.length} deliveries (committed then: ${JSON.stringify(atKill)}): ${distinct} distinct of ${TOTAL}, ${dup} duplicate(s); ${uncommitted.length} delivered but not yet committed at the kill`,
    );
    if (uncommitted.length > 0 && old.some((r) => uncommitted.includes(r)))
      console.log(first.log.filter((l) => /"level":[45]\d/.test(l)).join("\n"));
    expect(distinct).toBe(TOTAL);
    // The restart resumes from the last commit: only what the first daemon delivered after it
    // comes again (a restart from offset 0 would repeat everything).
    expect(dup).toBeLessThanOrEqual(uncommitted.length);
    // And that commit was recent: whatever was delivered more than one commit window before
    // the kill was committed (lost or failing commits would leave old deliveries uncommitted).
    expect(old.length).toBeGreaterThan(0);
    expect(old.filter((r) => uncommitted.includes(r))).toEqual([]);
    const ends = await endOffsets(kafka, topic);
    await waitFor(
      "commits at the end",
      async () =>
        JSON.stringify(await committedOffsets(kafka, group, topic)) === JSON.stringify(ends),
    );
    expect(await second.stop()).toBe(0);
    emulator.setFault("one", undefined);
  });

  it("two daemons in one group share the partitions; one stops and the other takes over", async () => {
    one.received.length = 0;
    const topic = `pair-${Date.now()}`;
    await createTopic(kafka, topic, 4);
    emulator.setFault("one", { latencyMs: 3 });
    emulator.setFault("two", { latencyMs: 3 });
    const a = await daemon("one", topic, `g-${topic}`);
    const b = await daemon("two", topic, `g-${topic}`);
    await produce(producer, topic, numbered("p", 4_000));
    await waitFor(
      "both daemons to receive work",
      () => one.received.length > 0 && two.received.length > 0,
      60_000,
    );
    await waitFor("the first 4,000", () => duplicates([one, two]).distinct >= 4_000, 60_000);
    expect(await b.stop("SIGTERM")).toBe(0);
    const twoAtStop = two.received.length;
    await produce(producer, topic, numbered("q", 4_000));
    await waitFor("all 8,000", () => duplicates([one, two]).distinct >= 8_000, 90_000);
    const { distinct, duplicates: dup } = duplicates([one, two]);
    console.log(
      `two daemons: one got ${one.received.length}, two got ${twoAtStop}; ${distinct} distinct of 8,000, ${dup} duplicate(s)`,
    );
    expect(two.received.length).toBe(twoAtStop);
    expect(one.received.some((r) => r.value.startsWith("q-"))).toBe(true);
    // Partitions that were the second daemon's are now delivered by the first.
    const partitionsOfTwo = new Set(two.received.map((r) => r.partition));
    expect(
      one.received.filter((r) => r.value.startsWith("q-") && partitionsOfTwo.has(r.partition))
        .length,
    ).toBeGreaterThan(0);
    const ends = await endOffsets(kafka, topic);
    await waitFor(
      "commits at the end",
      async () =>
        JSON.stringify(await committedOffsets(kafka, `g-${topic}`, topic)) === JSON.stringify(ends),
    );
    expect(await a.stop()).toBe(0);
  });
});
