/**
 * Reloading a running daemon's config while QoS 1 messages stream in: a route's filter, then the
 * connector's keepalive (the connector is drained, disconnects and connects anew to the same
 * persistent session), then the filter again, each by SIGHUP. Every message must reach exactly
 * the functions that a config in force between its publication and its delivery sends it to,
 * once each, in order per topic — none lost across the reconnection.
 */
import { join } from "node:path";
import type { Emulator } from "@fgconnect/emulator";
import type { MqttEvent } from "@fgconnect/mqtt";
import type { MqttClient } from "mqtt";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { type DaemonProcess, startRunningDaemon, workDir } from "../harness/daemon.js";
import { functiongraphOf } from "../harness/emulator-section.js";
import { colorOf, type Deliveries } from "../harness/reload.js";
import {
  OPTIONS_CHANGED,
  recordingEmulator,
  runScenario,
  scenarioRoutes,
} from "../harness/reload-scenario.js";
import { publisher, uniqueName } from "./helpers.js";

const broker = inject("broker");
const TOPICS = 4;
let emulator: Emulator;
let deliveries: Deliveries;
let pub: MqttClient;
let daemon: DaemonProcess | undefined;

beforeAll(async () => {
  pub = await publisher(broker.url);
  ({ emulator, deliveries } = await recordingEmulator((event) =>
    (event as MqttEvent).records.map((r) => (r.payload as { i: number }).i),
  ));
});
afterAll(async () => {
  if (daemon && daemon.child.exitCode === null) daemon.child.kill("SIGKILL");
  await pub.endAsync();
  await emulator.close();
});

function config(base: string, phase: number): string {
  return JSON.stringify({
    functiongraph: functiongraphOf(emulator),
    connectors: {
      mq: {
        type: "mqtt",
        url: broker.url,
        clientId: base,
        // A persistent session: what the broker sends while the connector reconnects waits.
        clean: false,
        sessionExpirySeconds: 300,
        topics: [{ filter: `${base}/#`, qos: 1 }],
        keepaliveSeconds: phase >= OPTIONS_CHANGED ? 20 : 30,
      },
    },
    routes: scenarioRoutes(emulator, "mq", phase),
    deadLetter: { type: "file", path: "./dead-letter.jsonl", fsync: false },
    admin: { port: 0 },
    shutdown: { deadlineMs: 10_000 },
  });
}

describe("reloading the config of a daemon subscribed to MQTT", () => {
  it("applies a filter and the connector's options by SIGHUP with no QoS 1 message lost, sent twice or out of order per topic", async () => {
    const base = uniqueName("reload");
    const dir = workDir("fgc-mqtt-reload-");
    daemon = await startRunningDaemon(dir, config(base, 0), { FGCONNECT_LOG_LEVEL: "info" });
    const { expectKept } = await runScenario({
      daemon,
      file: join(dir, "fgconnect.yaml"),
      config: (phase) => config(base, phase),
      connector: "mq",
      deliveries,
      // Sent in this order (one connection), acknowledged together.
      send: async (ids) => {
        await Promise.all(
          ids.map((i) =>
            pub.publishAsync(`${base}/t${i % TOPICS}`, JSON.stringify({ i, color: colorOf(i) }), {
              qos: 1,
            }),
          ),
        );
      },
    });
    daemon.child.kill("SIGTERM");
    expect(await daemon.exited).toBe(0);
    // The connector's default ordering: one topic's messages one after another.
    console.log(expectKept(TOPICS));
  });
});
