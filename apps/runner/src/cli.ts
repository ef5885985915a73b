#!/usr/bin/env node
import { existsSync, readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { FgconnectError } from "@fgconnect/core";
import { Command, CommanderError, Option } from "commander";
import type { Logger } from "pino";
import { z } from "zod";
import { ConfigError } from "./config/errors.js";
import { loadConfig } from "./config/load.js";
import { configSchema } from "./config/schema.js";
import { startDaemon } from "./daemon.js";
import { connectFunctionGraph } from "./functiongraph.js";
import { createLogger, type LogLevel } from "./logger.js";

const EXIT_OK = 0;
const EXIT_RUNTIME = 1;
const EXIT_USAGE = 2;

const here = dirname(fileURLToPath(import.meta.url));
const pkg = JSON.parse(readFileSync(resolve(here, "../package.json"), "utf8")) as {
  version: string;
};
/** The bundled example (`--example`): a schedule into an in-process emulator. */
export const EXAMPLE_CONFIG = resolve(here, "../examples/fgconnect.yaml");

interface ConfigOptions {
  config?: string;
  example?: boolean;
}

/**
 * `-c`, else ./fgconnect.yaml, else `--example`'s bundled file; with none of them, a usage
 * error: a daemon with a missing config mount must not come up healthy on the example.
 */
function configPath(options: ConfigOptions): string {
  if (options.example) return EXAMPLE_CONFIG;
  if (options.config) return resolve(options.config);
  const local = resolve("fgconnect.yaml");
  if (existsSync(local)) return local;
  throw new CommanderError(
    EXIT_USAGE,
    "fgconnect.noConfig",
    `no config: give -c <file>, or put fgconnect.yaml in ${process.cwd()}\n  → --example runs the bundled example (a schedule into an embedded emulator)`,
  );
}

/** An error as one line for a person: message, then what to do. */
function explain(err: unknown): string {
  if (err instanceof ConfigError) return err.message;
  if (err instanceof FgconnectError) return `${err.message}\n  → ${err.hint}`;
  if (err instanceof Error) return err.message;
  return String(err);
}

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

async function run(options: ConfigOptions & { logFormat?: LogFormat }): Promise<number> {
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
  const stopped = new Promise<void>((resolve) => {
    stop.signal.addEventListener("abort", () => resolve(), { once: true });
  });

  const body = async (): Promise<number> => {
    const file = configPath(options);
    const pretty = prettyFrom(options.logFormat);
    const level = logLevelFromEnv();
    const config = await loadConfig(file);
    config.admin.host = process.env.FGCONNECT_ADMIN_HOST || config.admin.host;
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

    const daemon = await startDaemon(config, {
      configDir: dirname(file),
      logger: log,
      signal: stop.signal,
    });
    await stopped;
    log.info(
      {
        signal: stop.signal.reason,
        deadlineMs: config.shutdown.deadlineMs,
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
    }
  };
  return Promise.race([body(), secondSignal]);
}

async function validate(options: ConfigOptions): Promise<number> {
  const file = configPath(options);
  const config = await loadConfig(file);
  process.stdout.write(
    `${file}: valid (${Object.keys(config.connectors).length} connector(s), ${config.routes.length} route(s))\n`,
  );
  return EXIT_OK;
}

function schema(): number {
  const json = z.toJSONSchema(configSchema, { io: "input", unrepresentable: "any" });
  process.stdout.write(
    `${JSON.stringify({ title: "fgconnect configuration", ...json }, null, 2)}\n`,
  );
  return EXIT_OK;
}

async function invoke(
  urn: string,
  options: { data?: string; async?: boolean } & ConfigOptions,
): Promise<number> {
  const file = configPath(options);
  const config = await loadConfig(file);
  let payload: unknown = {};
  if (options.data !== undefined) {
    const text = options.data.startsWith("@")
      ? readFileSync(options.data.slice(1), "utf8")
      : options.data;
    try {
      payload = JSON.parse(text);
    } catch {
      throw new CommanderError(
        EXIT_USAGE,
        "fgconnect.data",
        "--data must be JSON (or @file holding JSON)",
      );
    }
  }
  const { client, close } = await connectFunctionGraph(config, dirname(file), () => {});
  try {
    const result = options.async
      ? await client.invokeAsync(urn, payload)
      : await client.invoke(urn, payload);
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    return EXIT_OK;
  } finally {
    await close();
  }
}

export async function main(argv: string[]): Promise<number> {
  let code = EXIT_OK;
  const program = new Command()
    .name("fgconnect")
    .description(
      "Routes Kafka, MQTT, S3-compatible bucket and cron events to Huawei Cloud FunctionGraph functions.",
    )
    .version(pkg.version)
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });
  const configOptions = (command: Command) =>
    command
      .addOption(
        new Option("-c, --config <file>", "config file (YAML or JSON); default ./fgconnect.yaml"),
      )
      .addOption(
        new Option(
          "--example",
          "use the bundled example: a schedule into an embedded emulator",
        ).conflicts("config"),
      );

  configOptions(program.command("run").description("run the daemon"))
    .addOption(
      new Option(
        "--log-format <format>",
        "pretty (human-readable) or json lines; default $FGCONNECT_LOG_FORMAT, else the config's log.pretty, else pretty on a terminal",
      ).choices(LOG_FORMATS),
    )
    .action(async (o) => {
      code = await run(o);
    });
  configOptions(
    program.command("validate").description("check a config file and report every problem in it"),
  ).action(async (o) => {
    code = await validate(o);
  });
  program
    .command("schema")
    .description("print the config file's JSON Schema")
    .action(() => {
      code = schema();
    });
  const invokeCommand = program
    .command("invoke")
    .description("invoke a function once through the config's functiongraph settings")
    .argument("<urn>", "function URN or short form (package:name, name)")
    .option("-d, --data <json>", "event as JSON, or @file", undefined)
    .option("--async", "invoke asynchronously", false);
  configOptions(invokeCommand).action(async (urn, o) => {
    code = await invoke(urn, o);
  });

  try {
    await program.parseAsync(argv);
    return code;
  } catch (err) {
    if (err instanceof CommanderError) {
      if (
        err.code === "commander.helpDisplayed" ||
        err.code === "commander.version" ||
        err.code === "commander.help"
      ) {
        return EXIT_OK;
      }
      if (err.code.startsWith("fgconnect.")) process.stderr.write(`error: ${err.message}\n`);
      return EXIT_USAGE;
    }
    process.stderr.write(`fgconnect: ${explain(err)}\n`);
    return err instanceof ConfigError ? EXIT_USAGE : EXIT_RUNTIME;
  }
}

process.on("unhandledRejection", (err) => {
  process.stderr.write(`fgconnect: unexpected failure: ${explain(err)}\n`);
  process.exit(EXIT_RUNTIME);
});

main(process.argv).then((code) => process.exit(code));
