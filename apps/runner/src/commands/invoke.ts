import { readFileSync } from "node:fs";
import { dirname } from "node:path";
import type { FunctionGraphClient } from "@fgconnect/core";
import { sampleEvent, sampleEvents } from "@fgconnect/emulator";
import { CommanderError, Option } from "commander";
import { loadConfig } from "../config/load.js";
import { connectFunctionGraph } from "../functiongraph.js";
import {
  clientFromFlags,
  ENV_PROJECT,
  ENV_SECURITY_TOKEN,
  ENV_TOKEN,
  hasTarget,
  type TargetOptions,
} from "./invoke-target.js";
import {
  type ConfigOptions,
  configPath,
  EXIT_OK,
  EXIT_USAGE,
  type RegisterCommand,
  withConfigOptions,
} from "./shared.js";

interface InvokeOptions extends ConfigOptions, TargetOptions {
  data?: string;
  event?: string;
  async?: boolean;
  log?: boolean;
}

const usage = (code: string, message: string) =>
  new CommanderError(EXIT_USAGE, `fgconnect.${code}`, message);

function payloadOf(options: InvokeOptions): unknown {
  if (options.event !== undefined) {
    const sample = sampleEvent(options.event);
    if (!sample)
      throw usage(
        "event",
        `no sample event "${options.event}"; the kinds are ${sampleEvents()
          .map((s) => s.kind)
          .join(", ")} (--event list describes them)`,
      );
    return sample.event;
  }
  if (options.data === undefined) return {};
  const text = options.data.startsWith("@")
    ? readFileSync(options.data.slice(1), "utf8")
    : options.data;
  try {
    return JSON.parse(text);
  } catch {
    throw usage("data", "--data must be JSON (or @file holding JSON)");
  }
}

/** The client: from the flags when given, else the config's functiongraph settings. */
async function connect(
  urn: string,
  options: InvokeOptions,
): Promise<{ client: FunctionGraphClient; close(): Promise<void> }> {
  if (hasTarget(options)) {
    if (options.config || options.example)
      throw usage(
        "target",
        "--endpoint, --region and --project replace the config file; give them or -c/--example, not both",
      );
    const client = clientFromFlags(options, urn);
    return { client, close: () => client.close() };
  }
  let file: string;
  try {
    file = configPath(options);
  } catch (err) {
    if (!(err instanceof CommanderError)) throw err;
    throw usage(
      "target",
      `nothing to invoke through: give --endpoint <url> or --region <region> with --project <id> (credentials from ${ENV_TOKEN}, or CLOUD_SDK_AK/CLOUD_SDK_SK), or -c <config>`,
    );
  }
  const config = await loadConfig(file);
  return connectFunctionGraph(config, dirname(file), () => {});
}

async function invoke(urn: string | undefined, options: InvokeOptions): Promise<number> {
  if (options.event === "list") {
    for (const s of sampleEvents())
      process.stdout.write(`${s.kind.padEnd(10)} ${s.connector.padEnd(9)} ${s.summary}\n`);
    return EXIT_OK;
  }
  if (urn === undefined) throw usage("urn", "missing the function's URN (or package:name, name)");
  if (options.async && options.log)
    throw usage("log", "--log reads a sync call's log tail; asynchronous calls return none");
  const payload = payloadOf(options);
  const { client, close } = await connect(urn, options);
  try {
    if (options.async) {
      const accepted = await client.invokeAsync(urn, payload);
      process.stdout.write(`${JSON.stringify(accepted, null, 2)}\n`);
      return EXIT_OK;
    }
    const result = await client.invoke(urn, payload, options.log ? { logTail: true } : {});
    const { log, ...shown } = JSON.parse(JSON.stringify(result)) as { log?: string };
    process.stdout.write(`${JSON.stringify(shown, null, 2)}\n`);
    if (options.log) process.stderr.write(log ? `${log.replace(/\n?$/, "\n")}` : "(no log)\n");
    return EXIT_OK;
  } finally {
    await close();
  }
}

export const registerInvoke: RegisterCommand = (program, done) => {
  const command = program
    .command("invoke")
    .description(
      "invoke a function once, through --endpoint/--region and --project or the config's functiongraph settings",
    )
    .argument("[urn]", "function URN or short form (package:name, name)")
    .addOption(new Option("-d, --data <json>", "event as JSON, or @file").conflicts("event"))
    .option(
      "-e, --event <kind>",
      "send a sample trigger event: timer, kafka, obs, rabbitmq, apig, mqtt (list: describe them)",
    )
    .option("--async", "invoke asynchronously", false)
    .option("--log", "print the function's log tail (sync) on stderr", false)
    .option("--endpoint <url>", "FunctionGraph endpoint (or an emulator's URL); no config needed")
    .option("--region <region>", "region, e.g. cn-north-4: the endpoint is FunctionGraph's there")
    .option("--project <id>", `project id; default $${ENV_PROJECT}`)
    .addHelpText(
      "after",
      `
Without a config, credentials come from the environment: $${ENV_TOKEN} (an IAM token), else
CLOUD_SDK_AK/CLOUD_SDK_SK or HUAWEICLOUD_SDK_AK/HUAWEICLOUD_SDK_SK (AK/SK signing, with
$${ENV_SECURITY_TOKEN} for temporary keys), else none (an emulator run with --no-auth).`,
    );
  withConfigOptions(command).action(async (urn, o) => {
    done(await invoke(urn, o));
  });
};
