/**
 * What a running engine can be told to change (a config reload) — its routes (filters,
 * targets, modes, batching, delivery policies) and its set of connectors — and how the change
 * is made: the route table swapped between two records, leaving connectors drained out.
 */
import type { Connector } from "../connector.js";
import type { LiveRecords } from "./live-records.js";
import type { Logger } from "./logger.js";
import type { RouteTable } from "./route-table.js";
import type { ResolvedRoute } from "./router.js";
import { DEFAULTS, type RouteInput } from "./schema.js";
import type { SourcePauses } from "./source-pauses.js";

export interface Reconfiguration {
  /** The routes from now on, replacing all of them. */
  routes: readonly RouteInput[];
  /**
   * The connectors from now on. A running instance in the list keeps running untouched; one
   * missing is paused, drained (its in-flight records delivered or dead-lettered, then
   * acknowledged; what it pushes once paused is given back) and stopped; a new instance is
   * started after those leaving are stopped — so replacing a connector is: leave out the old
   * instance, give a new one of the same name.
   */
  connectors: readonly Connector[];
  /** How long a leaving connector's records may take to finish, in ms (default 20 000). */
  deadlineMs?: number;
}

export interface ReconfigureResult {
  /** Connectors drained and stopped. */
  stopped: string[];
  /** Connectors started. */
  started: string[];
  /** Connectors whose start failed (they are not running). */
  failed: { connector: string; error: unknown }[];
  /** Records of leaving connectors given back undelivered at the deadline. */
  abandoned: number;
}

/** Which instances leave and which join, by identity. */
export function sourcesDiff(
  current: readonly Connector[],
  next: readonly Connector[],
): { leaving: Connector[]; joining: Connector[] } {
  const kept = new Set(next);
  const running = new Set(current);
  return {
    leaving: current.filter((c) => !kept.has(c)),
    joining: next.filter((c) => !running.has(c)),
  };
}

/** What a reconfigure reads and changes of the engine it runs in. */
export interface ReconfigureHost {
  /** Still running: a stop that comes meanwhile finishes the leaving connectors itself. */
  running(): boolean;
  /** The connectors taking records. */
  active: readonly Connector[];
  /** Puts a table of `routes` in force; returns the table it replaces. */
  swapTable(routes: readonly ResolvedRoute[]): RouteTable;
  /**
   * Connectors leaving, from the swap (their pause) until stopped, each with the table their
   * in-flight records are in. What they push meanwhile (a source that reads on while paused, a
   * delivery that arrives as it stops) is abandoned, so the source gives it back to be read
   * again by its replacement.
   */
  readonly retiring: Map<Connector, RouteTable>;
  /** Leaving connectors whose stop() is under way: a stop() of the engine waits for these. */
  readonly stopsUnderWay: Map<Connector, Promise<void>>;
  readonly live: LiveRecords;
  readonly pauses: SourcePauses;
  readonly logger: Logger;
  startConnector(c: Connector): Promise<void>;
  stopConnector(c: Connector): Promise<void>;
  warnUnrouted(connectors: readonly Connector[], routes: readonly ResolvedRoute[]): void;
}

/** Swaps the routes, drains and stops the leaving connectors, then starts the joining ones. */
export async function applyReconfiguration(
  host: ReconfigureHost,
  change: Reconfiguration,
  next: readonly ResolvedRoute[],
): Promise<ReconfigureResult> {
  const { leaving, joining } = sourcesDiff(host.active, change.connectors);
  // The swap happens here, between two records: from now on pushes take the new routes, but
  // those of leaving connectors, which are abandoned; their records in flight finish in the
  // table they ran with.
  const old = host.swapTable(next);
  for (const c of leaving) host.retiring.set(c, old);
  host.active = host.active.filter((c) => !leaving.includes(c));
  old.flushAll();
  host.warnUnrouted(change.connectors, next);
  const deadlineMs = change.deadlineMs ?? DEFAULTS.stopDeadlineMs;
  const abandoned = await Promise.all(leaving.map((c) => retire(host, c, deadlineMs)));
  const failed: ReconfigureResult["failed"] = [];
  if (host.running()) {
    // Started only once those they replace are stopped: the same port, lease, client id.
    host.active = [...host.active, ...joining];
    const started = await Promise.allSettled(joining.map((c) => host.startConnector(c)));
    started.forEach((result, i) => {
      const c = joining[i]!;
      if (result.status === "fulfilled") {
        if (host.pauses.paused) host.pauses.pause(c);
        return;
      }
      host.active = host.active.filter((a) => a !== c);
      failed.push({ connector: c.name, error: result.reason });
    });
  }
  return {
    stopped: leaving.map((c) => c.name),
    started: joining.filter((c) => host.active.includes(c)).map((c) => c.name),
    failed,
    abandoned: abandoned.reduce((a, b) => a + b, 0),
  };
}

/** Pauses a connector leaving in a reconfigure, lets its records finish, then stops it. */
async function retire(host: ReconfigureHost, c: Connector, deadlineMs: number): Promise<number> {
  host.pauses.pause(c);
  // As a stop of the engine does, only what was pushed before the pause is drained (its pushes
  // are abandoned while it is in `retiring`). A source that reads on while paused (MQTT) would
  // otherwise keep the drain going until the deadline, which abandons records being delivered —
  // and the replacement delivers them again.
  const drained = await host.live.drained(deadlineMs, c.name);
  if (!host.running()) return 0; // a stop came meanwhile: it finishes this connector
  let abandoned = 0;
  if (!drained) {
    for (const p of host.live.list(c.name)) {
      p.abandon();
      abandoned += 1;
    }
    host.logger.warn(
      { connector: c.name, abandoned, deadlineMs },
      "drain deadline passed; records abandoned",
    );
  }
  await Promise.resolve(); // the connector sees every outcome before its stop()
  if (!host.running()) return abandoned;
  // Kept in `retiring` until stopped: a stop() meanwhile waits for this one, not a second.
  const stopped = host.stopConnector(c);
  host.stopsUnderWay.set(c, stopped);
  await stopped;
  host.stopsUnderWay.delete(c);
  host.retiring.delete(c);
  return abandoned;
}
