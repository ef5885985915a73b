/**
 * Two replicas on one config sharing a topic through an MQTT 5 shared subscription, each with a
 * persistent session under a client id that follows FGCONNECT_REPLICA_ID (a Mosquitto of this
 * test's own): one is SIGKILLed mid-stream and restarted under the same replica id; its session,
 * with what the broker held for it, is taken up again, so no message is lost.
 */
import { type Emulator, startEmulator } from "@fgconnect/emulator";
import type { MqttEvent } from "@fgconnect/mqtt";
import mqtt from "mqtt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type DaemonProcess, startDaemon, workDir } from "../harness/daemon.js";
import { type Mosquitto, startMosquitto } from "../harness/mosquitto.js";
import { until } from "../harness/until.js";

const MESSAGES = 600;
const REPLICAS = ["fleet-0", "fleet-1"];

/** Message number → the replica and time of each delivery. */
const received = new Map<number, { replica: string; at: number }[]>();
let emu: Emulator;
let broker: Mosquitto;
const daemons: DaemonProcess[] = [];

// One function per replica, so a delivery says which replica made it (the config is the same).
const sink = (replica: string) => async (event: MqttEvent) => {
  const at = Date.now();
  // Slow enough that the killed replica has acknowledgements outstanding.
  await new Promise((r) => setTimeout(r, 20));
  for (const r of event.records) {
    const i = (r.payload as { i: number }).i;
    received.set(i, [...(received.get(i) ?? []), { replica, at }]);
  }
  return { ok: true };
};

beforeAll(async () => {
  [emu, broker] = await Promise.all([
    startEmulator({
      log: false,
      auth: false,
      functions: Object.fromEntries(REPLICAS.map((r) => [r, sink(r)])),
    }),
    startMosquitto(),
  ]);
});
afterAll(async () => {
  for (const d of daemons) if (d.child.exitCode === null) d.child.kill("SIGKILL");
  await Promise.all([emu?.close(), broker?.close()]);
});

// `${SINK}` is the only difference between the replicas' environments besides their id.
const config = (topic: string, dir: string) =>
  JSON.stringify({
    functiongraph: { endpoint: emu.url, region: emu.region, projectId: emu.projectId },
    connectors: {
      mq: {
        type: "mqtt",
        url: broker.url,
        topics: [{ filter: `$share/fleet/${topic}/#`, qos: 1 }],
      },
    },
    routes: [
      {
        from: "mq",
        to: ["${SINK}"],
        mode: "sync",
        batch: { maxRecords: 5, maxWaitMs: 5 },
        delivery: { maxAttempts: 10, firstDelayMs: 100 },
      },
    ],
    deadLetter: { type: "file", path: `${dir}/dead-letter.jsonl`, fsync: false },
    admin: { port: 0 },
    shutdown: { deadlineMs: 5000 },
  });

async function startReplica(replica: string, topic: string, dir: string): Promise<DaemonProcess> {
  const d = startDaemon(dir, config(topic, dir), {
    FGCONNECT_LOG_LEVEL: "info",
    FGCONNECT_REPLICA_ID: replica,
    SINK: emu.urnFor(replica),
  });
  daemons.push(d);
  await Promise.race([
    d.waitFor((l) => l.msg === "fgconnect running", 60_000),
    d.exited.then((code) => {
      throw new Error(`daemon exited with ${code} before running:\n${d.stderr()}`);
    }),
  ]);
  return d;
}

describe("MQTT 5 shared subscription across replicas", () => {
  it(`two replicas with persistent sessions under stable client ids, one SIGKILLed and restarted mid-stream: all ${MESSAGES} QoS 1 messages delivered`, async () => {
    const topic = `fleet-${process.pid}-${Date.now().toString(36)}`;
    const dirs = REPLICAS.map(() => workDir("fgconnect-mqtt-replica-"));
    await Promise.all(REPLICAS.map((r, i) => startReplica(r, topic, dirs[i]!)));
    const [, victim] = daemons as [DaemonProcess, DaemonProcess];
    for (const d of daemons)
      expect(d.lines.some((l) => /client id changes/.test(l.msg))).toBe(false);

    const pub = await mqtt.connectAsync(broker.url, { protocolVersion: 5 });
    let published = 0;
    const publishing = (async () => {
      for (; published < MESSAGES; published++) {
        await pub.publishAsync(`${topic}/m${published % 4}`, JSON.stringify({ i: published }), {
          qos: 1,
        });
        if (published % 10 === 9) await new Promise((r) => setTimeout(r, 20));
      }
    })();
    const byVictim = () => [...received.values()].filter((d) => d[0]!.replica === REPLICAS[1]);
    await until(() => byVictim().length >= 60, 60_000, "deliveries by the second replica");
    victim.child.kill("SIGKILL");
    await victim.exited;
    const publishedAtKill = published;
    // Messages go on arriving for the shared group while the replica is down, then it returns.
    await until(() => published >= publishedAtKill + 100 || published >= MESSAGES, 60_000, "more");
    const publishedBeforeRestart = published;
    const restarting = Date.now();
    const restarted = await startReplica(REPLICAS[1]!, topic, dirs[1]!);
    const restartedAt = Date.now();
    await publishing;
    await pub.endAsync();
    await until(() => received.size >= MESSAGES, 60_000, `all ${MESSAGES} messages`);
    await new Promise((r) => setTimeout(r, 1000));
    for (const d of [daemons[0]!, restarted]) {
      d.child.kill("SIGTERM");
      expect(await d.exited).toBe(0);
    }

    expect(received.size).toBe(MESSAGES);
    expect([...received.keys()].sort((a, b) => a - b)).toEqual(
      Array.from({ length: MESSAGES }, (_, i) => i),
    );
    // The restarted replica took up its session: it delivered again, under the same client id.
    const afterRestart = [...received.values()].flat().filter((d) => d.at >= restartedAt);
    expect(afterRestart.some((d) => d.replica === REPLICAS[1])).toBe(true);
    expect(restarted.lines.some((l) => /client id changes/.test(l.msg))).toBe(false);
    // Mosquitto gives an offline persistent session of the group its share: messages published
    // while the replica was down reached it once it was back under the same client id.
    const heldForVictim = [...received].filter(
      ([i, d]) =>
        i >= publishedAtKill && i < publishedBeforeRestart && d[0]!.replica === REPLICAS[1],
    );
    expect(heldForVictim.length).toBeGreaterThan(0);
    // A message came twice only if the killed replica had delivered it without acknowledging:
    // the broker sends it again in the same session once the replica is back.
    for (const [i, deliveries] of received) {
      if (deliveries.length === 1) continue;
      expect({ i, deliveries: deliveries.length }).toEqual({ i, deliveries: 2 });
      expect(deliveries[0]).toMatchObject({ replica: REPLICAS[1] });
      expect(deliveries[0]!.at).toBeLessThan(restarting);
      expect(deliveries[1]!.at).toBeGreaterThanOrEqual(restarting);
    }
  });
});
