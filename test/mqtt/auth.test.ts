import { createMqttConnector, MqttConnectorError } from "@fgconnect/mqtt";
import { afterAll, describe, expect, inject, it, vi } from "vitest";
import { killAllDaemons, startDaemon, tempDir } from "./daemon.js";
import { USER } from "./global-setup.js";
import { pipeline, publisher, uniqueName } from "./helpers.js";

const passwordBroker = inject("passwordBroker");
const tlsBroker = inject("tlsBroker");
const silent = { info() {}, warn() {}, error() {}, debug() {} } as never;

afterAll(killAllDaemons);

describe("password", () => {
  it("connects with the right username and password and delivers", async () => {
    const base = uniqueName("pw");
    const p = await pipeline({
      url: passwordBroker.url,
      clientId: base,
      username: USER.name,
      password: USER.password,
      topics: [{ filter: `${base}/#`, qos: 1 }],
    });
    const pub = await publisher(passwordBroker.url, {
      username: USER.name,
      password: USER.password,
    });
    await pub.publishAsync(`${base}/a`, "hi", { qos: 1 });
    await p.received.waitFor(1);
    await pub.endAsync();
    await p.stop();
    expect(p.received.messages[0]).toMatchObject({ topic: `${base}/a`, payload: "hi" });
  });

  it.each([4, 5] as const)(
    "refuses a wrong password at start with a clear, typed error (MQTT v%i)",
    async (protocolVersion) => {
      const connector = createMqttConnector("mq", {
        url: passwordBroker.url,
        protocolVersion,
        username: USER.name,
        password: "not-the-password",
        topics: [{ filter: "x/#" }],
      });
      const error = await connector
        .start({ push: async () => "delivered", logger: silent })
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(MqttConnectorError);
      // Mosquitto answers a wrong password with "not authorized" (MQTT 3.1.1 code 5, MQTT 5 0x87).
      expect((error as MqttConnectorError).code).toBe("MQTT_NOT_AUTHORIZED");
      expect((error as Error).message).toContain(`could not connect to ${passwordBroker.url}`);
      expect((error as Error).message).toContain("check username, password");
      expect((error as Error).message).not.toContain("not-the-password");
      expect(connector.health().connected).toBe(false);
    },
  );

  it("the daemon names the problem in its log and /readyz, without the password, and keeps retrying", async () => {
    // The daemon starts every connector with retries (core's withStartRetry): a refused login
    // does not stop it; it stays up, not ready, and says why.
    const dir = await tempDir();
    const daemon = await startDaemon(
      {
        emulator: { functions: dir },
        connectors: {
          mq: {
            type: "mqtt",
            url: passwordBroker.url,
            username: USER.name,
            password: "wrong-secret-123",
            topics: [{ filter: "x/#" }],
          },
        },
        routes: [{ from: "mq", to: ["sink"], mode: "sync" }],
        admin: { port: 0 },
        log: { level: "info", pretty: false },
      },
      dir,
    );
    const readyz = await fetch(`${daemon.adminUrl}/readyz`);
    const body = await readyz.text();
    expect(readyz.status).toBe(503);
    expect(body).toContain('mqtt connector \\"mq\\" could not connect');
    expect(body).toContain("not authorized → check username, password");
    await vi.waitFor(() =>
      expect(daemon.lines.some((l) => l.includes("connector could not start; retrying"))).toBe(
        true,
      ),
    );
    expect(await daemon.kill("SIGTERM")).toBe(0);
    expect(body).not.toContain("wrong-secret-123");
    expect(daemon.lines.join("\n")).not.toContain("wrong-secret-123");
  });
});

describe("TLS", () => {
  it("connects to an mqtts:// broker with the CA that signed its certificate", async () => {
    const base = uniqueName("tls");
    const tls = tlsBroker.tls!;
    const p = await pipeline({
      url: tlsBroker.url,
      clientId: base,
      tls: { ca: tls.ca, cert: tls.clientCert, key: tls.clientKey },
      topics: [{ filter: `${base}/#`, qos: 2 }],
    });
    const { readFileSync } = await import("node:fs");
    const pub = await publisher(tlsBroker.url, { ca: readFileSync(tls.ca) });
    await pub.publishAsync(`${base}/secure`, '{"ok":true}', { qos: 2 });
    await p.received.waitFor(1);
    await pub.endAsync();
    await p.stop();
    expect(p.received.messages[0]).toMatchObject({
      topic: `${base}/secure`,
      payload: { ok: true },
      qos: 2,
    });
  });

  it("refuses a broker whose certificate it cannot verify", async () => {
    const connector = createMqttConnector("mq", {
      url: tlsBroker.url,
      topics: [{ filter: "x/#" }],
      connectTimeoutMs: 5000,
    });
    const error = await connector
      .start({ push: async () => "delivered", logger: silent })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MqttConnectorError);
    expect(error).toMatchObject({ code: "MQTT_TLS_FAILED" });
    expect((error as Error).message).toContain("tls.ca");
  });
});
