import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { signature } from "@fgconnect/core";
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

  it("prints usage for --help, naming the credential variables", () => {
    const out = execFileSync(process.execPath, [join(pkg, "dist", "cli.js"), "--help"]).toString();
    expect(out).toContain("--functions DIR");
    for (const name of [
      "FGCONNECT_EMULATOR_TOKEN",
      "FGCONNECT_EMULATOR_AK",
      "FGCONNECT_EMULATOR_SK",
    ]) {
      expect(out).toContain(name);
    }
  }, 30_000);

  it("prints sample trigger events, on the command line and over HTTP", async () => {
    const cli = (...args: string[]) =>
      execFileSync(process.execPath, [join(pkg, "dist", "cli.js"), ...args]).toString();
    const kinds = ["timer", "kafka", "obs", "rabbitmq", "apig", "mqtt"];
    const list = cli("event", "list");
    for (const kind of kinds) expect(list).toMatch(new RegExp(`^${kind} +\\S`, "m"));
    const kafka = JSON.parse(cli("event", "kafka"));
    expect(kafka).toMatchObject({ event_version: "v1.0", trigger_type: "KAFKA" });
    expect(kafka.records[0].messages.length).toBeGreaterThan(0);
    // A connector type names the event it sends.
    expect(JSON.parse(cli("event", "s3")).Records[0].eventName).toBe("ObjectCreated:Put");
    expect(() =>
      execFileSync(process.execPath, [join(pkg, "dist", "cli.js"), "event", "nope"], {
        stdio: "pipe",
      }),
    ).toThrow(/no sample event "nope"; the kinds are timer, kafka/);

    const index = (await (await fetch(`${url}/sample-events`)).json()) as {
      kinds: { kind: string }[];
    };
    expect(index.kinds.map((k) => k.kind)).toEqual(kinds);
    const apig = await fetch(`${url}/sample-events/apig`);
    expect(apig.status).toBe(200);
    expect(await apig.json()).toEqual(JSON.parse(cli("event", "apig")));
    expect((await fetch(`${url}/sample-events/nope`)).status).toBe(404);
  }, 30_000);

  it("prints the package version for --version and -v", () => {
    const { version } = JSON.parse(readFileSync(join(pkg, "package.json"), "utf8"));
    for (const flag of ["--version", "-v"]) {
      const out = execFileSync(process.execPath, [join(pkg, "dist", "cli.js"), flag]).toString();
      expect(out.trim()).toBe(version);
    }
  }, 30_000);
});

describe("fgconnect-emulator credentials from the environment", () => {
  const AK = "ENVAK0123456789ABCDE";
  const SK = "ENVSKabcdefghijklmnopqrstuvwxyz0123456789";
  let envChild: ChildProcess;
  let envUrl: string;
  let envOutput = "";

  beforeAll(async () => {
    envChild = spawn(
      process.execPath,
      [
        join(pkg, "dist", "cli.js"),
        "--functions",
        join(pkg, "examples", "functions"),
        "--port",
        "0",
      ],
      {
        stdio: ["ignore", "pipe", "pipe"],
        env: {
          ...process.env,
          FGCONNECT_EMULATOR_TOKEN: "env-t1, env-t2",
          FGCONNECT_EMULATOR_AK: AK,
          FGCONNECT_EMULATOR_SK: SK,
        },
      },
    );
    envUrl = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no banner: ${envOutput}`)), 10_000);
      envChild.stdout!.on("data", (d: Buffer) => {
        envOutput += d.toString();
        const m = /listening on (http:\/\/\S+)/.exec(envOutput);
        if (m) {
          clearTimeout(timer);
          resolve(m[1]!);
        }
      });
      envChild.stderr!.on("data", (d: Buffer) => {
        envOutput += d.toString();
      });
      envChild.on("exit", (code) => reject(new Error(`exited ${code}: ${envOutput}`)));
    });
  }, 60_000);

  afterAll(() => {
    envChild?.kill("SIGTERM");
  });

  const path = "/v2/0123456789abcdef0123456789abcdef/fgs/functions/hello/invocations";
  const call = (headers: Record<string, string>) =>
    fetch(`${envUrl}${path}`, { method: "POST", headers, body: "{}" });

  it("accepts the tokens of FGCONNECT_EMULATOR_TOKEN and no other", async () => {
    expect(envOutput).toContain("auth tokens/keys given");
    expect((await call({ "X-Auth-Token": "env-t1" })).status).toBe(200);
    expect((await call({ "X-Auth-Token": "env-t2" })).status).toBe(200);
    expect((await call({ "X-Auth-Token": "t1" })).status).toBe(401);
  }, 20_000);

  it("verifies signatures with FGCONNECT_EMULATOR_AK and FGCONNECT_EMULATOR_SK", async () => {
    const url = new URL(`${envUrl}${path}`);
    const headers: Record<string, string> = {
      "Content-Type": "application/json",
      "X-Sdk-Date": signature.formatSdkDate(new Date()),
      Host: url.host,
    };
    const names = signature.headersToSign(headers);
    const sign = (sk: string) => {
      const sig = signature.computeSignature(
        { method: "POST", path: url.pathname, headers, body: "{}" },
        names,
        sk,
      );
      const { Host: _host, ...send } = headers;
      return { ...send, Authorization: signature.authorizationHeader(AK, names, sig) };
    };
    expect((await call(sign(SK))).status).toBe(200);
    expect((await call(sign(`${SK}x`))).status).toBe(401);
    // The secret is nowhere in what the emulator printed.
    expect(envOutput).not.toContain(SK);
  }, 20_000);
});
