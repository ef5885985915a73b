import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";

const pkg = join(import.meta.dirname, "..");
let child: ChildProcess;
let url: string;
let output = "";

beforeAll(async () => {
  child = spawn(
    process.execPath,
    [
      join(pkg, "dist", "cli.js"),
      "--functions",
      join(pkg, "examples", "functions"),
      "--port",
      "0",
      "--token",
      "t1",
    ],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no banner: ${output}`)), 10_000);
    child.stdout!.on("data", (d: Buffer) => {
      output += d.toString();
      const m = /listening on (http:\/\/\S+)/.exec(output);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    });
    child.stderr!.on("data", (d: Buffer) => {
      output += d.toString();
    });
    child.on("exit", (code) => reject(new Error(`exited ${code}: ${output}`)));
  });
}, 60_000);

afterAll(() => {
  child?.kill("SIGTERM");
});

describe("fgconnect-emulator CLI", () => {
  it("serves the example function and prints one line per invocation", async () => {
    expect(output).toContain("function:default:hello:latest");
    const res = await fetch(
      `${url}/v2/0123456789abcdef0123456789abcdef/fgs/functions/hello/invocations`,
      {
        method: "POST",
        headers: { "X-Auth-Token": "t1", "X-CFF-Request-Version": "v1" },
        body: JSON.stringify({ trigger_type: "KAFKA" }),
      },
    );
    expect(res.status).toBe(200);
    const body = (await res.json()) as { request_id: string; result: string };
    expect(JSON.parse(body.result).eventType).toBe("KAFKA");
    // The child prints the line after it answered: poll its output.
    await vi.waitFor(
      () =>
        expect(output).toMatch(
          new RegExp(
            `sync urn:fss:cn-north-4:\\w+:function:default:hello:latest 200 ${body.request_id} [\\d.]+ms`,
          ),
        ),
      { timeout: 10_000 },
    );
    const denied = await fetch(
      `${url}/v2/0123456789abcdef0123456789abcdef/fgs/functions/hello/invocations`,
      {
        method: "POST",
        body: "{}",
      },
    );
    expect(denied.status).toBe(401);
  }, 20_000);

  it("prints usage for --help", () => {
    const out = execFileSync(process.execPath, [join(pkg, "dist", "cli.js"), "--help"]).toString();
    expect(out).toContain("--functions DIR");
  });
});
