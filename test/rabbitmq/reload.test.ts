/**
 * Reloading a running daemon's config while a stream flows: a filter, a new route and a
 * connector's options change by SIGHUP, then a route by `--watch`; an invalid config is refused
 * each way. Every record must reach exactly the functions that a config in force between its
 * publication and its delivery sends it to — once each — and none may be lost.
 */
import { execFile } from "node:child_process";
import { mkdirSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { CLI, startRunningDaemon, workDir } from "../harness/daemon.js";
import {
  allDelivered,
  colorOf,
  expectRoutedByConfigInForce,
  fileDeliveries,
  fileSink,
  type Phase,
  Reloads,
  reloadsLogged,
  stream,
} from "../harness/reload.js";
import { brokerFixture, DAEMON_CONNECTOR, stopDaemon, uniqueName } from "./helpers.js";

const broker = brokerFixture();

/** Which functions get a record of each color under each config, in the order applied. */
const PHASES: Phase[] = [
  { blue: ["a"], red: ["a"] }, // 0: one route to a
  { blue: ["a"], red: [] }, // 1 (SIGHUP): a filter on that route, blue only
  { blue: ["a"], red: ["b"] }, // 2 (SIGHUP): a new route, red to b
  { blue: ["a"], red: ["b"] }, // 3 (SIGHUP): the connector's prefetch changed
  { blue: ["a"], red: ["a", "b"] }, // 4 (--watch): the filter dropped again
];
const FNS = ["a", "b"];

function config(queue: string, phase: number): string {
  const r1: Record<string, unknown> = {
    name: "all-to-a",
    from: "mq",
    to: ["a"],
    mode: "sync",
    batch: { maxRecords: 20, maxWaitMs: 5 },
  };
  if (phase >= 1 && phase <= 3) r1.filter = { body: { color: ["blue"] } };
  const routes: Record<string, unknown>[] = [r1];
  if (phase >= 2)
    routes.push({
      name: "red-to-b",
      from: "mq",
      to: ["b"],
      mode: "sync",
      batch: { maxRecords: 20, maxWaitMs: 5 },
      filter: { body: { color: ["red"] } },
    });
  return JSON.stringify({
    emulator: { functions: "./functions" },
    connectors: {
      mq: {
        ...DAEMON_CONNECTOR,
        queues: [queue],
        prefetch: phase >= 3 ? 40 : 60,
      },
    },
    routes,
    deadLetter: { type: "file", path: "./dead-letter.jsonl", fsync: false },
    admin: { port: 0 },
    shutdown: { deadlineMs: 10_000 },
  });
}

/** A config that `validate` refuses: a route from a connector that does not exist. */
const INVALID = (queue: string) =>
  config(queue, 3).replace('"from":"mq","to":["b"]', '"from":"nope","to":["b"]');

/** Publishes `{i, color}` to the queue through a confirm channel until stopped. */
async function publisher(queue: string) {
  const ch = await broker.model.createConfirmChannel();
  const pub = stream(async (ids) => {
    for (const i of ids)
      ch.sendToQueue(queue, Buffer.from(JSON.stringify({ i, color: colorOf(i) })), {
        persistent: true,
      });
    await ch.waitForConfirms();
  });
  return { sentAt: pub.sentAt, stop: () => pub.stop().then(() => ch.close()) };
}

describe("reloading the config of a running daemon", () => {
  it("applies a filter, a route and a connector's options by SIGHUP and a route by --watch, with no record lost or sent twice", async () => {
    const queue = uniqueName("reload");
    broker.queues.push(queue);
    const ch = await broker.model.createChannel();
    await ch.assertQueue(queue, { durable: true });
    const dir = workDir("fgc-reload-");
    mkdirSync(join(dir, "functions"));
    for (const fn of FNS) writeFileSync(join(dir, "functions", `${fn}.mjs`), fileSink(fn));
    const file = join(dir, "fgconnect.yaml");
    const rx = fileDeliveries(dir, FNS);

    let daemon = await startRunningDaemon(dir, config(queue, 0));
    broker.daemons.push(daemon);
    const pub = await publisher(queue);
    const reloads = new Reloads(rx.deliveries, pub.sentAt);
    const sighup = (phase: number) =>
      reloads.apply(daemon, phase, () => {
        writeFileSync(file, config(queue, phase));
        daemon.child.kill("SIGHUP");
      });
    try {
      for (const phase of [1, 2, 3]) {
        await reloads.flowing();
        await sighup(phase);
      }
      const logged = reloadsLogged(daemon);
      expect(logged[0]).toMatchObject({ trigger: "SIGHUP", routesChanged: ["all-to-a"] });
      expect(logged[1]).toMatchObject({ trigger: "SIGHUP", routesAdded: ["red-to-b"] });
      expect(logged[2]).toMatchObject({ trigger: "SIGHUP", connectorsChanged: ["mq"] });
      expect(logged[2]).not.toHaveProperty("routesChanged");

      // Refused as `fgconnect validate` refuses it; the stream goes on under config 3.
      await reloads.flowing();
      writeFileSync(file, INVALID(queue));
      daemon.child.kill("SIGHUP");
      const refused = await daemon.waitFor(
        (l) => l.msg === "config reload refused: the running config stays",
      );
      const validate = await promisify(execFile)(process.execPath, [
        CLI,
        "validate",
        "-c",
        file,
      ]).catch((e) => e);
      expect(validate.code).toBe(2);
      expect(validate.stderr).toBe(`fgconnect: ${refused.problems}\n`);
      expect(refused.problems).toContain('no connector named "nope"');
      await reloads.flowing();

      // The same stream into a daemon watching its file, started on config 3.
      expect(await stopDaemon(daemon)).toBe(0);
      daemon = await startRunningDaemon(dir, config(queue, 3), undefined, ["--watch"]);
      broker.daemons.push(daemon);
      reloads.restarted = Date.now();
      await reloads.flowing();
      // As editors save: a new file renamed over the old one.
      await reloads.apply(daemon, 1, () => {
        writeFileSync(`${file}.tmp`, config(queue, 4));
        renameSync(`${file}.tmp`, file);
      });
      expect(reloadsLogged(daemon)[0]).toMatchObject({
        trigger: "watch",
        routesChanged: ["all-to-a"],
      });
      await reloads.flowing();
      writeFileSync(file, INVALID(queue));
      await daemon.waitFor(
        (l) => l.msg === "config reload refused: the running config stays" && l.trigger === "watch",
      );
      await reloads.flowing();
    } finally {
      await pub.stop();
    }

    // Every blue record reaches a, every red one published once b had its route reaches b.
    const check = { ...rx, sentAt: pub.sentAt, changes: reloads.changes, phases: PHASES, fns: FNS };
    await allDelivered(check);
    expect(await stopDaemon(daemon)).toBe(0);
    rx.poll();
    rx.close();

    for (const fn of FNS) {
      // One queue, delivered in order: a reload keeps the order too.
      const got = rx.deliveries.ids(fn);
      expect(got).toEqual([...got].sort((x, y) => x - y));
    }
    const counted = expectRoutedByConfigInForce(check);
    console.log(`records per config (arrived under it alone): ${counted.join(", ")}`);
    expect((await ch.checkQueue(queue)).messageCount).toBe(0);
    await ch.close();
  });
});
