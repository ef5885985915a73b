#!/usr/bin/env node
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { FgconnectError } from "@fgconnect/core";
import type { AuthOptions } from "./auth.js";
import { DEFAULT_CLI_PORT } from "./constants.js";
import { startEmulator } from "./emulator.js";
import { sampleEvent, sampleEvents } from "./sample-events.js";

const USAGE = `fgconnect-emulator: a local FunctionGraph invocation server

Usage: fgconnect-emulator --functions DIR [options]
       fgconnect-emulator event <kind>    print a sample trigger event (kinds: event list)

  --functions DIR     folder of functions (one per subfolder with index.js, or name.js/.cjs/.mjs)
  --port N            port (default ${DEFAULT_CLI_PORT}; 0 picks a free one)
  --host H            address to listen on (default 127.0.0.1)
  --project-id ID     project id served (default 0123456789abcdef0123456789abcdef)
  --region R          region served (default cn-north-4)
  --token T           accepted X-Auth-Token (repeatable)
  --ak AK --sk SK     accepted AK/SK pair for signed requests
  --no-auth           accept requests without credentials
  --quiet             do not print a line per invocation
  -v, --version       print the version
  -h, --help          this text

Secrets in argv are visible to every user of the machine (ps); these variables take their place:
  FGCONNECT_EMULATOR_TOKEN   accepted tokens, comma-separated (used when no --token is given)
  FGCONNECT_EMULATOR_AK      the access key (when no --ak is given)
  FGCONNECT_EMULATOR_SK      the secret key (when no --sk is given)

Without tokens, keys or --no-auth any credentials are accepted, but some must be sent.
The server also answers GET /sample-events (the kinds) and GET /sample-events/<kind>.`;

/** Credentials from the environment, for when argv (visible in ps) should not carry them. */
const ENV_TOKEN = "FGCONNECT_EMULATOR_TOKEN";
const ENV_AK = "FGCONNECT_EMULATOR_AK";
const ENV_SK = "FGCONNECT_EMULATOR_SK";

/** `event <kind>`: the sample as JSON; `event list` (or no kind): the kinds, one a line. */
function printEvent(kind: string | undefined): void {
  if (kind === undefined || kind === "list") {
    for (const s of sampleEvents()) console.log(`${s.kind.padEnd(10)} ${s.summary}`);
    return;
  }
  const sample = sampleEvent(kind);
  if (!sample) {
    const kinds = sampleEvents().map((s) => s.kind);
    throw new Error(`no sample event "${kind}"; the kinds are ${kinds.join(", ")}`);
  }
  console.log(JSON.stringify(sample.event, null, 2));
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
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
      version: { type: "boolean", short: "v" },
      help: { type: "boolean", short: "h" },
    },
    strict: true,
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  if (values.version) {
    const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8"));
    console.log(pkg.version);
    return;
  }
  if (positionals[0] === "event" && positionals.length <= 2) return printEvent(positionals[1]);
  if (positionals.length > 0)
    throw new Error(`unknown command "${positionals.join(" ")}"; see --help`);
  if (!values.functions) throw new Error("--functions DIR is required");
  const port = values.port === undefined ? DEFAULT_CLI_PORT : Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new Error("--port must be 0-65535");
  const env = process.env;
  const tokens =
    values.token ??
    env[ENV_TOKEN]
      ?.split(",")
      .map((t) => t.trim())
      .filter((t) => t !== "");
  const ak = values.ak ?? (env[ENV_AK] || undefined);
  const sk = values.sk ?? (env[ENV_SK] || undefined);
  if ((ak === undefined) !== (sk === undefined)) {
    throw new Error(`--ak (or ${ENV_AK}) and --sk (or ${ENV_SK}) go together`);
  }

  let auth: AuthOptions | false = {};
  if (values["no-auth"]) auth = false;
  else if (tokens?.length || ak) {
    auth = {};
    if (tokens?.length) auth.tokens = tokens;
    if (ak && sk) auth.keys = { [ak]: sk };
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
  const text =
    err instanceof FgconnectError
      ? `${err.message}\n  → ${err.hint}`
      : err instanceof Error
        ? err.message
        : String(err);
  process.stderr.write(`fgconnect-emulator: ${text}\n`);
  process.exit(1);
});
