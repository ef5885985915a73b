import { describe, expect, it, vi } from "vitest";
import {
  brokerFixture,
  config,
  daemonDir,
  deadLetters,
  publish,
  range,
  received,
  startIn,
  stopDaemon,
  uniqueName,
} from "./helpers.js";

const broker = brokerFixture();
const { queues, daemons } = broker;

const failing = (bad: number) => (i: number) => (i === bad ? { fail: true } : {});

describe("a function that keeps failing", () => {
  it("dead-letters the message to fgconnect's sink with the reason, acknowledges it and moves on", async () => {
    const queue = uniqueName("dlq");
    queues.push(queue);
    const n = 100;
    const dir = daemonDir();
    const daemon = await startIn(
      dir,
      config({ queues: [queue], declare: true }, { batch: { maxRecords: 1 } }),
    );
    daemons.push(daemon);
    await publish(broker.model, queue, range(0, n), failing(50));
    await vi.waitFor(() => expect(received(dir)).toHaveLength(n - 1), { timeout: 30_000 });
    expect(received(dir)).toEqual(range(0, n).filter((i) => i !== 50));
    const [entry, ...more] = deadLetters(dir);
    expect(more).toEqual([]);
    expect(JSON.parse(String(entry!.record.body))).toEqual({ i: 50, fail: true });
    expect(entry!.reason).toMatch(/^(retries exhausted|function error)$/);
    const ch = await broker.model.createChannel();
    await vi.waitFor(async () => expect((await ch.checkQueue(queue)).messageCount).toBe(0));
    expect(await stopDaemon(daemon)).toBe(0);
    expect((await ch.checkQueue(queue)).messageCount).toBe(0);
    await ch.close();
  });

  it("with onFailure: reject, nacks the message into the queue's own dead-letter exchange", async () => {
    const queue = uniqueName("reject");
    const dlq = `${queue}.dead`;
    queues.push(queue, dlq);
    const ch = await broker.model.createChannel();
    await ch.assertQueue(dlq);
    await ch.assertQueue(queue, {
      arguments: { "x-dead-letter-exchange": "", "x-dead-letter-routing-key": dlq },
    });
    const n = 40;
    const dir = daemonDir();
    const daemon = await startIn(
      dir,
      config({ queues: [queue], onFailure: "reject" }, { batch: { maxRecords: 1 } }),
    );
    daemons.push(daemon);
    await publish(broker.model, queue, range(0, n), failing(7));
    await vi.waitFor(() => expect(received(dir)).toHaveLength(n - 1), { timeout: 30_000 });
    await vi.waitFor(async () => expect((await ch.checkQueue(dlq)).messageCount).toBe(1));
    const dead = await ch.get(dlq, { noAck: true });
    expect(dead && JSON.parse(dead.content.toString())).toEqual({ i: 7, fail: true });
    expect(deadLetters(dir)).toEqual([]);
    expect((await ch.checkQueue(queue)).messageCount).toBe(0);
    expect(await stopDaemon(daemon)).toBe(0);
    await ch.close();
  });
});
