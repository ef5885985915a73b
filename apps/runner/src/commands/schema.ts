import { resolve } from "node:path";
import { z } from "zod";
import { loadRegistry } from "../config/load.js";
import { configSchemaFor } from "../config/schema.js";
import { registry as builtIns } from "../connectors.js";
import { EXIT_OK, type RegisterCommand } from "./shared.js";

/** With `-c`, the connector types of that config's plugins are in the schema too. */
async function schema(options: { config?: string }): Promise<number> {
  const registry = options.config ? await loadRegistry(resolve(options.config)) : builtIns;
  const json = z.toJSONSchema(configSchemaFor(registry), {
    io: "input",
    unrepresentable: "any",
  });
  process.stdout.write(
    `${JSON.stringify({ title: "fgconnect configuration", ...json }, null, 2)}\n`,
  );
  return EXIT_OK;
}

export const registerSchema: RegisterCommand = (program, done) => {
  program
    .command("schema")
    .description("print the config file's JSON Schema")
    .option("-c, --config <file>", "include the connector types this config's plugins add")
    .action(async (o) => {
      done(await schema(o));
    });
};
