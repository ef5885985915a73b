#!/usr/bin/env node
import { existsSync, readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { FgconnectError } from "@fgconnect/core";
import { Command, CommanderError, Option } from "commander";
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
/** The embedded default: a schedule into an in-process emulator. */
export const EXAMPLE_CONFIG = resolve(here, "../examples/fgconnect.yaml");

/** `-c` if given, else ./fgconnect.yaml if present, else the bundled example. */
function configPath(given: string | undefined): string {
  if (given) return resolve(given);
  const local = resolve("fgconnect.yaml");
  return existsSync(local) ? local : EXAMPLE_CONFIG;
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

async function run(options: { config?: string }): Promise<number> {
  const file = configPath(options.config);
  const config = await loadConfig(file);
  const level = logLevelFromEnv() ?? config.log.level;
  const logger = createLogger({ level, pretty: config.log.pretty });
  if (file === EXAMPLE_CONFIG)
    logger.info(
      { config: file },
      "no config given and no ./fgconnect.yaml: running the bundled example",
    );

  const daemon = await startDaemon(config, { configDir: dirname(file), logger });
  return new Promise<number>((done) => {
    let signals = 0;
    const onSignal = (signal: NodeJS.Signals) => {
      if (++signals > 1) {
        logger.warn(
          { signal },
          "second signal: exiting now; undelivered records were not acknowledged",
        );
        done(EXIT_RUNTIME);
        return;
      }
      logger.info(
        { signal, deadlineMs: config.shutdown.deadlineMs },
        "stopping: finishing in-flight deliveries",
      );
      daemon.stop().then(
        (result) => {
          logger.info(result, "stopped");
          done(EXIT_OK);
        },
        (err: unknown) => {
          logger.error({ err }, "error while stopping");
          done(EXIT_RUNTIME);
        },
      );
    };
    process.on("SIGTERM", onSignal);
    process.on("SIGINT", onSignal);
  });
}

async function validate(options: { config?: string }): Promise<number> {
  const file = configPath(options.config);
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
  options: { data?: string; async?: boolean; config?: string },
): Promise<number> {
  const file = configPath(options.config);
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
  const configOption = () =>
    new Option(
      "-c, --config <file>",
      "config file (YAML or JSON); default ./fgconnect.yaml, else the bundled example",
    );

  program
    .command("run")
    .description("run the daemon")
    .addOption(configOption())
    .action(async (o) => {
      code = await run(o);
    });
  program
    .command("validate")
    .description("check a config file and report every problem in it")
    .addOption(configOption())
    .action(async (o) => {
      code = await validate(o);
    });
  program
    .command("schema")
    .description("print the config file's JSON Schema")
    .action(() => {
      code = schema();
    });
  program
    .command("invoke")
    .description("invoke a function once through the config's functiongraph settings")
    .argument("<urn>", "function URN or short form (package:name, name)")
    .option("-d, --data <json>", "event as JSON, or @file", undefined)
    .option("--async", "invoke asynchronously", false)
    .addOption(configOption())
    .action(async (urn, o) => {
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
