import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { TEST_KAFKA_CLIENT } from "../harness/kafka/client-choice.js";
import {
  COMPAT_KAFKA_VERSION,
  committedOffsets,
  createTopic,
  endOffsets,
  KafkaBroker,
  MAIN_KAFKA_VERSION,
  produce,
  type TestMessage,
  testKafka,
} from "../harness/kafka.js";
import { ChaosDaemon, DELIVERY, KILLS, missing, orderViolations } from "./chaos.js";
import type { Delivery } from "./recording-function.js";

const PARTITIONS = 3;
const KEYS = 12;
const BATCH = 10;
const MAX_IN_FLIGHT = 4;
const MAX_BUFFERED = 100;
const COMMIT_INTERVAL_MS = 500;
/** Room for a commit request on a loaded machine, beside the interval itself. */
const COMMIT_SLACK_MS = 3_000;
/** Records the function can have taken without the daemon learning of it: every invocation slot, full. */
const IN_FLIGHT = MAX_IN_FLIGHT * BATCH;

let run: ChaosDaemon | undefined;
afterEach(() => run?.close());

/** `n` more records, round-robin over the keys; each value `k<key>:<seq>` is its id. */
function keyed(next: number[], n: number): TestMessage[] {
  return Array.from({ length: n }, (_, i) => {
    const k = i % KEYS;
    return { key: `k${k}`, value: `k${k}:${next[k]!++}` };
  });
}

describe.each([MAIN_KAFKA_VERSION, COMPAT_KAFKA_VERSION])("Kafka %s", (version) => {
  let broker: KafkaBroker;
  beforeAll(async () => {
    broker = await KafkaBroker.create(version);
  });
  afterAll(() => broker?.destroy());

  it(`SIGKILLed ${KILLS} times and the broker restarted once, with a function failing 30% of calls: nothing lost, order per key kept, duplicates within what was uncommitted at each kill`, async () => {
    const kafka = testKafka(broker.info);
    const topic = `chaos-${Date.now()}`;
    const group = `g-${topic}`;
    await createTopic(kafka, topic, PARTITIONS);
    let producer = kafka.producer();
    await producer.connect();
    const next: number[] = new Array(KEYS).fill(0);
    let produced = 0;
    const send = async (n: number) => {
      await produce(producer, topic, keyed(next, n));
      produced += n;
    };
    run = new ChaosDaemon(
      `kafka ${version} on ${TEST_KAFKA_CLIENT}`,
      {
        ids: "(event) => event.records.map((r) => ({ id: r.value, key: r.key, partition: r.partition, offset: Number(r.offset) }))",
        // Slow enough that each kill lands with invocations in flight and a backlog behind them.
        latencyMs: 20,
      },
      {
        connectors: {
          orders: {
            type: "kafka",
            client: TEST_KAFKA_CLIENT,
            brokers: [broker.info.plaintext],
            topics: [topic],
            groupId: group,
            startFrom: "earliest",
            // A killed member leaves the group within seconds, so the next one is assigned soon.
            sessionTimeoutMs: 3_000,
            heartbeatIntervalMs: 300,
            rebalanceTimeoutMs: 3_000,
            commitIntervalMs: COMMIT_INTERVAL_MS,
          },
        },
        routes: [
          { from: "orders", format: "rich", batch: { maxRecords: BATCH }, delivery: DELIVERY },
        ],
        limits: { maxInFlight: MAX_IN_FLIGHT, maxBufferedRecords: MAX_BUFFERED },
      },
    );
    /**
     * Per kill: records the killed daemon delivered (their latest delivery) at or past the
     * group's commit, which its successor delivers again; and of them, those delivered within
     * the last commit interval before the kill.
     */
    const atKills: { uncommitted: number; recent: number }[] = [];
    try {
      await send(600);
      let mark = run.tally().distinct;
      await run.start();
      for (let i = 0; i < KILLS; i++) {
        await run.beyond(mark, 150, produced);
        if (i === 1) {
          // The broker goes away under a running daemon and comes back.
          await producer.disconnect();
          run.mark("broker stop");
          await broker.stop();
          run.mark("broker stopped");
          await broker.start();
          run.mark("broker started");
          producer = kafka.producer();
          await producer.connect();
          mark = run.tally().distinct;
          await send(200);
          // More than the engine's buffer held: records fetched after the daemon rejoined.
          await run.beyond(
            mark,
            MAX_BUFFERED + 100,
            produced,
            "deliveries after the broker restart",
          );
        }
        await run.kill();
        const kill = run.kills.at(-1)!;
        const committed = await committedOffsets(kafka, group, topic);
        // The latest delivery of each record so far; those at or past the commit come again.
        const latest = new Map<string, Delivery>();
        for (const d of run.deliveries().slice(0, kill.deliveries)) latest.set(d.id, d);
        const uncommitted = [...latest.values()].filter(
          (d) =>
            d.pid === kill.pid &&
            (d.offset as number) >= Number(committed[d.partition as number] ?? -1),
        );
        const windowStart = kill.at - COMMIT_INTERVAL_MS - COMMIT_SLACK_MS;
        atKills.push({
          uncommitted: uncommitted.length,
          recent: uncommitted.filter((d) => d.at >= windowStart).length,
        });
        await send(200);
        mark = run.tally().distinct;
        await run.start();
      }
      await run.until(`all ${produced} records`, () => run!.tally().distinct >= produced, 120_000);
      expect(await run.stop()).toBe(0);
      // A drained daemon commits everything it delivered before it leaves.
      expect(await committedOffsets(kafka, group, topic)).toEqual(await endOffsets(kafka, topic));
    } finally {
      await producer.disconnect();
    }

    const t = run.tally();
    const ids = Array.from({ length: KEYS }, (_, k) =>
      Array.from({ length: next[k]! }, (_, s) => `k${k}:${s}`),
    ).flat();
    const violations = orderViolations(
      run.deliveries(),
      (d) => d.key as string,
      (d) => Number(d.id.split(":")[1]),
    );
    // Duplicates come from restarts resuming at the last commit: at most what each kill left
    // uncommitted, plus a batch per invocation slot when the broker restart cut a commit short.
    const bound = atKills.reduce((n, k) => n + k.uncommitted, 0) + IN_FLIGHT;
    run.report(
      produced,
      bound,
      `at each kill, uncommitted (of them within the last commit interval): ${atKills.map((k) => `${k.uncommitted} (${k.recent})`).join(", ")}; ${violations.length} order violation(s)`,
    );
    expect.soft(run.deadLetters()).toEqual([]);
    expect.soft(missing(ids, t)).toEqual([]);
    expect.soft(t.distinct).toBe(produced);
    expect.soft(violations.slice(0, 10)).toEqual([]);
    // Commits keep up: what a kill leaves uncommitted was delivered within the last commit
    // interval, or was still in an invocation the daemon never heard back from.
    for (const [i, k] of atKills.entries())
      expect
        .soft(k.uncommitted, `uncommitted at kill ${i + 1}`)
        .toBeLessThanOrEqual(k.recent + IN_FLIGHT);
    expect.soft(t.duplicates).toBeLessThanOrEqual(bound);
    expect.soft(run.stackTraces()).toEqual([]);
  });
});
