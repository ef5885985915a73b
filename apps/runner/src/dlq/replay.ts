/**
 * Replays dead letters through the normal delivery path: an engine with one route per original
 * route × function (its mode, format, batching and delivery policy), fed by a source that pushes
 * the revived records. A record whose replay fails for good is dead-lettered afresh, to the same
 * store, with `replayOf` naming the entry it came from. An entry is marked replayed once its
 * record is delivered or dead-lettered afresh; a replay stopped midway marks nothing more.
 */
import {
  type Connector,
  type ConnectorContext,
  createEngine,
  type DeadLetterReader,
  type DeadLetterSink,
  type Invoker,
  type Logger,
  noMetrics,
  type RecordOutcome,
  type RouteInput,
  type SourceRecord,
  type StoredDeadLetter,
} from "@fgconnect/core";
import { CommanderError } from "commander";
import { EXIT_USAGE } from "../commands/shared.js";
import type { Config } from "../config/schema.js";
import { createConnector } from "../connectors.js";
import type { ConnectorRegistry } from "../registry.js";

export interface ReplayOptions {
  /** The connector types the config was loaded with (the built-ins and its plugins'). */
  connectorTypes: ConnectorRegistry;
  /** Deliver to this function instead of each entry's own. */
  to?: string;
  logger: Logger;
  /** Called as each entry's replay ends. */
  onDone?(outcome: RecordOutcome): void;
  /** Stop pushing; what is in flight gets until the config's shutdown deadline. */
  signal?: AbortSignal;
}

export interface ReplaySummary {
  delivered: number;
  /** Failed again: dead-lettered afresh, linked to the entry they replayed. */
  deadLettered: number;
  /** Not replayed: the replay was stopped first (not marked, so a next replay sends them). */
  abandoned: number;
}

/** A source that pushes what the replay hands it, holding back while the engine is full. */
class ReplaySource implements Connector {
  readonly type = "dlq-replay";
  readonly formats: Connector["formats"];
  readonly defaultFormat: string;
  #ctx?: ConnectorContext;
  #paused = false;
  #resumed: (() => void)[] = [];

  constructor(
    readonly name: string,
    of: Connector,
  ) {
    this.formats = of.formats;
    this.defaultFormat = of.defaultFormat;
  }

  async start(ctx: ConnectorContext): Promise<void> {
    this.#ctx = ctx;
  }

  /** Resolves once the engine took the record, with the promise of its outcome. */
  async push(record: SourceRecord): Promise<{ outcome: Promise<RecordOutcome> }> {
    while (this.#paused) await new Promise<void>((r) => this.#resumed.push(r));
    return { outcome: this.#ctx!.push(record) };
  }

  pause(): void {
    this.#paused = true;
  }

  resume(): void {
    this.#paused = false;
    for (const wake of this.#resumed.splice(0)) wake();
  }

  async stop(): Promise<void> {
    this.resume();
  }

  health() {
    return { connected: true };
  }
}

/** Route names as the engine gives them: `name`, else `<from>#<index>`. */
function routesByName(config: Config): Map<string, Config["routes"][number]> {
  return new Map(config.routes.map((r, i) => [r.name ?? `${r.from}#${i}`, r]));
}

export async function replay(
  config: Config,
  invoker: Invoker,
  reader: DeadLetterReader,
  revive: (entry: StoredDeadLetter["entry"]) => SourceRecord,
  candidates: readonly StoredDeadLetter[],
  options: ReplayOptions,
): Promise<ReplaySummary> {
  const routes = routesByName(config);
  const missing = [...new Set(candidates.map((s) => s.entry.route))].filter((r) => !routes.has(r));
  if (missing.length > 0)
    throw new CommanderError(
      EXIT_USAGE,
      "fgconnect.dlqRoute",
      `the config has no route named ${missing.map((r) => `"${r}"`).join(", ")}, which dead letters name; replay them with a config that has it, or filter them out (--route)`,
    );

  // Revived first: an entry that cannot be replayed fails the replay before anything is sent.
  const records = candidates.map((stored) => revive(stored.entry));

  // One engine route (and source) per original route × function.
  const lanes = new Map<string, { source: ReplaySource; route: string }>();
  const engineRoutes: RouteInput[] = [];
  const formatsOf = new Map<string, Connector>();
  for (const { entry } of candidates) {
    const target = options.to ?? entry.target;
    const key = JSON.stringify([entry.route, target]);
    if (lanes.has(key)) continue;
    const route = routes.get(entry.route)!;
    let connector = formatsOf.get(route.from);
    if (!connector) {
      // Built, never started: only its payload formats are used.
      connector = createConnector(
        options.connectorTypes,
        route.from,
        config.connectors[route.from]!,
        {
          logger: options.logger,
          replicaId: "dlq-replay",
          metrics: noMetrics,
        },
      );
      formatsOf.set(route.from, connector);
    }
    const name = `replay-${lanes.size}`;
    lanes.set(key, { source: new ReplaySource(name, connector), route: entry.route });
    engineRoutes.push({
      name,
      from: name,
      to: [target],
      mode: route.mode,
      ...(route.format ? { format: route.format } : {}),
      batch: route.batch,
      delivery: route.delivery,
    });
  }

  // Which entry each pushed record replays, for the fresh dead letter's `replayOf`.
  const replayed = new WeakMap<SourceRecord, { stored: StoredDeadLetter; route: string }>();
  const sink: DeadLetterSink = {
    write(entry, record) {
      const origin = replayed.get(record);
      return reader.sink.write(
        origin ? { ...entry, route: origin.route, replayOf: origin.stored.entry.id } : entry,
        record,
      );
    },
  };
  const engine = createEngine({
    invoker,
    connectors: [...lanes.values()].map((l) => l.source),
    routes: engineRoutes,
    deadLetter: sink,
    limits: config.limits,
    logger: options.logger,
  });
  await engine.start();

  // At most a window of records between push and mark: a replay killed midway resends no more.
  const window =
    config.limits.maxInFlight * Math.max(...engineRoutes.map((r) => r.batch?.maxRecords ?? 1));
  let open = 0;
  let windowFreed: (() => void) | undefined;
  options.signal?.addEventListener("abort", () => windowFreed?.(), { once: true });
  const summary: ReplaySummary = { delivered: 0, deadLettered: 0, abandoned: 0 };
  const settled: Promise<void>[] = [];
  let index = 0;
  for (; index < candidates.length && !options.signal?.aborted; index++) {
    while (open >= window && !options.signal?.aborted)
      await new Promise<void>((r) => {
        windowFreed = r;
      });
    if (options.signal?.aborted) break;
    open += 1;
    const stored = candidates[index]!;
    const lane = lanes.get(
      JSON.stringify([stored.entry.route, options.to ?? stored.entry.target]),
    )!;
    const record = records[index]!;
    replayed.set(record, { stored, route: lane.route });
    const { outcome } = await lane.source.push(record);
    settled.push(
      outcome
        .then(async (o) => {
          if (o === "abandoned") summary.abandoned += 1;
          else {
            await stored.markReplayed();
            if (o === "delivered") summary.delivered += 1;
            else summary.deadLettered += 1;
          }
          options.onDone?.(o);
        })
        .finally(() => {
          open -= 1;
          windowFreed?.();
        }),
    );
  }
  summary.abandoned += candidates.length - index;
  const stopping = new Promise<void>((resolve) => {
    if (options.signal?.aborted) resolve();
    options.signal?.addEventListener("abort", () => resolve(), { once: true });
  });
  // Everything pushed has its outcome, or a stop came: the engine drains until the deadline.
  await Promise.race([Promise.all(settled), stopping]);
  await engine.stop({ deadlineMs: config.shutdown.deadlineMs });
  await Promise.all(settled);
  return summary;
}
