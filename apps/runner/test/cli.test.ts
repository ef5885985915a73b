import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";

const cli = join(import.meta.dirname, "../dist/cli.js");
const example = join(import.meta.dirname, "../examples/fgconnect.yaml");
const run = (args: string[], env: NodeJS.ProcessEnv = {}) =>
  promisify(execFile)(process.execPath, [cli, ...args], {
    env: { PATH: process.env.PATH, ...env },
  }).then(
    (r) => ({ code: 0, ...r }),
    (e: { code: number; stdout: string; stderr: string }) => e,
  );

describe("fgconnect CLI", () => {
  it("prints its version and help", async () => {
    const pkg = JSON.parse(readFileSync(join(import.meta.dirname, "../package.json"), "utf8"));
    expect((await run(["--version"])).stdout.trim()).toBe(pkg.version);
    const help = await run(["--help"]);
    expect(help.code).toBe(0);
    for (const command of ["run", "validate", "schema", "invoke"])
      expect(help.stdout).toContain(command);
  });

  it("exits 2 on bad usage", async () => {
    expect((await run(["no-such-command"])).code).toBe(2);
    expect((await run(["invoke"])).code).toBe(2);
    const badData = await run(["invoke", "hello", "--data", "{not json", "-c", example]);
    expect(badData.code).toBe(2);
    expect(badData.stderr).toContain("--data must be JSON");
    const badLevel = await run(["run", "-c", example], { FGCONNECT_LOG_LEVEL: "loud" });
    expect(badLevel.code).toBe(2);
    expect(badLevel.stderr).toContain(
      'FGCONNECT_LOG_LEVEL must be one of trace, debug, info, warn, error, fatal, silent, not "loud"',
    );
  });

  it("prints a JSON Schema built from the same schemas that validate", async () => {
    const { stdout, code } = await run(["schema"]);
    expect(code).toBe(0);
    const schema = JSON.parse(stdout);
    expect(schema.$schema).toContain("json-schema.org");
    expect(schema.required).toEqual(["connectors", "routes"]);
    expect(schema.additionalProperties).toBe(false);
    const route = schema.properties.routes.items;
    expect(route.properties.mode.enum).toEqual(["sync", "async"]);
    expect(route.properties.delivery.properties.maxAttempts.default).toBe(10);
    const connector = JSON.stringify(schema.properties.connectors);
    expect(connector).toContain('"const":"cron"');
    expect(connector).toContain("5-field cron");
  });

  it("validates the bundled example", async () => {
    const { stdout, code } = await run(["validate", "-c", example]);
    expect(code).toBe(0);
    expect(stdout).toContain("valid (1 connector(s), 1 route(s))");
  });

  it("invokes a function once, here through the example's embedded emulator", async () => {
    const { stdout, code } = await run([
      "invoke",
      "hello",
      "--data",
      '{"user_event":"from the CLI test"}',
      "-c",
      example,
    ]);
    expect(code).toBe(0);
    const result = JSON.parse(stdout);
    expect(result.requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(result.json).toMatchObject({
      greeting: "from the CLI test",
      requestId: result.requestId,
    });
    const accepted = await run(["invoke", "hello", "--async", "-c", example]);
    expect(accepted.code).toBe(0);
    expect(JSON.parse(accepted.stdout).requestId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("reports a failed invocation with its hint and exit 1", async () => {
    const { code, stderr } = await run(["invoke", "no-such-function", "-c", example]);
    expect(code).toBe(1);
    expect(stderr).toContain("FSS.1051");
    expect(stderr).toContain("→");
  });
});
