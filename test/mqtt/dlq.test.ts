/**
 * `fgconnect dlq --sink <connector>` on an MQTT dead-letter topic: the daemon's dead letters
 * wait in the replay session on a real Mosquitto, move to the spool on the first read, and are
 * replayed half by a filter, then the rest (each once per replay, never again); a replay killed
 * by SIGKILL and started again resends at most what was in flight. The CLI runs as a child process.
 */
import { type Emulator, startEmulator } from "@fgconnect/emulator";
import type { MqttEvent } from "@fgconnect/mqtt";
import { afterAll, beforeAll, describe, expect, inject, it, vi } from "vitest";
import { runCli, startCli } from "../harness/cli.js";
import { daemonConfig, killAllDaemons, startDaemon, tempDir } from "./daemon.js";
import { publisher, uniqueName } from "./helpers.js";

const broker = inject("broker");

let emulator: Emulator;
let failing = true;
let delayMs = 0;
/** Deliveries per message id. */
const delivered = new Map<string, number>();

beforeAll(async () => {
  emulator = await startEmulator({
    functions: {
      sink: async (event: unknown) => {
        if (delayMs) await new Promise((r) => setTimeout(r, delayMs));
        const { id } = (event as MqttEvent).records[0]!.payload as { id: string };
        if (failing) throw new Error(`refusing ${id}`);
        delivered.set(id, (delivered.get(id) ?? 0) + 1);
        return "ok";
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

/** `n` messages dead-lettered by the daemon to an MQTT topic; the CLI pointed at its config. */
async function deadLetters(n: number, maxInFlight = 4) {
  const base = uniqueName("dlq");
  const dir = await tempDir();
  const ids = Array.from({ length: n }, (_, i) => `${base}-${i}`);
  const watcher = await publisher(broker.url);
  let seen = 0;
  watcher.on("message", () => {
    seen += 1;
  });
  await watcher.subscribeAsync(`${base}/dead`, { qos: 1 });
  failing = true;
  const config = {
    ...daemonConfig(
      emulator,
      {
        mq: {
          url: broker.url,
          clientId: base,
          topics: [{ filter: `${base}/in/#`, qos: 1 }],
          deadLetter: { topic: `${base}/dead`, qos: 1 },
        },
      },
      dir,
      { name: "mq-route", delivery: { maxAttempts: 2, firstDelayMs: 5 } },
    ),
    limits: { maxInFlight },
  };
  const daemon = await startDaemon(config, dir);
  const file = daemon.file;
  try {
    for (const [i, id] of ids.entries())
      await watcher.publishAsync(
        `${base}/in/${i % 3}`,
        JSON.stringify({ id, kind: i % 2 === 0 ? "even" : "odd" }),
        { qos: 1 },
      );
    await vi.waitFor(() => expect(seen).toBe(n), { timeout: 30_000, interval: 50 });
  } finally {
    await daemon.kill("SIGTERM");
    await watcher.endAsync();
  }
  failing = false;
  const args = (...more: string[]) => ["dlq", ...more, "-c", file, "--sink", "mq"];
  const cli = (...more: string[]) => runCli(args(...more), dir);
  return { ids, cli, args, dir };
}

const once = (ids: string[]) => Object.fromEntries(ids.map((id) => [id, 1]));

describe("dlq on an MQTT dead-letter topic", () => {
  it("replays half by a filter, then the rest: each once, and a second replay sends nothing", async () => {
    const { ids, cli } = await deadLetters(20);
    delivered.clear();
    const list = await cli("list", "--json");
    expect(list.code, list.stderr).toBe(0);
    const entries = list.stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(entries).toHaveLength(20);
    expect(entries.every((e) => e.route === "mq-route" && e.replayed === false)).toBe(true);

    const even = await cli("replay", "--pattern", '{"body":{"kind":["even"]}}');
    expect(even.code, even.stderr).toBe(0);
    const evens = ids.filter((_, i) => i % 2 === 0);
    expect(Object.fromEntries(delivered)).toEqual(once(evens));

    const again = await cli("replay", "--pattern", '{"body":{"kind":["even"]}}');
    expect(again.stderr).toContain("nothing to replay");
    const rest = await cli("replay");
    expect(rest.code, rest.stderr).toBe(0);
    expect(Object.fromEntries(delivered)).toEqual(once(ids));

    // A failed replay goes back to the topic, linked, and is read from the session again.
    failing = true;
    const first = entries.find((e) => JSON.parse(e.record.body).id === ids[0]);
    expect((await cli("replay", "--all", "--id", first.id)).code).toBe(1);
    const after = (await cli("list", "--json")).stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(after).toHaveLength(21);
    expect(after.find((e) => e.replayOf === first.id)).toMatchObject({
      route: "mq-route",
      replayed: false,
    });
    failing = false;
  });

  it("a replay killed by SIGKILL and started again resends at most what was in flight", async () => {
    const maxInFlight = 3;
    const { ids, args, dir } = await deadLetters(30, maxInFlight);
    delivered.clear();
    delayMs = 150;
    try {
      const first = startCli(args("replay"), dir);
      await vi.waitFor(() => expect(delivered.size).toBeGreaterThanOrEqual(10), {
        timeout: 60_000,
        interval: 20,
      });
      first.child.kill("SIGKILL");
      expect((await first.done).code).toBe("SIGKILL");
      const second = await runCli(args("replay"), dir);
      expect(second.code, second.stderr).toBe(0);
      expect([...delivered.keys()].sort()).toEqual([...ids].sort());
      const twice = [...delivered.values()].reduce((sum, c) => sum + c - 1, 0);
      expect(twice).toBeLessThanOrEqual(maxInFlight);
    } finally {
      delayMs = 0;
    }
  });
});
