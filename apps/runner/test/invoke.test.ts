import { type ChildProcess, execFile, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { sampleEvents } from "@fgconnect/emulator";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildSampleEvents } from "../src/sample-events.js";

const cli = join(import.meta.dirname, "../dist/cli.js");
const emulatorCli = resolve(import.meta.dirname, "../../../packages/emulator/dist/cli.js");
const PROJECT = "0123456789abcdef0123456789abcdef";
const TOKEN = "cli-test-token";
const AK = "CLITESTAK0123456789A";
const SK = "CLITESTSKabcdefghijklmnopqrstuvwxyz01234";

/** `fgconnect …` in a folder without a config, with only PATH and `env` in its environment. */
const fgconnect = (args: string[], env: NodeJS.ProcessEnv = {}) =>
  promisify(execFile)(process.execPath, [cli, ...args], {
    env: { PATH: process.env.PATH, ...env },
    cwd: mkdtempSync(join(tmpdir(), "fgconnect-invoke-")),
    timeout: 25_000,
  }).then(
    (r) => ({ code: 0, ...r }),
    (e: { code: number; stdout: string; stderr: string }) => e,
  );

let emulator: ChildProcess;
let url: string;

beforeAll(async () => {
  const functions = mkdtempSync(join(tmpdir(), "fgconnect-invoke-fns-"));
  writeFileSync(
    join(functions, "echo.js"),
    `exports.handler = async (event, context) => { context.getLogger().info("got " + (event.trigger_type ?? "no trigger")); return { event }; };`,
  );
  // The emulator as users run it: its CLI, over HTTP, with a token and an AK/SK pair.
  emulator = spawn(
    process.execPath,
    [emulatorCli, "--functions", functions, "--port", "0", "--token", TOKEN, "--quiet"],
    {
      stdio: ["ignore", "pipe", "pipe"],
      env: { PATH: process.env.PATH, FGCONNECT_EMULATOR_AK: AK, FGCONNECT_EMULATOR_SK: SK },
    },
  );
  let out = "";
  url = await new Promise<string>((done, fail) => {
    const timer = setTimeout(() => fail(new Error(`no banner: ${out}`)), 20_000);
    emulator.stdout!.on("data", (d: Buffer) => {
      out += d.toString();
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        done(m[1]!);
      }
    });
    emulator.on("exit", (code) => fail(new Error(`emulator exited ${code}: ${out}`)));
  });
}, 30_000);

afterAll(() => {
  emulator?.kill("SIGTERM");
});

describe("fgconnect invoke without a config file", () => {
  it("sends a sample event with a token from the environment, and prints the log tail", async () => {
    const r = await fgconnect(
      ["invoke", "echo", "--endpoint", url, "--region", "cn-north-4", "--project", PROJECT].concat([
        "--event",
        "kafka",
        "--log",
      ]),
      { FGCONNECT_AUTH_TOKEN: TOKEN },
    );
    expect(r.code, r.stderr).toBe(0);
    const result = JSON.parse(r.stdout);
    expect(result.json.event).toEqual(sampleEvents().find((s) => s.kind === "kafka")!.event);
    expect(result.log).toBeUndefined();
    expect(r.stderr).toContain(`Start invoke request '${result.requestId}'`);
    expect(r.stderr).toMatch(/INFO got KAFKA/);
  });

  it("signs with AK/SK from the SDK's variables, the project from HUAWEICLOUD_SDK_PROJECT_ID", async () => {
    const urn = `urn:fss:cn-north-4:${PROJECT}:function:default:echo:latest`;
    const r = await fgconnect(["invoke", urn, "--endpoint", url, "--event", "timer"], {
      HUAWEICLOUD_SDK_AK: AK,
      HUAWEICLOUD_SDK_SK: SK,
      HUAWEICLOUD_SDK_PROJECT_ID: PROJECT,
    });
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).json.event.trigger_type).toBe("TIMER");
    const accepted = await fgconnect(
      ["invoke", urn, "--endpoint", url, "--event", "rabbitmq", "--async"],
      { CLOUD_SDK_AK: AK, CLOUD_SDK_SK: SK, HUAWEICLOUD_SDK_PROJECT_ID: PROJECT },
    );
    expect(accepted.code, accepted.stderr).toBe(0);
    expect(JSON.parse(accepted.stdout).requestId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("reports a refused credential as one typed error with what to do, never the secret", async () => {
    const r = await fgconnect(
      ["invoke", "echo", "--endpoint", url, "--region", "cn-north-4", "--project", PROJECT],
      { FGCONNECT_AUTH_TOKEN: "wrong-secret-token" },
    );
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^fgconnect: FunctionGraph answered 401 FSS\.0401/);
    expect(r.stderr).toContain("→ Check the credentials");
    expect(r.stderr).not.toContain("wrong-secret-token");
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it("says what is missing: where to call, the project, the region of a short URN", async () => {
    const none = await fgconnect(["invoke", "echo"]);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain("give --endpoint <url> or --region <region> with --project <id>");
    const noProject = await fgconnect(["invoke", "echo", "--endpoint", url]);
    expect(noProject.code).toBe(2);
    expect(noProject.stderr).toContain(
      "no project id: give --project <id> or set HUAWEICLOUD_SDK_PROJECT_ID",
    );
    const noRegion = await fgconnect(["invoke", "echo", "--endpoint", url, "--project", PROJECT]);
    expect(noRegion.code).toBe(2);
    expect(noRegion.stderr).toContain('"echo" is a short URN and the endpoint names no region');
    const unknown = await fgconnect(["invoke", "echo", "--event", "sqs", "--endpoint", url]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('no sample event "sqs"; the kinds are timer, kafka, obs');
    const unreachable = await fgconnect(
      ["invoke", "echo", "--endpoint", "http://127.0.0.1:1", "--region", "cn-north-4"],
      { HUAWEICLOUD_SDK_PROJECT_ID: PROJECT },
    );
    expect(unreachable.code).toBe(1);
    expect(unreachable.stderr).toContain("could not reach http://127.0.0.1:1");
    expect(unreachable.stderr).toContain("→ Check the endpoint or region");
  });

  it("lists the sample events with --event list", async () => {
    const r = await fgconnect(["invoke", "--event", "list"]);
    expect(r.code).toBe(0);
    const kinds = r.stdout
      .trim()
      .split("\n")
      .map((l) => l.split(/\s+/)[0]);
    expect(kinds).toEqual(["timer", "kafka", "obs", "rabbitmq", "apig", "mqtt"]);
  });
});

describe("sample trigger events", () => {
  it("the emulator's sample-events.json is what the connectors' payload builders make", () => {
    const file = resolve(import.meta.dirname, "../../../packages/emulator/sample-events.json");
    expect(
      JSON.parse(readFileSync(file, "utf8")),
      "stale: run node scripts/sample-events.mjs",
    ).toEqual(buildSampleEvents());
  });

  it("each has its trigger's shape", () => {
    const byKind = Object.fromEntries(buildSampleEvents().map((s) => [s.kind, s.event]));
    expect(byKind.timer).toMatchObject({ version: "v1.0", trigger_type: "TIMER" });
    for (const kind of ["kafka", "rabbitmq", "mqtt"])
      expect(byKind[kind]).toMatchObject({
        event_version: "v1.0",
        event_time: expect.any(Number),
        trigger_type: kind.toUpperCase(),
      });
    expect(byKind.obs).toMatchObject({ Records: [{ eventName: "ObjectCreated:Put" }] });
    expect(byKind.apig).toMatchObject({
      httpMethod: "POST",
      pathParameters: { id: "1001" },
      isBase64Encoded: false,
      requestContext: { stage: "RELEASE" },
    });
  });
});
