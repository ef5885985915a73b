import { readFile } from "node:fs/promises";
import { dirname } from "node:path";
import { type Command, CommanderError, Option } from "commander";
import type { Logger } from "pino";
import { loadConfig } from "../config/load.js";
import type { Config } from "../config/schema.js";
import { watchConfig } from "../config-watch.js";
import { startDaemon } from "../daemon.js";
import { createLogger, type LogLevel } from "../logger.js";
import { createReloader, type Reloader } from "../reload.js";
import {
  startTelemetry,
  type Telemetry,
  TelemetryEnvError,
  type TelemetrySettings,
  telemetrySettings,
} from "../telemetry.js";
import {
  type ConfigOptions,
  configPath,
  EXAMPLE_CONFIG,
  EXIT_OK,
  EXIT_RUNTIME,
  EXIT_USAGE,
  type RegisterCommand,
  withConfigOptions,
} from "./shared.js";

const LOG_LEVELS: readonly LogLevel[] = [
  "trace",
  "debug",
  "info",
  "warn",
  "error",
  "fatal",
  "silent",
];

/** `FGCONNECT_LOG_LEVEL`, which overrides the config's `log.level`. */
function logLevelFromEnv(): LogLevel | undefined {
  const value = process.env.FGCONNECT_LOG_LEVEL;
  if (value === undefined || value === "") return undefined;
  if (!LOG_LEVELS.includes(value as LogLevel)) {
    throw new CommanderError(
      EXIT_USAGE,
      "fgconnect.env",
      `FGCONNECT_LOG_LEVEL must be one of ${LOG_LEVELS.join(", ")}, not "${value}"`,
    );
  }
  return value as LogLevel;
}

const LOG_FORMATS = ["pretty", "json"] as const;
type LogFormat = (typeof LOG_FORMATS)[number];

/** `--log-format`, else `FGCONNECT_LOG_FORMAT`, as createLogger's `pretty`; undefined: the config's. */
function prettyFrom(option: LogFormat | undefined): boolean | undefined {
  const value = option ?? (process.env.FGCONNECT_LOG_FORMAT || undefined);
  if (value === undefined) return undefined;
  if (!LOG_FORMATS.includes(value as LogFormat)) {
    throw new CommanderError(
      EXIT_USAGE,
      "fgconnect.env",
      `FGCONNECT_LOG_FORMAT must be one of ${LOG_FORMATS.join(", ")}, not "${value}"`,
    );
  }
  return value === "pretty";
}

/** The config file as `validate` checks it, with the environment's overrides. */
async function readConfig(file: string): Promise<Config> {
  const config = await loadConfig(file);
  config.admin.host = process.env.FGCONNECT_ADMIN_HOST || config.admin.host;
  return config;
}

/** The config's and OTEL_* variables' tracing settings; a variable that cannot work is a usage error. */
function tracingFrom(config: Config): TelemetrySettings | undefined {
  try {
    return telemetrySettings(config.telemetry);
  } catch (err) {
    if (err instanceof TelemetryEnvError)
      throw new CommanderError(EXIT_USAGE, "fgconnect.env", err.message);
    throw err;
  }
}

async function run(
  options: ConfigOptions & { logFormat?: LogFormat; watch?: boolean },
): Promise<number> {
  // Signals are taken before anything starts: a stop during a slow start is a clean stop too.
  const stop = new AbortController();
  let logger: Logger | undefined;
  let exitNow!: (code: number) => void;
  const secondSignal = new Promise<number>((resolve) => {
    exitNow = resolve;
  });
  const onSignal = (signal: NodeJS.Signals) => {
    if (!stop.signal.aborted) return stop.abort(signal);
    logger?.warn(
      { signal },
      "second signal: exiting now; undelivered records were not acknowledged",
    );
    exitNow(EXIT_RUNTIME);
  };
  process.on("SIGTERM", onSignal);
  process.on("SIGINT", onSignal);
  // SIGHUP reloads the config; taken from the start, since by default it would end the process.
  let reloader: Reloader | undefined;
  let hangupBeforeStart = false;
  const reload = (trigger: string) => {
    if (stop.signal.aborted) return;
    if (reloader) void reloader.reload(trigger);
    else hangupBeforeStart = true;
  };
  const onHangup = () => reload("SIGHUP");
  process.on("SIGHUP", onHangup);
  const stopped = new Promise<void>((resolve) => {
    stop.signal.addEventListener("abort", () => resolve(), { once: true });
  });

  const body = async (): Promise<number> => {
    const file = configPath(options);
    const pretty = prettyFrom(options.logFormat);
    const level = logLevelFromEnv();
    // The bytes the config is read from: what --watch compares later changes with.
    const loaded = options.watch ? await readFile(file).catch(() => undefined) : undefined;
    const config = await readConfig(file);
    const tracing = tracingFrom(config);
    const log = createLogger({
      level: level ?? config.log.level,
      pretty: pretty ?? config.log.pretty,
    });
    logger = log;
    if (stop.signal.aborted) {
      log.info({ signal: stop.signal.reason }, "stopped before starting");
      return EXIT_OK;
    }
    if (file === EXAMPLE_CONFIG) log.info({ config: file }, "running the bundled example");

    const telemetry: Telemetry | undefined = tracing && (await startTelemetry(tracing, log));
    // Spans of what was delivered are flushed after the daemon stopped, or failed to start.
    const daemon = await startDaemon(config, {
      configDir: dirname(file),
      logger: log,
      signal: stop.signal,
    }).catch(async (err: unknown) => {
      await telemetry?.shutdown();
      throw err;
    });
    reloader = createReloader({ daemon, read: () => readConfig(file), logger: log });
    const watcher = options.watch
      ? await watchConfig(file, () => reload("watch"), {
          loaded,
          onError: (err) => log.warn({ err: String(err) }, "watching the config file failed"),
        })
      : undefined;
    if (watcher) log.info({ config: file }, "watching the config file: a change reloads it");
    if (hangupBeforeStart) reload("SIGHUP");
    await stopped;
    watcher?.close();
    log.info(
      {
        signal: stop.signal.reason,
        deadlineMs: daemon.config.shutdown.deadlineMs,
        ...(daemon.running ? {} : { starting: true }),
      },
      "stopping: finishing in-flight deliveries",
    );
    try {
      log.info(await daemon.stop(), "stopped");
      return EXIT_OK;
    } catch (err) {
      log.error({ err }, "error while stopping");
      return EXIT_RUNTIME;
    } finally {
      await telemetry?.shutdown();
    }
  };
  return Promise.race([body(), secondSignal]);
}

export const registerRun: RegisterCommand = (program: Command, done) => {
  withConfigOptions(program.command("run").description("run the daemon"))
    .addOption(
      new Option(
        "--log-format <format>",
        "pretty (human-readable) or json lines; default $FGCONNECT_LOG_FORMAT, else the config's log.pretty, else pretty on a terminal",
      ).choices(LOG_FORMATS),
    )
    .addOption(
      new Option(
        "--watch",
        "reload the config when its file changes (as SIGHUP does): routes and connectors change in place",
      ),
    )
    .action(async (o) => {
      done(await run(o));
    });
};
