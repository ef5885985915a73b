import { configJsonSchema } from "../config/json-schema.js";
import { EXIT_OK, type RegisterCommand } from "./shared.js";

export const registerSchema: RegisterCommand = (program, done) => {
  program
    .command("schema")
    .description(
      "print the config file's JSON Schema (shipped as schema/fgconnect.schema.json in this package)",
    )
    .action(() => {
      process.stdout.write(`${JSON.stringify(configJsonSchema(), null, 2)}\n`);
      done(EXIT_OK);
    });
};
