import { type Emulator, startEmulator } from "@fgconnect/emulator";
import type { MqttEvent } from "@fgconnect/mqtt";
import { afterAll, beforeAll, describe, expect, inject, it, vi } from "vitest";
import {
  type DaemonProcess,
  daemonConfig,
  killAllDaemons,
  startDaemon,
  tempDir,
} from "./daemon.js";
import { publisher, Received, uniqueName } from "./helpers.js";

const broker = inject("broker");

let emulator: Emulator;
let dir: string;
/** Deliveries per test, by the topic prefix each test owns. */
const receivedBy = new Map<string, Received>();

beforeAll(async () => {
  dir = await tempDir();
  emulator = await startEmulator({
    functions: {
      sink: async (event: unknown) => {
        const e = event as MqttEvent;
        const base = e.records[0]!.topic.split("/")[0]!;
        receivedBy.get(base)?.add(e);
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
});

function track(base: string): Received {
  const r = new Received();
  receivedBy.set(base, r);
  return r;
}

/** `{i}` payloads received: how many distinct, and how many deliveries in all. */
function tally(received: Received): { distinct: number; total: number; duplicates: number } {
  const seen = received.messages.map((m) => (m.payload as { i: number }).i);
  const distinct = new Set(seen).size;
  return { distinct, total: seen.length, duplicates: seen.length - distinct };
}

describe("the fgconnect daemon with an mqtt connector", () => {
  it("loses nothing when SIGKILLed while QoS 1 messages stream in, and reports readiness and metrics", async () => {
    const base = uniqueName("kill");
    const received = track(base);
    const config = daemonConfig(
      emulator,
      { mq: { url: broker.url, clientId: base, topics: [{ filter: `${base}/#`, qos: 1 }] } },
      dir,
    );
    let daemon: DaemonProcess = await startDaemon(config, dir);
    const ready = await fetch(`${daemon.adminUrl}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ connectors: { mq: { connected: true } } });

    const pub = await publisher(broker.url);
    const n = 600;
    const sending = (async () => {
      for (let i = 0; i < n; i++)
        await pub.publishAsync(`${base}/s${i % 3}`, JSON.stringify({ i }), { qos: 1 });
    })();
    await received.waitFor(150);
    await daemon.kill("SIGKILL");
    const atKill = received.messages.length;
    daemon = await startDaemon(config, dir);
    await sending;
    await vi.waitFor(() => expect(tally(received).distinct).toBe(n), {
      timeout: 30_000,
      interval: 50,
    });
    const counts = tally(received);
    console.log(
      `SIGKILL test: ${n} published, ${atKill} deliveries before the kill, ${counts.total} deliveries in all, ${counts.duplicates} duplicate(s)`,
    );
    expect(counts.distinct).toBe(n);

    const metrics = await (await fetch(`${daemon.adminUrl}/metrics`)).text();
    expect(metrics).toMatch(/fgconnect_records_received_total\{source="mq"\} \d+/);
    expect(metrics).toMatch(/fgconnect_records_delivered_total\{[^}]*\} \d+/);
    expect(metrics).toMatch(/fgconnect_source_lag_records\{source="mq",part=""\} \d+/);
    expect(metrics).toMatch(/fgconnect_connector_up\{connector="mq",type="mqtt"\} 1/);
    expect(await daemon.kill("SIGTERM")).toBe(0);
    await pub.endAsync();
  });

  it.each([4, 5] as const)(
    "delivers QoS 1 messages published while it was stopped (persistent session, MQTT v%i)",
    async (protocolVersion) => {
      const base = uniqueName(`offline${protocolVersion}`);
      const received = track(base);
      const config = daemonConfig(
        emulator,
        {
          mq: {
            url: broker.url,
            protocolVersion,
            clientId: base,
            topics: [{ filter: `${base}/#`, qos: 1 }],
          },
        },
        dir,
      );
      const first = await startDaemon(config, dir);
      expect(await first.kill("SIGTERM")).toBe(0);
      const pub = await publisher(broker.url, { protocolVersion });
      const n = 100;
      for (let i = 0; i < n; i++)
        await pub.publishAsync(`${base}/t`, JSON.stringify({ i }), { qos: 1 });
      await pub.endAsync();
      expect(received.messages).toHaveLength(0);

      const second = await startDaemon(config, dir);
      await received.waitFor(n);
      expect(received.messages.map((m) => (m.payload as { i: number }).i)).toEqual(
        Array.from({ length: n }, (_, i) => i),
      );
      expect(await second.kill("SIGTERM")).toBe(0);
    },
  );

  it("splits one shared subscription between two daemons, each message delivered once", async () => {
    const base = uniqueName("shared");
    const received = track(base);
    const connector = (id: string) => ({
      url: broker.url,
      clientId: `${base}-${id}`,
      topics: [{ filter: `$share/workers/${base}/#`, qos: 1 }],
    });
    const a = await startDaemon(daemonConfig(emulator, { a: connector("a") }, dir), dir);
    const b = await startDaemon(daemonConfig(emulator, { b: connector("b") }, dir), dir);
    const pub = await publisher(broker.url);
    const n = 300;
    for (let i = 0; i < n; i++)
      await pub.publishAsync(`${base}/d${i % 10}`, JSON.stringify({ i }), { qos: 1 });
    await pub.endAsync();
    await received.waitFor(n);
    const counts = tally(received);
    expect(counts).toEqual({ distinct: n, total: n, duplicates: 0 });
    const byDaemon = { a: 0, b: 0 };
    for (const e of received.events) byDaemon[e.trigger_name as "a" | "b"] += e.records.length;
    console.log(`shared subscription: daemon a got ${byDaemon.a}, daemon b got ${byDaemon.b}`);
    expect(byDaemon.a).toBeGreaterThan(0);
    expect(byDaemon.b).toBeGreaterThan(0);
    expect(await a.kill("SIGTERM")).toBe(0);
    expect(await b.kill("SIGTERM")).toBe(0);
  });
});
