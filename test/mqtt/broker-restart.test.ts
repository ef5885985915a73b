import { type Emulator, startEmulator } from "@fgconnect/emulator";
import type { MqttEvent } from "@fgconnect/mqtt";
import { afterAll, beforeAll, expect, it, vi } from "vitest";
import { type Mosquitto, startMosquitto } from "../harness/mosquitto.js";
import { daemonConfig, killAllDaemons, startDaemon, tempDir } from "./daemon.js";
import { publisher, Received, uniqueName } from "./helpers.js";

// This file restarts its broker, so it has one of its own.
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
  await killAllDaemons();
  await emulator.close();
  await broker.close();
});

it("reconnects after the broker restarts mid-stream and loses nothing at QoS 1", async () => {
  const base = uniqueName("restart");
  const dir = await tempDir();
  const config = daemonConfig(
    emulator,
    {
      mq: {
        url: broker.url,
        clientId: base,
        topics: [{ filter: `${base}/#`, qos: 1 }],
        reconnect: { minDelayMs: 200, maxDelayMs: 1000 },
      },
    },
    dir,
  );
  const daemon = await startDaemon(config, dir);
  const pub = await publisher(broker.url, { clientId: `${base}-pub`, clean: false });
  const n = 500;
  const sending = (async () => {
    for (let i = 0; i < n; i++)
      await pub.publishAsync(`${base}/t${i % 4}`, JSON.stringify({ i }), { qos: 1 });
  })();
  await received.waitFor(100);
  await broker.stop();
  await vi.waitFor(
    async () => expect((await fetch(`${daemon.adminUrl}/readyz`)).status).toBe(503),
    { timeout: 10_000, interval: 50 },
  );
  await broker.start();
  await vi.waitFor(
    async () => expect((await fetch(`${daemon.adminUrl}/readyz`)).status).toBe(200),
    {
      timeout: 10_000,
      interval: 50,
    },
  );
  await sending;
  await vi.waitFor(
    () =>
      expect(new Set(received.messages.map((m) => (m.payload as { i: number }).i)).size).toBe(n),
    { timeout: 30_000, interval: 50 },
  );
  const total = received.messages.length;
  console.log(`broker restart: ${n} published, ${total} deliveries, ${total - n} duplicate(s)`);
  expect(await daemon.kill("SIGTERM")).toBe(0);
  await pub.endAsync();
});
