import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { CommanderError } from "commander";
import { registry } from "../connectors.js";
import { STARTER_FUNCTION, starterConfig } from "../starter-config.js";
import { EXIT_OK, EXIT_USAGE, type RegisterCommand } from "./shared.js";

interface InitOptions {
  source: string;
  output: string;
  force?: boolean;
}

function init(options: InitOptions): number {
  const definition = registry.get(options.source);
  if (!definition)
    throw new CommanderError(
      EXIT_USAGE,
      "fgconnect.source",
      `no connector type "${options.source}"; --source is one of ${registry.types.join(", ")}`,
    );
  const file = resolve(options.output);
  if (existsSync(file) && !options.force)
    throw new CommanderError(
      EXIT_USAGE,
      "fgconnect.exists",
      `${file} already exists; --force overwrites it, -o <file> writes elsewhere`,
    );
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, starterConfig(definition));
  const written = [file];
  // The config's embedded emulator needs a function to run; an existing folder is left alone.
  const functions = join(dirname(file), "functions");
  if (!existsSync(functions)) {
    mkdirSync(join(functions, "hello"), { recursive: true });
    writeFileSync(join(functions, "hello", "index.js"), STARTER_FUNCTION);
    written.push(join(functions, "hello", "index.js"));
  }
  const shown = written.map((f) => relative(process.cwd(), f) || f);
  process.stdout.write(
    `wrote ${shown.join(" and ")}\nnext: fgconnect validate -c ${shown[0]} && fgconnect run -c ${shown[0]}\n`,
  );
  return EXIT_OK;
}

export const registerInit: RegisterCommand = (program, done) => {
  program
    .command("init")
    .description("write a commented starter config (and a function for its embedded emulator)")
    .option("-s, --source <type>", `the connector: ${registry.types.join(", ")}`, "cron")
    .option("-o, --output <file>", "where to write it", "fgconnect.yaml")
    .option("-f, --force", "overwrite an existing file", false)
    .action((o: InitOptions) => {
      done(init(o));
    });
};
