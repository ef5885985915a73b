import { execFile, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it, onTestFinished } from "vitest";
import { loadConfig } from "../src/config/load.js";

const cli = join(import.meta.dirname, "../dist/cli.js");
const fgconnect = (args: string[], cwd: string) =>
  promisify(execFile)(process.execPath, [cli, ...args], {
    cwd,
    env: { PATH: process.env.PATH },
    timeout: 25_000,
  }).then(
    (r) => ({ code: 0, ...r }),
    (e: { code: number; stdout: string; stderr: string }) => e,
  );

describe("fgconnect init", () => {
  it.each(["cron", "kafka", "mqtt", "rabbitmq", "s3", "http"])(
    "--source %s writes a commented config that validates",
    async (source) => {
      const dir = mkdtempSync(join(tmpdir(), `fgconnect-init-${source}-`));
      const r = await fgconnect(["init", "--source", source], dir);
      expect(r.code, r.stderr).toBe(0);
      const text = readFileSync(join(dir, "fgconnect.yaml"), "utf8");
      expect(text).toMatch(/^# yaml-language-server: \$schema=https:\/\/\S+\.schema\.json\n/);
      expect(text).toContain(`type: ${source}`);
      // The loader `validate` uses, with no variable set: the defaults in the file suffice.
      const config = await loadConfig(join(dir, "fgconnect.yaml"), {});
      expect(Object.values(config.connectors).map((c) => c.type)).toEqual([source]);
      expect(config.routes[0]!.to).toEqual(["hello"]);
      expect(existsSync(join(dir, "functions", "hello", "index.js"))).toBe(true);
    },
  );

  it("refuses to overwrite without --force, and names the types it knows", async () => {
    const dir = mkdtempSync(join(tmpdir(), "fgconnect-init-"));
    writeFileSync(join(dir, "fgconnect.yaml"), "# mine\n");
    const refused = await fgconnect(["init"], dir);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain("fgconnect.yaml already exists; --force overwrites it");
    expect(readFileSync(join(dir, "fgconnect.yaml"), "utf8")).toBe("# mine\n");
    expect((await fgconnect(["init", "--force", "--source", "kafka"], dir)).code).toBe(0);
    expect(readFileSync(join(dir, "fgconnect.yaml"), "utf8")).toContain("type: kafka");
    const unknown = await fgconnect(["init", "--source", "sqs", "-o", "x.yaml"], dir);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain(
      'no connector type "sqs"; --source is one of cron, http, kafka, mqtt, rabbitmq, s3',
    );
  });

  it("the default (cron into the embedded emulator) runs as written", async () => {
    const dir = mkdtempSync(join(tmpdir(), "fgconnect-init-run-"));
    expect((await fgconnect(["init"], dir)).code).toBe(0);
    const child = spawn(process.execPath, [cli, "run", "--log-format", "json"], {
      cwd: dir,
      env: { PATH: process.env.PATH, FGCONNECT_ADMIN_PORT: "0" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    onTestFinished(() => {
      if (child.exitCode === null) child.kill("SIGKILL");
    });
    const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));
    let out = "";
    child.stderr.on("data", (d: Buffer) => {
      out += d.toString();
    });
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
    child.kill("SIGTERM");
    expect(await exited, out).toBe(0);
  });
});
