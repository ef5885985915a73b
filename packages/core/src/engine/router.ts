/**
 * Routes: which records of which connector go to which functions, how. Checked against the
 * connectors once, when the engine is created, so a typo fails at startup and not per record.
 *
 * A record may match several routes (fan-out); a record that matches none is acknowledged at
 * once and counted as unrouted — dropping records nobody asked for is what a filter is for.
 */

import { z } from "zod";
import type { Connector, InvocationMode, PayloadFormat, SourceRecord } from "../connector.js";
import type { DeadLetterSink } from "../dead-letters.js";
import { compileFilter, type Predicate } from "./pattern.js";
import { type BatchConfig, type DeliveryPolicy, type RouteInput, routeSchema } from "./schema.js";

/** A route with its defaults applied, its filter compiled and its format looked up. */
export interface ResolvedRoute {
  readonly name: string;
  readonly from: string;
  readonly to: readonly string[];
  readonly mode: InvocationMode;
  readonly formatName: string;
  readonly format: PayloadFormat;
  readonly batch: BatchConfig;
  readonly delivery: DeliveryPolicy;
  /** The compiled filter; undefined when the route takes every record. */
  readonly matches: Predicate | undefined;
  /** The connector's own dead-letter sink, when it has one; else the engine's. */
  readonly deadLetter: DeadLetterSink | undefined;
  /** The connector's hook for a sync invocation's result, bound; see Connector.onResult. */
  readonly onResult: Connector["onResult"];
  /** The connector's hook for an accepted async invocation, bound; see Connector.onAccepted. */
  readonly onAccepted: Connector["onAccepted"];
}

/** A route, connector set or limit that cannot work; thrown by createEngine. */
export class EngineConfigError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "EngineConfigError";
  }
}

export function resolveRoutes(
  inputs: readonly RouteInput[],
  connectors: readonly Connector[],
): ResolvedRoute[] {
  const byName = new Map(connectors.map((c) => [c.name, c]));
  const names = new Set<string>();
  return inputs.map((input, index) => {
    const parsed = routeSchema.safeParse(input);
    if (!parsed.success) {
      throw new EngineConfigError(
        `routes[${index}] is invalid:\n${z.prettifyError(parsed.error)}`,
        {
          cause: parsed.error,
        },
      );
    }
    const route = parsed.data;
    const name = route.name ?? `${route.from}#${index}`;
    const where = `route "${name}" (routes[${index}])`;
    if (names.has(name)) throw new EngineConfigError(`${where}: another route has the same name`);
    names.add(name);
    const connector = byName.get(route.from);
    if (!connector) {
      const known = [...byName.keys()].join(", ") || "none";
      throw new EngineConfigError(
        `${where}: no connector named "${route.from}" (connectors: ${known})`,
      );
    }
    const formatName = route.format ?? connector.defaultFormat;
    const format = connector.formats[formatName];
    if (!format) {
      const known = Object.keys(connector.formats).join(", ");
      throw new EngineConfigError(
        `${where}: connector "${connector.name}" has no format "${formatName}" (formats: ${known})`,
      );
    }
    return {
      name,
      from: route.from,
      to: route.to,
      mode: route.mode,
      formatName,
      format,
      batch: route.batch,
      delivery: route.delivery,
      // Already validated by the schema; compiled here once.
      matches: route.filter ? compileFilter(route.filter, ["filter"]) : undefined,
      deadLetter: connector.deadLetter,
      onResult: connector.onResult?.bind(connector),
      onAccepted: connector.onAccepted?.bind(connector),
    };
  });
}

interface SourceRoutes {
  routes: ResolvedRoute[];
  /** Some route has a filter; else every record takes all `routes` (the common case). */
  filtered: boolean;
}

const NONE: readonly ResolvedRoute[] = [];

export class Router {
  readonly #bySource = new Map<string, SourceRoutes>();

  constructor(routes: readonly ResolvedRoute[]) {
    for (const route of routes) {
      const entry = this.#bySource.get(route.from) ?? { routes: [], filtered: false };
      entry.routes.push(route);
      if (route.matches) entry.filtered = true;
      this.#bySource.set(route.from, entry);
    }
  }

  /** The routes of `source` whose filter matches the record; do not modify the array. */
  match(source: string, record: SourceRecord): readonly ResolvedRoute[] {
    const entry = this.#bySource.get(source);
    if (!entry) return NONE;
    // Called for every record: without filters, no view and no new array.
    if (!entry.filtered) return entry.routes;
    const event = filterView(record);
    return entry.routes.filter((route) => !route.matches || route.matches(event));
  }
}

/**
 * What filters see: `{attributes, body}`, the body parsed as JSON when it is JSON (else its
 * text). Parsed lazily, and once, because most filters look at attributes only.
 */
export function filterView(record: SourceRecord): { attributes: unknown; body: unknown } {
  let parsed = false;
  let body: unknown;
  return {
    attributes: record.attributes,
    get body() {
      if (!parsed) {
        parsed = true;
        body = parseBody(record.body);
      }
      return body;
    },
  };
}

function parseBody(body: SourceRecord["body"]): unknown {
  const text = Buffer.isBuffer(body) ? body.toString("utf8") : body;
  if (typeof text !== "string") return text;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
