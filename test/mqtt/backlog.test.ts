import { type Emulator, startEmulator } from "@fgconnect/emulator";
import type { MqttEvent } from "@fgconnect/mqtt";
import { afterAll, beforeAll, expect, it, vi } from "vitest";
import { type Mosquitto, startMosquitto } from "../harness/mosquitto.js";
import { pipeline, publisher, Received, uniqueName } from "./helpers.js";

// Thousands of queued messages: a broker of its own, so other files' tests do not wait on it.
let broker: Mosquitto;
let emulator: Emulator;
const received = new Received();

beforeAll(async () => {
  broker = await startMosquitto();
  emulator = await startEmulator({
    functions: {
      sink: async (event: unknown) => {
        received.add(event as MqttEvent);
        return { ok: true };
      },
    },
    auth: false,
    log: false,
  });
});
afterAll(async () => {
  await emulator.close();
  await broker.close();
});

it("drains a QoS 2 backlog far past the receive maximum on one connection when the daemon comes back", async () => {
  const base = uniqueName("backlog-q2");
  const receiveMaximum = 1000;
  const n = 5000;
  // The daemon's persistent session exists, and the daemon is down.
  const offline = await publisher(broker.url, {
    clientId: base,
    clean: false,
    properties: { sessionExpiryInterval: 3600, receiveMaximum },
  });
  await offline.subscribeAsync(`${base}/#`, { qos: 2 });
  await offline.endAsync();

  const pub = await publisher(broker.url, { clientId: `${base}-pub` });
  // Mosquitto takes 20 QoS 2 messages in flight from a publisher (its max_inflight_messages).
  for (let i = 0; i < n; i += 20) {
    await Promise.all(
      Array.from({ length: Math.min(20, n - i) }, (_, j) =>
        pub.publishAsync(`${base}/t${(i + j) % 8}`, JSON.stringify({ i: i + j }), { qos: 2 }),
      ),
    );
  }
  await pub.endAsync();
  console.log(`QoS 2 backlog: ${n} published`);

  const started = Date.now();
  const p = await pipeline(
    {
      url: broker.url,
      clientId: base,
      receiveMaximum,
      topics: [{ filter: `${base}/#`, qos: 2 }],
      reconnect: { minDelayMs: 200, maxDelayMs: 1000 },
    },
    { emulator, received, route: { batch: { maxRecords: 100, maxWaitMs: 5 } } },
  );
  try {
    await vi
      .waitFor(
        () =>
          expect(new Set(received.messages.map((m) => (m.payload as { i: number }).i)).size).toBe(
            n,
          ),
        { timeout: 60_000, interval: 100 },
      )
      .catch((err) => {
        console.log(`QoS 2 backlog: stats at timeout ${JSON.stringify(p.connector.stats)}`);
        throw err;
      });
    // Every message released: PUBREC after delivery, then PUBREL/PUBCOMP; none left at the broker.
    await vi.waitFor(() => expect(p.connector.stats).toMatchObject({ inFlight: 0 }), {
      timeout: 10_000,
    });
    const deliveries = received.messages.length;
    const { connections, redeliveries } = p.connector.stats;
    console.log(
      `QoS 2 backlog: ${n} messages drained in ${Date.now() - started} ms, ${deliveries} deliveries, ${connections} connection(s), ${redeliveries} redeliveries joined`,
    );
    expect(connections).toBeLessThanOrEqual(2);
    expect(deliveries - n).toBeLessThanOrEqual(receiveMaximum);
    expect(p.connector.stats.acknowledged).toBeGreaterThanOrEqual(n);
  } finally {
    await p.stop();
  }

  // Nothing is left in the session: a new message is the only one that comes next.
  const before = received.messages.length;
  const again = await pipeline(
    { url: broker.url, clientId: base, receiveMaximum, topics: [{ filter: `${base}/#`, qos: 2 }] },
    { emulator, received },
  );
  try {
    const marker = await publisher(broker.url, { clientId: `${base}-marker` });
    await marker.publishAsync(`${base}/marker`, JSON.stringify({ i: -1 }), { qos: 2 });
    await marker.endAsync();
    await received.waitFor(before + 1);
    await vi.waitFor(() => expect(again.connector.stats).toMatchObject({ inFlight: 0 }));
    expect(received.messages.slice(before).map((m) => m.payload)).toEqual([{ i: -1 }]);
  } finally {
    await again.stop();
  }
}, 180_000);
