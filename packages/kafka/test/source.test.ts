import { type RecordOutcome, silentLogger } from "@fgconnect/core";
import { describe, expect, it } from "vitest";
import type {
  Admin,
  BatchControl,
  ConsumerEvents,
  FetchedBatch,
  KafkaClient,
  Producer,
  TopicPartitionOffset,
} from "../src/client/types.js";
import { kafkaOptionsSchema } from "../src/options.js";
import type { KafkaRecord } from "../src/record.js";
import { KafkaConnector } from "../src/source.js";

/** A fake client: the test plays the broker (joins, batches, crashes) by hand. */
function fakeClient() {
  const state = {
    events: undefined as ConsumerEvents | undefined,
    onBatch: undefined as ((b: FetchedBatch, c: BatchControl) => Promise<void>) | undefined,
    commits: [] as TopicPartitionOffset[][],
    /** Errors the next commits reject with, in order. */
    commitErrors: [] as unknown[],
    produced: [] as string[],
    producerOpen: false,
  };
  const admin: Admin = {
    topicOffsets: async () => [],
    offsetsAt: async () => [],
    committed: async () => [],
    resetToEarliest: async () => {},
    listTopics: async () => ["t", "t-dlq"],
    stop: async () => {},
  };
  const producer: Producer = {
    connect: async () => {
      state.producerOpen = true;
    },
    send: async (topic) => {
      state.produced.push(topic);
    },
    stop: async () => {
      state.producerOpen = false;
    },
  };
  const client: KafkaClient = {
    consumer: (_settings, events) => {
      state.events = events;
      return {
        start: async (onBatch) => {
          state.onBatch = onBatch;
        },
        commit: async (offsets) => {
          const error = state.commitErrors.shift();
          if (error) throw error;
          state.commits.push([...offsets]);
        },
        coordinatorAnswers: async () => {},
        stop: async () => {},
      };
    },
    producer: () => producer,
    admin: () => admin,
  };
  return { state, client };
}

const control: BatchControl = {
  isRunning: () => true,
  isStale: () => false,
  resolveOffset() {},
  heartbeat: async () => {},
};

function batch(from: number, to: number): FetchedBatch {
  const messages = [];
  for (let o = from; o <= to; o++)
    messages.push({ offset: String(o), key: null, value: Buffer.from(`v${o}`), timestamp: "0" });
  return { topic: "t", partition: 0, messages, lastOffset: String(to) };
}

async function started(
  extra: object = {},
  push: (record: KafkaRecord) => Promise<RecordOutcome> = () => Promise.resolve("delivered"),
) {
  const { state, client } = fakeClient();
  const options = kafkaOptionsSchema.parse({
    brokers: ["b:9092"],
    topics: ["t"],
    groupId: "g",
    commitIntervalMs: 0,
    ...extra,
  });
  const connector = new KafkaConnector("k", options, () => client);
  const pushed: string[] = [];
  await connector.start({
    logger: silentLogger,
    push: (record: KafkaRecord) => {
      pushed.push(record.attributes.offset);
      return push(record);
    },
  });
  return { state, connector, pushed };
}

const settle = () => new Promise((r) => setTimeout(r, 10));

describe("KafkaConnector", () => {
  it("a partition over its share holds its batch handler until resumed; another partition's batch goes on meanwhile", async () => {
    let connector!: KafkaConnector;
    const { state, pushed, ...rest } = await started({ ordering: "key" }, (record) => {
      // The engine finds partition 0's third record over its share.
      if (record.attributes.partition === 0 && record.attributes.offset === "2")
        connector.pauseKey(record.orderingKey!);
      return Promise.resolve("delivered");
    });
    connector = rest.connector;
    state.events!.joined({ t: [0, 1] });
    const first = state.onBatch!(batch(0, 9), control);
    await settle();
    expect(pushed).toEqual(["0", "1", "2"]);
    await state.onBatch!({ ...batch(0, 4), partition: 1 }, control);
    expect(pushed).toHaveLength(8);
    // Another key of the same partition going back under its share does not resume it.
    connector.resumeKey("t/0@5");
    await settle();
    expect(pushed).toHaveLength(8);
    connector.resumeKey("t/0");
    await first;
    expect(pushed).toHaveLength(15);
    await connector.stop();
  });

  it("after a consumer restart, skips what it already delivered and never commits backwards", async () => {
    const { state, connector, pushed } = await started();
    state.events!.joined({ t: [0] });
    await state.onBatch!(batch(0, 9), control);
    await settle();
    expect(state.commits.at(-1)).toEqual([{ topic: "t", partition: 0, offset: "10" }]);
    // The consumer crashes (broker outage) and, restarted, kafkajs fetches from its cached
    // position (0) rather than from the commit.
    state.events!.crashed(new Error("No broker available"), true);
    state.events!.joined({ t: [0] });
    await state.onBatch!(batch(0, 14), control);
    await settle();
    expect(pushed).toEqual(Array.from({ length: 15 }, (_, i) => String(i)));
    const committed = state.commits.flat().map((c) => Number(c.offset));
    expect(committed).toEqual([...committed].sort((a, b) => a - b));
    expect(committed.at(-1)).toBe(15);
    await connector.stop();
  });

  it("forgets a partition that moved to another member once it is committed", async () => {
    const { state, connector, pushed } = await started();
    state.events!.joined({ t: [0] });
    await state.onBatch!(batch(0, 4), control);
    await settle();
    state.events!.joined({ t: [] });
    // It comes back later (the other member committed up to 3 and left): kafkajs fetches from
    // that commit and every record from there is delivered again by this member.
    state.events!.joined({ t: [0] });
    await state.onBatch!(batch(3, 6), control);
    await settle();
    expect(pushed).toEqual(["0", "1", "2", "3", "4", "3", "4", "5", "6"]);
    await connector.stop();
  });

  it("dropped by the group, rejoins at once: no wait for records in flight, and the other batches of the fetch are handed back unread", async () => {
    const pending: (() => void)[] = [];
    const { state, connector, pushed } = await started({}, () => {
      return new Promise<RecordOutcome>((resolve) => pending.push(() => resolve("delivered")));
    });
    state.events!.joined({ t: [0, 1] });
    const unknown = Object.assign(new Error("The coordinator is not aware of this member"), {
      type: "UNKNOWN_MEMBER_ID",
    });
    const refused: BatchControl = { ...control, heartbeat: () => Promise.reject(unknown) };
    const began = Date.now();
    await expect(state.onBatch!(batch(0, 4), refused)).rejects.toBe(unknown);
    await expect(state.onBatch!({ ...batch(0, 2), partition: 1 }, control)).rejects.toBe(unknown);
    // revokeDrainMs (10 s) is for a rebalance in progress only: the group takes no commit now.
    expect(Date.now() - began).toBeLessThan(1_000);
    expect(pushed).toEqual(["0", "1", "2", "3", "4"]);
    // Back in the group: what was delivered meanwhile is committed at once.
    for (const deliver of pending.splice(0)) deliver();
    state.events!.joined({ t: [0, 1] });
    await settle();
    expect(state.commits.flat()).toContainEqual({ topic: "t", partition: 0, offset: "5" });
    await state.onBatch!({ ...batch(0, 2), partition: 1 }, control);
    expect(pushed).toHaveLength(8);
    await connector.stop();
  });

  it("a commit refused because the group forgot this member makes it rejoin, then commit", async () => {
    const { state, connector, pushed } = await started();
    state.events!.joined({ t: [0] });
    const unknown = Object.assign(new Error("The coordinator is not aware of this member"), {
      type: "UNKNOWN_MEMBER_ID",
    });
    state.commitErrors.push(unknown);
    await state.onBatch!(batch(0, 4), control);
    await settle();
    expect(state.commits).toEqual([]);
    // The next batch is handed back with the group's error: kafkajs rejoins on it.
    await expect(state.onBatch!(batch(5, 6), control)).rejects.toBe(unknown);
    expect(pushed).toHaveLength(5);
    // No commit is retried before the join (it could not succeed); the join commits.
    await new Promise((r) => setTimeout(r, 300));
    expect(state.commits).toEqual([]);
    state.events!.joined({ t: [0] });
    await settle();
    expect(state.commits).toEqual([[{ topic: "t", partition: 0, offset: "5" }]]);
    await connector.stop();
  });

  it("opens the dead-letter topic in start() and closes it in stop()", async () => {
    const { state, connector } = await started({ deadLetter: { topic: "t-dlq" } });
    expect(state.producerOpen).toBe(true);
    expect(connector.deadLetter?.topic).toBe("t-dlq");
    await connector.stop();
    expect(state.producerOpen).toBe(false);
  });

  it("refuses to start when the dead-letter topic is missing, naming the option", async () => {
    const { client } = fakeClient();
    const options = kafkaOptionsSchema.parse({
      brokers: ["b:9092"],
      topics: ["t"],
      groupId: "g",
      deadLetter: { topic: "nope" },
    });
    const connector = new KafkaConnector("k", options, () => client);
    await expect(
      connector.start({ logger: silentLogger, push: async () => "delivered" }),
    ).rejects.toThrow(/deadLetter\.topic: topic "nope" does not exist/);
  });
});
