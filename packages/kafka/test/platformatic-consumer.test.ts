/**
 * The @platformatic/kafka consumer adapter over a fake library: the stream of messages becomes
 * batches per partition with the controls the connector relies on.
 */
import { EventEmitter } from "node:events";
import { describe, expect, it, vi } from "vitest";
import { platformaticConsumer } from "../src/client/platformatic-consumer.js";
import type { BatchControl, ConsumerEvents, FetchedBatch } from "../src/client/types.js";
import { kafkaOptionsSchema } from "../src/options.js";

class FakeStream extends EventEmitter {
  paused = false;
  pause() {
    this.paused = true;
    return this;
  }
  resume() {
    this.paused = false;
    return this;
  }
  isPaused() {
    return this.paused;
  }
  async close() {}
}

class FakeConsumer extends EventEmitter {
  static last: FakeConsumer;
  generationId = 1;
  assignments = null;
  stream = new FakeStream();
  joinGroup = vi.fn(async () => "member");
  commit = vi.fn(async (_: unknown) => {});
  constructor(readonly options: Record<string, unknown>) {
    super();
    FakeConsumer.last = this;
  }
  async metadata() {
    return { topics: new Map() };
  }
  async consume(_: unknown) {
    return this.stream;
  }
  async close() {}
  /** The library fetched `offsets` of a partition during the current generation. */
  deliver(partition: number, offsets: number[], bytes = 1) {
    for (const offset of offsets)
      this.stream.emit("data", {
        topic: "t",
        partition,
        offset: BigInt(offset),
        timestamp: 0n,
        key: undefined,
        value: Buffer.alloc(bytes),
        headers: new Map(),
        metadata: { consumer: { generationId: this.generationId } },
      });
  }
  join(partitions: number[]) {
    this.generationId++;
    this.emit("consumer:group:join", { assignments: [{ topic: "t", partitions }] });
  }
}

const settings = {
  groupId: "g",
  topics: ["t"],
  fromBeginning: true,
  sessionTimeoutMs: 30_000,
  heartbeatIntervalMs: 3_000,
  rebalanceTimeoutMs: 60_000,
  maxBytesPerPartition: 1024,
  maxBytes: 100,
  maxWaitMs: 500,
};
const connection = kafkaOptionsSchema.parse({ brokers: ["b:9092"], topics: ["t"], groupId: "g" });

function events(): ConsumerEvents & { log: string[] } {
  const log: string[] = [];
  return {
    log,
    joined: (a) => log.push(`joined ${JSON.stringify(a)}`),
    rebalancing: () => log.push("rebalancing"),
    alive: () => log.push("alive"),
    unreachable: (r) => log.push(`unreachable ${r}`),
    crashed: (e) => log.push(`crashed ${e.message}`),
  };
}

interface Handled {
  batch: FetchedBatch;
  control: BatchControl;
  release: () => void;
}

/** A started adapter whose batch handler holds each batch until released. */
async function started() {
  const handled: Handled[] = [];
  const ev = events();
  const library = { Consumer: FakeConsumer } as never;
  const consumer = platformaticConsumer(async () => library, connection, settings, ev);
  await consumer.start(
    (batch, control) => new Promise<void>((release) => handled.push({ batch, control, release })),
  );
  return { consumer, fake: FakeConsumer.last, handled, ev };
}

const offsets = (h: Handled) => h.batch.messages.map((m) => m.offset);
const tick = () => new Promise((r) => setImmediate(r));

describe("platformatic consumer adapter", () => {
  it("hands each partition's messages over as its own batch, one partition held not holding the others", async () => {
    const { fake, handled } = await started();
    fake.deliver(0, [0, 1]);
    fake.deliver(1, [5]);
    await tick();
    expect(handled.map((h) => [h.batch.partition, offsets(h), h.batch.lastOffset])).toEqual([
      [0, ["0", "1"], "1"],
      [1, ["5"], "5"],
    ]);
    // Partition 0's handler is still held: what arrives for it waits; partition 1 goes on.
    fake.deliver(0, [2]);
    handled[1]!.release();
    fake.deliver(1, [6]);
    await tick();
    expect(handled.map((h) => [h.batch.partition, offsets(h)])).toEqual([
      [0, ["0", "1"]],
      [1, ["5"]],
      [1, ["6"]],
    ]);
    handled[0]!.release();
    await tick();
    expect(offsets(handled[3]!)).toEqual(["2"]);
  });

  it("pauses the stream above fetch.maxBytes read ahead and resumes it once handed over", async () => {
    const { fake, handled } = await started();
    fake.deliver(0, [0], 60);
    await tick();
    fake.deliver(0, [1, 2], 60);
    expect(fake.stream.paused).toBe(true);
    handled[0]!.release();
    await tick();
    expect(offsets(handled[1]!)).toEqual(["1", "2"]);
    expect(fake.stream.paused).toBe(false);
  });

  it("a join that moves a partition away makes its batch stale and drops what was read for it", async () => {
    const { fake, handled, ev } = await started();
    fake.deliver(0, [0]);
    fake.deliver(1, [0]);
    await tick();
    fake.deliver(0, [1]);
    fake.deliver(1, [1]);
    const [zero, one] = handled;
    fake.join([1]);
    expect(ev.log).toContain('joined {"t":[1]}');
    expect(zero!.control.isStale()).toBe(true);
    // Kept across the join: goes on where it was (the connector skips what it pushed).
    expect(one!.control.isStale()).toBe(false);
    // Still in the stream's buffer from before the join, for a partition now another's.
    fake.deliver(0, [2]);
    zero!.release();
    one!.release();
    await tick();
    expect(handled.map((h) => [h.batch.partition, offsets(h)])).toEqual([
      [0, ["0"]],
      [1, ["0"]],
      [1, ["1"]],
    ]);
  });

  it("heartbeat() fails with REBALANCE_IN_PROGRESS once the group rebalances, until the member joined again", async () => {
    const { fake, handled, ev } = await started();
    fake.deliver(0, [0]);
    await tick();
    const { control } = handled[0]!;
    await expect(control.heartbeat()).resolves.toBeUndefined();
    fake.emit("consumer:group:rebalance", { groupId: "g" });
    expect(ev.log).toContain("rebalancing");
    await expect(control.heartbeat()).rejects.toMatchObject({ type: "REBALANCE_IN_PROGRESS" });
    fake.join([0]);
    handled[0]!.release();
    fake.deliver(0, [1]);
    await tick();
    await expect(handled[1]!.control.heartbeat()).resolves.toBeUndefined();
  });

  it("a batch handed back with a group error is handed over again after the member joined again", async () => {
    const ev = events();
    const seen: string[][] = [];
    const consumer = platformaticConsumer(
      async () => ({ Consumer: FakeConsumer }) as never,
      connection,
      settings,
      ev,
    );
    await consumer.start(async (batch) => {
      seen.push(batch.messages.map((m) => m.offset));
      if (seen.length === 1) throw Object.assign(new Error("gone"), { type: "UNKNOWN_MEMBER_ID" });
      if (seen.length === 2) throw new Error("boom");
    });
    const fake = FakeConsumer.last;
    fake.deliver(0, [0, 1]);
    await vi.waitFor(() => expect(fake.joinGroup).toHaveBeenCalledTimes(1));
    fake.deliver(0, [2]);
    await tick();
    expect(seen).toEqual([["0", "1"]]);
    fake.join([0]);
    // Handed over again, in order, with what arrived meanwhile; a failure: again a moment later.
    await vi.waitFor(() => expect(seen).toHaveLength(3), { timeout: 5_000 });
    expect(seen).toEqual([
      ["0", "1"],
      ["0", "1", "2"],
      ["0", "1", "2"],
    ]);
    expect(ev.log).toContain("crashed boom");
    expect(fake.joinGroup).toHaveBeenCalledTimes(1);
  });

  it("commits offsets as the library's bigints and reports heartbeats and unreachable brokers", async () => {
    const { consumer, fake, ev } = await started();
    await consumer.commit([{ topic: "t", partition: 3, offset: "42" }]);
    expect(fake.commit).toHaveBeenCalledWith({
      offsets: [{ topic: "t", partition: 3, offset: 42n, leaderEpoch: -1 }],
    });
    fake.commit.mockRejectedValueOnce(
      Object.assign(new Error("x"), { apiId: "ILLEGAL_GENERATION" }),
    );
    await expect(
      consumer.commit([{ topic: "t", partition: 3, offset: "43" }]),
    ).rejects.toMatchObject({
      type: "ILLEGAL_GENERATION",
    });
    fake.emit("consumer:heartbeat:end");
    fake.emit("client:broker:failed", { broker: { host: "b", port: 9092 } });
    expect(ev.log).toEqual(["alive", "unreachable b:9092 unreachable"]);
    expect(fake.options).toMatchObject({
      groupId: "g",
      autocommit: false,
      bootstrapBrokers: ["b:9092"],
    });
  });
});
