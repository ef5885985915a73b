/**
 * The engine: takes records from connectors, routes them, batches them, delivers them in
 * order per key under a global concurrency bound, and tells each connector what became of
 * each record. This file only wires the parts; each concept lives in its own file.
 */

import { setMaxListeners } from "node:events";
import { z } from "zod";
import type { Invoker } from "../client/types.js";
import type {
  Connector,
  ConnectorContext,
  ConnectorHealth,
  RecordOutcome,
  SourceRecord,
} from "../connector.js";
import type { DeadLetterSink } from "../dead-letters.js";
import { Backpressure } from "./backpressure.js";
import { Batcher } from "./batcher.js";
import { type Clock, systemClock } from "./clock.js";
import { createDeadLetterSink } from "./dead-letter.js";
import { type DeliveryDeps, deliverBatch, deliveryTarget } from "./delivery.js";
import { Dispatcher } from "./dispatcher.js";
import { KeyShares } from "./key-shares.js";
import { type Logger, silentLogger } from "./logger.js";
import { type EngineMetrics, withDefaultMetrics } from "./metrics.js";
import { PendingRecord } from "./pending.js";
import { EngineConfigError, type ResolvedRoute, Router, resolveRoutes } from "./router.js";
import {
  DEFAULTS,
  type DeadLetterConfigInput,
  type LimitsInput,
  limitsSchema,
  type RouteInput,
} from "./schema.js";
import { Semaphore } from "./semaphore.js";

export interface EngineOptions {
  invoker: Invoker;
  /** Connectors of different record types mix: `Connector<KafkaRecord>` is a `Connector`. */
  connectors: readonly Connector[];
  routes: readonly RouteInput[];
  /** A sink, or the config of one (the engine then owns it and closes it at stop). */
  deadLetter: DeadLetterSink | DeadLetterConfigInput;
  limits?: LimitsInput;
  metrics?: Partial<EngineMetrics>;
  logger?: Logger;
  clock?: Clock;
  /** Uniform in [0, 1), for retry jitter. */
  random?: () => number;
}

export interface StopOptions {
  /** How long to let buffered and in-flight records finish, in ms (default 20 000). */
  deadlineMs?: number;
}

export interface StopResult {
  /** Every record was delivered or dead-lettered before the deadline. */
  drained: boolean;
  /** Records given back undelivered (outcome `abandoned`). */
  abandoned: number;
}

export type EngineState = "created" | "starting" | "running" | "stopping" | "stopped";

export interface EngineHealth {
  state: EngineState;
  /** Sources are paused because the buffer is full. */
  paused: boolean;
  buffered: { records: number; bytes: number };
  inFlight: number;
  /**
   * The dead-letter sink: not ok from a failed write until the next one succeeds (its records
   * are not acknowledged meanwhile); `reason` says what failed.
   */
  deadLetter: { ok: boolean; reason?: string };
  connectors: Record<string, ConnectorHealth>;
}

export interface Engine {
  readonly routes: readonly ResolvedRoute[];
  /** Starts every connector. Rejects (after stopping them all) if one fails to start. */
  start(): Promise<void>;
  /**
   * Stops intake (connectors are paused; later pushes are `abandoned`), sends open batches,
   * lets deliveries finish until the deadline, then aborts what is left and gives those
   * records back as `abandoned` (never acknowledged). Finally calls each connector's `stop()`.
   * Calling it again returns the same promise.
   */
  stop(options?: StopOptions): Promise<StopResult>;
  health(): EngineHealth;
}

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
  const connectors: readonly Connector[] = options.connectors;
  const seen = new Set<string>();
  for (const c of connectors) {
    if (seen.has(c.name)) throw new EngineConfigError(`two connectors are named "${c.name}"`);
    seen.add(c.name);
  }
  const routes = resolveRoutes(options.routes, connectors);
  const limitsParsed = limitsSchema.safeParse(options.limits ?? {});
  if (!limitsParsed.success) {
    throw new EngineConfigError(`limits are invalid:\n${z.prettifyError(limitsParsed.error)}`, {
      cause: limitsParsed.error,
    });
  }
  const limits = limitsParsed.data;
  const ownsSink = !isSink(options.deadLetter);
  const sink = isSink(options.deadLetter) ? options.deadLetter : sinkFromConfig(options.deadLetter);
  const metrics = withDefaultMetrics(options.metrics);
  const logger = options.logger ?? silentLogger;
  const clock = options.clock ?? systemClock;

  const router = new Router(routes);
  const backpressure = new Backpressure(limits);
  const hardStop = new AbortController();
  // Every in-flight invocation listens on this one signal: far more than Node's default of 10.
  setMaxListeners(0, hardStop.signal);
  const live = new Set<PendingRecord>();
  const drainWaiters: (() => void)[] = [];
  let state: EngineState = "created";
  let sourcesPaused = false;
  let stopping: Promise<StopResult> | undefined;

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
  const batchers = new Map(
    routes.map((route) => [
      route.name,
      new Batcher<PendingRecord>(route.batch, clock, (key, batch) =>
        dispatchBatch(route, key, batch),
      ),
    ]),
  );
  for (const c of connectors) {
    if (!routes.some((r) => r.from === c.name)) {
      logger.warn(
        { connector: c.name },
        "no route takes this connector's records; all are unrouted",
      );
    }
  }

  // One lane per route × function × key: a slow function does not hold back the others.
  const onTaskError = (error: unknown) =>
    logger.error({ err: String(error) }, "delivery task failed unexpectedly");
  const targets = new Map(
    routes.map((route) => [
      route,
      route.to.map((urn) => {
        const target = deliveryTarget(route, urn, hardStop.signal);
        return new Dispatcher<PendingRecord[]>(
          (batch) => deliverBatch(deps, target, batch),
          onTaskError,
        );
      }),
    ]),
  );

  function dispatchBatch(
    route: ResolvedRoute,
    key: string | undefined,
    batch: PendingRecord[],
  ): void {
    for (const lanes of targets.get(route)!) lanes.dispatch(key, batch);
  }

  function push(
    connector: Connector,
    labels: { source: string },
    shares: KeyShares | undefined,
    record: SourceRecord,
  ): Promise<RecordOutcome> {
    if (state !== "starting" && state !== "running") {
      metrics.abandoned(labels, 1);
      return Promise.resolve("abandoned");
    }
    metrics.received(labels);
    const matched = router.match(connector.name, record);
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
    if (transition === "pause") pauseSources();
    for (const route of matched) batchers.get(route.name)!.add(record.orderingKey, pending, bytes);
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
    if (transition === "resume" && (state === "running" || state === "starting")) resumeSources();
    if (live.size === 0) for (const wake of drainWaiters.splice(0)) wake();
  }

  function pauseSources(): void {
    if (sourcesPaused) return;
    sourcesPaused = true;
    logger.info({ buffered: backpressure.records, bytes: backpressure.bytes }, "pausing sources");
    for (const c of connectors) {
      metrics.paused({ source: c.name });
      guard(() => c.pause(), c, "pause");
    }
  }

  function resumeSources(): void {
    if (!sourcesPaused) return;
    sourcesPaused = false;
    logger.info({ buffered: backpressure.records, bytes: backpressure.bytes }, "resuming sources");
    for (const c of connectors) {
      metrics.resumed({ source: c.name });
      guard(() => c.resume(), c, "resume");
    }
  }

  /** Fair shares of the buffer per ordering key, for a connector that can pause one key. */
  function keyShares(c: Connector): KeyShares | undefined {
    if (typeof c.pauseKey !== "function" || typeof c.resumeKey !== "function") return undefined;
    return new KeyShares(
      limits,
      (key) => guard(() => c.pauseKey!(key), c, "pauseKey"),
      (key) => guard(() => c.resumeKey!(key), c, "resumeKey"),
    );
  }

  function guard(fn: () => void, c: Connector, what: string): void {
    try {
      fn();
    } catch (error) {
      logger.error({ connector: c.name, err: String(error) }, `connector ${what}() threw`);
    }
  }

  function waitDrained(deadlineMs: number): Promise<boolean> {
    if (live.size === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = clock.setTimeout(() => resolve(false), deadlineMs);
      drainWaiters.push(() => {
        clock.clearTimeout(timer);
        resolve(true);
      });
    });
  }

  async function stop(stopOptions?: StopOptions): Promise<StopResult> {
    const deadlineMs = stopOptions?.deadlineMs ?? DEFAULTS.stopDeadlineMs;
    if (state === "created") {
      // Never started: no connector to pause or stop.
      state = "stopped";
      return { drained: true, abandoned: 0 };
    }
    state = "stopping";
    pauseSources();
    for (const b of batchers.values()) b.flushAll();
    const drained = await waitDrained(deadlineMs);
    const leftovers = [...live];
    hardStop.abort();
    for (const b of batchers.values()) b.clear();
    for (const list of targets.values()) for (const lanes of list) lanes.clear();
    for (const p of leftovers) p.abandon();
    if (leftovers.length > 0) {
      logger.warn(
        { abandoned: leftovers.length, deadlineMs },
        "stop deadline passed; records abandoned",
      );
    }
    // One turn of the microtask queue: connectors see every outcome before their stop().
    await Promise.resolve();
    for (const c of connectors) {
      try {
        await c.stop();
      } catch (error) {
        logger.error({ connector: c.name, err: String(error) }, "connector stop() failed");
      }
    }
    if (ownsSink)
      await sink
        .close?.()
        .catch((error: unknown) =>
          logger.error({ err: String(error) }, "closing the dead-letter sink failed"),
        );
    state = "stopped";
    return { drained, abandoned: leftovers.length };
  }

  const engine: Engine = {
    routes,
    async start() {
      if (state !== "created") throw new Error(`the engine cannot start: it is ${state}`);
      state = "starting";
      try {
        await Promise.all(
          connectors.map((c) => {
            const labels = { source: c.name };
            const shares = keyShares(c);
            const ctx: ConnectorContext = {
              push: (record) => push(c, labels, shares, record),
              logger,
            };
            return c.start(ctx);
          }),
        );
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
    health() {
      const health: Record<string, ConnectorHealth> = {};
      for (const c of connectors) {
        try {
          health[c.name] = c.health();
        } catch (error) {
          health[c.name] = { connected: false, detail: `health() threw: ${String(error)}` };
        }
      }
      return {
        state,
        paused: sourcesPaused,
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

function isSink(value: DeadLetterSink | DeadLetterConfigInput): value is DeadLetterSink {
  return typeof (value as DeadLetterSink).write === "function";
}

function sinkFromConfig(config: DeadLetterConfigInput): DeadLetterSink {
  try {
    return createDeadLetterSink(config);
  } catch (error) {
    if (!(error instanceof z.ZodError)) throw error;
    throw new EngineConfigError(`deadLetter is invalid:\n${z.prettifyError(error)}`, {
      cause: error,
    });
  }
}
