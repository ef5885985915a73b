import type { ChannelModel } from "amqplib";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  admin,
  closeConnectionsNamed,
  DAEMON_CONNECTOR,
  publish,
  range,
  uniqueName,
} from "../rabbitmq/helpers.js";
import { ChaosDaemon, DELIVERY, KILLS, missing, orderViolations } from "./chaos.js";

const QUEUES = 3;
/** Unacknowledged messages the broker sends each queue's consumer (`basic.qos`). */
const PREFETCH = 20;
const BATCH = 10;

let model: ChannelModel;
let run: ChaosDaemon | undefined;
const queues = Array.from({ length: QUEUES }, (_, k) => uniqueName(`chaos-q${k}`));
beforeAll(async () => {
  model = await admin();
});
afterEach(() => run?.close());
afterAll(async () => {
  if (!model) return;
  const ch = await model.createChannel();
  for (const q of queues) await ch.deleteQueue(q);
  await model.close();
});

describe("RabbitMQ queues on the shared broker", () => {
  it(`SIGKILLed ${KILLS} times and its connection closed by the broker ${KILLS} times, with a function failing 30% of calls: nothing lost, order per queue kept, duplicates within the prefetch at each fault`, async () => {
    const connectionName = uniqueName("chaos-conn");
    run = new ChaosDaemon(
      "rabbitmq",
      {
        ids: "(event) => event.records.map((r) => ({ id: JSON.parse(r.body).id, queue: r.queue, redelivered: r.redelivered }))",
        latencyMs: 5,
      },
      {
        connectors: {
          mq: {
            ...DAEMON_CONNECTOR,
            queues,
            declare: true,
            prefetch: PREFETCH,
            connectionName,
            reconnect: { minDelayMs: 200, maxDelayMs: 1_000 },
          },
        },
        routes: [
          {
            from: "mq",
            format: "rich",
            batch: { maxRecords: BATCH, maxWaitMs: 5 },
            delivery: DELIVERY,
          },
        ],
        limits: { maxInFlight: 4 },
      },
    );
    const next = new Array<number>(QUEUES).fill(0);
    let published = 0;
    /** `n` more messages, spread over the queues; each body's `id` is `<queue index>:<seq>`. */
    const send = async (n: number) => {
      for (let k = 0; k < QUEUES; k++) {
        const count = Math.floor(n / QUEUES) + (k < n % QUEUES ? 1 : 0);
        const seqs = range(next[k]!, next[k]! + count);
        await publish(model, queues[k]!, seqs, (i) => ({ id: `${k}:${i}` }));
        next[k]! += count;
        published += count;
      }
    };

    // The daemon declares the queues; publishing before its first start needs them too.
    const ch = await model.createChannel();
    for (const q of queues) await ch.assertQueue(q, { durable: true });
    await ch.close();
    await send(600);
    let mark = run.tally().distinct;
    await run.start();
    for (let i = 0; i < KILLS; i++) {
      await run.beyond(mark, 150, published);
      // The broker drops the connection under a running daemon, which consumes again by itself.
      run.mark("connection closed");
      expect(await closeConnectionsNamed(connectionName)).toBe(1);
      await run.current!.waitFor((l) => l.msg === "rabbitmq connection restored", 30_000);
      run.mark("connection restored");
      mark = run.tally().distinct;
      await send(150);
      await run.beyond(mark, 100, published, "deliveries after the connection was restored");
      await run.kill();
      await send(300);
      mark = run.tally().distinct;
      await run.start();
      await send(100);
    }
    await run.until(`all ${published} messages`, () => run!.tally().distinct >= published, 120_000);
    expect(await run.stop()).toBe(0);

    const t = run.tally();
    const ids = next.flatMap((n, k) => range(0, n).map((s) => `${k}:${s}`));
    const violations = orderViolations(
      run.deliveries(),
      (d) => d.queue as string,
      (d) => Number(d.id.split(":")[1]),
    );
    const redelivered = run.deliveries().filter((d) => d.redelivered).length;
    // What the broker redelivers after a kill or a closed connection is what was unacknowledged:
    // at most `prefetch` per queue, each fault.
    const bound = (KILLS + KILLS) * QUEUES * PREFETCH;
    run.report(
      published,
      bound,
      `${redelivered} deliveries of redelivered messages; ${violations.length} order violation(s)`,
    );
    expect.soft(run.deadLetters()).toEqual([]);
    expect.soft(missing(ids, t)).toEqual([]);
    expect.soft(t.distinct).toBe(published);
    expect.soft(violations.slice(0, 10)).toEqual([]);
    expect.soft(t.duplicates).toBeLessThanOrEqual(bound);
    expect.soft(run.stackTraces()).toEqual([]);
  });
});
