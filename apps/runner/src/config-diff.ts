/**
 * What a config reload changes. Routes (filters, targets, batching, delivery policies) and
 * connectors change in place; `shutdown` is read when needed; every other section (the
 * FunctionGraph client, the emulator, the dead-letter sink, limits, coordination, admin, log,
 * and any section added later) is set up once at start, so a change there needs a restart.
 */
import { isDeepStrictEqual } from "node:util";
import type { Config } from "./config/schema.js";

/** Sections a reload applies; the others are reported as needing a restart. */
const IN_PLACE = new Set(["connectors", "routes", "shutdown"]);

export interface ConfigDiff {
  connectors: { added: string[]; removed: string[]; changed: string[] };
  routes: { added: string[]; removed: string[]; changed: string[] };
  /** `shutdown` changed (applied in place). */
  shutdown: boolean;
  /** Top-level sections that changed but take effect only at the next start. */
  restartRequired: string[];
}

export function diffConfig(from: Config, to: Config): ConfigDiff {
  const sections = new Set([...Object.keys(from), ...Object.keys(to)]);
  const restartRequired = [...sections]
    .filter((key) => !IN_PLACE.has(key))
    .filter((key) => !isDeepStrictEqual(section(from, key), section(to, key)))
    .sort();
  return {
    connectors: diffByName(from.connectors, to.connectors),
    routes: diffByName(routesByName(from), routesByName(to)),
    shutdown: !isDeepStrictEqual(from.shutdown, to.shutdown),
    restartRequired,
  };
}

/** Nothing that a reload would apply changed. */
export function appliesNothing(diff: ConfigDiff): boolean {
  const { connectors: c, routes: r } = diff;
  return (
    !diff.shutdown &&
    [c.added, c.removed, c.changed, r.added, r.removed, r.changed].every((l) => l.length === 0)
  );
}

/** `to`, with the sections that need a restart kept as they are in force (`from`). */
export function inForce(from: Config, to: Config, diff: ConfigDiff): Config {
  const merged: Record<string, unknown> = { ...to };
  for (const key of diff.restartRequired) {
    if (key in from) merged[key] = section(from, key);
    else delete merged[key];
  }
  return merged as Config;
}

function section(config: Config, key: string): unknown {
  return (config as Record<string, unknown>)[key];
}

/** Routes by the name the engine gives them: their own, else `<from>#<index>`. */
function routesByName(config: Config): Record<string, unknown> {
  return Object.fromEntries(config.routes.map((r, i) => [r.name ?? `${r.from}#${i}`, r]));
}

function diffByName(
  from: Record<string, unknown>,
  to: Record<string, unknown>,
): { added: string[]; removed: string[]; changed: string[] } {
  const before = Object.keys(from);
  const after = Object.keys(to);
  return {
    added: after.filter((n) => !(n in from)),
    removed: before.filter((n) => !(n in to)),
    changed: after.filter((n) => n in from && !isDeepStrictEqual(from[n], to[n])),
  };
}
