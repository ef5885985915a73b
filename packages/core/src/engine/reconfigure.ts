/**
 * What a running engine can be told to change (a config reload): its routes — filters,
 * targets, modes, batching, delivery policies — and its set of connectors.
 */
import type { Connector } from "../connector.js";
import type { RouteInput } from "./schema.js";

export interface Reconfiguration {
  /** The routes from now on, replacing all of them. */
  routes: readonly RouteInput[];
  /**
   * The connectors from now on. A running instance in the list keeps running untouched; one
   * missing is paused, drained (its in-flight records delivered or dead-lettered, then
   * acknowledged) and stopped; a new instance is started after those leaving are stopped —
   * so replacing a connector is: leave out the old instance, give a new one of the same name.
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
