#!/usr/bin/env node
import { readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { Command, CommanderError } from "commander";
import { registerDlq } from "./commands/dlq.js";
import { registerDocs } from "./commands/docs.js";
import { registerInit } from "./commands/init.js";
import { registerInvoke } from "./commands/invoke.js";
import { registerRun } from "./commands/run.js";
import { registerSchema } from "./commands/schema.js";
import {
  EXIT_OK,
  EXIT_RUNTIME,
  EXIT_USAGE,
  explain,
  type RegisterCommand,
} from "./commands/shared.js";
import { registerValidate } from "./commands/validate.js";
import { ConfigError } from "./config/errors.js";

const here = dirname(fileURLToPath(import.meta.url));
const pkg = JSON.parse(readFileSync(resolve(here, "../package.json"), "utf8")) as {
  version: string;
};

/** Every subcommand, each in its own file under commands/. */
const COMMANDS: readonly RegisterCommand[] = [
  registerRun,
  registerInit,
  registerValidate,
  registerSchema,
  registerInvoke,
  registerDocs,
  registerDlq,
];

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
  for (const register of COMMANDS) {
    register(program, (c) => {
      code = c;
    });
  }

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
