import { existsSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { FgconnectError } from "@fgconnect/core";
import { type Command, CommanderError, Option } from "commander";
import { ConfigError } from "../config/errors.js";

export const EXIT_OK = 0;
export const EXIT_RUNTIME = 1;
export const EXIT_USAGE = 2;

const here = dirname(fileURLToPath(import.meta.url));
/** The bundled example (`--example`): a schedule into an in-process emulator. */
export const EXAMPLE_CONFIG = resolve(here, "../../examples/fgconnect.yaml");

export interface ConfigOptions {
  config?: string;
  example?: boolean;
}

/**
 * `-c`, else ./fgconnect.yaml, else `--example`'s bundled file; with none of them, a usage
 * error: a daemon with a missing config mount must not come up healthy on the example.
 */
export function configPath(options: ConfigOptions): string {
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
export function explain(err: unknown): string {
  if (err instanceof ConfigError) return err.message;
  if (err instanceof FgconnectError) return `${err.message}\n  → ${err.hint}`;
  if (err instanceof Error) return err.message;
  return String(err);
}

/** `-c <file>` and `--example`, for every command that reads a config. */
export function withConfigOptions(command: Command): Command {
  return command
    .addOption(
      new Option("-c, --config <file>", "config file (YAML or JSON); default ./fgconnect.yaml"),
    )
    .addOption(
      new Option(
        "--example",
        "use the bundled example: a schedule into an embedded emulator",
      ).conflicts("config"),
    );
}

/** Each command file registers itself; its action sets the exit code through `done`. */
export type RegisterCommand = (program: Command, done: (code: number) => void) => void;
