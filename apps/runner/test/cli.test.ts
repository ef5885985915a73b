import { execFile, spawn } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it, onTestFinished } from "vitest";

const cli = join(import.meta.dirname, "../dist/cli.js");
const example = join(import.meta.dirname, "../examples/fgconnect.yaml");
const run = (args: string[], env: NodeJS.ProcessEnv = {}, cwd?: string) =>
  promisify(execFile)(process.execPath, [cli, ...args], {
    env: { PATH: process.env.PATH, ...env },
    cwd,
    // A daemon that should have refused to start is not left running.
    timeout: 25_000,
    killSignal: "SIGKILL",
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

  it("refuses to run or validate with no config, and names --example", async () => {
    const empty = mkdtempSync(join(tmpdir(), "fgconnect-noconfig-"));
    for (const command of ["run", "validate"]) {
      const { code, stderr } = await run([command], {}, empty);
      expect(code, stderr).toBe(2);
      expect(stderr).toContain(`no config: give -c <file>, or put fgconnect.yaml in ${empty}`);
      expect(stderr).toContain("--example runs the bundled example");
    }
    const example = await run(["validate", "--example"], {}, empty);
    expect(example.code, example.stderr).toBe(0);
    expect(example.stdout).toContain("valid (1 connector(s), 1 route(s))");
    expect((await run(["validate", "--example", "-c", "x.yaml"], {}, empty)).code).toBe(2);
  });

  it("refuses an unknown log format", async () => {
    const env = await run(["run", "--example"], { FGCONNECT_LOG_FORMAT: "xml" });
    expect(env.code).toBe(2);
    expect(env.stderr).toContain('FGCONNECT_LOG_FORMAT must be one of pretty, json, not "xml"');
    const flag = await run(["run", "--example", "--log-format", "xml"]);
    expect(flag.code).toBe(2);
    expect(flag.stderr).toContain("--log-format");
  });

  it.each([
    ["--log-format pretty", ["--log-format", "pretty"], {}],
    ["FGCONNECT_LOG_FORMAT=pretty", [], { FGCONNECT_LOG_FORMAT: "pretty" }],
  ])(
    "runs the example with %s and FGCONNECT_ADMIN_HOST, and stops on SIGTERM",
    async (_name, args, env) => {
      const cwd = mkdtempSync(join(tmpdir(), "fgconnect-example-"));
      const child = spawn(process.execPath, [cli, "run", "--example", ...args], {
        cwd,
        env: {
          PATH: process.env.PATH,
          FGCONNECT_ADMIN_PORT: "0",
          FGCONNECT_ADMIN_HOST: "127.0.0.2",
          ...env,
        },
        stdio: ["ignore", "pipe", "pipe"],
      });
      const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));
      onTestFinished(() => {
        if (child.exitCode === null) child.kill("SIGKILL");
      });
      let out = "";
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`not running in time:\n${out}`)), 25_000);
        child.stdout.on("data", (d: Buffer) => {
          out += d.toString();
          if (out.includes("fgconnect running")) {
            clearTimeout(timer);
            resolve();
          }
        });
      });
      // Pretty lines, not JSON; the admin server on the host from the environment.
      expect(out.split("\n")[0]).not.toMatch(/^\{/);
      expect(out).toMatch(/INFO.*running the bundled example/);
      expect(out).toMatch(/admin server.*\n?.*http:\/\/127\.0\.0\.2:\d+/);
      child.kill("SIGTERM");
      expect(await exited).toBe(0);
    },
  );

  it("prints a JSON Schema built from the same schemas that validate", async () => {
    const { stdout, code } = await run(["schema"]);
    expect(code).toBe(0);
    const schema = JSON.parse(stdout);
    expect(schema.$schema).toContain("json-schema.org");
    expect(schema.required).toEqual(["connectors", "routes"]);
    expect(schema.additionalProperties).toBe(false);
    const route = schema.properties.routes.items;
    expect(route.properties.mode.anyOf[0].enum).toEqual(["sync", "async"]);
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
