import { type Emulator, startEmulator } from "@fgconnect/emulator";
import type { MqttEvent } from "@fgconnect/mqtt";
import { afterAll, beforeAll, expect, it, vi } from "vitest";
import { type Mosquitto, startMosquitto } from "../harness/mosquitto.js";
import {
  type DaemonProcess,
  daemonConfig,
  killAllDaemons,
  startDaemon,
  tempDir,
} from "./daemon.js";
import { publisher, Received, uniqueName } from "./helpers.js";

// This file restarts its broker, so it has one of its own, with a password to look for in logs.
const USER = { name: "daemon", password: "rst-S3cret-7f3a" };
let broker: Mosquitto;
let emulator: Emulator;
const received = new Received();

beforeAll(async () => {
  broker = await startMosquitto({
    users: { [USER.name]: USER.password, publisher: "publisher-pass" },
  });
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

async function ready(daemon: DaemonProcess, status: 200 | 503): Promise<void> {
  await vi.waitFor(
    async () => expect((await fetch(`${daemon.adminUrl}/readyz`)).status).toBe(status),
    { timeout: 15_000, interval: 50 },
  );
}

interface LogLine {
  level: number;
  msg: string;
  [field: string]: unknown;
}

it("reconnects after the broker restarts mid-stream and loses nothing at QoS 1, logging one warning and one recovery per outage", async () => {
  const base = uniqueName("restart");
  const dir = await tempDir();
  const config = daemonConfig(
    emulator,
    {
      mq: {
        url: broker.url,
        clientId: base,
        username: USER.name,
        password: USER.password,
        topics: [{ filter: `${base}/#`, qos: 1 }],
        reconnect: { minDelayMs: 200, maxDelayMs: 1000 },
      },
    },
    dir,
  );
  const daemon = await startDaemon(config, dir);
  const pub = await publisher(broker.url, {
    clientId: `${base}-pub`,
    clean: false,
    username: "publisher",
    password: "publisher-pass",
  });
  const n = 500;
  const sending = (async () => {
    for (let i = 0; i < n; i++)
      await pub.publishAsync(`${base}/t${i % 4}`, JSON.stringify({ i }), { qos: 1 });
  })();
  await received.waitFor(100);
  const outageFrom = daemon.lines.length;
  await broker.stop();
  await ready(daemon, 503);
  await broker.start();
  await ready(daemon, 200);
  await sending;
  await vi.waitFor(
    () =>
      expect(new Set(received.messages.map((m) => (m.payload as { i: number }).i)).size).toBe(n),
    { timeout: 30_000, interval: 50 },
  );
  const total = received.messages.length;
  console.log(`broker restart: ${n} published, ${total} deliveries, ${total - n} duplicate(s)`);

  // A second outage while nothing flows: its warning gives its own reason, not the last one's.
  await broker.stop();
  await ready(daemon, 503);
  await broker.start();
  await ready(daemon, 200);
  const outageTo = daemon.lines.length;
  expect(await daemon.kill("SIGTERM")).toBe(0);
  await pub.endAsync();

  const log = daemon.lines.map((line) => JSON.parse(line) as LogLine);
  // During the outages: exactly one warning (the reason, and what the daemon does) and one
  // recovery each, nothing else at info or above.
  const outages = log.slice(outageFrom, outageTo).filter((l) => l.level >= 30);
  expect(outages.map((l) => [l.level, l.msg])).toEqual([
    [40, "mqtt connection lost; reconnecting (unacknowledged messages will be redelivered)"],
    [30, "mqtt connection restored"],
    [40, "mqtt connection lost; reconnecting (unacknowledged messages will be redelivered)"],
    [30, "mqtt connection restored"],
  ]);
  const [first, , second] = outages;
  for (const warn of [first!, second!]) {
    expect(warn).toMatchObject({ connector: "mq", broker: broker.url });
    expect(warn.reason).toEqual(expect.any(String));
    expect(warn.retryInMs).toEqual(expect.any(Number));
  }
  // Mosquitto says it is shutting down (MQTT 5 DISCONNECT), or the socket just fails mid-write.
  expect(second!.reason).toMatch(/shutting down|closed the connection|ECONNRESET|EPIPE/);
  expect(second!.reason).not.toMatch(/ECONNREFUSED/);
  expect(outages[1]).toMatchObject({ connector: "mq", downMs: expect.any(Number) });

  // No stack traces (a `stack` field or an "    at …" line) and no password, anywhere.
  const everything = `${daemon.lines.join("\n")}\n${daemon.stderr}`;
  expect(everything).not.toMatch(/"stack"|\n\s+at /);
  expect(everything).not.toContain(USER.password);
});
