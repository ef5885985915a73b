import { describe, expect, it, vi } from "vitest";
import {
  brokerFixture,
  config,
  daemonDir,
  publish,
  range,
  received,
  startIn,
  stopDaemon,
  uniqueName,
} from "./helpers.js";

const broker = brokerFixture();
const { queues, daemons } = broker;

async function newQueue(prefix: string): Promise<string> {
  const q = uniqueName(prefix);
  queues.push(q);
  const ch = await broker.model.createChannel();
  await ch.assertQueue(q, { durable: true });
  await ch.close();
  return q;
}

describe("the daemon with a rabbitmq connector", () => {
  it("delivers each of 10,000 messages exactly once and acknowledges them all", async () => {
    const queue = await newQueue("stream");
    await publish(broker.model, queue, range(0, 10_000));
    const dir = daemonDir();
    const daemon = await startIn(dir, config({ queues: [queue], prefetch: 500 }));
    daemons.push(daemon);
    await vi.waitFor(() => expect(received(dir).length).toBeGreaterThanOrEqual(10_000), {
      timeout: 60_000,
      interval: 200,
    });
    const ids = received(dir);
    expect(ids).toHaveLength(10_000);
    expect(new Set(ids).size).toBe(10_000);
    // Ordered per queue by default: the one queue is delivered in publish order.
    expect(ids).toEqual(range(0, 10_000));
    const ch = await broker.model.createChannel();
    await vi.waitFor(
      async () => {
        const q = await ch.checkQueue(queue);
        expect(q.messageCount).toBe(0);
      },
      { timeout: 10_000 },
    );
    expect(await stopDaemon(daemon)).toBe(0);
    // Nothing was left unacknowledged: nothing comes back once the consumer is gone.
    expect((await ch.checkQueue(queue)).messageCount).toBe(0);
    await ch.close();
  });

  it("shares one queue between two daemons, every message delivered once in all", async () => {
    const queue = await newQueue("shared");
    const dirs = [daemonDir(), daemonDir()];
    for (const dir of dirs)
      daemons.push(await startIn(dir, config({ queues: [queue], prefetch: 50 })));
    const n = 1000;
    await publish(broker.model, queue, range(0, n));
    await vi.waitFor(
      () => expect(received(dirs[0]!).length + received(dirs[1]!).length).toBeGreaterThanOrEqual(n),
      { timeout: 60_000, interval: 200 },
    );
    const [a, b] = dirs.map(received) as [number[], number[]];
    console.log(`shared queue: daemon a got ${a.length}, daemon b got ${b.length}`);
    expect(a.length).toBeGreaterThan(0);
    expect(b.length).toBeGreaterThan(0);
    const all = [...a, ...b];
    expect(all).toHaveLength(n);
    expect(new Set(all).size).toBe(n);
  });
});
