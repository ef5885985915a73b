#!/usr/bin/env node
import { parseArgs } from "node:util";
import type { AuthOptions } from "./auth.js";
import { DEFAULT_CLI_PORT } from "./constants.js";
import { startEmulator } from "./emulator.js";

const USAGE = `fgconnect-emulator: a local FunctionGraph invocation server

Usage: fgconnect-emulator --functions DIR [options]

  --functions DIR     folder of functions (one per subfolder with index.js, or name.js/.cjs/.mjs)
  --port N            port (default ${DEFAULT_CLI_PORT}; 0 picks a free one)
  --host H            address to listen on (default 127.0.0.1)
  --project-id ID     project id served (default 0123456789abcdef0123456789abcdef)
  --region R          region served (default cn-north-4)
  --token T           accepted X-Auth-Token (repeatable)
  --ak AK --sk SK     accepted AK/SK pair for signed requests
  --no-auth           accept requests without credentials
  --quiet             do not print a line per invocation
  -h, --help          this text

Without --token, --ak or --no-auth any credentials are accepted, but some must be sent.`;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      functions: { type: "string" },
      port: { type: "string" },
      host: { type: "string" },
      "project-id": { type: "string" },
      region: { type: "string" },
      token: { type: "string", multiple: true },
      ak: { type: "string" },
      sk: { type: "string" },
      "no-auth": { type: "boolean" },
      quiet: { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
    strict: true,
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  if (!values.functions) throw new Error("--functions DIR is required");
  const port = values.port === undefined ? DEFAULT_CLI_PORT : Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new Error("--port must be 0-65535");
  if ((values.ak === undefined) !== (values.sk === undefined)) {
    throw new Error("--ak and --sk go together");
  }

  let auth: AuthOptions | false = {};
  if (values["no-auth"]) auth = false;
  else if (values.token || values.ak) {
    auth = {};
    if (values.token) auth.tokens = values.token;
    if (values.ak && values.sk) auth.keys = { [values.ak]: values.sk };
  }

  const emulator = await startEmulator({
    functionsDir: values.functions,
    port,
    host: values.host,
    projectId: values["project-id"],
    region: values.region,
    auth,
    log: values.quiet ? false : undefined,
  });
  const authText =
    auth === false ? "off" : auth.tokens || auth.keys ? "tokens/keys given" : "any credentials";
  // One write, so whoever waits for the banner also gets the list of functions.
  const functions = emulator.functions().map((f) => `  ${f.urn}\n`);
  process.stdout.write(
    `fgconnect-emulator listening on ${emulator.url} (project ${emulator.projectId}, region ${emulator.region}, auth ${authText})\n${functions.join("")}`,
  );

  const stop = () => {
    emulator.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
}

main().catch((err: unknown) => {
  process.stderr.write(`fgconnect-emulator: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
