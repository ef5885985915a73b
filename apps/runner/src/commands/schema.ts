import { z } from "zod";
import { configSchema } from "../config/schema.js";
import { EXIT_OK, type RegisterCommand } from "./shared.js";

function schema(): number {
  const json = z.toJSONSchema(configSchema, { io: "input", unrepresentable: "any" });
  process.stdout.write(
    `${JSON.stringify({ title: "fgconnect configuration", ...json }, null, 2)}\n`,
  );
  return EXIT_OK;
}

export const registerSchema: RegisterCommand = (program, done) => {
  program
    .command("schema")
    .description("print the config file's JSON Schema")
    .action(() => {
      done(schema());
    });
};
