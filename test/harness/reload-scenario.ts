/**
 * The reload scenario the stream sources' tests share (Kafka, MQTT): records `{i, color}` flow
 * into functions `a` and `b` of an emulator in the test process while SIGHUP applies config 1 (a
 * filter on route `to-a`: blue only), 2 (the connector's options: it is drained, stopped and
 * started anew) and 3 (the filter dropped again).
 */
import { writeFileSync } from "node:fs";
import { type Emulator, startEmulator } from "@fgconnect/emulator";
import { expect } from "vitest";
import type { DaemonProcess } from "./daemon.js";
import {
  allDelivered,
  Deliveries,
  expectRoutedByConfigInForce,
  type Phase,
  Reloads,
  recordingSink,
  reloadsLogged,
  stream,
} from "./reload.js";

const FNS = ["a", "b"];

/** Which functions get a record of each color under each config, in the order applied. */
const PHASES: Phase[] = [
  { blue: ["a"], red: ["a", "b"] }, // 0: everything to a, red to b too
  { blue: ["a"], red: ["b"] }, // 1: a filter on the route to a, blue only
  { blue: ["a"], red: ["b"] }, // 2: the connector's options changed
  { blue: ["a"], red: ["a", "b"] }, // 3: the filter dropped again
];

/** The connector's options change from this config on (the tests' `config(phase)` say how). */
export const OPTIONS_CHANGED = 2;

/**
 * 250 records/s into functions taking 40 ms a batch: deliveries are always under way, so the
 * connector leaving at the change of its options is drained mid-stream.
 */
const PER_TICK = 10;
const DELAY_MS = 40;
/** Records published under each config and delivered before the next change. */
const PER_CONFIG = 600;

/** An emulator whose functions `a` and `b` record the ids `idsOf` finds in their events. */
export async function recordingEmulator(idsOf: (event: unknown) => number[]) {
  const deliveries = new Deliveries();
  const emulator: Emulator = await startEmulator({
    functions: Object.fromEntries(
      FNS.map((fn) => [fn, recordingSink(deliveries, fn, idsOf, DELAY_MS)]),
    ),
    port: 0,
    log: false,
    auth: false,
  });
  return { emulator, deliveries };
}

/** The routes of config `phase` from connector `from`; `route` adds to each (e.g. a format). */
export function scenarioRoutes(
  emulator: Emulator,
  from: string,
  phase: number,
  route: Record<string, unknown> = {},
): Record<string, unknown>[] {
  const blueOnly = phase === 1 || phase === OPTIONS_CHANGED;
  const to = (name: string, fn: string, filter?: object) => ({
    name,
    from,
    to: [emulator.urnFor(fn)],
    mode: "sync",
    batch: { maxRecords: 20, maxWaitMs: 5 },
    ...(filter ? { filter } : {}),
    ...route,
  });
  return [
    to("to-a", "a", blueOnly ? { body: { color: ["blue"] } } : undefined),
    to("red-to-b", "b", { body: { color: ["red"] } }),
  ];
}

/**
 * Streams records with `send` while the three changes are made by SIGHUP (the daemon reads
 * `file`), checks that the daemon logged them, and waits until every record reached each
 * function every config in force since its publication sends it to.
 */
export async function runScenario(o: {
  daemon: DaemonProcess;
  file: string;
  config: (phase: number) => string;
  connector: string;
  deliveries: Deliveries;
  send: (ids: number[]) => Promise<void>;
}) {
  const { daemon, deliveries } = o;
  const pub = stream(o.send, PER_TICK);
  const reloads = new Reloads(deliveries, pub.sentAt, PER_CONFIG);
  try {
    for (const phase of [1, 2, 3]) {
      await reloads.flowing();
      await reloads.apply(daemon, phase, () => {
        writeFileSync(o.file, o.config(phase));
        daemon.child.kill("SIGHUP");
      });
    }
    await reloads.flowing();
  } finally {
    await pub.stop();
  }
  const logged = reloadsLogged(daemon);
  expect(logged[0]).toMatchObject({ trigger: "SIGHUP", routesChanged: ["to-a"] });
  expect(logged[1]).toMatchObject({ trigger: "SIGHUP", connectorsChanged: [o.connector] });
  expect(logged[1]).not.toHaveProperty("routesChanged");
  expect(logged[2]).toMatchObject({ trigger: "SIGHUP", routesChanged: ["to-a"] });
  const check = {
    deliveries,
    sentAt: pub.sentAt,
    changes: reloads.changes,
    phases: PHASES,
    fns: FNS,
  };
  await allDelivered(check);
  /**
   * Each record went where a config in force sent it, once, in order within each group of
   * `groups` (`i % groups`: a key, a topic); the connector was drained with nothing abandoned.
   * Returns a line of figures.
   */
  const expectKept = (groups: number): string => {
    const counted = expectRoutedByConfigInForce(check);
    for (const fn of FNS)
      for (let g = 0; g < groups; g++) {
        const got = deliveries.ids(fn).filter((i) => i % groups === g);
        expect(got, `${fn}, group ${g}`).toEqual([...got].sort((x, y) => x - y));
      }
    // Drained within the deadline: nothing being delivered was given back to be sent again.
    expect(logged[1]!.abandoned).toBe(0);
    const took = reloads.changes.map((c) => c.applied - c.sent);
    return `${pub.sentAt.length} records; per config (arrived under it alone): ${counted.join(", ")}; changes applied in ${took.join(", ")} ms`;
  };
  return { expectKept };
}
