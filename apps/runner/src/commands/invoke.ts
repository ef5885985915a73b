import { readFileSync } from "node:fs";
import { dirname } from "node:path";
import { CommanderError } from "commander";
import { loadConfig } from "../config/load.js";
import { connectFunctionGraph } from "../functiongraph.js";
import {
  type ConfigOptions,
  configPath,
  EXIT_OK,
  EXIT_USAGE,
  type RegisterCommand,
  withConfigOptions,
} from "./shared.js";

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

export const registerInvoke: RegisterCommand = (program, done) => {
  const command = program
    .command("invoke")
    .description("invoke a function once through the config's functiongraph settings")
    .argument("<urn>", "function URN or short form (package:name, name)")
    .option("-d, --data <json>", "event as JSON, or @file", undefined)
    .option("--async", "invoke asynchronously", false);
  withConfigOptions(command).action(async (urn, o) => {
    done(await invoke(urn, o));
  });
};
