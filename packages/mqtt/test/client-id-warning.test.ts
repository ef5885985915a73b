import { afterEach, describe, expect, it, vi } from "vitest";

// This process as a pod of a Kubernetes Deployment: its host name is new with every pod.
vi.mock("node:os", async (importOriginal) => ({
  ...(await importOriginal<typeof import("node:os")>()),
  hostname: () => "fgconnect-7d9c5b8f6d-x2x7q",
}));

const { createMqttConnector } = await import("../src/index.js");

type Line = { level: string; obj: object; msg?: string };

/** Starts a connector against a port nothing listens on, and returns what it logged. */
async function startLog(options: Record<string, unknown>): Promise<Line[]> {
  const lines: Line[] = [];
  const log = (level: string) => (obj: object, msg?: string) => lines.push({ level, obj, msg });
  const connector = createMqttConnector("plant", {
    url: "mqtt://127.0.0.1:1",
    topics: [{ filter: "a/#" }],
    connectTimeoutMs: 2000,
    ...options,
  });
  const logger = { debug: log("debug"), info: log("info"), warn: log("warn"), error: log("error") };
  await expect(connector.start({ push: async () => "delivered", logger })).rejects.toMatchObject({
    code: "MQTT_CONNECT_FAILED",
  });
  await connector.stop();
  return lines.filter((l) => l.level !== "debug");
}

describe("starting with a persistent session on a host name that changes", () => {
  afterEach(() => vi.unstubAllEnvs());

  it("warns once, naming the client id and what to set", async () => {
    vi.stubEnv("KUBERNETES_SERVICE_HOST", "10.96.0.1");
    vi.stubEnv("FGCONNECT_REPLICA_ID", "");
    const lines = await startLog({});
    expect(lines).toEqual([
      {
        level: "warn",
        obj: {
          connector: "plant",
          clientId: "fgconnect-plant-fgconnect-7d9c5b8f6d-x2x7q",
          why: expect.stringMatching(/Kubernetes pod name/),
        },
        msg: expect.stringMatching(/FGCONNECT_REPLICA_ID.*clientId/),
      },
    ]);
  });

  it("says nothing with FGCONNECT_REPLICA_ID, a clientId, or a clean session", async () => {
    vi.stubEnv("KUBERNETES_SERVICE_HOST", "10.96.0.1");
    expect(await startLog({ clientId: "plant-a" })).toEqual([]);
    expect(await startLog({ clean: true })).toEqual([]);
    vi.stubEnv("FGCONNECT_REPLICA_ID", "fgconnect-1");
    expect(await startLog({})).toEqual([]);
  });
});
