/**
 * The engine: takes records from connectors, routes them, batches them, delivers them in
 * order per key under a global concurrency bound, and tells each connector what became of
 * each record. This file only wires the parts; each concept lives in its own file.
 */

import { setMaxListeners } from "node:events";
import type {
  Connector,
  ConnectorContext,
  ConnectorHealth,
  RecordOutcome,
  SourceRecord,
} from "../connector.js";
import { Backpressure } from "./backpressure.js";
import { systemClock } from "./clock.js";
import { type DeliveryDeps, deliverBatch } from "./delivery.js";
import { checkNames, deadLetterSinkOf, parseLimits } from "./engine-options.js";
import type {
  Engine,
  EngineOptions,
  EngineState,
  StopOptions,
  StopResult,
} from "./engine-types.js";
import type { KeyShares } from "./key-shares.js";
import { LiveRecords } from "./live-records.js";
import { silentLogger } from "./logger.js";
import { withDefaultMetrics } from "./metrics.js";
import { PendingRecord } from "./pending.js";
import {
  applyReconfiguration,
  type Reconfiguration,
  type ReconfigureHost,
  type ReconfigureResult,
} from "./reconfigure.js";
import { Lanes, RouteTable } from "./route-table.js";
import { type ResolvedRoute, resolveRoutes } from "./router.js";
import { DEFAULTS } from "./schema.js";
import { Semaphore } from "./semaphore.js";
import { SourcePauses } from "./source-pauses.js";

export type {
  Engine,
  EngineHealth,
  EngineOptions,
  EngineState,
  StopOptions,
  StopResult,
} from "./engine-types.js";

/**
 * Builds an engine; throws EngineConfigError when a route, a connector name or a limit cannot
 * work. Embedding one connector in code:
 *
 * ```ts
 * const engine = createEngine({
 *   invoker: client, // a FunctionGraphClient, or anything with invoke/invokeAsync
 *   connectors: [orders],
 *   routes: [{ from: "orders", to: ["urn:fss:…:function:default:handle"], mode: "async" }],
 *   deadLetter: { type: "file", path: "./dead-letter.jsonl" },
 * });
 * await engine.start();
 * process.once("SIGTERM", () => void engine.stop({ deadlineMs: 20_000 }));
 * ```
 */
export function createEngine(options: EngineOptions): Engine {
  checkNames(options.connectors);
  let active: readonly Connector[] = options.connectors;
  const routes = resolveRoutes(options.routes, active);
  const limits = parseLimits(options.limits);
  const { sink, owned: ownsSink } = deadLetterSinkOf(options.deadLetter);
  const metrics = withDefaultMetrics(options.metrics);
  const logger = options.logger ?? silentLogger;
  const clock = options.clock ?? systemClock;

  const backpressure = new Backpressure(limits);
  const hardStop = new AbortController();
  // Every in-flight invocation listens on this one signal: far more than Node's default of 10.
  setMaxListeners(0, hardStop.signal);
  const live = new LiveRecords(clock);
  /** Connectors a reconfigure is draining out (their pushes abandoned), with their old table. */
  const retiring = new Map<Connector, RouteTable>();
  const stopsUnderWay = new Map<Connector, Promise<void>>();
  let state: EngineState = "created";
  const pauses = new SourcePauses(() => active, backpressure, limits, metrics, logger);
  let stopping: Promise<StopResult> | undefined;
  let reconfiguring = false;

  const deps: DeliveryDeps = {
    invoker: options.invoker,
    deadLetter: sink,
    slots: new Semaphore(limits.maxInFlight, (n) => metrics.inFlight(n)),
    clock,
    random: options.random ?? Math.random,
    metrics,
    logger,
    signal: hardStop.signal,
    deadLetterHealth: { ok: true },
  };
  // One lane per route × function × key: a slow function does not hold back the others.
  const onTaskError = (error: unknown) =>
    logger.error({ err: String(error) }, "delivery task failed unexpectedly");
  const lanes = new Lanes((job) => deliverBatch(deps, job.target, job.batch), onTaskError);
  let table = new RouteTable(routes, clock, lanes, hardStop.signal);
  warnUnrouted(active, table.routes);

  function warnUnrouted(connectors: readonly Connector[], routes: readonly ResolvedRoute[]): void {
    for (const c of connectors) {
      if (!routes.some((r) => r.from === c.name)) {
        logger.warn(
          { connector: c.name },
          "no route takes this connector's records; all are unrouted",
        );
      }
    }
  }

  function push(
    connector: Connector,
    labels: { source: string },
    shares: KeyShares | undefined,
    record: SourceRecord,
  ): Promise<RecordOutcome> {
    if ((state !== "starting" && state !== "running") || retiring.has(connector)) {
      metrics.abandoned(labels, 1);
      return Promise.resolve("abandoned");
    }
    metrics.received(labels);
    // A leaving connector's pushes are abandoned above: none reaches its old table.
    const matched = table.router.match(connector.name, record);
    if (matched.length === 0) {
      metrics.unrouted(labels);
      return Promise.resolve("delivered");
    }
    let deliveries = 0;
    for (const route of matched) deliveries += route.to.length;
    const bytes = Number.isFinite(record.size) && record.size > 0 ? record.size : 0;
    const promise = new Promise<RecordOutcome>(captureResolve);
    const pending = new PendingRecord(
      record,
      bytes,
      deliveries,
      labels,
      shares,
      captured!,
      settled,
    );
    live.add(pending);
    if (shares && record.orderingKey !== undefined) shares.add(record.orderingKey, bytes);
    const transition = backpressure.add(bytes);
    metrics.buffered(backpressure.records, backpressure.bytes);
    if (transition === "pause") pauses.pauseAll();
    for (const route of matched) table.add(route, record.orderingKey, pending, bytes);
    return promise;
  }

  function settled(p: PendingRecord, outcome: RecordOutcome): void {
    live.delete(p);
    if (
      p.shares &&
      p.record.orderingKey !== undefined &&
      (state === "running" || state === "starting")
    )
      p.shares.remove(p.record.orderingKey, p.bytes);
    const transition = backpressure.remove(p.bytes);
    metrics.buffered(backpressure.records, backpressure.bytes);
    if (outcome === "abandoned") metrics.abandoned(p.source, 1);
    if (transition === "resume" && (state === "running" || state === "starting"))
      pauses.resumeAll();
  }

  async function stop(stopOptions?: StopOptions): Promise<StopResult> {
    const deadlineMs = stopOptions?.deadlineMs ?? DEFAULTS.stopDeadlineMs;
    if (state === "created") {
      // Never started: no connector to pause or stop.
      state = "stopped";
      return { drained: true, abandoned: 0 };
    }
    state = "stopping";
    pauses.pauseAll();
    const tables = [table, ...retiring.values()];
    for (const t of tables) t.flushAll();
    const drained = await live.drained(deadlineMs);
    const leftovers = live.list();
    hardStop.abort();
    for (const t of tables) t.clear();
    lanes.clear();
    for (const p of leftovers) p.abandon();
    if (leftovers.length > 0) {
      logger.warn(
        { abandoned: leftovers.length, deadlineMs },
        "stop deadline passed; records abandoned",
      );
    }
    // One turn of the microtask queue: connectors see every outcome before their stop().
    await Promise.resolve();
    for (const c of [...active, ...retiring.keys()])
      await (stopsUnderWay.get(c) ?? stopConnector(c));
    if (ownsSink)
      await sink
        .close?.()
        .catch((error: unknown) =>
          logger.error({ err: String(error) }, "closing the dead-letter sink failed"),
        );
    state = "stopped";
    return { drained, abandoned: leftovers.length };
  }

  async function stopConnector(c: Connector): Promise<void> {
    try {
      await c.stop();
    } catch (error) {
      logger.error({ connector: c.name, err: String(error) }, "connector stop() failed");
    }
  }

  function startConnector(c: Connector): Promise<void> {
    const labels = { source: c.name };
    const shares = pauses.keyShares(c);
    const ctx: ConnectorContext = { push: (record) => push(c, labels, shares, record), logger };
    return c.start(ctx);
  }

  const host: ReconfigureHost = {
    running: () => state === "running",
    get active() {
      return active;
    },
    set active(connectors) {
      active = connectors;
    },
    swapTable(next) {
      const old = table;
      table = new RouteTable(next, clock, lanes, hardStop.signal);
      return old;
    },
    retiring,
    stopsUnderWay,
    live,
    pauses,
    logger,
    startConnector,
    stopConnector,
    warnUnrouted,
  };

  async function reconfigure(change: Reconfiguration): Promise<ReconfigureResult> {
    if (state !== "running") throw new Error(`the engine cannot be reconfigured: it is ${state}`);
    if (reconfiguring) throw new Error("the engine is already being reconfigured");
    checkNames(change.connectors);
    const next = resolveRoutes(change.routes, change.connectors);
    reconfiguring = true;
    try {
      return await applyReconfiguration(host, change, next);
    } finally {
      reconfiguring = false;
    }
  }

  const engine: Engine = {
    get routes() {
      return table.routes;
    },
    get connectors() {
      return active;
    },
    async start() {
      if (state !== "created") throw new Error(`the engine cannot start: it is ${state}`);
      state = "starting";
      try {
        await Promise.all(active.map(startConnector));
      } catch (error) {
        await engine.stop({ deadlineMs: 0 });
        throw error;
      }
      if (state === "starting") state = "running";
    },
    stop(stopOptions) {
      stopping ??= stop(stopOptions);
      return stopping;
    },
    reconfigure,
    health() {
      const health: Record<string, ConnectorHealth> = {};
      // A connector being drained out shows until its replacement (same name) starts.
      for (const c of [...retiring.keys(), ...active]) {
        try {
          health[c.name] = c.health();
        } catch (error) {
          health[c.name] = { connected: false, detail: `health() threw: ${String(error)}` };
        }
      }
      return {
        state,
        paused: pauses.paused,
        buffered: { records: backpressure.records, bytes: backpressure.bytes },
        inFlight: deps.slots.inUse,
        deadLetter: deps.deadLetterHealth,
        connectors: health,
      };
    },
  };
  return engine;
}

// One executor for every push() promise (not a closure per record): it hands over `resolve`.
let captured: ((outcome: RecordOutcome) => void) | undefined;
function captureResolve(resolve: (outcome: RecordOutcome) => void): void {
  captured = resolve;
}
