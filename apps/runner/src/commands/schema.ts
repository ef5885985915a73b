import { resolve } from "node:path";
import { configJsonSchema } from "../config/json-schema.js";
import { loadRegistry } from "../config/load.js";
import { EXIT_OK, type RegisterCommand } from "./shared.js";

export const registerSchema: RegisterCommand = (program, done) => {
  program
    .command("schema")
    .description(
      "print the config file's JSON Schema (shipped as schema/fgconnect.schema.json in this package)",
    )
    .option("-c, --config <file>", "include the connector types this config's plugins add")
    .action(async (o: { config?: string }) => {
      const registry = o.config ? await loadRegistry(resolve(o.config)) : undefined;
      process.stdout.write(`${JSON.stringify(configJsonSchema(registry), null, 2)}\n`);
      done(EXIT_OK);
    });
};
