import {
  type Connector,
  type ConnectorServices,
  type Coordinator,
  createCoordinator,
  createEngine,
  type Engine,
  type Invoker,
  type StopResult,
  withStartRetry,
} from "@fgconnect/core";
import type { Logger } from "pino";
import type { Registry } from "prom-client";
import { type AdminServer, startAdmin } from "./admin/server.js";
import type { Config } from "./config/schema.js";
import { appliesNothing, type ConfigDiff, diffConfig, inForce } from "./config-diff.js";
import { connectorMetrics } from "./connector-metrics.js";
import { registry as builtIns, type ConnectorConfig, createConnector } from "./connectors.js";
import { leasedConnector, needsLease } from "./coordination.js";
import { registerCoordinationMetrics } from "./coordination-metrics.js";
import { deadLetterService } from "./dlq/service.js";
import { connectFunctionGraph } from "./functiongraph.js";
import { invocationLogger, invocationLogLevel, observedInvoker } from "./invocation-log.js";
import { createLogger } from "./logger.js";
import { createMetrics, fanOut } from "./metrics.js";
import type { ConnectorRegistry } from "./registry.js";
import { replicaId } from "./replica.js";
import { StatusBoard } from "./status/board.js";
import { startSummary } from "./status/summary.js";

export interface Daemon {
  engine: Engine;
  /** Every source was started (false when a stop came first). */
  running: boolean;
  /** The admin server's URL, when it is enabled. */
  adminUrl?: string;
  /** The embedded emulator's URL, when the config has an `emulator` section. */
  emulatorUrl?: string;
  /** The config in force: the last one applied, with what needs a restart as it was at start. */
  readonly config: Config;
  /** The metrics the admin server exports. */
  metrics: Registry;
  /**
   * Applies a new (already validated) config in place: see config-diff.ts for what can change.
   * Rejects, changing nothing, when the engine refuses the new routes.
   */
  reload(next: Config): Promise<AppliedReload>;
  stop(): Promise<StopResult>;
}

export interface AppliedReload {
  diff: ConfigDiff;
  /** Nothing to apply: the engine was not touched. */
  unchanged: boolean;
  /** Connectors whose start failed (named, with why). */
  failed: { connector: string; error: unknown }[];
  /** Records of stopped connectors handed back undelivered at the drain deadline. */
  abandoned: number;
}

/**
 * Starts everything a config describes. `configDir` anchors relative paths in the config;
 * `connectorTypes` is the registry the config was loaded with (its plugins), default the built-ins.
 * When `signal` aborts while starting (a SIGTERM during a slow start), what started is stopped
 * by the returned daemon's `stop()`, as on any stop (in-flight deliveries drained); `running` is
 * then false.
 */
export async function startDaemon(
  config: Config,
  options: {
    configDir: string;
    /** Default: the config's `log` settings, as `fgconnect run` logs. */
    logger?: Logger;
    signal?: AbortSignal;
    connectorTypes?: ConnectorRegistry;
  },
): Promise<Daemon> {
  const { signal } = options;
  const logger =
    options.logger ?? createLogger({ level: config.log.level, pretty: config.log.pretty });
  const types = options.connectorTypes ?? builtIns;
  const closers: (() => Promise<unknown>)[] = [];
  const closeAll = async () => {
    for (const close of closers.reverse())
      await close().catch((err: unknown) => logger.warn({ err }, "error while closing"));
  };
  try {
    const emuLog = logger.child({ component: "emulator" });
    const fg = await connectFunctionGraph(
      config,
      options.configDir,
      (line) => emuLog.debug(line),
      logger.child({ component: "functiongraph" }),
    );
    closers.push(() => fg.close());
    if (fg.emulator)
      logger.info({ url: fg.emulator.url }, "embedded FunctionGraph emulator started");
    const { client, emulator } = fg;

    // A source that cannot be reached at start is retried in the background (readyz says why).
    const connectorLog = logger.child({ component: "connector" });
    const replica = replicaId();
    // Read at each scrape: a reload replaces connectors.
    const { registry, hooks } = createMetrics(() => engine.connectors);
    let coordinator: Coordinator | undefined;
    if (config.coordination) {
      coordinator = createCoordinator(config.coordination, {
        logger: logger.child({ component: "coordination" }),
      });
      closers.push(() => coordinator!.close());
      logger.info(
        { engine: coordinator.engine, url: coordinator.location, holder: coordinator.holder },
        "coordination: cron and bucket polling act only under a lease",
      );
    }
    const services = (name: string): ConnectorServices => ({
      logger: connectorLog.child({ connector: name }),
      replicaId: replica,
      metrics: connectorMetrics(registry, name),
      // Made when asked for: a lease nobody competes for would show in the metrics as lost.
      get lease() {
        return coordinator?.lease(name);
      },
    });
    const make = (name: string, c: ConnectorConfig): Connector =>
      coordinator && needsLease(c)
        ? leasedConnector(types, name, c, coordinator, connectorLog, services(name))
        : withStartRetry(() => createConnector(types, name, c, services(name)), {
            logger: connectorLog,
          });
    const connectors = Object.entries(config.connectors).map(([name, c]) => make(name, c));
    const uncoordinated = Object.entries(config.connectors).filter(([, c]) => needsLease(c));
    if (!coordinator && uncoordinated.length > 0)
      logger.info(
        { connectors: uncoordinated.map(([name]) => name) },
        "no coordination section: cron and bucket polling are not coordinated; run one replica, or add `coordination`",
      );
    if (coordinator) registerCoordinationMetrics(registry, coordinator);
    const board = new StatusBoard();
    const invocationLevel = invocationLogLevel(
      config.log.invocations,
      process.stdout.isTTY === true,
    );
    const logInvocation = invocationLogger(logger, invocationLevel);
    const invoker: Invoker = observedInvoker(client, (entry) => {
      board.recent.add(entry);
      logInvocation?.(entry);
    });
    const engine = createEngine({
      invoker,
      connectors,
      routes: config.routes,
      deadLetter: config.deadLetter,
      limits: config.limits,
      metrics: fanOut(hooks, board.stats.hooks),
      logger: logger.child({ component: "engine" }),
    });
    board.start({
      engine,
      // Read at each tick: a reload replaces connectors.
      get connectors() {
        return engine.connectors;
      },
      coordinator,
    });
    closers.push(async () => board.stop());
    if (invocationLevel !== "info" && config.log.summaryEverySeconds > 0) {
      const stopSummary = startSummary(board, logger, config.log.summaryEverySeconds);
      closers.push(async () => stopSummary());
    }

    // The config in force: a reload replaces it.
    let current = config;
    let admin: AdminServer | undefined;
    if (config.admin.enabled) {
      const server = await startAdmin({
        host: config.admin.host,
        port: config.admin.port,
        registry,
        connectors: () => engine.connectors,
        ready: () => engine.health().state === "running",
        deadLetter: () => engine.health().deadLetter,
        details: coordinator && (() => coordinationStatus(coordinator!)),
        token: config.admin.token,
        status: board,
        deadLetters: deadLetterService(() => current, {
          configDir: options.configDir,
          logger: logger.child({ component: "dlq" }),
          invoker: client,
          connectorTypes: types,
        }),
      });
      admin = server;
      closers.push(() => server.close());
      logger.info({ url: server.url }, "admin server: status page at /, /healthz /readyz /metrics");
    }

    const reload = async (next: Config): Promise<AppliedReload> => {
      const diff = diffConfig(current, next);
      if (appliesNothing(diff)) return { diff, unchanged: true, failed: [], abandoned: 0 };
      const fresh = new Set([...diff.connectors.added, ...diff.connectors.changed]);
      const running = new Map(engine.connectors.map((c) => [c.name, c]));
      const result = await engine.reconfigure({
        routes: next.routes,
        // A connector that failed to start at an earlier reload is not running: made anew.
        connectors: Object.entries(next.connectors).map(([name, c]) =>
          fresh.has(name) || !running.has(name) ? make(name, c) : running.get(name)!,
        ),
        deadlineMs: next.shutdown.deadlineMs,
      });
      current = inForce(current, next, diff);
      return { diff, unchanged: false, failed: result.failed, abandoned: result.abandoned };
    };

    let stopping: Promise<StopResult> | undefined;
    const daemon = (): Daemon => ({
      engine,
      running: engine.health().state === "running",
      adminUrl: admin?.url,
      emulatorUrl: emulator?.url,
      get config() {
        return current;
      },
      metrics: registry,
      reload,
      stop() {
        stopping ??= (async () => {
          const result = await engine.stop({ deadlineMs: current.shutdown.deadlineMs });
          await closeAll();
          return result;
        })();
        return stopping;
      },
    });
    if (signal?.aborted) return daemon();

    // Sources start in parallel and a slow one (a broker that does not answer) holds the
    // start for long while the others already deliver: a stop meanwhile must not wait for it.
    const aborted = new Promise<void>((resolve) => {
      if (signal?.aborted) resolve();
      signal?.addEventListener("abort", () => resolve(), { once: true });
    });
    const starting = engine.start();
    // Once stopped, a late failure of the abandoned start has no one to tell.
    starting.catch(() => undefined);
    await Promise.race([starting, aborted]);
    if (engine.health().state === "running")
      logger.info(
        {
          connectors: engine.connectors.map((c) => `${c.name} (${c.type})`),
          routes: engine.routes.length,
        },
        "fgconnect running",
      );
    return daemon();
  } catch (err) {
    await closeAll();
    throw err;
  }
}

/** What /readyz shows of coordination: the engine's health and which leases this replica holds. */
function coordinationStatus(coordinator: Coordinator): Record<string, unknown> {
  return {
    coordination: {
      engine: coordinator.engine,
      ...coordinator.health(),
      leases: Object.fromEntries(coordinator.leases().map((l) => [l.name, l.held])),
    },
  };
}
