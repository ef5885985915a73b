import mqtt, { type MqttClient } from "mqtt";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type Mosquitto, startMosquitto } from "../harness/mosquitto.js";
import { ChaosDaemon, DELIVERY, KILLS, missing } from "./chaos.js";

/** The daemon's receive maximum: QoS 1/2 messages the broker may have sent it unacknowledged. */
const RECEIVE_MAXIMUM = 100;
/** Published while the daemon is down after its first kill: many times the receive maximum. */
const BACKLOG = 3_000;
const TOPICS = 4;

let broker: Mosquitto;
let run: ChaosDaemon | undefined;
let publisher: MqttClient | undefined;
beforeAll(async () => {
  broker = await startMosquitto();
});
afterEach(async () => {
  await run?.close();
  await publisher?.endAsync();
});
afterAll(() => broker?.close());

describe.each([1, 2] as const)("MQTT QoS %i with a persistent session", (qos) => {
  it(`SIGKILLed ${KILLS} times, ${BACKLOG} messages published while down, the broker restarted once, a function failing 30% of calls: nothing lost, duplicates within the messages in flight`, async () => {
    const base = `chaos-q${qos}-${Date.now()}`;
    run = new ChaosDaemon(
      `mqtt qos ${qos}`,
      { ids: "(event) => event.records.map((r) => ({ id: r.payload.id }))", latencyMs: 5 },
      {
        connectors: {
          devices: {
            type: "mqtt",
            url: broker.url,
            clientId: base,
            clean: false,
            topics: [{ filter: `${base}/#`, qos }],
            receiveMaximum: RECEIVE_MAXIMUM,
            reconnect: { minDelayMs: 200, maxDelayMs: 1_000 },
          },
        },
        routes: [{ from: "devices", batch: { maxRecords: 10 }, delivery: DELIVERY }],
        limits: { maxInFlight: 4 },
      },
    );
    const pub = await mqtt.connectAsync(broker.url, {
      protocolVersion: 5,
      clientId: `${base}-publisher`,
      reconnectPeriod: 200,
    });
    publisher = pub;
    /** Ids the broker acknowledged (PUBACK, or PUBCOMP for QoS 2): each must be delivered. */
    const published: string[] = [];
    const publish = async (n: number) => {
      // A few at a time: Mosquitto refuses QoS 2 publishes past its receive maximum (20 by default).
      for (let i = 0; i < n; i += 16) {
        const ids = Array.from(
          { length: Math.min(16, n - i) },
          (_, j) => `m${published.length + j}`,
        );
        await Promise.all(
          ids.map((id, j) =>
            pub.publishAsync(`${base}/t${(i + j) % TOPICS}`, JSON.stringify({ id }), { qos }),
          ),
        );
        published.push(...ids);
      }
    };

    const beyond = (from: number, n: number, what?: string) =>
      run!.beyond(from, n, published.length, what);
    // The first start creates the session; from then on the broker queues for it while it is down.
    await run.start();
    let mark = run.tally().distinct;
    await publish(300);
    for (let i = 0; i < KILLS; i++) {
      await beyond(mark, 150);
      if (i === 1) {
        run.mark("broker restart");
        await broker.restart();
        run.mark("broker started");
        await run.until("the publisher to reconnect", () => pub.connected);
        mark = run.tally().distinct;
        await publish(200);
        await beyond(mark, 150, "deliveries after the broker restart");
      }
      await run.kill();
      await publish(i === 0 ? BACKLOG : 200);
      mark = run.tally().distinct;
      await run.start();
      await publish(100);
    }
    await run.until(
      `all ${published.length} messages`,
      () => run!.tally().distinct >= published.length,
      120_000,
    );
    expect(await run.stop()).toBe(0);

    const t = run.tally();
    // A message comes again only if the connection broke before the daemon acknowledged it
    // (PUBACK for QoS 1, PUBREC for QoS 2), and the broker may have sent at most a receive
    // maximum unacknowledged: that many per SIGKILL and per broker restart, for QoS 2 too.
    // (Mosquitto 2.0 sends past the receive maximum while it drains a backlog; what the daemon
    // delivers of those before the older ones are acknowledged can come twice.)
    const bound = (KILLS + 1) * RECEIVE_MAXIMUM;
    run.report(published.length, bound);
    expect.soft(run.deadLetters()).toEqual([]);
    expect.soft(missing(published, t)).toEqual([]);
    expect.soft(t.distinct).toBe(published.length);
    expect.soft(t.duplicates).toBeLessThanOrEqual(bound);
    expect.soft(run.stackTraces()).toEqual([]);
  });
});
